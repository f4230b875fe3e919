/**
 * The objects aggregate in SQL: a live object's row (its current version) by path, uuid or public
 * token, the version writes of a commit, deletes, and the pages of a container listing. The write
 * path's rules (commit lock first, quota, publishing, move hooks) are the domain's
 * (domain/objects/object-service.ts); whatever must run in the commit transaction takes a `Trx`.
 *
 * Two things live here because they must hold for every write, whoever makes it:
 * - Each write of a live row (insert, overwrite, move, delete) adjusts its container's counters
 *   (`object_count`, `bytes_used`, `objects_latest`) in the same transaction, so they stay exact
 *   and a container HEAD reads one row (migration 011).
 * - Reads by path or public token and listings leave out expired rows (`delete_at` past, compared
 *   in SQL with the time of the query), so an object vanishes the moment it expires; the row stays
 *   (and is counted) until the reaper removes it through the one delete path.
 */
import { randomUUID } from 'node:crypto';
import { type ExpressionBuilder, sql } from 'kysely';
import { compiledOnce } from './compiled-once.ts';
import type { Db, Trx } from './database.ts';
import { granteeNamesUser } from './access-repository.ts';
import type { Database } from './schema.ts';
import type { ObjectRow } from './schema.ts';

/** An object row plus the name of its container. */
export type LocatedObjectRow = ObjectRow & { readonly container_name: string };

/** The columns a version sets (content and attributes), whether it inserts or overwrites a row. */
export interface VersionValues {
  readonly containerId: number;
  readonly account: string;
  readonly name: string;
  readonly version: number;
  readonly versionTs: number;
  readonly size: number;
  /** hashing.ts `packHashmap` of the block hashes. */
  readonly hashmap: string;
  readonly objectHash: string;
  readonly md5: string | null;
  readonly contentType: string;
  readonly contentEncoding: string | null;
  readonly contentDisposition: string | null;
  readonly meta: Readonly<Record<string, string>>;
  readonly modifiedBy: string;
  readonly publicToken: string | null;
  /** The manifest JSON of a large object (manifests.ts); null or absent for a plain object. */
  readonly manifest?: string | null;
  /** Expiry time (microseconds), null: never. */
  readonly deleteAt?: number | null;
}

/** What a meta change (object POST) sets on the current row as a new version. */
export interface MetaVersionValues {
  readonly meta: Readonly<Record<string, string>>;
  readonly contentEncoding: string | null;
  readonly contentDisposition: string | null;
  readonly version: number;
  readonly versionTs: number;
  readonly modifiedBy: string;
  /** A new manifest (JSON, or null: a plain object again); undefined keeps it. */
  readonly manifest?: string | null;
  /** New expiry time (microseconds) or null to remove it; undefined keeps it. */
  readonly deleteAt?: number | null;
}

/** One page of a container listing, in name order. */
export interface ObjectPageQuery {
  readonly limit: number;
  /** Names greater than this. */
  readonly after?: string;
  /** Names at least this. */
  readonly from?: string;
  /** Names less than this. */
  readonly below?: string;
  /** Highest name first (Swift's `reverse`). */
  readonly descending?: boolean;
  /** Only objects granted to this user (or to `*`). */
  readonly viewer?: string;
  /** Only objects with grants. */
  readonly shared?: boolean;
  /** Only published objects. */
  readonly published?: boolean;
}

const versionColumns = (v: VersionValues) => ({
  container_id: v.containerId,
  account: v.account,
  name: v.name,
  version: v.version,
  version_ts: v.versionTs,
  size: v.size,
  hashmap: v.hashmap,
  object_hash: v.objectHash,
  md5: v.md5,
  content_type: v.contentType,
  content_encoding: v.contentEncoding,
  content_disposition: v.contentDisposition,
  meta: JSON.stringify(v.meta),
  modified_by: v.modifiedBy,
  public_token: v.publicToken,
  manifest: v.manifest ?? null,
  delete_at: v.deleteAt ?? null,
});

/** The row has not expired at `now` (microseconds). */
const notExpired = (now: number) => (eb: ExpressionBuilder<Database, 'objects'>) =>
  eb.or([eb('delete_at', 'is', null), eb('delete_at', '>', now)]);
const notExpiredO = (now: number) => (eb: ExpressionBuilder<Database & { o: Database['objects'] }, 'o'>) =>
  eb.or([eb('o.delete_at', 'is', null), eb('o.delete_at', '>', now)]);

/** The greater of a container's `objects_latest` and `ts`, in SQL both engines speak. */
const latestOf = (ts: number) =>
  sql<number>`case when objects_latest < cast(${ts} as bigint) then cast(${ts} as bigint) else objects_latest end`;

const nowMicros = () => Date.now() * 1000;

export class ObjectRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  // ---- reads ---------------------------------------------------------------------------------

  async findByPath(
    account: string,
    container: string,
    name: string,
    db: Db = this.#db,
  ): Promise<LocatedObjectRow | undefined> {
    const [row] = await this.#findByPath(db, account, container, name, nowMicros());
    return row;
  }

  /**
   * Compiled once: every object `HEAD`/`GET` runs it (compiled-once.ts). `now` is a slot like the
   * others (a string placeholder while compiling, the number at run time).
   */
  readonly #findByPath = compiledOnce((account, container, name, now) =>
    this.#db
      .selectFrom('objects as o')
      .innerJoin('containers as c', 'c.id', 'o.container_id')
      .selectAll('o')
      .select('c.name as container_name')
      .where('c.account', '=', account)
      .where('c.name', '=', container)
      .where('o.name', '=', name)
      .where(notExpiredO(now as unknown as number)),
  );

  async findByUuid(uuid: string, db: Db = this.#db): Promise<LocatedObjectRow | undefined> {
    return db
      .selectFrom('objects as o')
      .innerJoin('containers as c', 'c.id', 'o.container_id')
      .selectAll('o')
      .select('c.name as container_name')
      .where('o.uuid', '=', uuid)
      .executeTakeFirst();
  }

  async findByPublicToken(token: string, db: Db = this.#db): Promise<LocatedObjectRow | undefined> {
    return db
      .selectFrom('objects as o')
      .innerJoin('containers as c', 'c.id', 'o.container_id')
      .selectAll('o')
      .select('c.name as container_name')
      .where('o.public_token', '=', token)
      .where(notExpiredO(nowMicros()))
      .executeTakeFirst();
  }

  /** The row at `container/name` (what a write replaces), if any. */
  async slot(
    trx: Trx,
    containerId: number,
    name: string,
  ): Promise<{ id: number; size: number; publicToken: string | null; expired: boolean } | undefined> {
    const r = await trx
      .selectFrom('objects')
      .select(['id', 'size', 'public_token', 'delete_at'])
      .where('container_id', '=', containerId)
      .where('name', '=', name)
      .executeTakeFirst();
    return (
      r && {
        id: r.id,
        size: Number(r.size),
        publicToken: r.public_token,
        expired: r.delete_at !== null && Number(r.delete_at) <= nowMicros(),
      }
    );
  }

  /** A container's counters (exact: kept by this repository's writes). */
  async containerUsage(containerId: number, db: Db = this.#db): Promise<{ count: number; bytes: number }> {
    const r = await db
      .selectFrom('containers')
      .select(['object_count', 'bytes_used'])
      .where('id', '=', containerId)
      .executeTakeFirst();
    return { count: Number(r?.object_count ?? 0), bytes: Number(r?.bytes_used ?? 0) };
  }

  /** Bytes held by an account's objects: the sum of its containers' counters. */
  async accountBytes(account: string, db: Db = this.#db): Promise<number> {
    const r = await db
      .selectFrom('containers')
      .select((eb) => eb.fn.sum<number>('bytes_used').as('bytes'))
      .where('account', '=', account)
      .executeTakeFirstOrThrow();
    return Number(r.bytes ?? 0);
  }

  /** Up to `limit` rows expired at `now` (microseconds), oldest expiry first, with their container names. */
  async expired(now: number, limit: number, db: Db = this.#db): Promise<LocatedObjectRow[]> {
    return db
      .selectFrom('objects as o')
      .innerJoin('containers as c', 'c.id', 'o.container_id')
      .selectAll('o')
      .select('c.name as container_name')
      .where('o.delete_at', '<=', now)
      .orderBy('o.delete_at')
      .limit(limit)
      .execute();
  }

  /** A page of a container's objects (see ObjectPageQuery). */
  async page(containerId: number, q: ObjectPageQuery): Promise<ObjectRow[]> {
    let s = this.#db
      .selectFrom('objects')
      .selectAll()
      .where('container_id', '=', containerId)
      .where(notExpired(nowMicros()))
      .orderBy('name', q.descending ? 'desc' : 'asc')
      .limit(q.limit);
    if (q.after !== undefined) s = s.where('name', '>', q.after);
    if (q.from !== undefined) s = s.where('name', '>=', q.from);
    if (q.below !== undefined) s = s.where('name', '<', q.below);
    const viewer = q.viewer;
    if (viewer !== undefined) {
      s = s.where((eb) =>
        eb.exists(
          eb
            .selectFrom('grants as g')
            .select('g.object_id')
            .whereRef('g.object_id', '=', 'objects.id')
            .where(granteeNamesUser('g.grantee', viewer)),
        ),
      );
    }
    if (q.shared)
      s = s.where((eb) =>
        eb.exists(eb.selectFrom('grants as sg').select('sg.object_id').whereRef('sg.object_id', '=', 'objects.id')),
      );
    if (q.published) s = s.where('public_token', 'is not', null);
    return s.execute();
  }

  // ---- writes (inside a commit transaction) ---------------------------------------------------

  /** Inserts a new object with its first version; returns its row id. */
  async insertVersion(trx: Trx, v: VersionValues, uuid: string = randomUUID()): Promise<number> {
    const id = (
      await trx
        .insertInto('objects')
        .values({ ...versionColumns(v), uuid })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    await this.#count(trx, v.containerId, 1, v.size, v.versionTs);
    return id;
  }

  /** Overwrites row `id` with a new version (it may also change place: a move); uuid and grants stay. */
  async overwriteVersion(trx: Trx, id: number, v: VersionValues): Promise<void> {
    const old = await trx
      .selectFrom('objects')
      .select(['container_id', 'size'])
      .where('id', '=', id)
      .executeTakeFirst();
    const res = await trx.updateTable('objects').set(versionColumns(v)).where('id', '=', id).executeTakeFirst();
    if (!old || Number(res.numUpdatedRows) === 0) return;
    if (old.container_id === v.containerId) {
      await this.#count(trx, v.containerId, 0, v.size - Number(old.size), v.versionTs);
    } else {
      await this.#count(trx, old.container_id, -1, -Number(old.size));
      await this.#count(trx, v.containerId, 1, v.size, v.versionTs);
    }
  }

  /** A new version with the same content: meta, encoding and disposition change. */
  async setMetaVersion(trx: Trx, id: number, v: MetaVersionValues): Promise<void> {
    await trx
      .updateTable('objects')
      .set({
        meta: JSON.stringify(v.meta),
        content_encoding: v.contentEncoding,
        content_disposition: v.contentDisposition,
        version: v.version,
        version_ts: v.versionTs,
        modified_by: v.modifiedBy,
        ...(v.manifest === undefined ? {} : { manifest: v.manifest }),
        ...(v.deleteAt !== undefined ? { delete_at: v.deleteAt } : {}),
      })
      .where('id', '=', id)
      .execute();
    await trx
      .updateTable('containers')
      .set({ objects_latest: latestOf(v.versionTs) })
      .where('id', '=', trx.selectFrom('objects').select('container_id').where('id', '=', id))
      .execute();
  }

  async setPublicToken(trx: Trx, id: number, token: string | null): Promise<void> {
    await trx.updateTable('objects').set({ public_token: token }).where('id', '=', id).execute();
  }

  /** Takes the object's row lock (a no-op UPDATE) for the rest of the transaction. */
  async lockRow(trx: Trx, uuid: string): Promise<void> {
    await trx
      .updateTable('objects')
      .set((eb) => ({ version: eb.ref('version') }))
      .where('uuid', '=', uuid)
      .execute();
  }

  async deleteById(trx: Trx, id: number): Promise<void> {
    const gone = await trx.deleteFrom('objects').where('id', '=', id).returning(['container_id', 'size']).execute();
    for (const g of gone) await this.#count(trx, g.container_id, -1, -Number(g.size));
  }

  /**
   * Deletes row `id` only while it is still at `containerId/name` (and, with `expiredAt`, only
   * while it has expired by then: the reaper's guard against a row given a new expiry meanwhile).
   * The row as it was, for the history; undefined when nothing was deleted.
   */
  async deleteAt(
    trx: Trx,
    id: number,
    containerId: number,
    name: string,
    expiredAt?: number,
  ): Promise<ObjectRow | undefined> {
    let q = trx
      .deleteFrom('objects')
      .where('id', '=', id)
      .where('container_id', '=', containerId)
      .where('name', '=', name);
    if (expiredAt !== undefined) q = q.where('delete_at', '<=', expiredAt);
    const gone = await q.returningAll().executeTakeFirst();
    if (gone) await this.#count(trx, containerId, -1, -Number(gone.size));
    return gone;
  }

  /** Deletes the container's objects with names in `[from, below)` (either bound optional); returns how many. */
  async deleteRange(trx: Trx, containerId: number, range: { from?: string; below?: string }): Promise<number> {
    let totals = trx
      .selectFrom('objects')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size').as('bytes')])
      .where('container_id', '=', containerId);
    let q = trx.deleteFrom('objects').where('container_id', '=', containerId);
    if (range.from !== undefined) {
      q = q.where('name', '>=', range.from);
      totals = totals.where('name', '>=', range.from);
    }
    if (range.below !== undefined) {
      q = q.where('name', '<', range.below);
      totals = totals.where('name', '<', range.below);
    }
    // Under the commit lock (the caller's): nothing changes the range between the sum and the delete.
    const t = await totals.executeTakeFirstOrThrow();
    const deleted = Number((await q.executeTakeFirst()).numDeletedRows);
    if (deleted) await this.#count(trx, containerId, -deleted, -Number(t.bytes ?? 0));
    return deleted;
  }

  /** Adjusts a container's counters by a write of its rows (and moves its latest version time forward). */
  async #count(trx: Trx, containerId: number, objects: number, bytes: number, versionTs?: number): Promise<void> {
    await trx
      .updateTable('containers')
      .set((eb) => ({
        object_count: eb('object_count', '+', objects),
        bytes_used: eb('bytes_used', '+', bytes),
        ...(versionTs !== undefined ? { objects_latest: latestOf(versionTs) } : {}),
      }))
      .where('id', '=', containerId)
      .execute();
  }
}
