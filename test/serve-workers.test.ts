/**
 * `plankton serve --workers N` (src/cli/serve-cluster.ts): N HTTP workers behind one port. Every
 * worker serves (the connections are spread over them), each log line names its process, the
 * metrics of both listeners are the sum over the workers while the database-backed gauges are
 * shown once, the settings are checked, and a port in use is the same one-line error as in one
 * process, and the node's duties (expired objects) run under the primary. Graceful shutdown, crashes and races on the cluster are in test/faults/: graceful-shutdown,
 * crash-consistency and races.test.ts. On every database.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadSettings } from '../src/config.ts';
import { CliError } from '../src/errors.ts';
import { workerExecArgv } from '../src/cli/serve-cluster.ts';
import { cleanEnv, freePort, plankton, startChildServer, type ChildServer } from './helpers/child-server.ts';
import { DIALECTS, freshPostgresDatabase } from './helpers/dialects.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/plankton.js');
const TOKEN = 'w'.repeat(40);

/** The sum of the samples of `name` whose labels include `labels`. */
function total(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
  }
  return sum;
}

/** GET on a connection of its own (no keep-alive), so that successive requests can reach different workers. */
function getFresh(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers: { ...headers, Connection: 'close' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

describe('serve --workers settings', () => {
  it('defaults to the number of cores; refuses 0, words and more than 64', () => {
    assert.equal(loadSettings({}, {}).workers, Math.min(64, os.availableParallelism()));
    assert.equal(loadSettings({ workers: '3' }, {}).workers, 3);
    assert.equal(loadSettings({}, { PLANKTON_WORKERS: '1' }).workers, 1);
    for (const bad of ['0', 'two', '65', '-1'])
      assert.throws(
        () => loadSettings({ workers: bad }, {}),
        (e: unknown) => {
          assert.ok(e instanceof CliError);
          assert.match(e.message, /--workers \(PLANKTON_WORKERS\)/);
          return true;
        },
      );
  });

  it("sizes the workers' V8 heaps itself: PLANKTON_WORKER_HEAP and _SEMI_SPACE, checked, in place of the primary's", () => {
    const d = loadSettings({}, {});
    assert.deepEqual([d.workerHeapMib, d.workerSemiSpaceMib], [512, 4]);
    const s = loadSettings({}, { PLANKTON_WORKER_HEAP: '256', PLANKTON_WORKER_SEMI_SPACE: '8' });
    assert.deepEqual([s.workerHeapMib, s.workerSemiSpaceMib], [256, 8]);
    for (const [name, bad] of [
      ['PLANKTON_WORKER_HEAP', '63'],
      ['PLANKTON_WORKER_HEAP', '1g'],
      ['PLANKTON_WORKER_SEMI_SPACE', '0'],
      ['PLANKTON_WORKER_SEMI_SPACE', '257'],
    ])
      assert.throws(
        () => loadSettings({}, { [name]: bad }),
        (e: unknown) => e instanceof CliError && e.message.includes(`(${name})`),
      );
    assert.deepEqual(
      workerExecArgv(['--import', 'tsx', '--max-old-space-size=4096', '--max-semi-space-size', '--cpu-prof'], s),
      ['--import', 'tsx', '--cpu-prof', '--max-old-space-size=256', '--max-semi-space-size=8'],
    );
  });
});

for (const dialect of DIALECTS) {
  describe(`serve --workers 2 [${dialect}]`, () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-workers-'));
    let pgdb: Awaited<ReturnType<typeof freshPostgresDatabase>> | undefined;
    let server: ChildServer | undefined;
    after(async () => {
      if (server?.process.exitCode === null) await server.stop();
      await pgdb?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('serves from every worker; logs name the process; /metrics sums the workers, gauges from the database once', {
      timeout: 5 * 60_000,
    }, async () => {
      pgdb = dialect === 'postgres' ? await freshPostgresDatabase() : undefined;
      const storage = ['--data-dir', dataDir, ...(pgdb ? ['--database-url', pgdb.url] : [])];
      // A gc run before the start: its finish time is a database-backed gauge every worker exports.
      const before = Date.now() / 1000;
      await plankton(['gc', '--grace', '0', '--json', ...storage]);
      const metricsPort = await freePort();
      server = await startChildServer(storage, {
        workers: 2,
        logLevel: 'info',
        env: { PLANKTON_METRICS_LISTEN: `127.0.0.1:${metricsPort}`, PLANKTON_METRICS_TOKEN: TOKEN },
      });
      // The workers run with the heap flags of serve-cluster.ts (the children of the primary).
      const workerArgs = fs
        .readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .flatMap((p) => {
          try {
            const status = fs.readFileSync(`/proc/${p}/status`, 'utf8');
            if (Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) !== server!.process.pid) return [];
            return [fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')];
          } catch {
            return []; // gone meanwhile
          }
        })
        .filter((args) => args.includes('serve'));
      assert.equal(workerArgs.length, 2);
      for (const args of workerArgs) {
        assert.ok(args.includes('--max-old-space-size=512'), args.join(' '));
        assert.ok(args.includes('--max-semi-space-size=4'), args.join(' '));
      }
      const healthz = async () =>
        total((await getFresh(`http://127.0.0.1:${metricsPort}/metrics`)).body, 'plankton_http_requests_total', {
          route: 'healthz',
        });
      // The start-up's own /healthz poll: counted once its reply is done, which may be just after the client saw it.
      let counted = await healthz();
      for (let i = 0; i < 50 && counted < 1; i++) {
        await new Promise((r) => setTimeout(r, 100));
        counted = await healthz();
      }
      const REQUESTS = 40;
      for (let i = 0; i < REQUESTS; i++) assert.equal((await getFresh(`${server.url}/healthz`)).status, 200);

      const scraped = await getFresh(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(scraped.status, 200);
      assert.equal(
        total(scraped.body, 'plankton_http_requests_total', { route: 'healthz' }),
        counted + REQUESTS,
        'the metrics listener counts the requests of both workers',
      );
      const finished = total(scraped.body, 'plankton_maintenance_last_run_timestamp_seconds', { command: 'gc' });
      assert.ok(
        finished >= before - 1 && finished <= Date.now() / 1000 + 1,
        `the last gc's time is shown once, not summed over the workers (${finished})`,
      );

      const viaPublic = await getFresh(`${server.url}/metrics`, { Authorization: `Bearer ${TOKEN}` });
      assert.equal(viaPublic.status, 200);
      assert.equal(
        total(viaPublic.body, 'plankton_http_requests_total', { route: 'healthz' }),
        counted + REQUESTS,
        'the public /metrics shows the whole cluster, whichever worker answers it',
      );

      const lines = server
        .stdout()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const workers = new Set(lines.filter((l) => l.msg === 'request').map((l) => l.worker));
      assert.deepEqual([...workers].sort(), [1, 2], 'both workers answered requests, and say so in the log');
      const serving = lines.filter((l) => l.msg === 'plankton is serving');
      assert.equal(serving.length, 1, 'start-up is logged once');
      assert.equal(serving[0].worker, 0, 'by the primary');
      assert.equal(serving[0].workers, 2);
    });

    it('the primary runs the node duties: expired objects are removed under the cluster too', {
      timeout: 5 * 60_000,
    }, async () => {
      const storage = ['--data-dir', dataDir, ...(pgdb ? ['--database-url', pgdb.url] : [])];
      const user = JSON.parse(await plankton(['user', 'create', 'duties@example.org', '--json', ...storage]));
      const cluster = await startChildServer(storage, { workers: 2, env: { PLANKTON_EXPIRY_REAP_INTERVAL: '1s' } });
      try {
        const base = `${cluster.url}/object-store/v1/${user.uuid}/expiring`;
        const auth = { 'X-Auth-Token': user.token as string };
        assert.equal((await fetch(base, { method: 'PUT', headers: auth })).status, 201);
        const put = await fetch(`${base}/soon`, {
          method: 'PUT',
          headers: { ...auth, 'X-Delete-After': '1' },
          body: 'x',
        });
        assert.equal(put.status, 201);
        // Invisible once expired; the container's count drops only when the reaper has removed the row.
        let count: string | null = null;
        for (let i = 0; i < 300 && count !== '0'; i++) {
          await new Promise((r) => setTimeout(r, 200));
          count = (await fetch(base, { method: 'HEAD', headers: auth })).headers.get('x-container-object-count');
        }
        assert.equal(count, '0', 'the expired object was reaped');
      } finally {
        await cluster.stop();
      }
    });

    it('a port in use is one line and exit status 1, as in one process', { timeout: 5 * 60_000 }, async () => {
      assert.ok(server, 'the server of the first test runs');
      const port = new URL(server.url).port;
      const storage = ['--data-dir', dataDir, ...(pgdb ? ['--database-url', pgdb.url] : [])];
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [BIN, 'serve', '--host', '127.0.0.1', '--port', port, '--workers', '2', ...storage],
          { env: cleanEnv({ PLANKTON_LOG_LEVEL: 'silent' }) },
          (err, _stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, stderr }),
        ),
      );
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^plankton: port \d+ on 127\.0\.0\.1 is in use: stop what runs there or pass --port\n$/);
    });
  });
}
