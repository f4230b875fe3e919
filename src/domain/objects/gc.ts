import type { Kysely } from 'kysely';
import type { BlockStore } from '../../storage/blocks/block-store.ts';
import {
  committedHashmaps,
  countObjectVersions,
  hashmapsNewerThan,
  readVersionWatermark,
  VERSION_TABLES,
} from '../../storage/metadata/block-references.ts';
import { takeCommitLock } from '../../storage/metadata/commit-lock.ts';
import type { Database } from '../../storage/metadata/schema.ts';
import { unpackHashmap } from '../hashing.ts';

/**
 * Garbage collection of blocks (hashing.md §4): removes the blocks that no committed object version
 * references, live or kept in a container's history (versions.ts: an overwritten or deleted
 * version's blocks are garbage only when its container keeps no history, or once a purge dropped
 * it, and no other version names them) and that were written before the grace period. It runs while the server serves, in three phases:
 *
 * 1. **List** the stored blocks; those last written before `now - grace` are candidates.
 * 2. **Mark**, without any lock: read the version counter (the watermark W), then scan every object
 *    row, then every kept version's row (block-references.ts says why in that order), and drop
 *    each hash they reference from the candidates.
 * 3. **Sweep**, a batch of candidates at a time, each in one transaction that takes the commit lock
 *    (src/storage/metadata/commit-lock.ts), re-scans only the rows with a version above the last
 *    watermark, drops what they reference, deletes the rest of the batch, and moves the watermark
 *    to the counter's value under the lock. Commits wait only for one batch, never for the mark.
 *
 * Why no referenced block is removed. Every write that gives a row a hashmap (upload, hashmap PUT,
 * copy, move) takes a new version from the counter under the commit lock, in the transaction that
 * writes the row; the counter only moves under that lock, so a committed counter value W means
 * every version up to W is committed; and row ids never change. Take a row that exists while a
 * sweep batch holds the lock. If its version is above the previous watermark, the batch re-scans
 * it. Otherwise the row has held this hashmap since before that watermark was read, so it existed
 * throughout the scan that followed the reading (the mark, for the first batch; the previous
 * batch's re-scan and, by the same argument, what it relied on, for later ones) and was seen.
 * Nothing commits while the batch holds the lock, so every block referenced at deletion is kept.
 *
 * Why no commit references a removed block. An upload stores its blocks first and commits later;
 * gc may remove such a block in between, because no committed row names it yet. Two rules cover it:
 * - the grace period: an upload's blocks are younger than it, and re-putting a block that already
 *   exists refreshes its write time on the local store (local-block-store.ts), so blocks an upload
 *   is about to reference by hash are not candidates either (unless the re-put lands after the
 *   listing saw the block as old: then only the next rule applies);
 * - every commit re-checks under the commit lock that its blocks exist (object-service.ts `commit`),
 *   so a commit after a sweep batch that removed one of its blocks is refused instead of being
 *   committed (a hashmap PUT answers 409 with the missing list and the client sends the block
 *   again; a streamed upload commits nothing and fails with UploadBlocksRemoved, which every API
 *   answers as a retryable 503 with Retry-After).
 * The grace period is what keeps uploads from failing; the re-check is what keeps data safe even
 * with grace 0, or on S3, where re-putting an existing block does not refresh its time.
 */

export interface GcReport {
  /** Blocks listed. */
  readonly scanned: number;
  /** Listed blocks older than the grace period. */
  readonly candidates: number;
  /** Blocks removed (with `dryRun`: that would have been removed), in sweep order. */
  readonly removed: string[];
  readonly dryRun: boolean;
}

export type GcPhase = 'list' | 'mark' | 'sweep';

/** `done` of `total` units: blocks listed, object rows marked, candidates swept (`total` unknown while listing). */
export interface GcProgress {
  readonly phase: GcPhase;
  readonly done: number;
  readonly total?: number;
}

export interface GcOptions {
  readonly graceSeconds: number;
  /** Decide and report, delete nothing. */
  readonly dryRun?: boolean;
  /** The clock, milliseconds since the epoch (tests place the cutoff between two blocks' write times). */
  readonly now?: number;
  /** Candidates deleted per lock hold. */
  readonly sweepBatch?: number;
  readonly onProgress?: (p: GcProgress) => void;
  /** Awaited between mark and sweep, without the lock (tests widen the window in which commits race gc). */
  readonly afterMark?: () => Promise<void>;
}

const SWEEP_BATCH = 1000;
/** Progress is reported every this many listed blocks. */
const LIST_PROGRESS_EVERY = 1000;

export async function collectGarbage(db: Kysely<Database>, blocks: BlockStore, opts: GcOptions): Promise<GcReport> {
  const cutoff = (opts.now ?? Date.now()) - opts.graceSeconds * 1000;
  const report = (p: GcProgress) => opts.onProgress?.(p);

  // 1. List.
  const unreferenced = new Set<string>();
  let scanned = 0;
  for await (const b of blocks.list()) {
    scanned++;
    if (scanned % LIST_PROGRESS_EVERY === 0) report({ phase: 'list', done: scanned });
    if (b.writtenAt.getTime() < cutoff) unreferenced.add(b.hash);
  }
  report({ phase: 'list', done: scanned });
  const candidates = unreferenced.size;
  const dryRun = opts.dryRun ?? false;
  if (candidates === 0) return { scanned, candidates, removed: [], dryRun };

  // 2. Mark, lock-free. Only the candidates are held in memory, not every referenced hash.
  let watermark = await readVersionWatermark(db);
  const rows = await countObjectVersions(db);
  let marked = 0;
  report({ phase: 'mark', done: 0, total: rows });
  for (const table of VERSION_TABLES) {
    for await (const page of committedHashmaps(db, table)) {
      dropReferenced(unreferenced, page);
      marked += page.length;
      report({ phase: 'mark', done: marked, total: Math.max(rows, marked) });
    }
  }

  await opts.afterMark?.();

  // 3. Sweep under the commit lock, one batch per lock hold.
  const order = [...unreferenced];
  const total = order.length;
  const removed: string[] = [];
  const batchSize = opts.sweepBatch ?? SWEEP_BATCH;
  report({ phase: 'sweep', done: 0, total });
  for (let i = 0; i < order.length; i += batchSize) {
    const gone = await db.transaction().execute(async (trx) => {
      const locked = await takeCommitLock(trx);
      for (const table of VERSION_TABLES)
        for await (const page of hashmapsNewerThan(trx, watermark, table)) dropReferenced(unreferenced, page);
      watermark = locked;
      const batch = order.slice(i, i + batchSize).filter((h) => unreferenced.has(h));
      if (!dryRun && batch.length > 0) await blocks.deleteMany(batch);
      return batch;
    });
    removed.push(...gone);
    report({ phase: 'sweep', done: Math.min(i + batchSize, total), total });
  }
  return { scanned, candidates, removed, dryRun };
}

function dropReferenced(unreferenced: Set<string>, packedHashmaps: readonly string[]): void {
  if (unreferenced.size === 0) return;
  for (const packed of packedHashmaps) for (const h of unpackHashmap(packed)) unreferenced.delete(h);
}
