/**
 * The local block folder full (ENOSPC) and read-only (EROFS), on a small tmpfs this test mounts:
 * every API answers in its fault shape (507 full, 503 read-only), commits nothing, leaves no temp
 * file, and writes succeed again as soon as there is room / the folder is writable, without a
 * restart. The metadata database is SQLite on the ordinary disk: only the block store is faulted.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bytesOf, call, md5, p } from '../helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from '../helpers/test-server.ts';
import {
  assertFaultShape,
  assertNothingCommitted,
  createFaultsContainer,
  healthFailed,
  isRoot,
  type SmallFs,
  smallFs,
  Tally,
  until,
  writeThroughEveryApi,
} from './fault-kit.ts';

const MIB = 1024 * 1024;

describe('block folder full or read-only', { skip: !isRoot && 'needs root to mount a tmpfs (mount -t tmpfs)' }, () => {
  let small: SmallFs;
  let s: TestServer;
  let u: TestUser;
  /** Every write acknowledged so far: name → md5, all read back at the end. */
  const acknowledged = new Map<string, string>();

  before(async () => {
    small = await smallFs('6m');
    s = await startTestServer('sqlite', { blocks: small.dir, blocksTimeout: '5s' });
    u = await s.user();
    await createFaultsContainer(s.url, u.token, u.uuid);
  });
  after(async () => {
    await s?.close();
    await small?.destroy();
  });

  const put = async (tally: Tally, name: string, data: Buffer) => {
    const r = await tally.time(() => call(s, 'PUT', p(u.uuid, 'faults', name), { token: u.token, body: data }));
    if (r?.status === 201) {
      acknowledged.set(name, md5(data));
      tally.acknowledged++;
    }
    return r;
  };
  const tempFiles = () => fs.readdirSync(path.join(small.dir, '.tmp'));

  it('full: 507 in each API, nothing committed, no temp file; room again → writes succeed', async (t) => {
    const tally = new Tally();
    assert.equal((await put(tally, 'fits', bytesOf('fits', MIB)))?.status, 201);
    // 8 MiB = two blocks: the first fits, the second does not (6 MiB file system).
    const name = 'too-big';
    const w = await writeThroughEveryApi(s.url, u.token, u.uuid, name, bytesOf('full', 8 * MIB), { tally });
    assert.match(assertFaultShape(w.object, 507, 'insufficientStorage'), /block store is full/);
    assertFaultShape(w.v1, 507, 'insufficientStorage');
    assertFaultShape(w.v2, 507, 'insufficientStorage');
    await assertNothingCommitted(s.url, u.token, u.uuid, w, name);
    assert.deepEqual(tempFiles(), [], 'the failed block writes left no temp file');
    // A full store is not a store that is down: reads and metadata keep working.
    assert.deepEqual(await healthFailed(s.url), []);
    assert.equal(
      md5((await call(s, 'GET', p(u.uuid, 'faults', 'fits'), { token: u.token })).body),
      acknowledged.get('fits'),
    );

    const returned = Date.now();
    await small.remount('size=32m');
    const data = bytesOf('room', 8 * MIB);
    const ok = await until(async () => (await put(tally, 'after-full', data))?.status === 201, 30_000);
    tally.recoverMs = ok === undefined ? undefined : Date.now() - returned;
    assert.notEqual(ok, undefined, 'writes succeed once there is room, without a restart');
    const again = await writeThroughEveryApi(s.url, u.token, u.uuid, 'after-full-apis', data);
    assert.deepEqual([again.object.status, again.v1.status, again.v2.status], [201, 200, 204]);
    t.diagnostic(tally.summary('block folder full'));
  });

  it('read-only: 503 in each API and healthz names blocks; reads still served; writable again → recovers', async (t) => {
    const tally = new Tally();
    const before = bytesOf('before-ro', 2 * MIB);
    assert.equal((await put(tally, 'before-ro', before))?.status, 201);
    await small.remount('ro');
    try {
      const name = 'while-ro';
      const w = await writeThroughEveryApi(s.url, u.token, u.uuid, name, bytesOf('ro', MIB), { tally });
      assert.match(assertFaultShape(w.object, 503, 'serviceUnavailable'), /block store is read-only/);
      assert.equal(w.object.header('retry-after'), '5');
      assertFaultShape(w.v1, 503, 'serviceUnavailable');
      assertFaultShape(w.v2, 503, 'serviceUnavailable');
      assert.equal(w.v2.header('retry-after'), '5');
      await assertNothingCommitted(s.url, u.token, u.uuid, w, name);
      assert.deepEqual(await healthFailed(s.url), ['blocks']);
      const read = await tally.time(() => call(s, 'GET', p(u.uuid, 'faults', 'before-ro'), { token: u.token }));
      assert.equal(read?.status, 200, 'a read-only folder still serves what it holds');
      assert.equal(md5(read!.body), md5(before));
    } finally {
      await small.remount('rw');
    }
    const returned = Date.now();
    const data = bytesOf('after-ro', MIB);
    const ok = await until(async () => (await put(tally, 'after-ro', data))?.status === 201, 30_000);
    tally.recoverMs = ok === undefined ? undefined : Date.now() - returned;
    assert.notEqual(ok, undefined, 'writes succeed once the folder is writable again');
    assert.deepEqual(await healthFailed(s.url), []);
    t.diagnostic(tally.summary('block folder read-only'));
  });

  it('every acknowledged write is intact', async (t) => {
    let lost = 0;
    for (const [name, sum] of acknowledged) {
      const r = await call(s, 'GET', p(u.uuid, 'faults', name), { token: u.token });
      if (r.status !== 200 || md5(r.body) !== sum) lost++;
    }
    t.diagnostic(`block folder faults: acknowledged writes ${acknowledged.size}, lost ${lost}`);
    assert.equal(lost, 0);
  });
});
