import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const BIN = path.resolve(import.meta.dirname, '../../bin/plankton.js');
const run = promisify(execFile);

/** Environment for a child plankton: no PLANKTON_* settings leak in from the caller's shell. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PLANKTON_')) env[k] = v;
  return { ...env, ...extra };
}

/** Runs `plankton <args>` to completion and returns stdout. */
export async function plankton(args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(process.execPath, [BIN, ...args], { env: cleanEnv(env) });
  return stdout;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface ChildServer {
  readonly url: string;
  /** Everything the server wrote to stdout (its JSON log) so far. */
  stdout(): string;
  readonly process: ChildProcess;
  /** SIGKILL: no chance to clean up, as in a crash. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

const STARTUP_LIMIT_MS = 120_000;

/**
 * Starts `plankton serve` as a separate process and waits until /healthz answers. One process
 * (`--workers 1`) unless `workers` says otherwise: the tests that run the cluster say so.
 */
export async function startChildServer(
  storageArgs: string[],
  opts: { logLevel?: string; env?: Record<string, string>; workers?: number } = {},
): Promise<ChildServer> {
  const p = await freePort();
  const args = [BIN, 'serve', '--host', '127.0.0.1', '--port', String(p), '--workers', String(opts.workers ?? 1)];
  const child = spawn(process.execPath, [...args, ...storageArgs], {
    env: cleanEnv({ PLANKTON_LOG_LEVEL: opts.logLevel ?? 'warn', ...opts.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    // A cluster is its own process group, so that kill() can take down the primary and its workers at once.
    detached: (opts.workers ?? 1) > 1,
  });
  const cluster = (opts.workers ?? 1) > 1;
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.on('data', (d) => (stdout += d));
  const url = `http://127.0.0.1:${p}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A start (tsx compiling, migrations) takes a second or two idle and many times that on a loaded
  // 2-core machine; the deadline only decides how long a server that never comes up is waited for.
  const deadline = Date.now() + STARTUP_LIMIT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`plankton serve exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline)
      throw new Error(`plankton serve did not answer /healthz in ${STARTUP_LIMIT_MS / 1000} s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    process: child,
    stdout: () => stdout,
    async kill() {
      if (!cluster) {
        child.kill('SIGKILL');
        return exited;
      }
      // A crash of the whole node: primary and workers at once, and none of them left running.
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
      while (groupAlive(child.pid!)) await new Promise((r) => setTimeout(r, 20));
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      while (cluster && groupAlive(child.pid!)) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
