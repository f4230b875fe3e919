/**
 * `GET /metrics` (src/metrics/): off by default; behind a bearer token on the public listener
 * (PLANKTON_METRICS_TOKEN) or on a listener of its own (PLANKTON_METRICS_LISTEN). Real servers, real
 * scrapes: the counters move with uploads and downloads, labels are route templates (never a raw
 * path, account or object name), and the last `plankton gc` and `plankton scrub` (run as their own
 * processes) show on every scrape. On every database.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadSettings } from '../src/config.ts';
import { CliError } from '../src/errors.ts';
import { cleanEnv } from './helpers/child-server.ts';
import { DIALECTS } from './helpers/dialects.ts';
import { Store } from './helpers/object-store.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/plankton.js');
const TOKEN = randomBytes(32).toString('hex');

/** One sample's value: the line of `name` whose labels include all of `labels`; undefined if none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { env: cleanEnv() }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      if (err && code === null) return reject(err);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('metrics settings', () => {
  it('PLANKTON_METRICS_LISTEN is HOST:PORT; PLANKTON_METRICS_TOKEN is long, and never echoed when refused', () => {
    assert.deepEqual(loadSettings({}, { PLANKTON_METRICS_LISTEN: '127.0.0.1:9090' }).metricsListen, {
      host: '127.0.0.1',
      port: 9090,
    });
    assert.deepEqual(loadSettings({}, { PLANKTON_METRICS_LISTEN: '[::1]:0' }).metricsListen, { host: '::1', port: 0 });
    assert.equal(loadSettings({}, {}).metricsListen, undefined);
    assert.equal(loadSettings({}, {}).metricsToken, undefined);
    for (const bad of ['9090', 'localhost', 'host:port', '127.0.0.1:70000'])
      assert.throws(
        () => loadSettings({}, { PLANKTON_METRICS_LISTEN: bad }),
        (e: unknown) => e instanceof CliError && e.exitCode === 2 && /PLANKTON_METRICS_LISTEN/.test(e.message),
        bad,
      );
    const short = 'tooshort-secret';
    assert.throws(
      () => loadSettings({}, { PLANKTON_METRICS_TOKEN: short }),
      (e: unknown) => e instanceof CliError && /PLANKTON_METRICS_TOKEN/.test(e.message) && !e.message.includes(short),
    );
  });
});

for (const dialect of DIALECTS) {
  describe(`GET /metrics on ${dialect}`, () => {
    let plain: TestServer;
    let tokened: TestServer;
    let separate: TestServer;

    before(async () => {
      plain = await startTestServer(dialect);
      tokened = await startTestServer(dialect, { metricsToken: TOKEN });
      separate = await startTestServer(dialect, { metricsListen: '127.0.0.1:0' });
    });
    after(async () => {
      await plain?.close();
      await tokened?.close();
      await separate?.close();
    });

    it('off by default: /metrics is an ordinary 404', async () => {
      const r = await plain.fetch('/metrics');
      assert.equal(r.status, 404);
      assert.match(await r.text(), /itemNotFound|Not found/);
    });

    it('with a token: 401 without it or with another, the text format with it', async () => {
      for (const auth of [undefined, 'Bearer nope', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
        const r = await tokened.fetch('/metrics', auth ? { headers: { Authorization: auth } } : {});
        assert.equal(r.status, 401, String(auth));
        assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="metrics"');
        const body = await r.json();
        assert.equal(body.unauthorized.code, 401);
        assert.doesNotMatch(JSON.stringify(body), new RegExp(TOKEN));
      }
      const r = await tokened.fetch('/metrics', { headers: { Authorization: `Bearer ${TOKEN}` } });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await r.text();
      assert.match(text, /# TYPE plankton_http_request_duration_seconds histogram/);
      assert.match(text, /# TYPE plankton_uploads_in_flight gauge/);
      const post = await tokened.fetch('/metrics', {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(post.status, 405);
    });

    it('the counters move with traffic; labels are templates, never names', async () => {
      const scrape = async () => {
        const r = await tokened.fetch('/metrics', { headers: { Authorization: `Bearer ${TOKEN}` } });
        assert.equal(r.status, 200);
        return r.text();
      };
      const store = new Store(tokened, await tokened.user());
      const secretName = `very-private-${randomBytes(4).toString('hex')}`;
      await store.putContainer(secretName);
      const before = await scrape();
      const put = { api: 'object-store', route: 'object', method: 'PUT', status: '201' };
      const get = { api: 'object-store', route: 'object', method: 'GET', status: '200' };
      const data = randomBytes(300_000);
      await store.put(secretName, `${secretName}.img`, data);
      const got = await store.req('GET', `${secretName}/${secretName}.img`);
      assert.equal(got.status, 200);
      assert.equal(Buffer.compare(got.body, data), 0);
      const missing = await store.req('GET', `${secretName}/nothing-here`);
      assert.equal(missing.status, 404);
      const text = await scrape();

      const delta = (name: string, labels: Record<string, string> = {}) =>
        (sample(text, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
      assert.equal(delta('plankton_http_requests_total', put), 1);
      assert.equal(delta('plankton_http_requests_total', get), 1);
      assert.equal(delta('plankton_http_requests_total', { ...get, status: '404' }), 1);
      assert.equal(delta('plankton_http_request_duration_seconds_count', put), 1);
      assert.ok(delta('plankton_http_received_bytes_total', { api: 'object-store' }) >= data.length);
      assert.ok(delta('plankton_http_sent_bytes_total', { api: 'object-store' }) >= data.length);
      assert.ok(delta('plankton_block_store_operation_duration_seconds_count', { op: 'put', outcome: 'ok' }) >= 1);
      assert.ok(delta('plankton_block_store_operation_duration_seconds_count', { op: 'get', outcome: 'ok' }) >= 1);
      assert.ok(delta('plankton_database_query_duration_seconds_count', { kind: 'select', outcome: 'ok' }) >= 1);
      assert.ok(delta('plankton_database_query_duration_seconds_count', { kind: 'update', outcome: 'ok' }) >= 0);
      assert.equal(sample(text, 'plankton_uploads_in_flight'), 0);
      assert.equal(sample(text, 'plankton_downloads_in_flight'), 0);
      assert.ok((sample(text, 'plankton_http_requests_total', { api: 'metrics', route: 'metrics' }) ?? 0) >= 1);
      // Low cardinality: no account, container or object name, no token in any label.
      assert.ok(!text.includes(secretName), 'a container or object name leaked into a label');
      assert.ok(!text.includes(store.uuid), 'an account leaked into a label');
    });

    it('on its own listener: no token there, nothing of it on the public one; gc and scrub results show', async () => {
      assert.ok(separate.metricsUrl, 'the metrics listener is up');
      assert.equal((await separate.fetch('/metrics')).status, 404, 'not on the public listener');
      const other = await fetch(new URL('/healthz', separate.metricsUrl));
      assert.equal(other.status, 404, 'no API on the metrics listener');

      const store = new Store(separate, await separate.user());
      await store.putContainer('c');
      for (let i = 0; i < 3; i++) await store.put('c', `o${i}`, randomBytes(10_000));
      const settings = separate.services.settings;
      const storage = [
        '--data-dir',
        separate.dataDir,
        ...(settings.databaseUrl ? ['--database-url', settings.databaseUrl] : []),
      ];
      const gc = await runCli(['gc', '--json', ...storage]);
      assert.equal(gc.code, 0, gc.stderr);
      const scrub = await runCli(['scrub', '--json', ...storage]);
      assert.equal(scrub.code, 0, scrub.stderr);

      const r = await fetch(separate.metricsUrl!);
      assert.equal(r.status, 200);
      const text = await r.text();
      const result = (command: string, name: string) =>
        sample(text, 'plankton_maintenance_last_run_result', { command, result: name });
      assert.equal(result('scrub', 'checked_blocks'), 3);
      assert.equal(result('scrub', 'corrupt_blocks'), 0);
      assert.equal(result('scrub', 'missing_blocks'), 0);
      assert.equal(result('gc', 'scanned_blocks'), 3);
      assert.equal(result('gc', 'removed_blocks'), 0);
      const at = sample(text, 'plankton_maintenance_last_run_timestamp_seconds', { command: 'scrub' });
      assert.ok(at !== undefined && Math.abs(at - Date.now() / 1000) < 3600, String(at));
    });
  });
}
