/**
 * The blocks of one upload, written together so that durability costs the upload once, not once
 * per block. Why a batch on the port rather than a cheaper `put`: the durability rule (a block is
 * under its final name only once its bytes are durable; a commit only references durable blocks)
 * is about the set of blocks a commit references, so the set is what the caller must be able to
 * wait for. A driver that syncs each block in the write slot (fsync, rename, fsync the folder per
 * block: the old local `put`) keeps the socket, the hashing and the disk taking turns; a batch lets
 * the local driver hand the bytes to the kernel, free the slot, and make them durable in the
 * background while the next blocks arrive. A store whose `put` is durable when acknowledged (S3)
 * has a trivial batch (`immediateBatch`).
 *
 * - `put(hash, data)` resolves when `data` may be reused (the driver has the bytes, e.g. handed to
 *   the kernel); it may also wait to bound the work not yet durable (backpressure). It rejects with
 *   an earlier put's failure once the batch has failed.
 * - `durable()` resolves when every block put so far is durable under its final name (bytes synced,
 *   renamed, folder synced); it rejects with the first failure of any put. Call it after the last
 *   put has resolved, and before committing anything that references the blocks.
 * - `abandon()` gives up: waits for what is running, removes what is not yet under its final name
 *   (no temp file left behind), never rejects. Blocks already under their final name are whole and
 *   durable-bound; an unreferenced one is garbage for gc like any other.
 */
export interface BlockBatch {
  put(hash: string, data: Buffer): Promise<void>;
  durable(): Promise<void>;
  abandon(): Promise<void>;
}

/**
 * The batch of a store whose `put` is durable when it resolves: each put is the store's own, and
 * `durable()` only reports their outcome.
 */
export function immediateBatch(put: (hash: string, data: Buffer) => Promise<void>): BlockBatch {
  const running = new Set<Promise<void>>();
  let failure: unknown;
  let failed = false;
  let abandoned = false;
  return {
    put(hash, data) {
      if (failed) return Promise.reject(failure);
      if (abandoned) return Promise.reject(new Error('block batch abandoned'));
      const p = put(hash, data).catch((err: unknown) => {
        if (!failed) [failed, failure] = [true, err];
        throw err;
      });
      const tracked = p.then(
        () => undefined,
        () => undefined,
      );
      running.add(tracked);
      void tracked.finally(() => running.delete(tracked));
      return p;
    },
    async durable() {
      await Promise.all(running);
      if (failed) throw failure;
    },
    async abandon() {
      abandoned = true;
      await Promise.all(running);
    },
  };
}

/**
 * The port to block storage. Blocks are content-addressed: a block is stored (without trailing
 * NULs, see domain/hashing.ts) under the lower-case hex sha256 of those bytes, once, for all
 * accounts. Drivers: local-block-store.ts (default), s3-block-store.ts.
 *
 * Contract every driver passes (test/block-store-conformance.ts):
 * - `put` is atomic: a reader sees either no block or the whole block, never a torn one, even
 *   across a crash; putting an existing hash is a no-op. The same holds for a batch's puts, and
 *   once `durable()` resolved every block of the batch survives a crash.
 * - `get` returns exactly the bytes stored, or undefined; `readInto` the same into a given buffer.
 * - `list` yields every stored block with the time it was last written, for garbage collection.
 * - `delete` and `deleteMany` remove blocks; an absent block is no error.
 */
export interface BlockStore {
  /** Short description for logs, e.g. `local:/data/blocks` (no credentials). */
  readonly label: string;
  /** Stores one block, durable when it resolves (a batch of one: see `openBatch` for uploads). */
  put(hash: string, data: Buffer): Promise<void>;
  /** A batch for the blocks of one upload (see BlockBatch). */
  openBatch(): BlockBatch;
  get(hash: string): Promise<Buffer | undefined>;
  /**
   * Reads the block into `into` (a block never exceeds `BLOCK_SIZE`; give at least that) and
   * returns its length, or undefined when it is absent; a block longer than `into` is an error.
   * Streaming readers use it to recycle a few buffers instead of allocating one per block.
   */
  readInto(hash: string, into: Buffer): Promise<number | undefined>;
  has(hash: string): Promise<boolean>;
  /** The hashes of `hashes` that are not stored, in the given order, each once. */
  missing(hashes: readonly string[]): Promise<string[]>;
  delete(hash: string): Promise<void>;
  /**
   * Removes every block of `hashes` in as few calls as the store allows (gc's sweep). Every hash
   * is checked before anything is removed; absent blocks are no error.
   */
  deleteMany(hashes: readonly string[]): Promise<void>;
  list(): AsyncIterable<{ hash: string; writtenAt: Date }>;
  /** Removes what interrupted writes left behind; returns how many leftovers were removed. */
  sweep(): Promise<number>;
  /** True when the store answers (folder writable, bucket reachable). */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}
