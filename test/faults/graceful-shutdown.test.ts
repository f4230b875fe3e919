/**
 * Graceful shutdown (README, failure behaviour): SIGTERM while uploads and downloads run. Requests
 * that finish within PLANKTON_SHUTDOWN_GRACE are answered and their data is there after a restart
 * on the same data; uploads still sending when the grace ends are cut and leave nothing (no
 * object, no temp file); the process exits 0 and logs the start and end of the shutdown.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startChildServer, plankton, type ChildServer } from '../helpers/child-server.ts';
import { DIALECTS, freshPostgresDatabase } from '../helpers/dialects.ts';
import { bytesOf, eventually, md5, tmpFiles } from '../helpers/object-store.ts';

const SIZE = 1024 * 1024;
const GRACE_SECONDS = 4;

interface Reply {
  status: number;
  body: Buffer;
}

/** A PUT whose headers the server has taken (100-continue) and whose body is half sent. */
async function startUpload(
  url: string,
  token: string,
  body: Buffer,
): Promise<{ finish(): Promise<Reply>; outcome: Promise<Reply | Error> }> {
  const req = http.request(url, {
    method: 'PUT',
    headers: { 'X-Auth-Token': token, 'Content-Length': body.length, Expect: '100-continue' },
  });
  const outcome = new Promise<Reply | Error>((resolve) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      res.on('error', resolve);
    });
    req.on('error', resolve);
  });
  // 'continue' means the server is running the request: a shutdown must now let it finish or cut it.
  await new Promise<void>((resolve, reject) => {
    req.once('continue', () => resolve());
    req.once('error', reject);
  });
  req.write(body.subarray(0, body.length / 2));
  return {
    outcome,
    async finish() {
      req.end(body.subarray(body.length / 2));
      const r = await outcome;
      if (r instanceof Error) throw r;
      return r;
    },
  };
}

/** A GET whose response headers arrived; reading is paused until `finish`. */
async function startDownload(url: string, token: string): Promise<{ finish(): Promise<Reply> }> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(url, { headers: { 'X-Auth-Token': token } }, resolve).on('error', reject);
  });
  res.pause();
  return {
    finish: () =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
        res.on('error', reject);
        res.resume();
      }),
  };
}

for (const dialect of DIALECTS)
  for (const workers of [1, 2]) {
    describe(`graceful shutdown [${dialect}${workers > 1 ? `, --workers ${workers}` : ''}]`, () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-shutdown-'));
      let pgdb: { url: string; drop: () => Promise<void> } | undefined;
      let server: ChildServer | undefined;
      after(async () => {
        if (server?.process.exitCode === null) await server.kill();
        await pgdb?.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      });

      it('lets requests in flight finish, cuts the rest, commits nothing cut, exits 0', {
        timeout: 10 * 60_000,
      }, async () => {
        pgdb = dialect === 'postgres' ? await freshPostgresDatabase() : undefined;
        const storage = ['--data-dir', dataDir, ...(pgdb ? ['--database-url', pgdb.url] : [])];
        const user = JSON.parse(await plankton(['user', 'create', 'shutdown@example.org', '--json', ...storage]));
        server = await startChildServer(storage, {
          workers,
          logLevel: 'info',
          env: { PLANKTON_SHUTDOWN_GRACE: `${GRACE_SECONDS}s` },
        });
        let base = `${server.url}/object-store/v1/${user.uuid}/c`;
        const auth = { 'X-Auth-Token': user.token };
        assert.equal((await fetch(base, { method: 'PUT', headers: auth })).status, 201);
        const stored = bytesOf('stored', 3 * SIZE);
        assert.equal(
          (await fetch(`${base}/stored`, { method: 'PUT', headers: auth, body: new Uint8Array(stored) })).status,
          201,
        );

        const finishing = await Promise.all(
          [0, 1, 2].map((i) => startUpload(`${base}/done-${i}`, user.token, bytesOf(`done-${i}`, SIZE))),
        );
        const stalled = await Promise.all(
          [0, 1, 2].map((i) => startUpload(`${base}/cut-${i}`, user.token, bytesOf(`cut-${i}`, SIZE))),
        );
        const downloads = await Promise.all([0, 1].map(() => startDownload(`${base}/stored`, user.token)));

        const exited = new Promise<number | null>((resolve) => server!.process.once('exit', (code) => resolve(code)));
        server.process.kill('SIGTERM');
        assert.ok(
          await eventually(() => server!.stdout().includes('"shutdown started"')),
          'the shutdown start is logged',
        );
        // Stopped accepting: a new connection is refused while the old requests still run.
        await assert.rejects(fetch(`${server.url}/healthz`));

        for (const [i, u] of finishing.entries()) {
          const r = await u.finish();
          assert.equal(r.status, 201, `upload done-${i} finishing within the grace is acknowledged`);
        }
        for (const d of downloads) {
          const r = await d.finish();
          assert.equal(r.status, 200);
          assert.equal(md5(r.body), md5(stored), 'a download in flight completes whole');
        }
        for (const u of stalled) {
          const r = await u.outcome;
          assert.ok(r instanceof Error, 'an upload still sending at the end of the grace is cut, not answered');
        }
        assert.equal(await exited, 0, 'exit status 0');
        const log = server
          .stdout()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        const start = log.find((l) => l.msg === 'shutdown started');
        const end = log.find((l) => l.msg === 'shutdown finished');
        assert.equal(start.signal, 'SIGTERM');
        assert.equal(start.graceSeconds, GRACE_SECONDS);
        assert.ok(end, 'the shutdown end is logged');
        assert.equal(end.cut, stalled.length, 'the stalled uploads were the ones cut');
        assert.deepEqual(tmpFiles(dataDir), [], 'no temp files left');

        server = await startChildServer(storage);
        base = `${server.url}/object-store/v1/${user.uuid}/c`;
        for (let i = 0; i < finishing.length; i++) {
          const r = await fetch(`${base}/done-${i}`, { headers: auth });
          assert.equal(r.status, 200);
          assert.equal(
            md5(Buffer.from(await r.arrayBuffer())),
            md5(bytesOf(`done-${i}`, SIZE)),
            `done-${i} intact after restart`,
          );
        }
        for (let i = 0; i < stalled.length; i++) {
          assert.equal((await fetch(`${base}/cut-${i}`, { headers: auth })).status, 404, `cut-${i} committed nothing`);
        }
        const listing = (await (await fetch(`${base}?format=json`, { headers: auth })).json()) as { name: string }[];
        assert.deepEqual(listing.map((o) => o.name).sort(), ['done-0', 'done-1', 'done-2', 'stored']);
        await server.stop();
        assert.equal(server.process.exitCode, 0);
      });
    });
  }
