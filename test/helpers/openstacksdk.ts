/**
 * Runs a Python script of test/clients/openstacksdk/ with Debian's openstacksdk (`/usr/bin/python3`,
 * python3-openstacksdk 0.101) in the same clean environment as the CLIs (openstack-clients.ts
 * `runClient`: a fresh empty HOME, no `OS_*` variable, so no clouds.yaml is read). The script gets
 * one argument, a JSON config file, and prints one JSON object per line, each with a `step` name.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runClient, type CliResult } from './openstack-clients.ts';

export const PYTHON_BIN = '/usr/bin/python3';
const SCRIPTS = path.resolve(import.meta.dirname, '../clients/openstacksdk');

/** Why openstacksdk cannot run here, or false (use as a `skip` reason). */
export function missingOpenstacksdk(): string | false {
  return fs.existsSync(PYTHON_BIN) && fs.existsSync('/usr/lib/python3/dist-packages/openstack/__init__.py')
    ? false
    : `${PYTHON_BIN} or openstacksdk not found: install python3-openstacksdk`;
}

export interface SdkRun extends CliResult {
  /** Each printed step by name (a later line of the same name wins). */
  readonly steps: ReadonlyMap<string, Record<string, unknown>>;
}

/** Runs `<script>.py <config.json>`; never rejects on a failing exit (check `status` and `stderr`). */
export async function runSdkScript(script: string, config: unknown, timeoutMs = 300_000): Promise<SdkRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-sdk-'));
  try {
    const configFile = path.join(dir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify(config));
    const r = await runClient(PYTHON_BIN, [path.join(SCRIPTS, `${script}.py`), configFile], {
      timeoutMs,
      env: { PYTHONDONTWRITEBYTECODE: '1' },
    });
    const steps = new Map<string, Record<string, unknown>>();
    for (const line of r.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      const o = JSON.parse(line) as Record<string, unknown>;
      steps.set(String(o.step), o);
    }
    return { ...r, steps };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
