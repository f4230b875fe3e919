import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { BlockStore } from '../../storage/blocks/block-store.ts';
import {
  countObjectVersions,
  imagesOfObjects,
  objectBlockRow,
  objectBlockRows,
} from '../../storage/metadata/block-references.ts';
import type { Database } from '../../storage/metadata/schema.ts';
import { EMPTY_HASH, unpackHashmap } from '../hashing.ts';

/**
 * Scrub (issue 16): re-reads every stored block, checks it against its SHA-256 name, and finds the
 * blocks that committed objects name but the store lacks; reports both with the objects and images
 * that use them. Read-only, so it may run while servers serve and `gc` runs:
 *
 * 1. **Count** the stored blocks (one listing, for the progress total).
 * 2. **Verify**: list again and read each block (a few at a time, optionally at a capped rate),
 *    hash it, compare with its name. A block gone between listing and reading (gc removed it, or
 *    an object was overwritten) is not corrupt: it is skipped, and phase 3 finds it if something
 *    still needs it. Memory: the blocks being read (VERIFY_CONCURRENCY × 4 MiB) and the corrupt set.
 * 3. **Objects**: a page of object rows at a time, ask the store which of the page's blocks it
 *    lacks (`missing`), then match every row against the missing and corrupt hashes. A missing
 *    block is reported only if, re-read afterwards, the row still names it and the store still
 *    lacks it: a row overwritten or deleted meanwhile (and its old blocks collected) is no damage.
 * 4. **Images**: the images whose object is damaged.
 *
 * Blocks are written atomically (block-store.ts), so a block a concurrent upload is writing is
 * either absent from the listing or complete: scrub never reports a write in progress as corrupt.
 */

export interface ScrubbedImage {
  readonly id: string;
  readonly name: string;
  readonly owner: string;
  readonly status: string;
}

export interface DamagedObject {
  readonly account: string;
  readonly container: string;
  readonly name: string;
  readonly uuid: string;
  /** Blocks this object names that the store does not have, each once, in hashmap order. */
  readonly missing: string[];
  /** Blocks this object names whose bytes do not hash to their name. */
  readonly corrupt: string[];
  /** Images whose data is this object. */
  readonly images: ScrubbedImage[];
}

export interface ScrubReport {
  /** Stored blocks read and hashed. */
  readonly checked: number;
  /** Bytes read. */
  readonly bytes: number;
  /** Stored blocks whose bytes do not hash to their name (referenced or not). */
  readonly corrupt: string[];
  /** Blocks referenced by committed objects that the store does not have. */
  readonly missing: string[];
  /** Object rows scanned. */
  readonly objects: number;
  readonly damaged: DamagedObject[];
  /** True when nothing is corrupt or missing. */
  readonly ok: boolean;
}

export type ScrubPhase = 'count' | 'verify' | 'objects';

export interface ScrubProgress {
  readonly phase: ScrubPhase;
  readonly done: number;
  readonly total?: number;
}

export interface ScrubOptions {
  /** Cap on the read rate, bytes per second (none when undefined). */
  readonly rateBytesPerSecond?: number;
  readonly onProgress?: (p: ScrubProgress) => void;
}

/** Blocks read at once: hides the store's latency (S3) while keeping memory at a few blocks. */
const VERIFY_CONCURRENCY = 4;
const COUNT_PROGRESS_EVERY = 1000;

export async function scrubBlocks(
  db: Kysely<Database>,
  blocks: BlockStore,
  opts: ScrubOptions = {},
): Promise<ScrubReport> {
  const report = (p: ScrubProgress) => opts.onProgress?.(p);

  // 1. Count.
  let total = 0;
  for await (const _ of blocks.list()) {
    total++;
    if (total % COUNT_PROGRESS_EVERY === 0) report({ phase: 'count', done: total });
  }
  report({ phase: 'count', done: total });

  // 2. Verify.
  const corrupt = new Set<string>();
  const limiter = new RateLimiter(opts.rateBytesPerSecond);
  let checked = 0;
  let bytes = 0;
  const listing = blocks.list()[Symbol.asyncIterator]();
  const verifyNext = async (): Promise<void> => {
    for (;;) {
      const next = await listing.next();
      if (next.done) return;
      const hash = next.value.hash;
      await limiter.wait();
      const data = await blocks.get(hash);
      if (data === undefined) continue; // removed since listed; phase 3 decides whether that matters
      limiter.spent(data.length);
      checked++;
      bytes += data.length;
      if (createHash('sha256').update(data).digest('hex') !== hash) corrupt.add(hash);
      report({ phase: 'verify', done: checked, total: Math.max(total, checked) });
    }
  };
  // The workers share one iterator; each `next()` call is awaited before the next one is made by
  // the same worker, and async generators queue concurrent calls, so every block is read once.
  await Promise.all(Array.from({ length: VERIFY_CONCURRENCY }, verifyNext));

  // 3. Objects.
  const rows = await countObjectVersions(db);
  const missing = new Set<string>();
  const damaged: Omit<DamagedObject, 'images'>[] = [];
  let scanned = 0;
  report({ phase: 'objects', done: 0, total: rows });
  for await (const page of objectBlockRows(db)) {
    const named = new Set<string>();
    // The empty block holds no bytes and is never stored or looked up (object-service.ts).
    for (const row of page) for (const h of unpackHashmap(row.hashmap)) if (h !== EMPTY_HASH) named.add(h);
    const absent = new Set(await blocks.missing([...named]));
    for (const row of page) {
      const hashes = unpackHashmap(row.hashmap);
      const rowCorrupt = unique(hashes.filter((h) => corrupt.has(h)));
      let rowMissing = unique(hashes.filter((h) => absent.has(h)));
      if (rowMissing.length > 0) rowMissing = await stillMissing(db, blocks, row.id, rowMissing);
      if (rowMissing.length === 0 && rowCorrupt.length === 0) continue;
      for (const h of rowMissing) missing.add(h);
      damaged.push({
        account: row.account,
        container: row.container,
        name: row.name,
        uuid: row.uuid,
        missing: rowMissing,
        corrupt: rowCorrupt,
      });
    }
    scanned += page.length;
    report({ phase: 'objects', done: scanned, total: Math.max(rows, scanned) });
  }

  // 4. Images.
  const images = await imagesOfObjects(
    db,
    damaged.map((d) => d.uuid),
  );
  const byObject = new Map<string, ScrubbedImage[]>();
  for (const image of images) byObject.set(image.id, [...(byObject.get(image.id) ?? []), image]);
  const corruptList = [...corrupt].sort();
  const missingList = [...missing].sort();
  return {
    checked,
    bytes,
    corrupt: corruptList,
    missing: missingList,
    objects: scanned,
    damaged: damaged.map((d) => ({ ...d, images: byObject.get(d.uuid) ?? [] })),
    ok: corruptList.length === 0 && missingList.length === 0,
  };
}

/** Of `hashes`, those the row `id` still names and the store still lacks (see phase 3). */
async function stillMissing(
  db: Kysely<Database>,
  blocks: BlockStore,
  id: number,
  hashes: readonly string[],
): Promise<string[]> {
  const now = await objectBlockRow(db, id);
  if (!now) return [];
  const named = new Set(unpackHashmap(now.hashmap));
  const candidates = hashes.filter((h) => named.has(h));
  return candidates.length === 0 ? [] : blocks.missing(candidates);
}

const unique = (hashes: readonly string[]): string[] => [...new Set(hashes)];

/**
 * Keeps the average read rate at or under a cap: before each read, waits until the bytes read so
 * far would not exceed `rate × elapsed`. Blocks are at most 4 MiB, so the overshoot is one block
 * per reader.
 */
class RateLimiter {
  readonly #rate: number | undefined;
  readonly #start = Date.now();
  #bytes = 0;

  constructor(rateBytesPerSecond: number | undefined) {
    this.#rate = rateBytesPerSecond;
  }

  async wait(): Promise<void> {
    if (this.#rate === undefined) return;
    const due = this.#start + (this.#bytes / this.#rate) * 1000;
    const delay = due - Date.now();
    if (delay > 0) await sleep(delay);
  }

  spent(bytes: number): void {
    this.#bytes += bytes;
  }
}
