/**
 * The SQLite file's disk failing under a running server (README, "When a dependency fails"):
 * full (SQLITE_FULL) and read-only (SQLITE_READONLY) answer in each API's fault shape as a
 * PostgreSQL outage does (507 full, 503 + Retry-After read-only), commit nothing, keep reads
 * working, log the cause, and writes succeed again as soon as the file may grow / be written,
 * without a restart. Provoked through the server's own connection with `max_page_count` (the
 * file may not grow: exactly SQLite's "database or disk is full") and `query_only` (SQLite's
 * read-only refusal); test/faults/sqlite-disk.test.ts fills a real tmpfs (root only).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { assertFault, call, p, type Reply, twoPartUpload } from './helpers/object-store.ts';
import { logSink, startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

/** 15 values of 250 characters: within Pithos's and Swift's metadata limits, too big for the pages left. */
const bigValues = (prefix: string): Record<string, string> =>
  Object.fromEntries(Array.from({ length: 15 }, (_, k) => [`${prefix}${k}`, String(k % 10).repeat(250)]));

describe('SQLite disk full or read-only', () => {
  let s: TestServer;
  let u: TestUser;
  const log = logSink();
  const pragma = (text: string) => sql.raw(`pragma ${text}`).execute(s.services.metadata.db);

  before(async () => {
    s = await startTestServer('sqlite', {}, { logTo: log.stream });
    u = await s.user();
    assert.equal((await call(s, 'PUT', p(u.uuid, 'c'), { token: u.token })).status, 201);
    assert.equal((await call(s, 'PUT', `/swift/v1/AUTH_${u.uuid}/sw`, { token: u.token })).status, 201);
    assert.equal((await call(s, 'PUT', p(u.uuid, 'c', 'kept'), { token: u.token, body: 'kept data' })).status, 201);
  });
  after(async () => {
    await pragma('query_only = 0').catch(() => undefined);
    await s?.close();
  });

  /** One metadata-heavy write through each API: Pithos and Swift object PUTs, v1 and v2 image creates. */
  const writes = async (name: string): Promise<Record<'pithos' | 'swift' | 'v1' | 'v2', Reply>> => ({
    pithos: await call(s, 'PUT', p(u.uuid, 'c', name), {
      token: u.token,
      body: 'data',
      headers: bigValues('X-Object-Meta-M'),
    }),
    swift: await call(s, 'PUT', `/swift/v1/AUTH_${u.uuid}/sw/${name}`, {
      token: u.token,
      body: 'data',
      headers: bigValues('X-Object-Meta-M'),
    }),
    v1: await call(s, 'POST', '/image/v1/images', {
      token: u.token,
      headers: {
        'X-Image-Meta-Name': name,
        'X-Image-Meta-Disk-Format': 'raw',
        'X-Image-Meta-Container-Format': 'bare',
        'Content-Type': 'application/octet-stream',
        ...bigValues('X-Image-Meta-Property-P'),
      },
      body: 'image data',
    }),
    v2: await call(s, 'POST', '/image/v2/images', {
      token: u.token,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name, disk_format: 'raw', container_format: 'bare', ...bigValues('p') }),
    }),
  });

  /** Nothing of a failed round of writes is there; what was there before still reads. */
  const assertNothingCommitted = async (name: string) => {
    assert.equal((await call(s, 'GET', p(u.uuid, 'c', name), { token: u.token })).status, 404);
    assert.equal((await call(s, 'GET', `/swift/v1/AUTH_${u.uuid}/sw/${name}`, { token: u.token })).status, 404);
    const v2 = await call(s, 'GET', `/image/v2/images?name=${name}`, { token: u.token });
    assert.equal(v2.status, 200);
    assert.deepEqual(v2.json().images, [], 'no image of a failed create, from either image API');
    const kept = await call(s, 'GET', p(u.uuid, 'c', 'kept'), { token: u.token });
    assert.equal(kept.status, 200, 'reads go on');
    assert.equal(kept.text(), 'kept data');
  };

  const assertSucceeded = (w: Record<string, Reply>) => {
    for (const [api, r] of Object.entries(w))
      assert.ok(r.status === 200 || r.status === 201, `${api}: ${r.status} ${r.text().slice(0, 200)}`);
  };

  it('full: 507 in each API, nothing committed, the cause logged; room again → writes succeed', async () => {
    await pragma('max_page_count = 1'); // never below the current size: the file may not grow any more
    const w = await writes('full');
    assertFault(w.pithos, 507, 'The metadata database is full', 'insufficientStorage');
    assert.equal(w.swift.status, 507, w.swift.text());
    assert.ok(w.swift.header('x-trans-id'), "Swift's reply keeps its transaction id");
    assertFault(w.v1, 507, 'The metadata database is full', 'insufficientStorage');
    assertFault(w.v2, 507, 'The metadata database is full', 'insufficientStorage');
    await assertNothingCommitted('full');
    assert.equal((await s.fetch('/healthz')).status, 200, 'a full database still answers: not down');
    const logged = log.lines.find((l) => l.msg === 'database failed');
    assert.ok(logged, 'the failure is logged');
    assert.equal(logged.problem, 'full');
    assert.equal((logged.cause as { code: string }).code, 'SQLITE_FULL');

    await pragma('max_page_count = 1073741823');
    assertSucceeded(await writes('after-full'));
  });

  it('read-only: 503 + Retry-After in each API, nothing committed; writable again → writes succeed', async () => {
    await pragma('query_only = 1');
    let w: Awaited<ReturnType<typeof writes>>;
    try {
      w = await writes('read-only');
      await assertNothingCommitted('read-only');
    } finally {
      await pragma('query_only = 0');
    }
    assertFault(w.pithos, 503, 'The metadata database is read-only, retry later', 'serviceUnavailable');
    assert.equal(w.pithos.header('retry-after'), '5');
    assert.equal(w.swift.status, 503, w.swift.text());
    assert.equal(w.swift.header('retry-after'), '5');
    assertFault(w.v1, 503, 'The metadata database is read-only, retry later', 'serviceUnavailable');
    assertFault(w.v2, 503, 'The metadata database is read-only, retry later', 'serviceUnavailable');
    assert.ok(
      log.lines.some((l) => l.msg === 'database failed' && l.problem === 'read-only'),
      'the read-only refusal is logged',
    );
    assertSucceeded(await writes('after-read-only'));
  });

  /** Polls until `check` holds (up to 30 s); whether it did. */
  const eventually = async (check: () => Promise<boolean>): Promise<boolean> => {
    for (let i = 0; i < 300; i++) {
      if (await check()) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  };
  const v2Status = async (id: string) =>
    (await call(s, 'GET', `/image/v2/images/${id}`, { token: u.token })).json().status as string;

  it('an upload failing while the database refuses writes: the image leaves saving once it takes them', async () => {
    const created = await call(s, 'POST', '/image/v2/images', {
      token: u.token,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'stuck?', disk_format: 'raw', container_format: 'bare' }),
    });
    assert.equal(created.status, 201);
    const id = created.json().id as string;
    const parts: [Buffer, Buffer] = [Buffer.alloc(64 * 1024, 1), Buffer.alloc(64 * 1024, 2)];
    // A v2 upload and a v1 create with data, both under way (saving) when the database turns read-only.
    const v2 = twoPartUpload(
      s.url,
      'PUT',
      `/image/v2/images/${id}/file`,
      { 'X-Auth-Token': u.token, 'Content-Type': 'application/octet-stream' },
      parts,
    );
    const v1 = twoPartUpload(
      s.url,
      'POST',
      '/image/v1/images',
      {
        'X-Auth-Token': u.token,
        'X-Image-Meta-Name': 'stuck-v1',
        'X-Image-Meta-Disk-Format': 'raw',
        'X-Image-Meta-Container-Format': 'bare',
        'Content-Type': 'application/octet-stream',
      },
      parts,
    );
    const v1Image = async () =>
      (
        (await call(s, 'GET', '/image/v2/images?name=stuck-v1', { token: u.token })).json().images as {
          id: string;
          status: string;
        }[]
      )[0];
    assert.ok(await eventually(async () => (await v2Status(id)) === 'saving'), 'the v2 upload is saving');
    assert.ok(await eventually(async () => (await v1Image())?.status === 'saving'), 'the v1 create is saving');
    const v1Id = (await v1Image()).id;

    await pragma('query_only = 1');
    try {
      v2.sendRest();
      v1.sendRest();
      const [r2, r1] = await Promise.all([v2.reply, v1.reply]);
      assert.equal(r2.status, 503, r2.body);
      assert.equal(r1.status, 503, r1.body);
      // The way back failed too: both still saving, their change kept for later.
      assert.equal(await v2Status(id), 'saving');
      assert.equal(s.services.images.statusRepairs.pending, 2);
      assert.ok(
        log.lines.some((l) => l.imageId === id && l.level === 40),
        'the pending change is logged',
      );
    } finally {
      await pragma('query_only = 0');
    }
    // The database takes writes again: the v2 image is queued (retry the upload), the v1 create is gone.
    assert.ok(await eventually(async () => (await v2Status(id)) === 'queued'), 'the v2 image is queued again');
    assert.ok(await eventually(async () => (await v1Image()) === undefined), 'the v1 create left nothing');
    assert.equal((await call(s, 'GET', `/image/v2/images/${v1Id}`, { token: u.token })).status, 404);
    assert.equal(s.services.images.statusRepairs.pending, 0);
    assert.ok(log.lines.some((l) => l.imageId === id && l.msg === 'image status repaired'));
    const retry = await call(s, 'PUT', `/image/v2/images/${id}/file`, {
      token: u.token,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: Buffer.concat(parts),
    });
    assert.equal(retry.status, 204, retry.text());
    assert.equal(await v2Status(id), 'active');
  });
});
