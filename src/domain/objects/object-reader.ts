import { Readable } from 'node:stream';
import type { BlockStore } from '../../storage/blocks/block-store.ts';
import { BLOCK_SIZE, EMPTY_HASH } from '../hashing.ts';

const NO_BYTES = Buffer.alloc(0);

/** Blocks fetched ahead of the one being sent, so storage latency overlaps the network. */
const READ_AHEAD = 2;

export class MissingBlockError extends Error {}

/**
 * The bytes `[start, end]` (inclusive) of an object, streamed block by block: each stored block
 * is zero-padded to the block size and the whole is cut to the object size (hashing.md §4).
 */
export function readObject(
  store: BlockStore,
  hashes: readonly string[],
  size: number,
  start = 0,
  end = size - 1,
): Readable {
  async function* bytes() {
    if (end < start) return;
    const first = Math.floor(start / BLOCK_SIZE);
    const last = Math.floor(end / BLOCK_SIZE);
    // Settled promises only: a read-ahead that fails after the consumer went away must not be an unhandled rejection.
    const pending: Promise<{ data?: Buffer; error?: unknown }>[] = [];
    const fetch = (i: number): Promise<{ data?: Buffer; error?: unknown }> =>
      hashes[i] === EMPTY_HASH
        ? Promise.resolve({ data: NO_BYTES }) // the empty block is never looked up (object-service.ts, missingBlocks)
        : store.get(hashes[i]).then(
            (data) => ({ data }),
            (error) => ({ error }),
          );
    for (let i = first; i <= Math.min(last, first + READ_AHEAD); i++) pending.push(fetch(i));
    for (let i = first; i <= last; i++) {
      const { data: stored, error } = await pending.shift()!;
      if (i + READ_AHEAD + 1 <= last) pending.push(fetch(i + READ_AHEAD + 1));
      if (error) throw error;
      if (stored === undefined) throw new MissingBlockError(`block ${hashes[i]} is missing from the block store`);
      const blockStart = i * BLOCK_SIZE;
      const from = Math.max(start, blockStart) - blockStart;
      const to = Math.min(end, blockStart + BLOCK_SIZE - 1) - blockStart + 1;
      if (to <= stored.length) {
        yield stored.subarray(from, to);
      } else {
        if (from < stored.length) yield stored.subarray(from);
        yield Buffer.alloc(to - Math.max(from, stored.length));
      }
    }
  }
  return Readable.from(bytes(), { objectMode: false, highWaterMark: 1 });
}
