import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  BLOCK_SIZE,
  EMPTY_HASH,
  EMPTY_MD5,
  blockCount,
  blockHash,
  isHashHex,
  objectHash,
  packHashmap,
  trimTrailingNuls,
  unpackHashmap,
} from '../src/domain/hashing.ts';
import { loadHashVectors, sha256hex, splitBlocks, vectorInput } from './helpers/block-store-conformance.ts';

describe('hashing: spec/hashing.md vectors', () => {
  for (const v of loadHashVectors()) {
    it(`${v.name}: ${v.description}`, () => {
      const input = vectorInput(v);
      assert.equal(input.length, v.bytes, 'input rebuilt to the right length');
      assert.equal(sha256hex(input), v.input_sha256, 'input rebuilt byte-exact');
      assert.equal(createHash('md5').update(input).digest('hex'), v.md5);

      const blocks = splitBlocks(input);
      assert.equal(blocks.length, blockCount(v.bytes));
      assert.deepEqual(
        blocks.map((b) => blockHash(b)),
        v.block_hashes,
      );
      // What the server stores: an empty object gets one hash of the empty string.
      const stored = v.block_hashes.length === 0 ? [EMPTY_HASH] : v.block_hashes;
      assert.deepEqual(stored, v.stored_hashmap);
      assert.equal(objectHash(v.stored_hashmap), v.top_hash);
      assert.deepEqual(unpackHashmap(packHashmap(v.stored_hashmap)), v.stored_hashmap);
    });
  }
});

describe('hashing: rules', () => {
  it('constants', () => {
    assert.equal(BLOCK_SIZE, 4194304);
    assert.equal(EMPTY_HASH, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(EMPTY_MD5, 'd41d8cd98f00b204e9800998ecf8427e');
  });

  it('only trailing NULs are trimmed', () => {
    assert.deepEqual(trimTrailingNuls(Buffer.from('0000616263000000', 'hex')), Buffer.from('0000616263', 'hex'));
    assert.equal(trimTrailingNuls(Buffer.alloc(10)).length, 0);
    assert.equal(blockHash(Buffer.alloc(BLOCK_SIZE)), EMPTY_HASH);
    assert.notEqual(blockHash(Buffer.from('0000616263', 'hex')), blockHash(Buffer.from('abc')));
  });

  it('objectHash of no hashes is the empty hash, of one hash that hash', () => {
    assert.equal(objectHash([]), EMPTY_HASH);
    const h = blockHash(Buffer.from('hello'));
    assert.equal(objectHash([h]), h);
  });

  it('blockCount', () => {
    assert.deepEqual([0, 1, BLOCK_SIZE, BLOCK_SIZE + 1].map(blockCount), [0, 1, 1, 2]);
  });

  it('isHashHex accepts either case (callers lower-case), nothing else', () => {
    assert.equal(isHashHex(EMPTY_HASH), true);
    assert.equal(isHashHex(EMPTY_HASH.toUpperCase()), true);
    assert.equal(isHashHex(EMPTY_HASH.slice(1)), false);
    assert.equal(isHashHex(`${EMPTY_HASH.slice(1)}g`), false);
  });
});
