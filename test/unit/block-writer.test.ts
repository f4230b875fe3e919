/**
 * The block writer below HTTP: blocks cut, hashed (per-block SHA-256 on the hash workers) and
 * stored, and the whole-stream digests a caller asks for, all from one pass over the stream.
 * Expected whole-stream digests come from node:crypto over the whole input (an independent
 * computation), per-block ones from the spec's vectors.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ServiceError } from '../../src/errors.ts';
import { BLOCK_SIZE, EMPTY_HASH, EMPTY_MD5, objectHash, trimTrailingNuls } from '../../src/domain/hashing.ts';
import { writeBlocks, type StreamAlgorithm } from '../../src/domain/objects/block-writer.ts';
import { type BlockStore, immediateBatch } from '../../src/storage/blocks/block-store.ts';
import { loadHashVectors, sha256hex, splitBlocks, vectorInput } from '../helpers/block-store-conformance.ts';

/** SHA-512 of nothing (FIPS 180-4 test vector). */
const EMPTY_SHA512 =
  'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e';

const digestOf = (algorithm: StreamAlgorithm, data: Buffer): string => createHash(algorithm).update(data).digest('hex');

/**
 * Only a batch is used by the writer, whose puts are the store's `put` (a test may replace it); any
 * other member of the port fails loudly if that ever changes.
 */
function memoryStore(): BlockStore & { blocks: Map<string, Buffer> } {
  const blocks = new Map<string, Buffer>();
  const store = {
    blocks,
    label: 'memory',
    put: async (hash: string, data: Buffer) => {
      blocks.set(hash, Buffer.from(data));
    },
    openBatch: () => immediateBatch((hash, data) => store.put(hash, data)),
  };
  return new Proxy(store, {
    get(target, key) {
      if (key in target) return target[key as keyof typeof target];
      throw new Error(`writeBlocks used BlockStore.${String(key)}`);
    },
  }) as unknown as BlockStore & { blocks: Map<string, Buffer> };
}

/** `data` as a stream of chunks of the given sizes, cycled (a socket cuts bytes anywhere). */
async function* chunked(data: Buffer, sizes: readonly number[] = [65536]): AsyncGenerator<Buffer> {
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = sizes[i % sizes.length];
    yield data.subarray(off, off + n);
    off += n;
  }
}

const tooLarge = () => new ServiceError('requestEntityTooLarge', 'too large');

describe('block writer: whole-stream digests in the same pass', () => {
  for (const v of loadHashVectors()) {
    it(`vector ${v.name} (${v.bytes} bytes): md5 + sha512 + per-block sha256`, async () => {
      const input = vectorInput(v);
      const store = memoryStore();
      const written = await writeBlocks(chunked(input, [65536, 1, 1_000_003]), store, Infinity, tooLarge, [
        'md5',
        'sha512',
      ]);
      assert.equal(written.size, v.bytes);
      assert.equal(written.md5, v.md5);
      assert.deepEqual(written.digests, { md5: v.md5, sha512: digestOf('sha512', input) });
      assert.deepEqual(written.hashes, v.stored_hashmap);
      assert.equal(written.objectHash, v.top_hash);
      // Every block stored under its hash, without its trailing NULs.
      for (const [i, block] of splitBlocks(input).entries()) {
        assert.deepEqual(store.blocks.get(v.block_hashes[i]), trimTrailingNuls(block), `block ${i}`);
      }
    });
  }

  it('empty stream: the digests of nothing, the empty hashmap', async () => {
    const written = await writeBlocks(chunked(Buffer.alloc(0)), memoryStore(), Infinity, tooLarge, ['md5', 'sha512']);
    assert.equal(written.size, 0);
    assert.deepEqual(written.digests, { md5: EMPTY_MD5, sha512: EMPTY_SHA512 });
    assert.deepEqual(written.hashes, [EMPTY_HASH]);
    assert.equal(written.objectHash, EMPTY_HASH);
  });

  it('multi-block stream ending mid-block, fed in odd chunks: sha512 and md5 of the whole stream', async () => {
    const input = randomBytes(3 * BLOCK_SIZE + 12345);
    const store = memoryStore();
    const written = await writeBlocks(chunked(input, [7, 4096, 999_999]), store, Infinity, tooLarge, ['md5', 'sha512']);
    assert.equal(written.size, input.length);
    assert.equal(written.digests.sha512, digestOf('sha512', input));
    assert.equal(written.digests.md5, digestOf('md5', input));
    assert.equal(written.md5, written.digests.md5);
    const blocks = splitBlocks(input);
    assert.equal(blocks.length, 4);
    assert.deepEqual(
      written.hashes,
      blocks.map((b) => sha256hex(trimTrailingNuls(b))),
    );
    assert.equal(written.objectHash, objectHash(written.hashes));
    assert.equal(store.blocks.size, 4);
  });

  it('by default only md5 (callers of the old signature); md5 is always computed', async () => {
    const input = randomBytes(BLOCK_SIZE + 1);
    const byDefault = await writeBlocks(chunked(input), memoryStore(), Infinity, tooLarge);
    assert.deepEqual(byDefault.digests, { md5: digestOf('md5', input) });
    assert.equal(byDefault.md5, digestOf('md5', input));
    const sha512Only = await writeBlocks(chunked(input), memoryStore(), Infinity, tooLarge, ['sha512', 'sha512']);
    assert.deepEqual(sha512Only.digests, { md5: digestOf('md5', input), sha512: digestOf('sha512', input) });
  });

  it('every algorithm at once, and the whole-stream sha256 differs from the per-block one', async () => {
    const input = randomBytes(2 * BLOCK_SIZE + 3);
    const written = await writeBlocks(chunked(input), memoryStore(), Infinity, tooLarge, ['sha256', 'sha512', 'md5']);
    assert.deepEqual(written.digests, {
      md5: digestOf('md5', input),
      sha256: digestOf('sha256', input),
      sha512: digestOf('sha512', input),
    });
    assert.notEqual(written.digests.sha256, written.objectHash);
  });

  it('concurrent uploads keep their own running digests', async () => {
    const inputs = Array.from({ length: 5 }, (_, i) => randomBytes(BLOCK_SIZE * (i % 3) + 1000 * i + 1));
    const results = await Promise.all(
      inputs.map((input, i) =>
        writeBlocks(chunked(input, [65536 + i]), memoryStore(), Infinity, tooLarge, ['md5', 'sha512']),
      ),
    );
    results.forEach((written, i) => {
      assert.deepEqual(
        written.digests,
        { md5: digestOf('md5', inputs[i]), sha512: digestOf('sha512', inputs[i]) },
        `upload ${i}`,
      );
    });
  });

  it("past maxBytes: the caller's error, and the next upload still digests correctly", async () => {
    const input = randomBytes(2 * BLOCK_SIZE);
    await assert.rejects(
      writeBlocks(chunked(input), memoryStore(), BLOCK_SIZE + 10, tooLarge, ['md5', 'sha512']),
      (err) => err instanceof ServiceError && err.kind === 'requestEntityTooLarge',
    );
    const written = await writeBlocks(chunked(input), memoryStore(), Infinity, tooLarge, ['md5', 'sha512']);
    assert.equal(written.digests.sha512, digestOf('sha512', input));
  });

  it('a store failure fails the upload', async () => {
    const store = memoryStore();
    store.put = async () => {
      throw new Error('disk on fire');
    };
    await assert.rejects(
      writeBlocks(chunked(randomBytes(BLOCK_SIZE + 1)), store, Infinity, tooLarge, ['md5', 'sha512']),
      /disk on fire/,
    );
  });
});
