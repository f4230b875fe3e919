/**
 * The port to block storage. Blocks are content-addressed: a block is stored (without trailing
 * NULs, see domain/hashing.ts) under the lower-case hex sha256 of those bytes, once, for all
 * accounts. Drivers: local-block-store.ts (default), s3-block-store.ts.
 *
 * Contract every driver passes (test/block-store-conformance.ts):
 * - `put` is atomic: a reader sees either no block or the whole block, never a torn one, even
 *   across a crash; putting an existing hash is a no-op.
 * - `get` returns exactly the bytes stored, or undefined; `readInto` the same into a given buffer.
 * - `list` yields every stored block with the time it was last written, for garbage collection.
 * - `delete` and `deleteMany` remove blocks; an absent block is no error.
 */
export interface BlockStore {
  /** Short description for logs, e.g. `local:/data/blocks` (no credentials). */
  readonly label: string;
  put(hash: string, data: Buffer): Promise<void>;
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
