import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/**
 * What gc reads from the metadata: which blocks committed object versions reference. Every query
 * here is a plain read; the commit lock is taken by commit-lock.ts alone.
 */

/** Rows per query: small enough for short statements, large enough for few round trips. */
const PAGE = 1000;

/**
 * The version counter as last committed, read without the lock. Every object row whose version is
 * at most this value was committed before the read; any row written later gets a greater version.
 */
export async function readVersionWatermark(db: Kysely<Database>): Promise<number> {
  const r = await db.selectFrom('counters').select('value').where('name', '=', 'version').executeTakeFirstOrThrow();
  return Number(r.value);
}

/**
 * The tables whose rows reference blocks: live versions, and kept ones (migration 010). Both
 * have `id`, `version` (the id a version got when committed) and `hashmap`. gc scans `objects`
 * first, then `object_history`: a version moves only that way (archived in the transaction that
 * replaces it), so a row that leaves `objects` after its page was read is in the history before
 * the history scan starts. A kept version coming back (a restore) is a new commit, with a new
 * version id, which the sweep's re-scan sees.
 */
export type VersionTable = 'objects' | 'object_history';
export const VERSION_TABLES: readonly VersionTable[] = ['objects', 'object_history'];

/** How many object rows there are, live and kept (the total of gc's mark progress). */
export async function countObjectVersions(db: Kysely<Database>): Promise<number> {
  let n = 0;
  for (const table of VERSION_TABLES) {
    const r = await db
      .selectFrom(table as 'objects')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    n += Number(r.n);
  }
  return n;
}

/**
 * The packed hashmaps (hashing.ts `packHashmap`) of every committed object version, a page at a
 * time in row-id order. Row ids never change (an overwrite or a move updates its row in place),
 * so a scan that spans several statements still sees every row that exists for its whole duration.
 */
export async function* committedHashmaps(
  db: Kysely<Database>,
  table: VersionTable = 'objects',
): AsyncGenerator<string[]> {
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom(table as 'objects')
      .select(['id', 'hashmap'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    if (rows.length > 0) yield rows.map((r) => r.hashmap);
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1].id;
  }
}

/**
 * The packed hashmaps of the object versions committed after the watermark `newerThan`, by the
 * `objects_version` index, so the cost follows the number of commits since, not the table size.
 */
export async function* hashmapsNewerThan(
  db: Kysely<Database>,
  newerThan: number,
  table: VersionTable = 'objects',
): AsyncGenerator<string[]> {
  let after: { version: number; id: number } | undefined;
  for (;;) {
    let q = db
      .selectFrom(table as 'objects')
      .select(['id', 'version', 'hashmap'])
      .orderBy('version')
      .orderBy('id')
      .limit(PAGE);
    if (after === undefined) {
      q = q.where('version', '>', newerThan);
    } else {
      const { version, id } = after; // past the previous page, in (version, id) order
      q = q.where((eb) =>
        eb.or([eb('version', '>', version), eb.and([eb('version', '=', version), eb('id', '>', id)])]),
      );
    }
    const rows = await q.execute();
    if (rows.length > 0) yield rows.map((r) => r.hashmap);
    if (rows.length < PAGE) return;
    const last = rows[rows.length - 1];
    after = { version: Number(last.version), id: last.id };
  }
}

/** One object row as scrub reports it: where it lives and which blocks it names. */
export interface ObjectBlocksRow {
  readonly id: number;
  readonly uuid: string;
  readonly account: string;
  readonly container: string;
  readonly name: string;
  readonly hashmap: string;
}

/** Every object row with its container's name and packed hashmap, a page at a time in row-id order. */
export async function* objectBlockRows(db: Kysely<Database>): AsyncGenerator<ObjectBlocksRow[]> {
  let after = 0;
  for (;;) {
    const rows = await objectRowsQuery(db).where('o.id', '>', after).orderBy('o.id').limit(PAGE).execute();
    if (rows.length > 0) yield rows;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1].id;
  }
}

/** The row `id` as it is now, or undefined when it is gone (scrub re-reads a row before reporting it). */
export async function objectBlockRow(db: Kysely<Database>, id: number): Promise<ObjectBlocksRow | undefined> {
  return objectRowsQuery(db).where('o.id', '=', id).executeTakeFirst();
}

function objectRowsQuery(db: Kysely<Database>) {
  return db
    .selectFrom('objects as o')
    .innerJoin('containers as c', 'c.id', 'o.container_id')
    .select(['o.id', 'o.uuid', 'o.account', 'c.name as container', 'o.name', 'o.hashmap']);
}

/** The images whose data is one of the objects `uuids` (an image's id is its object's uuid). */
export async function imagesOfObjects(
  db: Kysely<Database>,
  uuids: readonly string[],
): Promise<{ id: string; name: string; owner: string; status: string }[]> {
  const found: { id: string; name: string; owner: string; status: string }[] = [];
  for (let i = 0; i < uuids.length; i += PAGE) {
    const page = uuids.slice(i, i + PAGE);
    found.push(
      ...(await db
        .selectFrom('images')
        .select(['id', 'name', 'owner', 'status'])
        .where('id', 'in', page)
        .orderBy('id')
        .execute()),
    );
  }
  return found;
}
