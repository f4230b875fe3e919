/**
 * Runs the conformance suite against a real S3 API when PLANKTON_TEST_S3 is set, e.g. from
 * `eval "$(scripts/swift-s3.sh start /tmp/swift)"`:
 *   PLANKTON_TEST_S3=s3://plankton-test?endpoint=http://127.0.0.1:18080&region=us-east-1
 *   AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=…
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError } from '../src/errors.ts';
import { openBlockStore } from '../src/storage/blocks/open-block-store.ts';
import { DELETE_BATCH, S3BlockStore } from '../src/storage/blocks/s3-block-store.ts';
import { blockHash } from '../src/domain/hashing.ts';
import { randomUUID } from 'node:crypto';
import { runBlockStoreConformance } from './helpers/block-store-conformance.ts';

const url = process.env.PLANKTON_TEST_S3;

describe('S3BlockStore.fromUrl', () => {
  it('reads bucket, endpoint, region and prefix; the label has no secrets', () => {
    const store = S3BlockStore.fromUrl(
      's3://my-bucket?endpoint=http://127.0.0.1:9000/&region=eu-west-1&prefix=/plankton/',
    );
    assert.deepEqual(store.options, {
      bucket: 'my-bucket',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      prefix: 'plankton/',
    });
    assert.equal(store.label, 's3:http://127.0.0.1:9000/my-bucket/plankton/');
    void store.close();
  });

  it('refuses credentials in the URL and a missing endpoint', () => {
    assert.throws(
      () => S3BlockStore.fromUrl('s3://key:secret@bucket?endpoint=http://h:1'),
      (err: Error) => !err.message.includes('secret'),
    );
    assert.throws(
      () => S3BlockStore.fromUrl('s3://bucket?endpoint=http://key:secret@h:1'),
      (err: Error) => !err.message.includes('secret'),
    );
    assert.throws(() => S3BlockStore.fromUrl('s3://bucket'), /endpoint/);
  });

  it('openBlockStore reports an unreachable endpoint as one CliError line', async () => {
    // Port 9 on loopback: nothing listens there (discard service is not installed).
    const env = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID ??= 'x';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'y';
    try {
      await assert.rejects(
        openBlockStore('s3://b?endpoint=http://127.0.0.1:9&region=us-east-1'),
        (err: Error) => err instanceof CliError && /cannot reach/.test(err.message) && !err.message.includes('\n'),
      );
    } finally {
      if (env.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (env.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });
});

if (url) {
  runBlockStoreConformance(`s3 (${url.split('?')[0]})`, () => openBlockStore(url));

  describe('S3BlockStore.deleteMany', () => {
    it('sends at most deleteBatch keys per DeleteObjects call (1,000 by default)', async () => {
      const opened = (await openBlockStore(url)) as S3BlockStore;
      const store = new S3BlockStore({ ...opened.options, deleteBatch: 10 });
      await opened.close();
      try {
        const blocks = Array.from({ length: 25 }, (_, i) => Buffer.from(`deleteMany batch ${i} ${randomUUID()}`));
        const hashes = blocks.map((b) => blockHash(b));
        for (let i = 0; i < blocks.length; i++) await store.put(hashes[i], blocks[i]);
        await store.deleteMany(hashes);
        assert.equal(store.deleteCalls, 3);
        assert.deepEqual(await store.missing(hashes), hashes);
        assert.equal(DELETE_BATCH, 1000);
      } finally {
        await store.close();
      }
    });
  });
} else {
  describe('BlockStore conformance: s3', {
    skip: 'set PLANKTON_TEST_S3=s3://BUCKET?endpoint=…&region=… and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (scripts/swift-s3.sh start DIR prints them)',
  }, () => {});
}
