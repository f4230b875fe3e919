/**
 * Object history in SQL (migration 010): the versions a write or delete replaced in a container
 * whose policy is `versioning: auto`, and the state of a container as of a past time. Rows are
 * copied here by `archive`, inside the transaction that replaces or removes the live row (the
 * domain's one write path, domain/objects/object-service.ts), so a version is either live or
 * history, never lost in between.
 */
import { sql, type SelectQueryBuilder } from 'kysely';
import type { Db, Trx } from './database.ts';
import type { Database, ObjectHistoryRow, ObjectRow } from './schema.ts';

/** Which live rows an archive copies: one row (by id, optionally only while at a path), or a name range. */
export type ArchiveScope =
  | { readonly id: number; readonly containerId?: number; readonly name?: string }
  | { readonly containerId: number; readonly from?: string; readonly below?: string };

const COPIED = [
  'container_id',
  'account',
  'name',
  'uuid',
  'version',
  'version_ts',
  'size',
  'hashmap',
  'object_hash',
  'md5',
  'content_type',
  'content_encoding',
  'content_disposition',
  'meta',
  'modified_by',
  'manifest',
] as const;

/** A history row in the shape of a live object row (no grants, no public token: a past version has neither). */
export const historyAsObjectRow = (h: ObjectHistoryRow): ObjectRow => ({
  id: 0,
  container_id: h.container_id,
  account: h.account,
  name: h.name,
  uuid: h.uuid,
  version: Number(h.version),
  version_ts: Number(h.version_ts),
  size: Number(h.size),
  hashmap: h.hashmap,
  object_hash: h.object_hash,
  md5: h.md5,
  content_type: h.content_type,
  content_encoding: h.content_encoding,
  content_disposition: h.content_disposition,
  meta: h.meta,
  modified_by: h.modified_by,
  manifest: h.manifest,
  public_token: null,
  // A kept version never expires: expiry belongs to the live object.
  delete_at: null,
});

/** Name bounds of an as-of listing page (as ObjectRepository's page). */
export interface AsOfPageQuery {
  readonly limit: number;
  readonly after?: string;
  readonly from?: string;
  readonly below?: string;
  readonly descending?: boolean;
}

export class HistoryRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Copies the live rows in `scope` whose container keeps history (`versioning = 'auto'`) into
   * the history, as superseded at `supersededTs`; `deleted` when a delete or a move away ends
   * them there. One INSERT … SELECT: the policy is read in the same statement as the rows.
   */
  async archive(trx: Trx, scope: ArchiveScope, supersededTs: number, deleted: boolean): Promise<void> {
    let rows = trx
      .selectFrom('objects as o')
      .innerJoin('containers as c', 'c.id', 'o.container_id')
      .select(COPIED.map((col) => `o.${col}` as const))
      .select([
        sql<number>`cast(${supersededTs} as bigint)`.as('superseded_ts'),
        sql<number>`cast(${deleted ? 1 : 0} as integer)`.as('deleted'),
      ])
      .where('c.versioning', '=', 'auto');
    if ('id' in scope) {
      rows = rows.where('o.id', '=', scope.id);
      if (scope.containerId !== undefined) rows = rows.where('o.container_id', '=', scope.containerId);
      if (scope.name !== undefined) rows = rows.where('o.name', '=', scope.name);
    } else {
      rows = rows.where('o.container_id', '=', scope.containerId);
      if (scope.from !== undefined) rows = rows.where('o.name', '>=', scope.from);
      if (scope.below !== undefined) rows = rows.where('o.name', '<', scope.below);
    }
    await trx
      .insertInto('object_history')
      .columns([...COPIED, 'superseded_ts', 'deleted'])
      .expression(rows)
      .execute();
  }

  /**
   * Keeps `removed`, a live row just deleted, as a version deleted at `supersededTs`, when its
   * container keeps history (`versioning = 'auto'`). The caller deleted it first and learned
   * from the delete whether there was anything to keep.
   */
  async archiveRemoved(trx: Trx, removed: ObjectRow, supersededTs: number): Promise<void> {
    const container = await trx
      .selectFrom('containers')
      .select('versioning')
      .where('id', '=', removed.container_id)
      .executeTakeFirst();
    if (container?.versioning !== 'auto') return;
    const kept = Object.fromEntries(COPIED.map((col) => [col, removed[col]])) as Pick<
      ObjectRow,
      (typeof COPIED)[number]
    >;
    await trx
      .insertInto('object_history')
      .values({ ...kept, superseded_ts: supersededTs, deleted: 1 })
      .execute();
  }

  /** The kept versions of a path, oldest first. */
  async versionsOf(containerId: number, name: string, db: Db = this.#db): Promise<ObjectHistoryRow[]> {
    return db
      .selectFrom('object_history')
      .selectAll()
      .where('container_id', '=', containerId)
      .where('name', '=', name)
      .orderBy('version')
      .execute();
  }

  /** The kept version `version` of a path, if any. */
  async find(containerId: number, name: string, version: number, db: Db = this.#db) {
    return db
      .selectFrom('object_history')
      .selectAll()
      .where('container_id', '=', containerId)
      .where('name', '=', name)
      .where('version', '=', version)
      .executeTakeFirst();
  }

  /** The newest kept version of a path (Swift's stack: what a DELETE brings back). */
  async newest(trx: Trx, containerId: number, name: string) {
    return trx
      .selectFrom('object_history')
      .selectAll()
      .where('container_id', '=', containerId)
      .where('name', '=', name)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  async deleteById(trx: Trx, id: number): Promise<void> {
    await trx.deleteFrom('object_history').where('id', '=', id).execute();
  }

  /** Drops the kept versions made at or before `until` (µs) of a container, or of one path in it; returns how many. */
  async purge(trx: Trx, containerId: number, until: number, name?: string): Promise<number> {
    let q = trx.deleteFrom('object_history').where('container_id', '=', containerId).where('version_ts', '<=', until);
    if (name !== undefined) q = q.where('name', '=', name);
    return Number((await q.executeTakeFirst()).numDeletedRows);
  }

  /** The version of a path that was live at `at` (µs): the live row if it is that old, else a kept one. */
  async asOf(containerId: number, name: string, at: number, db: Db = this.#db): Promise<ObjectRow | undefined> {
    const rows = await this.#asOfRows(containerId, at, db)
      .where('name', '=', name)
      .orderBy('version_ts', 'desc')
      .limit(1)
      .execute();
    return rows[0];
  }

  /** A page of the container as it was at `at` (µs), in name order. */
  async pageAsOf(containerId: number, at: number, q: AsOfPageQuery): Promise<ObjectRow[]> {
    let s = this.#asOfRows(containerId, at, this.#db)
      .orderBy('name', q.descending ? 'desc' : 'asc')
      .limit(q.limit);
    if (q.after !== undefined) s = s.where('name', '>', q.after);
    if (q.from !== undefined) s = s.where('name', '>=', q.from);
    if (q.below !== undefined) s = s.where('name', '<', q.below);
    return s.execute();
  }

  /** Count, bytes and latest version time of containers as they were at `at` (µs). */
  async totalsAsOf(
    containerIds: readonly number[],
    at: number,
  ): Promise<Map<number, { count: number; bytes: number; latest: number }>> {
    const out = new Map<number, { count: number; bytes: number; latest: number }>();
    if (containerIds.length === 0) return out;
    const rows = await this.#db
      .selectFrom(this.#asOfUnion(at, containerIds).as('s'))
      .select((eb) => [
        's.container_id',
        eb.fn.countAll<number>().as('count'),
        eb.fn.sum<number>('s.size').as('bytes'),
        eb.fn.max<number>('s.version_ts').as('latest'),
      ])
      .groupBy('s.container_id')
      .execute();
    for (const r of rows)
      out.set(r.container_id, { count: Number(r.count), bytes: Number(r.bytes ?? 0), latest: Number(r.latest ?? 0) });
    return out;
  }

  /** Rows live at `at` in a container, as a subquery with the objects table's columns, so it pages like it. */
  #asOfRows(containerId: number, at: number, db: Db) {
    return db.selectFrom(this.#asOfUnion(at, [containerId], db).as('s')).selectAll();
  }

  #asOfUnion(at: number, containerIds: readonly number[], db: Db = this.#db) {
    const live: SelectQueryBuilder<Database, 'objects', ObjectRow> = db
      .selectFrom('objects')
      .select(['id', ...COPIED, sql<string | null>`cast(null as text)`.as('public_token')])
      .where('container_id', 'in', containerIds)
      .where('version_ts', '<=', at) as never;
    const kept = db
      .selectFrom('object_history')
      .select([
        sql<number>`cast(0 as integer)`.as('id'),
        ...COPIED,
        sql<string | null>`cast(null as text)`.as('public_token'),
      ])
      .where('container_id', 'in', containerIds)
      .where('version_ts', '<=', at)
      .where('superseded_ts', '>', at);
    return live.unionAll(kept as never);
  }
}
