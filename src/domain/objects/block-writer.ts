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

/**
 * Blocks hashed or handed to the store at once per upload: overlaps hashing, storage and the
 * socket; bounds memory (≤ 4 × 4 MiB). A slot is free once the store has the bytes (a batch's
 * `put`), not once they are durable: that is waited for once, before returning.
 */
const MAX_IN_FLIGHT = 4;
/**
 * Blocks in flight for all the uploads of this process together: with many uploads at once each
 * gets a share (at least one), so memory is bounded per process, not by how many clients upload
 * at once (8 uploads × 5 buffers were 160 MiB); their own overlap keeps the cores busy then.
 */
const PROCESS_IN_FLIGHT = 8;
let uploadsRunning = 0;
const slotsPerUpload = () => Math.max(1, Math.min(MAX_IN_FLIGHT, Math.floor(PROCESS_IN_FLIGHT / uploadsRunning)));

/**
 * Streams bytes into content-addressed blocks: cuts exact 4 MiB blocks whatever the chunking,
 * hashes each as it fills (on the hash workers), stores it, and computes the MD5 of the whole
 * stream on the way, with any other whole-stream `digests` asked for (`['md5', 'sha512']`), all in
 * the same single pass on the hash workers. Memory stays flat in the data size. Throws `tooLarge()` past `maxBytes`
 * (nothing is committed by this function: committing is the caller's job once it has checked
 * the result). Every block of the result is durable in the store when it returns (one batch per
 * call; on a failure the batch is abandoned). A `tap` sees every block in order before it is hashed.
 */
export async function writeBlocks(
  source: AsyncIterable<Buffer>,
  store: BlockStore,
  maxBytes: number,
  tooLarge: () => Error,
  digests: readonly StreamAlgorithm[] = ['md5'],
  tap?: BlockTap,
): Promise<WrittenData> {
  uploadsRunning++;
  try {
    return await streamIntoBlocks(source, store, maxBytes, tooLarge, digests, tap);
  } finally {
    uploadsRunning--;
  }
}

async function streamIntoBlocks(
  source: AsyncIterable<Buffer>,
  store: BlockStore,
  maxBytes: number,
  tooLarge: () => Error,
  digests: readonly StreamAlgorithm[],
  tap: BlockTap | undefined,
): Promise<WrittenData> {
  const summing = hashPool.streamDigests(['md5', ...digests]);
  const batch = store.openBatch();
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
    const p = summing
      .blockHash(bytes, length)
      .then(async ({ hash, end }) => {
        hashes[index] = hash;
        await batch.put(hash, bytes.subarray(0, end));
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
    while (inFlight.size >= slotsPerUpload()) await Promise.race(inFlight);
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
    await batch.abandon();
    throw err;
  }
  await Promise.all(inFlight);
  if (failure) {
    summing.abort();
    await batch.abandon();
    throw failure;
  }
  // The last blocks' fsyncs and the end of the stream digests overlap.
  const [summed, made] = await Promise.allSettled([summing.digest(), batch.durable()]);
  if (summed.status === 'rejected' || made.status === 'rejected') {
    await batch.abandon();
    throw made.status === 'rejected' ? made.reason : (summed as PromiseRejectedResult).reason;
  }
  const computed = summed.value;
  const stored = hashes.length ? hashes : [EMPTY_HASH];
  return { size, hashes: stored, objectHash: objectHash(stored), md5: computed.md5!, digests: computed };
}
