/**
 * `npm run bench [-- --quick] [-- --only a,b]`: every scenario on 127.0.0.1, each figure measured
 * in the same run as its baseline; writes bench/results/latest.json and latest.md.
 * See bench/README.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupAll, installCleanupHandlers, onCleanup } from './lib/cleanup.ts';
import { makeDirFactory, type BenchContext, type Scenario } from './lib/context.ts';
import { findTool } from './lib/processes.ts';
import { writeRandomFile } from './lib/data-file.ts';
import { log, elapsedSeconds } from './lib/log.ts';
import { describeMachine } from './lib/machine.ts';
import { parseOptions } from './lib/options.ts';
import { writeReport } from './lib/report.ts';
import { Results } from './lib/results.ts';
import { glancePeer } from './scenarios/glance.ts';
import { machineLimit } from './scenarios/machine-limit.ts';
import { nginxDownload } from './scenarios/nginx.ts';
import { planktonServer } from './scenarios/plankton.ts';
import { planktonPgS3 } from './scenarios/plankton-pg-s3.ts';
import { swiftPeer } from './scenarios/swift.ts';

/**
 * In this order: the machine first, the peers, then Plankton (whose RSS covers its whole life),
 * then Plankton's distributed configuration (PostgreSQL + S3, with their own servers).
 */
const SCENARIOS: readonly Scenario[] = [
  machineLimit,
  nginxDownload,
  swiftPeer,
  glancePeer,
  planktonServer,
  planktonPgS3,
];

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  const profile = parseOptions(process.argv.slice(2));
  const unknown = profile.only.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length)
    throw new Error(`unknown scenario ${unknown.join(', ')}: choose from ${SCENARIOS.map((s) => s.name).join(', ')}`);
  // nginx only serves the nginx section; `--only plankton` runs without it.
  const needsNginx = profile.only.length === 0 || profile.only.includes('nginx');
  const missing = ['curl', 'wrk', ...(needsNginx ? ['nginx'] : [])].filter((tool) => !findTool(tool));
  if (missing.length)
    throw new Error(`missing ${missing.join(', ')}: apt-get install curl wrk nginx-light (see bench/README.md)`);
  installCleanupHandlers();

  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-bench-'));
  onCleanup(`remove ${root}`, () => fs.rmSync(root, { recursive: true, force: true }));
  const dir = makeDirFactory(root);
  const results = new Results();
  const machine = describeMachine(profile.mode);
  log(
    'run',
    `${profile.mode} run in ${root}; load average ${machine.load_average_start.join(' ')} on ${machine.cores} cores`,
  );

  const dataDir = dir('data');
  const [dataFile, otherDataFile] = [path.join(dataDir, 'data.bin'), path.join(dataDir, 'other.bin')];
  writeRandomFile(dataFile, profile.dataBytes);
  writeRandomFile(otherDataFile, profile.dataBytes);
  results.set('data_mib', profile.dataBytes / 2 ** 20);
  log('run', `wrote 2 × ${profile.dataBytes / 2 ** 20} MiB of random data`);

  for (const scenario of SCENARIOS) {
    if (profile.only.length && !profile.only.includes(scenario.name)) continue;
    const ctx: BenchContext = {
      profile,
      results,
      dataFile,
      otherDataFile,
      repo,
      dir,
      log: (m) => log(scenario.name, m),
    };
    const t0 = Date.now();
    const load = Math.round(os.loadavg()[0] * 100) / 100;
    try {
      await scenario.run(ctx);
    } catch (e) {
      const message = (e as Error).message;
      results.note(`${scenario.name}: stopped early: ${message.split('\n')[0]}`);
      log(scenario.name, `FAILED: ${message}`);
    }
    results.sections[scenario.name] = { seconds: Math.round((Date.now() - t0) / 100) / 10, load_at_start: load };
  }

  const done = { ...machine, load_average_end: os.loadavg().map((l) => Math.round(l * 100) / 100) };
  if (Math.max(...done.load_average_end, ...done.load_average_start) > done.cores * 0.5) {
    results.note(
      `The machine was busy with other work (load average ${done.load_average_start.join('/')} at the start, ${done.load_average_end.join('/')} at the end, on ${done.cores} cores): absolute figures are low and noisy; the ratios, measured side by side, hold up better.`,
    );
  }
  const files = writeReport(path.join(repo, 'bench', 'results'), {
    machine: done,
    profile,
    results,
    totalSeconds: elapsedSeconds(),
  });
  log(
    'run',
    `done in ${elapsedSeconds().toFixed(0)} s: ${path.relative(repo, files.json)}, ${path.relative(repo, files.md)}`,
  );
}

try {
  await main();
} catch (e) {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  cleanupAll();
}
