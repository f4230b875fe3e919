/**
 * The SQLite file's own disk full, for real: the data dir (database file, WAL) on a small tmpfs
 * this test mounts and fills, the block folder elsewhere, so only the metadata database is
 * faulted. Every API answers in its fault shape (507: the database is full), nothing is
 * committed, reads go on, and writes succeed again once there is room, without a restart.
 * test/sqlite-disk-faults.test.ts covers the same answers without root (max_page_count, query_only).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { call, md5, p } from '../helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from '../helpers/test-server.ts';
import {
  assertFaultShape,
  assertNothingCommitted,
  createFaultsContainer,
  createV2Image,
  faultDir,
  healthFailed,
  isRoot,
  type SmallFs,
  smallFs,
  Tally,
  until,
  writeThroughEveryApi,
} from './fault-kit.ts';

/** Writes zeros into `file` until the file system is full; the bytes written. */
function fill(file: string): number {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) written += fs.writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

describe('SQLite disk full', { skip: !isRoot && 'needs root to mount a tmpfs (mount -t tmpfs)' }, () => {
  let small: SmallFs;
  let blocks: string;
  let s: TestServer;
  let u: TestUser;

  before(async () => {
    small = await smallFs('8m');
    blocks = faultDir('sqlite-blocks');
    s = await startTestServer('sqlite', { dataDir: small.dir, blocks });
    u = await s.user();
    await createFaultsContainer(s.url, u.token, u.uuid);
  });
  after(async () => {
    await s?.close();
    await small?.destroy();
    if (blocks) fs.rmSync(blocks, { recursive: true, force: true });
  });

  it('full: 507 in each API, nothing committed, reads go on; room again → writes succeed', async (t) => {
    const tally = new Tally();
    const kept = Buffer.from('written before the disk filled up');
    const before = await tally.time(() => call(s, 'PUT', p(u.uuid, 'faults', 'kept'), { token: u.token, body: kept }));
    assert.equal(before?.status, 201);
    // The v2 image is made while there is room (its create is a metadata write too).
    const name = 'db-full';
    const v2Id = await createV2Image(s.url, u.token, name);
    const filler = path.join(small.dir, 'filler');
    const filled = fill(filler);
    const w = await writeThroughEveryApi(s.url, u.token, u.uuid, name, Buffer.from('some data'), { tally, v2Id });
    assert.match(assertFaultShape(w.object, 507, 'insufficientStorage'), /metadata database is full/);
    assertFaultShape(w.v1, 507, 'insufficientStorage');
    assertFaultShape(w.v2, 507, 'insufficientStorage');
    const got = await call(s, 'GET', p(u.uuid, 'faults', 'kept'), { token: u.token });
    assert.equal(md5(got.body), md5(kept), 'reads go on');
    assert.deepEqual(await healthFailed(s.url), [], 'a full database still answers: not down');

    const returned = Date.now();
    fs.rmSync(filler);
    const ok = await until(
      async () =>
        (await tally.time(() => call(s, 'PUT', p(u.uuid, 'faults', 'after'), { token: u.token, body: 'x' })))
          ?.status === 201,
      30_000,
    );
    tally.recoverMs = ok === undefined ? undefined : Date.now() - returned;
    assert.notEqual(ok, undefined, 'writes succeed once there is room, without a restart');
    // The v1 create and v2 create of the failed round left nothing behind; a retry of each works.
    await assertNothingCommitted(s.url, u.token, u.uuid, w, name);
    const again = await writeThroughEveryApi(s.url, u.token, u.uuid, 'after-full-apis', Buffer.from('more'));
    assert.equal(again.object.status, 201);
    assert.ok(again.v1.status === 201 || again.v1.status === 200, `v1: ${again.v1.status}`);
    assert.equal(again.v2.status, 204);
    t.diagnostic(`${tally.summary('SQLite data dir full (tmpfs 8 MiB)')}; filler ${filled} bytes`);
  });
});
