import type { BlockStore } from '../../storage/blocks/block-store.ts';
import type { Db } from '../../storage/metadata/database.ts';
import { unpackHashmap } from '../hashing.ts';

export interface GcReport {
  readonly scanned: number;
  readonly candidates: number;
  readonly removed: string[];
}

/**
 * Removes blocks that no committed object version references (hashing.md §4).
 *
 * Safe while uploads run: blocks written (or re-put) within the grace period are never
 * candidates, and the final check-and-delete holds the version-counter row lock that every
 * commit takes first, while every commit re-checks that its blocks exist under that same lock.
 * So a commit either happens before (its blocks are referenced and kept) or after (it sees a
 * removed block as missing and refuses to commit) — never in between.
 */
export async function collectGarbage(db: Db, blocks: BlockStore, opts: { graceSeconds: number; onProgress?: (scanned: number) => void }): Promise<GcReport> {
  const cutoff = Date.now() - opts.graceSeconds * 1000;
  const candidates: string[] = [];
  let scanned = 0;
  for await (const b of blocks.list()) {
    scanned++;
    if (scanned % 1000 === 0) opts.onProgress?.(scanned);
    if (b.writtenAt.getTime() < cutoff) candidates.push(b.hash);
  }
  opts.onProgress?.(scanned);
  if (candidates.length === 0) return { scanned, candidates: 0, removed: [] };
  const removed = await db.transaction().execute(async (trx) => {
    await trx.updateTable('counters').set((eb) => ({ value: eb.ref('value') })).where('name', '=', 'version').execute();
    const referenced = new Set<string>();
    let after = 0;
    for (;;) {
      const rows = await trx.selectFrom('objects').select(['id', 'hashmap']).where('id', '>', after).orderBy('id').limit(1000).execute();
      for (const r of rows) for (const h of unpackHashmap(r.hashmap)) referenced.add(h);
      if (rows.length < 1000) break;
      after = rows[rows.length - 1].id;
    }
    const unreferenced = candidates.filter((h) => !referenced.has(h));
    for (const h of unreferenced) await blocks.delete(h);
    return unreferenced;
  });
  return { scanned, candidates: candidates.length, removed };
}
