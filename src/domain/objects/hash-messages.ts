/**
 * The messages between the upload path and the hash workers (`hash-worker.js`). Types only: the
 * worker and the pool import them without pulling each other's code into their thread.
 */

/** Digests of a whole stream a caller may ask for, besides the per-block SHA-256. */
export const STREAM_ALGORITHMS = ['md5', 'sha256', 'sha512'] as const;
export type StreamAlgorithm = (typeof STREAM_ALGORITHMS)[number];

/** A block as the workers see it: the first `length` bytes of a shared buffer (no copy). */
interface SharedBlock {
  readonly sab: SharedArrayBuffer;
  readonly length: number;
}

export type HashRequest =
  /** SHA-256 of the block without its trailing NULs (hashing.md §2); replies `hash` and `end`. */
  | ({ readonly op: 'block-sha256'; readonly id: number } & SharedBlock)
  /** Starts running digests for `stream` on this worker; no reply (a worker handles messages in order). */
  | { readonly op: 'stream-open'; readonly stream: number; readonly algorithms: readonly StreamAlgorithm[] }
  /** Feeds the next block of `stream` to its digests; replies once they have read it. */
  | ({ readonly op: 'stream-update'; readonly id: number; readonly stream: number } & SharedBlock)
  /** Finishes `stream`; replies `digests`. */
  | { readonly op: 'stream-end'; readonly id: number; readonly stream: number }
  /** Forgets `stream`; no reply. */
  | { readonly op: 'stream-abort'; readonly stream: number };

export interface HashReply {
  readonly id: number;
  readonly hash?: string;
  readonly end?: number;
  readonly digests?: Partial<Record<StreamAlgorithm, string>>;
  readonly error?: string;
}
