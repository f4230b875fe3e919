/**
 * The objects aggregate in SQL: a live object's row (its current version) by path, uuid or public
 * token, the version writes of a commit, deletes, and the pages of a container listing. The write
 * path's rules (commit lock first, quota, publishing, move hooks) are the domain's
 * (domain/objects/object-service.ts); whatever must run in the commit transaction takes a `Trx`.
 */
import { randomUUID } from 'node:crypto';
import type { Db, Trx } from './database.ts';
import { granteeNamesUser } from './access-repository.ts';
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
});

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
    return db
      .selectFrom('objects as o')
      .innerJoin('containers as c', 'c.id', 'o.container_id')
      .selectAll('o')
      .select('c.name as container_name')
      .where('c.account', '=', account)
      .where('c.name', '=', container)
      .where('o.name', '=', name)
      .executeTakeFirst();
  }

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
      .executeTakeFirst();
  }

  /** The row at `container/name` (what a write replaces), if any. */
  async slot(
    trx: Trx,
    containerId: number,
    name: string,
  ): Promise<{ id: number; size: number; publicToken: string | null } | undefined> {
    const r = await trx
      .selectFrom('objects')
      .select(['id', 'size', 'public_token'])
      .where('container_id', '=', containerId)
      .where('name', '=', name)
      .executeTakeFirst();
    return r && { id: r.id, size: r.size, publicToken: r.public_token };
  }

  /** Bytes held by the container's objects. */
  async containerBytes(trx: Trx, containerId: number): Promise<number> {
    const r = await trx
      .selectFrom('objects')
      .select((eb) => eb.fn.sum<number>('size').as('bytes'))
      .where('container_id', '=', containerId)
      .executeTakeFirstOrThrow();
    return Number(r.bytes ?? 0);
  }

  /** A page of a container's objects (see ObjectPageQuery). */
  async page(containerId: number, q: ObjectPageQuery): Promise<ObjectRow[]> {
    let s = this.#db
      .selectFrom('objects')
      .selectAll()
      .where('container_id', '=', containerId)
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
    return (
      await trx
        .insertInto('objects')
        .values({ ...versionColumns(v), uuid })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  }

  /** Overwrites row `id` with a new version (it may also change place: a move); uuid and grants stay. */
  async overwriteVersion(trx: Trx, id: number, v: VersionValues): Promise<void> {
    await trx.updateTable('objects').set(versionColumns(v)).where('id', '=', id).execute();
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
      })
      .where('id', '=', id)
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
    await trx.deleteFrom('objects').where('id', '=', id).execute();
  }

  /** Deletes row `id` only while it is still at `containerId/name`; false when it was not. */
  async deleteAt(trx: Trx, id: number, containerId: number, name: string): Promise<boolean> {
    const res = await trx
      .deleteFrom('objects')
      .where('id', '=', id)
      .where('container_id', '=', containerId)
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** Deletes the container's objects with names in `[from, below)` (either bound optional); returns how many. */
  async deleteRange(trx: Trx, containerId: number, range: { from?: string; below?: string }): Promise<number> {
    let q = trx.deleteFrom('objects').where('container_id', '=', containerId);
    if (range.from !== undefined) q = q.where('name', '>=', range.from);
    if (range.below !== undefined) q = q.where('name', '<', range.below);
    return Number((await q.executeTakeFirst()).numDeletedRows);
  }
}
