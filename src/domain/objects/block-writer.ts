import { createHash } from 'node:crypto';
import type { BlockStore } from '../../storage/blocks/block-store.ts';
import type { ServiceError } from '../../errors.ts';
import { BLOCK_SIZE, EMPTY_HASH, objectHash, trimTrailingNuls } from '../hashing.ts';

export interface WrittenData {
  readonly size: number;
  /** Stored hashmap: `[EMPTY_HASH]` for empty data (hashing.md §5). */
  readonly hashes: string[];
  readonly objectHash: string;
  readonly md5: string;
}

/** Block writes in flight per upload: overlaps hashing with storage while bounding memory (≤ 4 × 4 MiB). */
const MAX_IN_FLIGHT = 4;

/**
 * Streams bytes into content-addressed blocks: cuts exact 4 MiB blocks whatever the chunking,
 * hashes each as it fills, stores it, and computes the MD5 of the whole stream on the way.
 * Memory stays flat in the data size. Throws `tooLarge()` past `maxBytes` (nothing is committed
 * by this function: committing is the caller's job once it has checked the result).
 */
export async function writeBlocks(source: AsyncIterable<Buffer>, store: BlockStore, maxBytes: number, tooLarge: () => ServiceError): Promise<WrittenData> {
  const md5 = createHash('md5');
  const hashes: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let block = Buffer.allocUnsafe(BLOCK_SIZE);
  let filled = 0;
  let size = 0;

  const flush = async (bytes: Buffer) => {
    const stored = trimTrailingNuls(bytes);
    const hash = createHash('sha256').update(stored).digest('hex');
    hashes.push(hash);
    const p = store.put(hash, stored).catch((err) => { failure ??= err; }).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    if (failure) throw failure;
  };

  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > maxBytes) throw tooLarge();
      md5.update(chunk);
      let offset = 0;
      while (offset < chunk.length) {
        const n = chunk.copy(block, filled, offset);
        filled += n;
        offset += n;
        if (filled === BLOCK_SIZE) {
          await flush(block);
          block = Buffer.allocUnsafe(BLOCK_SIZE);
          filled = 0;
        }
      }
    }
    if (filled > 0) await flush(block.subarray(0, filled));
  } catch (err) {
    // Too large, a client gone mid-body, a store failure: let the block writes already started
    // finish (whole blocks or nothing), so no write of this request outlives it.
    await Promise.allSettled(inFlight);
    throw err;
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  const stored = hashes.length ? hashes : [EMPTY_HASH];
  return { size, hashes: stored, objectHash: objectHash(stored), md5: md5.digest('hex') };
}
