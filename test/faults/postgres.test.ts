/**
 * PostgreSQL stopped and started again under load (a cluster of this test only): requests in
 * flight and arriving meanwhile get 503 in their API's fault shape (never a 500, a reset or a
 * hang), /healthz names the database, nothing acknowledged is lost, and the same server serves
 * again as soon as the database is back (the pool drops its dead connections; no restart).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { call, md5, p, twoPartUpload } from '../helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from '../helpers/test-server.ts';
import {
  assertFaultShape,
  createFaultsContainer,
  healthFailed,
  type OwnPostgres,
  ownPostgres,
  Tally,
  until,
} from './fault-kit.ts';

/** Bound on any answer: the database deadline (5 s here) with room for a loaded machine. */
const ANSWER_LIMIT_MS = 30_000;

describe('PostgreSQL restarted during load', () => {
  let pg: OwnPostgres;
  let s: TestServer;
  let u: TestUser;

  before(async () => {
    pg = await ownPostgres();
    // 'sqlite' only keeps the helper from making a database on the shared PG_URL: the databaseUrl flag wins.
    s = await startTestServer('sqlite', { databaseUrl: pg.url, databaseTimeout: '5s' });
    u = await s.user();
    await createFaultsContainer(s.url, u.token, u.uuid);
  });
  after(async () => {
    await s?.close().catch(() => undefined);
    await pg?.destroy();
  });

  it('503 while it is down, healthz names it, no acknowledged write lost, recovers by itself', async (t) => {
    const tally = new Tally();
    const acknowledged = new Map<string, string>();
    const faults: string[] = [];
    let running = true;
    let n = 0;
    const worker = async (w: number) => {
      while (running) {
        const name = `w${w}-${n++}`;
        const data = randomBytes(32 * 1024);
        const put = await tally.time(() => call(s, 'PUT', p(u.uuid, 'faults', name), { token: u.token, body: data }));
        if (put?.status === 201) {
          acknowledged.set(name, md5(data));
          tally.acknowledged++;
        } else if (put?.status === 503) faults.push(assertFaultShape(put, 503, 'serviceUnavailable'));
        const img = await tally.time(() => call(s, 'GET', '/image/v2/images', { token: u.token }));
        if (img?.status === 503) faults.push(assertFaultShape(img, 503, 'serviceUnavailable'));
        const v1 = await tally.time(() => call(s, 'GET', '/image/v1/images', { token: u.token }));
        if (v1?.status === 503) faults.push(assertFaultShape(v1, 503, 'serviceUnavailable'));
        // The identity APIs too: Astakos (v2.0 tokens) in the common shape, Keystone v3 in its own.
        const v2Token = await tally.time(() =>
          call(s, 'POST', '/identity/v2.0/tokens', {
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ auth: { token: { id: u.token } } }),
          }),
        );
        if (v2Token?.status === 503) faults.push(assertFaultShape(v2Token, 503, 'serviceUnavailable'));
        const v3Token = await tally.time(() =>
          call(s, 'GET', '/identity/v3/auth/tokens', { token: u.token, headers: { 'X-Subject-Token': u.token } }),
        );
        if (v3Token?.status === 503) {
          const e = v3Token.json().error as { code: number; message: string };
          assert.equal(e.code, 503);
          faults.push(e.message);
        }
      }
    };
    const load = [0, 1, 2, 3].map(worker);
    await new Promise((r) => setTimeout(r, 1500));

    await pg.stop();
    const sawDown = await until(async () => (await healthFailed(s.url)).includes('database'), 20_000);
    assert.notEqual(sawDown, undefined, '/healthz names the database while it is down');
    await new Promise((r) => setTimeout(r, 2000)); // requests keep arriving while it is down
    const whileDown = tally.statuses.get('503') ?? 0;

    await pg.start();
    const returned = Date.now();
    const recovered = await until(async () => {
      const r = await call(s, 'PUT', p(u.uuid, 'faults', `probe-${Date.now()}`), {
        token: u.token,
        body: 'x',
      });
      return r.status === 201;
    }, 60_000);
    tally.recoverMs = recovered === undefined ? undefined : Date.now() - returned;
    await new Promise((r) => setTimeout(r, 1000)); // and load on the recovered pool
    running = false;
    await Promise.all(load);
    t.diagnostic(tally.summary('PostgreSQL restarted'));

    assert.notEqual(recovered, undefined, 'writes succeed again without a restart');
    assert.deepEqual(await healthFailed(s.url), []);
    assert.ok(whileDown > 0, 'requests while the database was down got 503');
    const unexpected = [...tally.statuses.keys()].filter((k) => !['200', '201', '503'].includes(k));
    assert.deepEqual(unexpected, [], 'only 2xx and 503: no 500, no reset connection');
    assert.ok(
      faults.every((m) => /metadata database (is unavailable|did not answer in time)/.test(m)),
      `503 messages: ${[...new Set(faults)]}`,
    );
    assert.ok(tally.slowestMs < ANSWER_LIMIT_MS, `every request answered within ${ANSWER_LIMIT_MS} ms`);
    let lost = 0;
    for (const [name, sum] of acknowledged) {
      const r = await call(s, 'GET', p(u.uuid, 'faults', name), { token: u.token });
      if (r.status !== 200 || md5(r.body) !== sum) lost++;
    }
    t.diagnostic(`PostgreSQL restarted: acknowledged writes verified ${acknowledged.size}, lost ${lost}`);
    assert.equal(lost, 0);
  });

  it('an upload failing while it is down: the image leaves saving once it is back', async (t) => {
    const created = await call(s, 'POST', '/image/v2/images', {
      token: u.token,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'pg-stuck?', disk_format: 'raw', container_format: 'bare' }),
    });
    assert.equal(created.status, 201);
    const id = created.json().id as string;
    const status = async () => (await call(s, 'GET', `/image/v2/images/${id}`, { token: u.token })).json().status;
    const upload = twoPartUpload(
      s.url,
      'PUT',
      `/image/v2/images/${id}/file`,
      { 'X-Auth-Token': u.token, 'Content-Type': 'application/octet-stream' },
      [randomBytes(64 * 1024), randomBytes(64 * 1024)],
    );
    assert.notEqual(await until(async () => (await status()) === 'saving', ANSWER_LIMIT_MS), undefined);
    await pg.stop();
    upload.sendRest();
    const r = await upload.reply;
    assert.equal(r.status, 503, r.body);
    assert.equal(s.services.images.statusRepairs.pending, 1, 'the way back to queued waits for the database');
    const returned = Date.now();
    await pg.start();
    const back = await until(async () => (await status()) === 'queued', ANSWER_LIMIT_MS);
    assert.notEqual(back, undefined, 'the image is queued again once the database is back, without a restart');
    t.diagnostic(
      `upload failed with the database down: image queued again ${Date.now() - returned} ms after it was back`,
    );
    const retry = await call(s, 'PUT', `/image/v2/images/${id}/file`, {
      token: u.token,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: randomBytes(1024),
    });
    assert.equal(retry.status, 204, retry.text());
  });
});
