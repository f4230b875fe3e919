import { Readable, type Writable } from 'node:stream';
import type { BlockStore } from '../../storage/blocks/block-store.ts';
import { BLOCK_SIZE, EMPTY_HASH } from '../hashing.ts';
import { BufferPool } from './buffer-pool.ts';

/** Blocks fetched ahead of the one being sent, so storage latency overlaps the network. */
const READ_AHEAD = 2;
/**
 * Read-ahead for all the downloads of this process together: with many at once each gets a share
 * (down to none: one block read, then sent), so their buffers are bounded per process, not by how
 * many clients download; their own overlap keeps the cores busy then.
 */
const PROCESS_READ_AHEAD = 4;
let downloadsRunning = 0;
const readAhead = () => Math.min(READ_AHEAD, Math.floor(PROCESS_READ_AHEAD / downloadsRunning));

/**
 * Read buffers, recycled (buffer-pool.ts). A download holds READ_AHEAD + 1 of them in reads and
 * one or two in the socket; six kept free serve one download with no allocation at all.
 */
const readBuffers = new BufferPool(() => Buffer.allocUnsafeSlow(BLOCK_SIZE), 6);

/** What a stored block lacks: its trailing NULs (hashing.md §4). Read-only: it is only ever sent. */
const ZEROS = Buffer.alloc(BLOCK_SIZE);

export class MissingBlockError extends Error {}

/** Bytes `[start, end]` (inclusive) of the data a hashmap describes. */
export interface HashmapRange {
  readonly hashes: readonly string[];
  readonly start: number;
  readonly end: number;
}

/** Bytes for the consumer; `release()` once they have been handed on (written to a socket, copied). */
interface Lease {
  readonly bytes: Buffer;
  release(): void;
}

/** Bytes `[from, to)` of one block as stored zero-padded to the block size. */
interface BlockSlice {
  readonly hash: string;
  readonly from: number;
  readonly to: number;
}

/** A read that has settled; never a rejection, so a read-ahead nobody waits for cannot go unhandled. */
interface Fetched {
  readonly slice: BlockSlice;
  readonly buffer?: Buffer;
  readonly length?: number;
  readonly error?: unknown;
}

function* slicesOf(ranges: readonly HashmapRange[]): Generator<BlockSlice> {
  for (const { hashes, start, end } of ranges) {
    if (end < start) continue;
    for (let i = Math.floor(start / BLOCK_SIZE); i <= Math.floor(end / BLOCK_SIZE); i++) {
      const blockStart = i * BLOCK_SIZE;
      const from = Math.max(start, blockStart) - blockStart;
      const to = Math.min(end, blockStart + BLOCK_SIZE - 1) - blockStart + 1;
      yield { hash: hashes[i], from, to };
    }
  }
}

function fetch(store: BlockStore, slice: BlockSlice): Promise<Fetched> {
  // The empty block is never looked up (object-service.ts, missingBlocks).
  if (slice.hash === EMPTY_HASH) return Promise.resolve({ slice, length: 0 });
  const buffer = readBuffers.acquire();
  return store.readInto(slice.hash, buffer).then(
    (length) => {
      if (length !== undefined) return { slice, buffer, length };
      readBuffers.release(buffer);
      return { slice, length };
    },
    // Not released: a read that timed out may still write into it (guarded-block-store.ts).
    (error) => ({ slice, error }),
  );
}

const unpooled = () => undefined;

/**
 * The bytes of `ranges`, one after the other, as leases of recycled buffers, with one read-ahead
 * across range boundaries (a large object's segments stream like one object). Stopping early
 * returns the buffers of reads still running once they settle.
 */
async function* leases(store: BlockStore, ranges: readonly HashmapRange[]): AsyncGenerator<Lease> {
  const plan = slicesOf(ranges);
  const pending: Promise<Fetched>[] = [];
  const fill = () => {
    while (pending.length <= readAhead()) {
      const next = plan.next();
      if (next.done) return;
      pending.push(fetch(store, next.value));
    }
  };
  downloadsRunning++;
  try {
    fill();
    while (pending.length > 0) {
      const { slice, buffer, length, error } = await pending.shift()!;
      fill();
      if (error) throw error;
      if (length === undefined) throw new MissingBlockError(`block ${slice.hash} is missing from the block store`);
      const { from, to } = slice;
      const release = buffer ? () => readBuffers.release(buffer) : unpooled;
      if (to <= length) {
        yield { bytes: buffer!.subarray(from, to), release };
        continue;
      }
      if (from < length) yield { bytes: buffer!.subarray(from, length), release };
      else release();
      yield { bytes: ZEROS.subarray(0, to - Math.max(from, length)), release: unpooled };
    }
  } finally {
    downloadsRunning--;
    for (const p of pending) void p.then((f) => f.buffer && readBuffers.release(f.buffer));
  }
}

/**
 * Stored bytes as a stream. Read as a Readable, each chunk is the consumer's to keep (its buffer
 * is never recycled); `pipeTo` is the fast path of the HTTP reply, which knows when the socket is
 * done with a chunk and recycles its buffer then.
 */
export class BlockStream extends Readable {
  readonly #chunks: AsyncGenerator<Lease>;
  #head: Promise<IteratorResult<Lease>> | undefined;

  constructor(store: BlockStore, ranges: readonly HashmapRange[]) {
    super({ highWaterMark: 1 });
    this.#chunks = leases(store, ranges);
  }

  /** The next lease, the one `firstBytes` waited for first. */
  #next(): Promise<IteratorResult<Lease>> {
    const head = this.#head;
    this.#head = undefined;
    return head ?? this.#chunks.next();
  }

  /**
   * Resolves once the first bytes are read (or there are none), rejects if they cannot be: so a
   * store that fails at once is answered with a fault, not with a 200 cut after its headers.
   */
  async firstBytes(): Promise<void> {
    this.#head ??= this.#chunks.next();
    await this.#head;
  }

  override _read(): void {
    this.#next().then(
      (r) => this.push(r.done ? null : r.value.bytes),
      (err: Error) => this.destroy(err),
    );
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.#chunks.return(undefined).then(
      () => done(err),
      () => done(err),
    );
  }

  /**
   * Writes every byte to `out` (an HTTP response), waiting for it to drain; each buffer goes back
   * to the pool once `out` has handed it to the kernel (the write callback). Rejects when the
   * store fails or `out` closes first; ends `out` otherwise.
   */
  async pipeTo(out: Writable): Promise<void> {
    try {
      for (let r = await this.#next(); !r.done; r = await this.#next()) {
        const { bytes, release } = r.value;
        if (out.destroyed) throw new Error('the response closed before the data was sent');
        // A write that never completes (the socket died) never calls back: its buffer is left to the collector.
        if (!out.write(bytes, (err) => !err && release())) await drained(out);
      }
      out.end();
    } finally {
      this.destroy();
    }
  }
}

/** Resolves on 'drain'; rejects when `out` closes or fails first. */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: Error) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', settle);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error('the response closed before the data was sent'));
    out.on('drain', onDrain);
    out.on('close', onClose);
    out.on('error', settle);
  });
}

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
): BlockStream {
  return new BlockStream(store, [{ hashes, start, end }]);
}
