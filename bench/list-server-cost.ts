/**
 * What one list page costs the server under load, in CPU and garbage, and how large its processes
 * grow (issue 14, docs/performance.md §2 and §4). Seeds LIST_IMAGES images (default 100,000; the
 * bench's seeder, SQLite) once into LIST_DATA (kept, so later runs skip the seeding), starts
 * `bin/plankton.js serve --workers LIST_WORKERS` (default 1) with `--trace-gc-nvp`, then LIST_REPEATS
 * times (default 3) runs wrk with LIST_CONNECTIONS (default 16) for LIST_SECONDS (default 10) on the
 * bench's list page and prints, per run: requests, server CPU per request (utime + stime of every
 * server process, /proc), bytes the V8 heaps allocated per request (the sum of the GC trace's
 * `allocated=` over the run) and the peak Pss sum of the server's processes. Wall-clock req/s is
 * printed too but means little on a shared machine. Run `npm run build` first: bin/plankton.js then
 * runs the compiled build, as operators do. Standalone, not part of `npm run bench`:
 *
 *   LIST_DATA=/tmp/list-100k node --import tsx bench/list-server-cost.ts
 *   LIST_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' …   # extra node flags for the server
 *   LIST_PATH='/image/v2/images?limit=100'                    # another page
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cpuSeconds, membersOf } from './lib/proc.ts';
import { freePort, sleep, startServer } from './lib/processes.ts';
import { runWrk } from './lib/wrk.ts';
import { seedPlankton } from './scenarios/plankton-seed.ts';

const env = process.env;
const COUNT = Number(env.LIST_IMAGES ?? 100_000);
const WORKERS = Number(env.LIST_WORKERS ?? 1);
const CONNECTIONS = Number(env.LIST_CONNECTIONS ?? 16);
const SECONDS = Number(env.LIST_SECONDS ?? 10);
const REPEATS = Number(env.LIST_REPEATS ?? 3);
const PAGE = env.LIST_PATH ?? '/image/v1.0/images/detail?limit=100&disk_format=diskdump';
const NODE_ARGS = (env.LIST_NODE_ARGS ?? '').split(' ').filter(Boolean);
const repo = path.resolve(import.meta.dirname, '..');
const cli = path.join(repo, 'bin', 'plankton.js');
const dataDir = env.LIST_DATA ?? fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-list-server-'));

/** The seeded user's token, made once per data dir. */
function seeded(): string {
  const tokenFile = path.join(dataDir, 'bench-token.json');
  if (fs.existsSync(tokenFile)) return (JSON.parse(fs.readFileSync(tokenFile, 'utf8')) as { token: string }).token;
  fs.mkdirSync(dataDir, { recursive: true });
  const made = spawnSync(process.execPath, [cli, 'user', 'create', 'bench', '--json', '--data-dir', dataDir], {
    encoding: 'utf8',
  });
  if (made.status !== 0) throw new Error(`user create: ${made.stderr}`);
  const user = JSON.parse(made.stdout.trim().split('\n').pop()!) as { uuid: string; token: string };
  const t = Date.now();
  seedPlankton(path.join(dataDir, 'plankton.sqlite'), user.uuid, COUNT);
  console.log(`seeded ${COUNT} images in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  fs.writeFileSync(tokenFile, JSON.stringify(user));
  return user.token;
}

const pssKb = (pid: number) =>
  Number(/^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);

/** Sum of the GC trace's `allocated=` (bytes allocated since the previous GC) in the log from `from` on. */
function allocatedSince(logFile: string, from: number): { bytes: number; end: number } {
  const text = fs.readFileSync(logFile).subarray(from).toString('latin1');
  let bytes = 0;
  for (const m of text.matchAll(/ allocated=(\d+)/g)) bytes += Number(m[1]);
  return { bytes, end: from + Buffer.byteLength(text, 'latin1') };
}

const token = seeded();
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const logFile = path.join(dataDir, 'server.log');
fs.rmSync(logFile, { force: true });
const server = startServer(
  'plankton',
  process.execPath,
  [
    '--trace-gc-nvp',
    ...NODE_ARGS,
    cli,
    'serve',
    '--port',
    String(port),
    '--data-dir',
    dataDir,
    '--workers',
    String(WORKERS),
  ],
  logFile,
  { ...env, PLANKTON_LOG_LEVEL: env.PLANKTON_LOG_LEVEL ?? 'info' },
);
try {
  for (let i = 0; ; i++) {
    if (i > 600) throw new Error('server did not start');
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await sleep(100);
  }
  const group = new Set([server.pid]);
  const load = {
    base,
    method: 'GET' as const,
    paths: [PAGE],
    headers: { 'X-Auth-Token': token },
    connections: CONNECTIONS,
    timeoutSeconds: 30,
    workDir: dataDir,
  };
  await runWrk({ ...load, seconds: 3 }); // warm-up: JIT, statement caches, page cache
  for (let run = 1; run <= REPEATS; run++) {
    await sleep(500);
    let peakKb = 0;
    let peakEach: number[] = [];
    const sampler = setInterval(() => {
      const each = membersOf(group).map(pssKb);
      const sum = each.reduce((a, b) => a + b, 0);
      if (sum > peakKb) [peakKb, peakEach] = [sum, each];
    }, 200);
    const gcFrom = fs.statSync(logFile).size;
    const cpu0 = cpuSeconds(group);
    const r = await runWrk({ ...load, seconds: SECONDS });
    await sleep(300);
    const cpu = cpuSeconds(group) - cpu0;
    clearInterval(sampler);
    const garbage = allocatedSince(logFile, gcFrom).bytes;
    console.log(
      `run ${run}: ${r.requests} requests (${r.errors} errors), ${((cpu * 1000) / r.requests).toFixed(2)} ms CPU/request, ` +
        `${(garbage / r.requests / 1024).toFixed(0)} KiB allocated/request, peak Pss ${(peakKb / 1024).toFixed(0)} MB ` +
        `(${peakEach.map((k) => (k / 1024).toFixed(0)).join(' + ')}); wall ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`,
    );
  }
} finally {
  server.stop();
  if (!env.LIST_DATA) fs.rmSync(dataDir, { recursive: true, force: true });
}
