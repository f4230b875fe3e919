import { createHash } from 'node:crypto';

/** Block size and hash of the whole server (spec/hashing.md §1); fixed, never per container. */
export const BLOCK_SIZE = 4 * 1024 * 1024;
export const BLOCK_HASH = 'sha256';
export const HASH_HEX_LENGTH = 64;

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

export const EMPTY_HASH = sha256(new Uint8Array(0)).toString('hex');
export const EMPTY_MD5 = createHash('md5').digest('hex');

/** The bytes a block is stored as: without its trailing NULs. */
export function trimTrailingNuls(block: Buffer): Buffer {
  let end = block.length;
  while (end > 0 && block[end - 1] === 0) end--;
  return block.subarray(0, end);
}

/** Hash of one block: SHA-256 of the block without its trailing NUL bytes, lower-case hex. */
export function blockHash(block: Buffer): string {
  return sha256(trimTrailingNuls(block)).toString('hex');
}

/** Merkle root over a stored hashmap (hex in, hex out), padded with zero digests to a power of two. */
export function objectHash(hashes: readonly string[]): string {
  if (hashes.length === 0) return EMPTY_HASH;
  if (hashes.length === 1) return hashes[0];
  let level: Buffer[] = hashes.map((h) => Buffer.from(h, 'hex'));
  let width = 1;
  while (width < level.length) width *= 2;
  while (level.length < width) level.push(Buffer.alloc(32));
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(sha256(Buffer.concat([level[i], level[i + 1]])));
    level = next;
  }
  return level[0].toString('hex');
}

/** Number of blocks of an object of `size` bytes. */
export const blockCount = (size: number): number => Math.ceil(size / BLOCK_SIZE);

/** The hashmap column: hashes concatenated (each is exactly 64 hex characters). */
export const packHashmap = (hashes: readonly string[]): string => hashes.join('');
export function unpackHashmap(packed: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < packed.length; i += HASH_HEX_LENGTH) out.push(packed.slice(i, i + HASH_HEX_LENGTH));
  return out;
}

export const isHashHex = (s: string): boolean => /^[0-9a-fA-F]{64}$/.test(s);
