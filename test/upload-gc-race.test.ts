/**
 * A streamed upload whose block `plankton gc` removes between the upload's block writes and its
 * commit (gc.ts, "Why no commit references a removed block") commits nothing and answers a
 * retryable `503` with `Retry-After`, in each API's fault shape; sending the same request again
 * succeeds. The race is forced, not timed: the block store's `put` runs the real collector (grace
 * 0, clock ahead) right after the upload's last block is stored and before the upload goes on to
 * commit, so gc sees a block no committed version references and removes it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { collectGarbage } from '../src/domain/objects/gc.ts';
import { immediateBatch } from '../src/storage/blocks/block-store.ts';
import { DIALECTS } from './helpers/dialects.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

/** Random bytes without a trailing NUL (stored as they are), smaller than a block. */
function randomData(length: number): Buffer<ArrayBuffer> {
  const data = Buffer.from(randomBytes(length));
  data[length - 1] = 1;
  return data;
}

/**
 * Arms a one-shot gc run inside the next block `put` of the server's store, after the block is
 * stored: returns the hashes that run removed (filled in once it ran).
 */
function gcAfterNextBlockPut(s: TestServer): { removed: string[] } {
  const store = s.services.blocks;
  const original = store.put;
  const originalBatch = store.openBatch;
  const result = { removed: [] as string[] };
  // Uploads write through a batch: until the armed put has run, make a batch's puts the plain,
  // durable put, so gc runs after a block is stored under its name, as the commit will see it.
  store.openBatch = () => immediateBatch((hash, data) => store.put(hash, data));
  store.put = async (hash, data) => {
    store.put = original;
    store.openBatch = originalBatch;
    await original.call(store, hash, data);
    const report = await collectGarbage(s.services.metadata.db, store, { graceSeconds: 0, now: Date.now() + 60_000 });
    result.removed.push(...report.removed);
  };
  return result;
}

async function assertRetryable(r: Response, faultName: string, message: RegExp): Promise<void> {
  assert.equal(r.status, 503);
  assert.equal(r.headers.get('retry-after'), '5');
  const body = await r.json();
  assert.deepEqual(Object.keys(body), [faultName]);
  assert.equal(body[faultName].code, 503);
  assert.match(body[faultName].message, message);
}

for (const dialect of DIALECTS) {
  describe(`a streamed upload racing gc [${dialect}]`, () => {
    let s: TestServer;
    let A: TestUser;

    before(async () => {
      s = await startTestServer(dialect);
      A = await s.user();
      const c = await s.fetch(`/object-store/v1/${A.uuid}/c`, { method: 'PUT', token: A.token });
      assert.equal(c.status, 201);
    });
    after(() => s?.close());

    it('object store PUT: 503 + Retry-After, nothing committed, the retry stores it', async () => {
      const data = randomData(70_000);
      const path = `/object-store/v1/${A.uuid}/c/raced`;
      const race = gcAfterNextBlockPut(s);
      const r = await s.fetch(path, { method: 'PUT', token: A.token, body: data });
      assert.equal(race.removed.length, 1, 'gc removed the upload’s block before the commit');
      await assertRetryable(r, 'serviceUnavailable', /concurrent cleanup/);
      assert.equal((await s.fetch(path, { method: 'HEAD', token: A.token })).status, 404);

      const again = await s.fetch(path, { method: 'PUT', token: A.token, body: data });
      assert.equal(again.status, 201);
      const got = await s.fetch(path, { token: A.token });
      assert.equal(got.status, 200);
      assert.deepEqual(Buffer.from(await got.arrayBuffer()), data);
    });

    it('image v1 POST with data: 503 in the v1 shape, no image left behind, the retry registers it', async () => {
      const data = randomData(50_000);
      const headers = { 'Content-Type': 'application/octet-stream', 'x-image-meta-name': 'raced-v1' };
      const race = gcAfterNextBlockPut(s);
      const r = await s.fetch('/image/v1/images', { method: 'POST', token: A.token, headers, body: data });
      assert.equal(race.removed.length, 1);
      await assertRetryable(r, 'serviceUnavailable', /concurrent cleanup/);
      const list = await s.fetch('/image/v1/images/detail', { token: A.token });
      assert.deepEqual(
        (await list.json()).images.filter((i: { name: string }) => i.name === 'raced-v1'),
        [],
      );

      const again = await s.fetch('/image/v1/images', { method: 'POST', token: A.token, headers, body: data });
      assert.equal(again.status, 200);
      assert.equal(again.headers.get('x-image-meta-status'), 'available');
      assert.equal(again.headers.get('x-image-meta-size'), String(data.length));
    });

    it('image v1 upload into a reserved image: 503, the image stays queued, the retry makes it available', async () => {
      const reserved = await s.fetch('/image/v1/images', {
        method: 'POST',
        token: A.token,
        headers: { 'x-image-meta-name': 'raced-reserved' },
      });
      assert.equal(reserved.status, 200);
      const id = reserved.headers.get('x-image-meta-id')!;
      const data = randomData(40_000);
      const put = () =>
        s.fetch(`/image/v1/images/${id}`, {
          method: 'PUT',
          token: A.token,
          headers: { 'Content-Type': 'application/octet-stream' },
          body: data,
        });
      const race = gcAfterNextBlockPut(s);
      await assertRetryable(await put(), 'serviceUnavailable', /concurrent cleanup/);
      assert.equal(race.removed.length, 1);
      const head = await s.fetch(`/image/v1/images/${id}`, { method: 'HEAD', token: A.token });
      assert.equal(head.headers.get('x-image-meta-status'), 'queued');

      const again = await put();
      assert.equal(again.status, 200);
      assert.equal(again.headers.get('x-image-meta-status'), 'available');
    });

    it('image v2 file upload: 503 in the v2 shape, the image stays queued, the retry makes it active', async () => {
      const created = await s.fetch('/image/v2/images', {
        method: 'POST',
        token: A.token,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'raced-v2', disk_format: 'raw', container_format: 'bare' }),
      });
      assert.equal(created.status, 201);
      const { id } = await created.json();
      const data = randomData(30_000);
      const put = () =>
        s.fetch(`/image/v2/images/${id}/file`, {
          method: 'PUT',
          token: A.token,
          headers: { 'Content-Type': 'application/octet-stream' },
          body: data,
        });
      const race = gcAfterNextBlockPut(s);
      await assertRetryable(await put(), 'serviceUnavailable', /concurrent cleanup/);
      assert.equal(race.removed.length, 1);
      const show = await s.fetch(`/image/v2/images/${id}`, { token: A.token });
      assert.equal((await show.json()).status, 'queued');

      assert.equal((await put()).status, 204);
      const active = await s.fetch(`/image/v2/images/${id}`, { token: A.token });
      const image = await active.json();
      assert.equal(image.status, 'active');
      assert.equal(image.size, data.length);
    });
  });
}
