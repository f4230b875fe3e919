/**
 * The contract of src/storage/blocks/block-store.ts, run against every driver. Tests use random
 * blocks (or delete fixed ones first) so they also mean something on a bucket that outlives the run.
 */
import assert from 'node:assert/strict';
import { createHash, hash as oneShotHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { BLOCK_SIZE, EMPTY_HASH, blockHash, objectHash, trimTrailingNuls } from '../../src/domain/hashing.ts';
import type { BlockStore } from '../../src/storage/blocks/block-store.ts';

export interface HashVector {
  name: string;
  description: string;
  input: Array<{ hex: string } | { zeros: number } | { pattern: { seed: string; length: number } }>;
  bytes: number;
  input_sha256: string;
  md5: string;
  block_hashes: string[];
  stored_hashmap: string[];
  top_hash: string;
}

/** The vectors of spec/hashing.md, copied into test/fixtures so the tests need nothing outside the repo. */
export function loadHashVectors(): HashVector[] {
  const file = new URL('../fixtures/hash-vectors.json', import.meta.url);
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { format: string; block_size: number; vectors: HashVector[] };
  assert.equal(doc.format, 'plankton-hash-vectors/1');
  assert.equal(doc.block_size, BLOCK_SIZE);
  return doc.vectors;
}

function pattern(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let c = 0, off = 0; off < length; c++) {
    const d = oneShotHash('sha256', `${seed}-${c}`, 'buffer'); // one-shot: ~2x faster than createHash here
    off += d.copy(out, off, 0, Math.min(32, length - off));
  }
  return out;
}

const inputs = new Map<string, Buffer>();
/** The input bytes of a vector (spec/hashing.md §9), cached: the big ones take a moment to build. */
export function vectorInput(v: HashVector): Buffer {
  let data = inputs.get(v.name);
  if (!data) {
    data = Buffer.concat(
      v.input.map((part) =>
        'hex' in part
          ? Buffer.from(part.hex, 'hex')
          : 'zeros' in part
            ? Buffer.alloc(part.zeros)
            : pattern(part.pattern.seed, part.pattern.length),
      ),
    );
    inputs.set(v.name, data);
  }
  return data;
}

/** Blocks of `data` (§2): BLOCK_SIZE each, the last one shorter, none for empty data. */
export function splitBlocks(data: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  for (let off = 0; off < data.length; off += BLOCK_SIZE) blocks.push(data.subarray(off, off + BLOCK_SIZE));
  return blocks;
}

export const sha256hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A random block and its hash; random so that a persistent store cannot pass by accident. */
function randomBlock(size = 1024): { hash: string; data: Buffer } {
  const data = randomBytes(size);
  data[size - 1] = 1; // no trailing NUL: stored bytes = data
  return { hash: blockHash(data), data };
}

export function runBlockStoreConformance(name: string, make: () => Promise<BlockStore>): void {
  describe(`BlockStore conformance: ${name}`, () => {
    let store: BlockStore;
    before(async () => {
      store = await make();
    });
    after(async () => {
      await store?.close();
    });

    it('answers healthy() and has a label', async () => {
      assert.equal(await store.healthy(), true);
      assert.ok(store.label.length > 0);
    });

    it('put then get returns exactly the bytes', async () => {
      const { hash, data } = randomBlock(100_000);
      await store.put(hash, data);
      assert.deepEqual(await store.get(hash), data);
      assert.equal(await store.has(hash), true);
      await store.delete(hash);
    });

    it('readInto reads a block into a given buffer, reused across blocks and sizes', async () => {
      const big = randomBlock(BLOCK_SIZE);
      const small = randomBlock(3000);
      await store.put(big.hash, big.data);
      await store.put(small.hash, small.data);
      const into = Buffer.alloc(BLOCK_SIZE, 0xaa);
      assert.equal(await store.readInto(big.hash, into), BLOCK_SIZE);
      assert.ok(into.equals(big.data), 'a whole block');
      assert.equal(await store.readInto(small.hash, into), 3000);
      assert.ok(into.subarray(0, 3000).equals(small.data), 'a short block over the previous one');
      assert.equal(await store.readInto(randomBlock().hash, into), undefined, 'absent');
      await assert.rejects(store.readInto(big.hash, Buffer.alloc(BLOCK_SIZE - 1)), /longer than/);
      await store.deleteMany([big.hash, small.hash]);
    });

    it('stores the empty block (what an all-NUL block hashes to)', async () => {
      await store.put(EMPTY_HASH, Buffer.alloc(0));
      assert.deepEqual(await store.get(EMPTY_HASH), Buffer.alloc(0));
    });

    it('put of an existing hash is a no-op', async () => {
      const { hash, data } = randomBlock();
      await store.put(hash, data);
      await store.put(hash, data);
      assert.deepEqual(await store.get(hash), data);
      assert.equal((await store.missing([hash])).length, 0);
      await store.delete(hash);
    });

    it('get of an absent block is undefined, has is false', async () => {
      const { hash } = randomBlock();
      assert.equal(await store.get(hash), undefined);
      assert.equal(await store.has(hash), false);
    });

    it('missing() keeps the given order and names each hash once', async () => {
      const [a, b, c, d] = [randomBlock(), randomBlock(), randomBlock(), randomBlock()];
      await store.put(a.hash, a.data);
      await store.put(b.hash, b.data);
      assert.deepEqual(await store.missing([c.hash, a.hash, d.hash, c.hash, b.hash, d.hash]), [c.hash, d.hash]);
      assert.deepEqual(await store.missing([a.hash, b.hash, a.hash]), []);
      assert.deepEqual(await store.missing([]), []);
      await store.delete(a.hash);
      await store.delete(b.hash);
    });

    it('missing() answers for hundreds of hashes', async () => {
      const present = randomBlock();
      await store.put(present.hash, present.data);
      const absent = Array.from({ length: 300 }, () => randomBlock(16).hash);
      const asked = [...absent.slice(0, 150), present.hash, ...absent.slice(150)];
      assert.deepEqual(await store.missing(asked), absent);
      await store.delete(present.hash);
    });

    it('delete removes a block and is quiet about absent ones', async () => {
      const { hash, data } = randomBlock();
      await store.put(hash, data);
      await store.delete(hash);
      assert.equal(await store.has(hash), false);
      assert.equal(await store.get(hash), undefined);
      await store.delete(hash);
    });

    it('deleteMany removes every given block, quiet about absent and repeated ones', async () => {
      const kept = randomBlock();
      const gone = Array.from({ length: 5 }, () => randomBlock(64));
      for (const b of [kept, ...gone]) await store.put(b.hash, b.data);
      const absent = randomBlock().hash;
      await store.deleteMany([gone[0].hash, absent, ...gone.map((b) => b.hash), gone[0].hash]);
      assert.deepEqual(
        await store.missing([kept.hash, ...gone.map((b) => b.hash)]),
        gone.map((b) => b.hash),
      );
      assert.deepEqual(await store.get(kept.hash), kept.data);
      await store.deleteMany([]);
      await store.deleteMany([kept.hash]);
      assert.equal(await store.has(kept.hash), false);
    });

    it('deleteMany removes a few dozen blocks', async () => {
      const blocks = Array.from({ length: 40 }, () => randomBlock(16));
      await Promise.all(blocks.map((b) => store.put(b.hash, b.data)));
      const hashes = blocks.map((b) => b.hash);
      assert.deepEqual(await store.missing(hashes), []);
      await store.deleteMany(hashes);
      assert.deepEqual(await store.missing(hashes), hashes);
    });

    it('list() yields written blocks with their write time', async () => {
      const started = Date.now();
      const blocks = [randomBlock(), randomBlock(), randomBlock()];
      for (const b of blocks) await store.put(b.hash, b.data);
      await store.delete(blocks[2].hash);
      const seen = new Map<string, Date>();
      for await (const entry of store.list()) seen.set(entry.hash, entry.writtenAt);
      for (const b of blocks.slice(0, 2)) {
        const at = seen.get(b.hash);
        assert.ok(at instanceof Date, `${b.hash} listed`);
        // S3 LastModified has 1 s resolution; allow a little clock skew with the server.
        assert.ok(Math.abs(at.getTime() - started) < 5 * 60_000, `writtenAt ${at.toISOString()} is about now`);
      }
      assert.equal(seen.has(blocks[2].hash), false, 'deleted block not listed');
      for (const b of blocks) await store.delete(b.hash);
    });

    it('20 concurrent puts of one hash end with exactly the bytes', async () => {
      const { hash, data } = randomBlock(BLOCK_SIZE);
      await Promise.all(Array.from({ length: 20 }, () => store.put(hash, data)));
      const back = await store.get(hash);
      assert.ok(back?.equals(data), 'bytes read back equal the bytes written');
      assert.equal(await store.sweep(), 0, 'finished puts leave nothing to sweep');
      await store.delete(hash);
    });

    describe('batches (one upload)', () => {
      it('put many blocks, one repeated and one already stored; after durable() every one reads back', async () => {
        const stored = randomBlock(5000);
        await store.put(stored.hash, stored.data);
        const blocks = Array.from({ length: 24 }, (_, i) => randomBlock(i % 3 === 0 ? BLOCK_SIZE : 700 + i));
        const batch = store.openBatch();
        // Puts overlap like the writer's slots (four at once), with repeats and a stored block.
        const puts = [...blocks, blocks[0], stored, blocks[5]];
        for (let i = 0; i < puts.length; i += 4)
          await Promise.all(puts.slice(i, i + 4).map((b) => batch.put(b.hash, b.data)));
        await batch.durable();
        assert.deepEqual(await store.missing(puts.map((b) => b.hash)), []);
        for (const b of puts) assert.ok((await store.get(b.hash))?.equals(b.data), `block ${b.hash} reads back`);
        assert.equal(await store.sweep(), 0, 'a durable batch leaves nothing to sweep');
        await store.deleteMany(puts.map((b) => b.hash));
      });

      it("put resolves once the caller's buffer may be reused: overwriting it does not change the block", async () => {
        const batch = store.openBatch();
        const buffer = Buffer.alloc(BLOCK_SIZE);
        const expected: Array<{ hash: string; data: Buffer }> = [];
        for (let i = 0; i < 6; i++) {
          const b = randomBlock(BLOCK_SIZE);
          b.data.copy(buffer);
          await batch.put(b.hash, buffer);
          buffer.fill(0xee); // the next block reuses the buffer at once, as the writer's pool does
          expected.push(b);
        }
        await batch.durable();
        for (const b of expected) assert.ok((await store.get(b.hash))?.equals(b.data), 'block bytes as put');
        await store.deleteMany(expected.map((b) => b.hash));
      });

      it('an empty batch is durable at once; abandon() after durable() changes nothing', async () => {
        const batch = store.openBatch();
        await batch.durable();
        const b = randomBlock();
        const other = store.openBatch();
        await other.put(b.hash, b.data);
        await other.durable();
        await other.abandon();
        assert.ok((await store.get(b.hash))?.equals(b.data));
        await store.delete(b.hash);
      });

      it('an abandoned batch leaves no temp file, and no block that is not whole', async () => {
        const blocks = Array.from({ length: 8 }, () => randomBlock(BLOCK_SIZE));
        const batch = store.openBatch();
        for (const b of blocks) await batch.put(b.hash, b.data);
        await batch.abandon();
        assert.equal(await store.sweep(), 0, 'nothing left for sweep');
        for (const b of blocks) {
          const back = await store.get(b.hash);
          assert.ok(back === undefined || back.equals(b.data), 'absent or whole');
        }
        await assert.rejects(batch.put(randomBlock().hash, Buffer.from('late')), 'no put after abandon()');
        await store.deleteMany(blocks.map((b) => b.hash));
      });

      it("a failed put fails the batch: durable() rejects, the batch's other blocks stay whole or absent", async () => {
        const good = randomBlock();
        const batch = store.openBatch();
        await batch.put(good.hash, good.data);
        await assert.rejects(batch.put('not-a-hash', Buffer.from('x')), /not a block hash/);
        await assert.rejects(batch.durable(), /not a block hash/);
        await batch.abandon();
        const back = await store.get(good.hash);
        assert.ok(back === undefined || back.equals(good.data));
        assert.equal(await store.sweep(), 0);
        await store.delete(good.hash);
      });
    });

    it('refuses a name that is not a lower-case hex block hash', async () => {
      const upper = randomBlock().hash.toUpperCase();
      for (const bad of [upper, `../${'a'.repeat(61)}`, 'a'.repeat(63), '']) {
        await assert.rejects(store.put(bad, Buffer.from('x')));
        await assert.rejects(store.get(bad));
        await assert.rejects(store.has(bad));
        await assert.rejects(store.missing([bad]));
        await assert.rejects(store.delete(bad));
        await assert.rejects(store.deleteMany([bad]));
      }
      const good = randomBlock();
      await store.put(good.hash, good.data);
      await assert.rejects(store.deleteMany([good.hash, upper]));
      assert.equal(await store.has(good.hash), true, 'nothing removed when one hash is bad');
      await store.delete(good.hash);
    });

    describe('hash vectors: store blocks, read the object back by hashmap', () => {
      for (const v of loadHashVectors()) {
        it(`${v.name} (${v.bytes} bytes)`, async () => {
          const input = vectorInput(v);
          assert.equal(input.length, v.bytes);
          assert.equal(sha256hex(input), v.input_sha256);

          const blocks = splitBlocks(input);
          const hashes = blocks.map((b) => blockHash(b));
          assert.deepEqual(hashes, v.block_hashes);
          const stored = hashes.length === 0 ? [EMPTY_HASH] : hashes;
          assert.deepEqual(stored, v.stored_hashmap);
          assert.equal(objectHash(stored), v.top_hash);

          // Delete first so a persistent bucket really stores them in this run.
          for (const h of new Set(hashes)) await store.delete(h);
          assert.deepEqual(await store.missing(hashes), [...new Set(hashes)]);
          for (let i = 0; i < blocks.length; i++) await store.put(hashes[i], trimTrailingNuls(blocks[i]));
          assert.deepEqual(await store.missing(hashes), []);

          // An empty object has no block to read: its data is cut to 0 bytes anyway.
          const parts: Buffer[] = [];
          for (const h of v.bytes === 0 ? [] : stored) {
            const block = await store.get(h);
            assert.ok(block, `block ${h} stored`);
            assert.ok(block.length <= BLOCK_SIZE);
            assert.equal(block.length === 0 || block[block.length - 1] !== 0, true, 'stored without trailing NULs');
            parts.push(Buffer.concat([block, Buffer.alloc(BLOCK_SIZE - block.length)]));
          }
          const object = Buffer.concat(parts).subarray(0, v.bytes);
          assert.equal(sha256hex(object), v.input_sha256);
        });
      }
    });
  });
}
