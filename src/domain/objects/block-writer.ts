import type { BlockStore } from '../../storage/blocks/block-store.ts';
import { BLOCK_SIZE, EMPTY_HASH, objectHash } from '../hashing.ts';
import type { StreamAlgorithm } from './hash-messages.ts';
import { blockBuffers, hashPool } from './hash-workers.ts';

export type { StreamAlgorithm } from './hash-messages.ts';

export interface WrittenData {
  readonly size: number;
  /** Stored hashmap: `[EMPTY_HASH]` for empty data (hashing.md §5). */
  readonly hashes: string[];
  readonly objectHash: string;
  /** MD5 of the whole stream: always computed, it is the ETag of the version. */
  readonly md5: string;
  /** Every whole-stream digest computed (hex): `md5` and those the caller asked for. */
  readonly digests: Readonly<Partial<Record<StreamAlgorithm, string>>>;
}

/**
 * Something that reads the stream once more in the same pass, block by block, in order, on the
 * main thread (the image inspector). It must not keep the view it gets: the buffer is recycled.
 */
export interface BlockTap {
  push(bytes: Uint8Array): void;
}

/** Blocks hashed or written at once per upload: overlaps hashing, storage and the socket; bounds memory (≤ 4 × 4 MiB). */
const MAX_IN_FLIGHT = 4;

/**
 * Streams bytes into content-addressed blocks: cuts exact 4 MiB blocks whatever the chunking,
 * hashes each as it fills (on the hash workers), stores it, and computes the MD5 of the whole
 * stream on the way, with any other whole-stream `digests` asked for (`['md5', 'sha512']`), all in
 * the same single pass on the hash workers. Memory stays flat in the data size. Throws `tooLarge()` past `maxBytes`
 * (nothing is committed by this function: committing is the caller's job once it has checked
 * the result). A `tap` sees every block in order before it is hashed.
 */
export async function writeBlocks(
  source: AsyncIterable<Buffer>,
  store: BlockStore,
  maxBytes: number,
  tooLarge: () => Error,
  digests: readonly StreamAlgorithm[] = ['md5'],
  tap?: BlockTap,
): Promise<WrittenData> {
  const summing = hashPool.streamDigests(['md5', ...digests]);
  const hashes: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let block = blockBuffers.acquire();
  let filled = 0;
  let size = 0;

  const flush = async (bytes: Buffer, length: number) => {
    tap?.push(bytes.subarray(0, length));
    const index = hashes.push('') - 1;
    // Settles, never rejects: a failed digest is this upload's failure, and the buffer is then not reused.
    const summed = summing.update(bytes, length).then(
      () => true,
      (err) => {
        failure ??= err;
        return false;
      },
    );
    const p = hashPool
      .blockHash(bytes, length)
      .then(async ({ hash, end }) => {
        hashes[index] = hash;
        await store.put(hash, bytes.subarray(0, end));
      })
      .catch((err) => {
        failure ??= err;
      })
      // The buffer is reused only when both the stream digests and the write are done with it.
      .finally(() =>
        summed.then((read) => {
          if (read) blockBuffers.release(bytes);
        }),
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    if (failure) throw failure;
  };

  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > maxBytes) throw tooLarge();
      let offset = 0;
      while (offset < chunk.length) {
        const n = chunk.copy(block, filled, offset);
        filled += n;
        offset += n;
        if (filled === BLOCK_SIZE) {
          await flush(block, BLOCK_SIZE);
          block = blockBuffers.acquire();
          filled = 0;
        }
      }
    }
    if (filled > 0) await flush(block, filled);
    else blockBuffers.release(block);
  } catch (err) {
    // Too large, a client gone mid-body, a store failure: let the block writes already started
    // finish (whole blocks or nothing), so no write of this request outlives it.
    summing.abort();
    await Promise.allSettled(inFlight);
    throw err;
  }
  await Promise.all(inFlight);
  if (failure) {
    summing.abort();
    throw failure;
  }
  const computed = await summing.digest();
  const stored = hashes.length ? hashes : [EMPTY_HASH];
  return { size, hashes: stored, objectHash: objectHash(stored), md5: computed.md5!, digests: computed };
}
