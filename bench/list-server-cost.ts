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
 *   LIST_UPLOAD_MIB=256   # first 8 object PUTs and GETs of this size at once, as the full bench before its lists
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
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
const UPLOAD_MIB = Number(env.LIST_UPLOAD_MIB ?? 0);
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

/**
 * From the GC trace in the log from `from` on: the sum of `allocated=` (bytes allocated since the
 * previous GC), and per process the largest heap seen before a GC (`total_size_before`: live and
 * dead objects) and after a full mark-compact (`total_size_after` of `gc=mc`: what was still live).
 */
function gcSince(logFile: string, from: number): { bytes: number; peakMb: number[]; liveMb: number[] } {
  const text = fs.readFileSync(logFile).subarray(from).toString('latin1');
  let bytes = 0;
  const peak = new Map<string, number>();
  const live = new Map<string, number>();
  for (const line of text.split('\n')) {
    const allocated = /^\[\d+:\S+\s+\d+ ms: .* allocated=(\d+)/.exec(line);
    if (!allocated) continue;
    bytes += Number(allocated[1]);
    const pid = /^\[(\d+):/.exec(line)?.[1] ?? '?';
    const before = Number(/ total_size_before=(\d+)/.exec(line)?.[1] ?? 0);
    peak.set(pid, Math.max(peak.get(pid) ?? 0, before));
    if (/ gc=mc /.test(line)) {
      const after = Number(/ total_size_after=(\d+)/.exec(line)?.[1] ?? 0);
      live.set(pid, Math.max(live.get(pid) ?? 0, after));
    }
  }
  const mb = (m: Map<string, number>) => [...m.values()].map((b) => Math.round(b / 1048576));
  return { bytes, peakMb: mb(peak), liveMb: mb(live) };
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
  if (UPLOAD_MIB > 0) {
    // What the full bench does before its lists: uploads (8 at once), so the lists start on
    // processes that have already moved gigabytes (their Pss then includes whatever that left).
    const user = JSON.parse(fs.readFileSync(path.join(dataDir, 'bench-token.json'), 'utf8')) as { uuid: string };
    const file = path.join(dataDir, 'upload.bin');
    if (!fs.existsSync(file) || fs.statSync(file).size !== UPLOAD_MIB * 1048576)
      spawnSync('head', ['-c', String(UPLOAD_MIB * 1048576), '/dev/urandom'], {
        stdio: ['ignore', fs.openSync(file, 'w'), 'inherit'],
      });
    const url = `${base}/swift/v1/AUTH_${user.uuid}/warm`;
    spawnSync('curl', ['-sf', '-X', 'PUT', '-H', `X-Auth-Token: ${token}`, url]);
    const puts = Array.from(
      { length: 8 },
      (_, n) =>
        new Promise<void>((resolve) =>
          spawn('curl', ['-sf', '-o', '/dev/null', '-T', file, '-H', `X-Auth-Token: ${token}`, `${url}/o${n}`]).on(
            'exit',
            () => resolve(),
          ),
        ),
    );
    await Promise.all(puts);
    const gets = Array.from(
      { length: 8 },
      (_, n) =>
        new Promise<void>((resolve) =>
          spawn('curl', ['-sf', '-o', '/dev/null', '-H', `X-Auth-Token: ${token}`, `${url}/o${n}`]).on('exit', () =>
            resolve(),
          ),
        ),
    );
    await Promise.all(gets);
    const each = membersOf(new Set([server.pid])).map(pssKb);
    console.log(
      `after 8 PUTs and 8 GETs of ${UPLOAD_MIB} MiB at once: Pss ${each.map((k) => (k / 1024).toFixed(0)).join(' + ')} MB`,
    );
    for (const pid of membersOf(new Set([server.pid])))
      console.log(
        pid,
        fs
          .readFileSync(`/proc/${pid}/status`, 'utf8')
          .split('\n')
          .filter((l) => /^(RssAnon|RssFile|RssShmem|Threads)/.test(l))
          .join(' '),
      );
    if (env.LIST_HOLD) await sleep(Number(env.LIST_HOLD) * 1000);
  }
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
    const gc = gcSince(logFile, gcFrom);
    const garbage = gc.bytes;
    console.log(
      `run ${run}: ${r.requests} requests (${r.errors} errors), ${((cpu * 1000) / r.requests).toFixed(2)} ms CPU/request, ` +
        `${(garbage / r.requests / 1024).toFixed(0)} KiB allocated/request, peak Pss ${(peakKb / 1024).toFixed(0)} MB ` +
        `(${peakEach.map((k) => (k / 1024).toFixed(0)).join(' + ')}), V8 heap peak ${gc.peakMb.join(' + ')} MB, ` +
        `live after full GCs ≤ ${gc.liveMb.join(' + ') || '(no full GC)'} MB; wall ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`,
    );
  }
} finally {
  server.stop();
  if (!env.LIST_DATA) fs.rmSync(dataDir, { recursive: true, force: true });
}
