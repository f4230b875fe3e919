/**
 * The images aggregate in SQL: records, properties and status compare-and-sets (the status
 * machine that names them is domain/images/image-status.ts), and the reads — one image by id, the
 * lists of image-api.md §5.2 and §5.12. Every read is one SQL statement joining images, objects
 * and containers; grants and properties come in correlated sub-selects on their primary keys, so
 * a page of N images costs one query, not N + 1, and `HEAD` is one indexed lookup.
 */
import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Insertable,
  type Selectable,
  type Updateable,
  type RawBuilder,
  type SqlBool,
  type Transaction,
} from 'kysely';
import type {
  ImageCatalogQuery,
  ImageListQuery,
  MatchFilter,
  SortKey,
  TimeFilter,
} from '../../domain/images/image-list-query.ts';
import {
  isImageStatus,
  type ImageFacts,
  type ImageListFacts,
  type ImageOrigin,
  type ImageStatus,
} from '../../domain/images/image-model.ts';
import { compiledOnce, compiledPerForm } from './compiled-once.ts';
import type { Db } from './database.ts';
import type { Dialect } from './migrations/migration-kit.ts';
import type { ContainerRow, Database, ImagesTable, ObjectRow } from './schema.ts';

/** An image's facts plus what permission checks need of its object. */
export interface ImageEntry extends ImageFacts {
  readonly objectId: number;
  readonly account: string;
  readonly readGrants: readonly string[];
  readonly writeGrants: readonly string[];
  readonly publicToken: string | null;
}

type Eb = ExpressionBuilder<
  Database & { i: Database['images']; o: Database['objects']; c: Database['containers'] },
  'i' | 'o' | 'c'
>;

export class ImageRepository {
  readonly #db: Db;
  readonly #dialect: Dialect;

  constructor(db: Db, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  /** The status of an image, or undefined when the object is no image. */
  async statusOf(id: string, db: Db = this.#db): Promise<string | undefined> {
    return (await db.selectFrom('images').select('status').where('id', '=', id).executeTakeFirst())?.status;
  }

  /** Records the image's new owner (its object moved to another account). */
  async setOwner(id: string, owner: string, db: Db = this.#db): Promise<void> {
    await db.updateTable('images').set({ owner }).where('id', '=', id).execute();
  }

  /** One image by canonical id, or undefined (no record, or the id is not an image). */
  async find(id: string, db: Db = this.#db): Promise<ImageEntry | undefined> {
    const [row] = await this.#findById(db, id);
    return row && toEntry(row);
  }

  /** Compiled once: every `HEAD` and image read runs it (compiled-once.ts). */
  readonly #findById = compiledOnce((id) => this.#select(this.#db).where('i.id', '=', id));

  /**
   * The list of §5.2: the caller's listed set (or every image for an admin asking
   * `is_public=none`), filtered, ordered by (sort key, id), after the marker, at most `limit`.
   * Throws nothing: an unknown marker is reported by the service (`markerPosition`).
   *
   * The hottest read of the image APIs (a page of 100 under load, issue 14), so it selects only
   * what a v1 list shows (`ImageListFacts`: no grants lists, tags, v2 fields), `is_public` as one
   * indexed `exists`, and runs a statement compiled once per form of the query (compiled-once.ts)
   * instead of building and compiling it on every call.
   */
  async list(
    viewer: { uuid: string; all: boolean },
    q: ImageListQuery,
    after?: { value: unknown; id: string },
  ): Promise<ImageListFacts[]> {
    const args: Record<string, unknown> = {
      viewer: viewer.all ? undefined : viewer.uuid,
      sizeMin: q.sizeMin,
      sizeMax: q.sizeMax,
      minRam: q.minRam,
      minDisk: q.minDisk,
      protected: q.protected === undefined ? undefined : q.protected ? 1 : 0,
      changesSince: q.changesSince,
      name: q.name,
      diskFormat: q.diskFormat,
      containerFormat: q.containerFormat,
      status: q.status,
      afterValue: after?.value,
      afterId: after?.id,
      limit: q.limit,
    };
    const properties = Object.entries(q.properties);
    properties.forEach(([key, value], n) => {
      args[`propertyKey${n}`] = key;
      args[`propertyValue${n}`] = value;
    });
    const structure = {
      isPublic: q.isPublic,
      properties: properties.length,
      sortKey: q.sortKey,
      sortDir: q.sortDir,
      after: after !== undefined,
    };
    return (await this.#listPage(this.#db, structure, args)).map(toListFacts);
  }

  readonly #listPage = compiledPerForm((f: ListForm, $: Readonly<Record<string, string>>) => {
    let query = this.#listSelect(this.#db);
    if ($.viewer !== undefined) query = query.where((eb) => this.#listedFor(eb, $.viewer));
    if (f.isPublic !== undefined)
      query = query.where((eb) => (f.isPublic ? this.#isPublic(eb) : eb.not(this.#isPublic(eb))));
    if ($.sizeMin !== undefined) query = query.where('o.size', '>=', $.sizeMin as unknown as number);
    if ($.sizeMax !== undefined) query = query.where('o.size', '<=', $.sizeMax as unknown as number);
    if ($.minRam !== undefined) query = query.where('i.min_ram', '=', $.minRam as unknown as number);
    if ($.minDisk !== undefined) query = query.where('i.min_disk', '=', $.minDisk as unknown as number);
    if ($.protected !== undefined) query = query.where('i.protected', '=', $.protected as unknown as number);
    if ($.changesSince !== undefined) query = query.where(updatedAt, '>', $.changesSince as unknown as number);
    if ($.name !== undefined) query = query.where('i.name', '=', $.name);
    if ($.diskFormat !== undefined) query = query.where('i.disk_format', '=', $.diskFormat);
    if ($.containerFormat !== undefined) query = query.where('i.container_format', '=', $.containerFormat);
    if ($.status !== undefined) query = query.where('i.status', '=', $.status);
    for (let n = 0; n < f.properties; n++) {
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('image_properties as p')
            .select('p.image_id')
            .whereRef('p.image_id', '=', 'i.id')
            .where('p.key', '=', $[`propertyKey${n}`])
            .where('p.value', '=', $[`propertyValue${n}`]),
        ),
      );
    }
    const key = this.#sortExpression(f.sortKey);
    const id = this.#text(sql.ref('i.id'));
    if (f.after) {
      const cmp = f.sortDir === 'asc' ? '>' : '<';
      const value = isText(f.sortKey) ? this.#text(sql`${$.afterValue}`) : sql`${$.afterValue}`;
      const markerId = this.#text(sql`${$.afterId}`);
      // A row-value comparison, not `key < v or (key = v and id < m)`: both databases seek the
      // (key, id) index to the marker's position with it, where the `or` form scans every row
      // before the marker, so a page deep in a large catalogue cost as much as the catalogue.
      query = query.where(sql<SqlBool>`(${key}, ${id}) ${sql.raw(cmp)} (${value}, ${markerId})`);
    }
    query = query.orderBy(key, f.sortDir).orderBy(id, f.sortDir);
    if ($.limit !== undefined) query = query.limit($.limit as unknown as number);
    return query;
  });

  /**
   * The Image API v2 list (openstack.md §4.3, §5.3, §5.4): for a non-admin, his own images,
   * public and community ones, and those shared with him whose member status matches (a grant
   * without a status row is accepted); then the visibility, hidden flag and filters; ordered by
   * the sort keys, after the marker's position (`after`: its sort values), at most `limit`.
   */
  async catalog(
    viewer: { uuid: string; all: boolean },
    q: ImageCatalogQuery,
    after?: Record<string, unknown>,
  ): Promise<ImageEntry[]> {
    let query = this.#select(this.#db).where('i.status', '!=', 'error');
    if (!viewer.all) query = query.where((eb) => this.#catalogBase(eb, viewer.uuid, q.memberStatus));
    query = query.where((eb) => this.#visibilityIs(eb, q.visibility, viewer.uuid));
    query = query.where('i.os_hidden', '=', q.osHidden ? 1 : 0);
    if (q.protected !== undefined) query = query.where('i.protected', '=', q.protected ? 1 : 0);
    const matches: [MatchFilter | undefined, RawBuilder<unknown>, ((v: string) => string)?][] = [
      [q.id, sql`i.id`, (v) => v.toLowerCase()],
      [q.name, sql`i.name`],
      [q.status, sql`i.status`, storedStatus],
      [q.containerFormat, sql`i.container_format`],
      [q.diskFormat, sql`i.disk_format`],
    ];
    for (const [f, col, map = (v: string) => v] of matches) {
      if (!f) continue;
      const values = f.op === 'eq' ? [f.value] : f.values;
      query = query.where(sql<SqlBool>`${col} in (${sql.join(values.map((v) => sql`${map(v)}`))})`);
    }
    if (q.nameContains !== undefined) query = query.where(this.#nameContains(q.nameContains));
    const times: [TimeFilter | undefined, RawBuilder<unknown>][] = [
      [q.createdAt, sql`i.created_at`],
      [q.updatedAt, updatedAt],
    ];
    for (const [t, col] of times) if (t) query = query.where(sql<SqlBool>`${col} ${sql.raw(TIME_OPS[t.op])} ${t.at}`);
    if (q.sizeMin !== undefined) query = query.where('o.size', '>=', q.sizeMin);
    if (q.sizeMax !== undefined) query = query.where('o.size', '<=', q.sizeMax);
    for (const tag of q.tags) {
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('image_tags as t')
            .select('t.image_id')
            .whereRef('t.image_id', '=', 'i.id')
            .where('t.tag', '=', tag),
        ),
      );
    }
    if (q.owner !== undefined) query = query.where('i.owner', '=', q.owner);
    if (q.checksum !== undefined)
      query = query.where('o.md5', '=', q.checksum).where('i.status', 'in', ['available', 'deactivated']);
    if (q.osHashValue !== undefined) query = query.where('i.os_hash_value', '=', q.osHashValue);
    for (const [key, value] of Object.entries(q.properties)) {
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('image_properties as p')
            .select('p.image_id')
            .whereRef('p.image_id', '=', 'i.id')
            .where('p.key', '=', key)
            .where('p.value', '=', value),
        ),
      );
    }
    const oneDirection = q.sort.every((s) => s.dir === q.sort[0].dir);
    if (after && oneDirection) {
      // All keys one way (the default created_at, id): a row-value comparison, which both
      // databases answer by seeking the index to the marker (see list()).
      const keys = sql.join(q.sort.map((s) => this.#sortExpression(s.key)));
      const values = sql.join(q.sort.map((s) => this.#sortValueOf(s.key, after[s.key])));
      query = query.where(sql<SqlBool>`(${keys}) ${sql.raw(q.sort[0].dir === 'asc' ? '>' : '<')} (${values})`);
    } else if (after) {
      // Keyset paging over several keys: (k0 > v0) or (k0 = v0 and k1 > v1) or …, each in its direction.
      const terms = q.sort.map((s, n) => {
        const equalBefore = q.sort
          .slice(0, n)
          .map((p) => sql`${this.#sortExpression(p.key)} = ${this.#sortValueOf(p.key, after[p.key])}`);
        const cmp = sql`${this.#sortExpression(s.key)} ${sql.raw(s.dir === 'asc' ? '>' : '<')} ${this.#sortValueOf(s.key, after[s.key])}`;
        return sql`(${sql.join([...equalBefore, cmp], sql` and `)})`;
      });
      query = query.where(sql<SqlBool>`(${sql.join(terms, sql` or `)})`);
    }
    for (const s of q.sort) query = query.orderBy(this.#sortExpression(s.key), s.dir);
    return (await query.limit(q.limit).execute()).map(toEntry);
  }

  /** The marker's sort values, or undefined when the viewer cannot see it (filters not applied). */
  async catalogMarker(
    viewer: { uuid: string; all: boolean },
    markerId: string,
    q: ImageCatalogQuery,
  ): Promise<Record<string, unknown> | undefined> {
    let query = this.#db
      .selectFrom('images as i')
      .innerJoin('objects as o', 'o.uuid', 'i.id')
      .select(q.sort.map((s, n) => sortValue[s.key].as(`v${n}`)))
      .where('i.id', '=', markerId.toLowerCase());
    if (!viewer.all) query = query.where((eb) => this.#listedFor(eb as unknown as Eb, viewer.uuid));
    const row = (await query.executeTakeFirst()) as Record<string, unknown> | undefined;
    return row && Object.fromEntries(q.sort.map((s, n) => [s.key, row[`v${n}`]]));
  }

  #sortValueOf(key: SortKey, value: unknown): RawBuilder<unknown> {
    return isText(key) ? this.#text(sql`${value}`) : sql`${value}`;
  }

  #catalogBase(eb: Eb, uuid: string, memberStatus: ImageCatalogQuery['memberStatus']): Expression<SqlBool> {
    const memberGrant = eb.exists(
      eb
        .selectFrom('grants as mg')
        .select('mg.object_id')
        .whereRef('mg.object_id', '=', 'o.id')
        .where('mg.kind', '=', 'read')
        .where('mg.grantee', '=', uuid),
    );
    const statusMatches =
      memberStatus === 'all'
        ? sql<SqlBool>`1 = 1`
        : sql<SqlBool>`coalesce((select ms.status from image_member_status ms where ms.image_id = i.id and ms.member = ${uuid}), 'accepted') = ${memberStatus}`;
    return eb.or([eb('i.owner', '=', uuid), this.#isPublic(eb), eb.and([memberGrant, statusMatches])]);
  }

  /** §5.3's table as SQL; no visibility asked: community images only when the viewer owns them. */
  #visibilityIs(eb: Eb, v: ImageCatalogQuery['visibility'], uuid: string): Expression<SqlBool> {
    const star = this.#isPublic(eb);
    const members = eb.exists(
      eb
        .selectFrom('grants as vg')
        .select('vg.object_id')
        .whereRef('vg.object_id', '=', 'o.id')
        .where('vg.kind', '=', 'read')
        .where('vg.grantee', '!=', '*')
        .whereRef('vg.grantee', '!=', 'i.owner'),
    );
    switch (v) {
      case 'all':
        return sql<SqlBool>`1 = 1`;
      case 'public':
        return eb.and([star, eb('i.community', '=', 0)]);
      case 'community':
        return eb.and([star, eb('i.community', '=', 1)]);
      case 'shared':
        return eb.and([eb.not(star), eb.or([members, eb('i.shared', '=', 1)])]);
      case 'private':
        return eb.and([eb.not(star), eb.not(members), eb('i.shared', '=', 0)]);
      case undefined:
        return eb.or([eb('i.community', '=', 0), eb.not(star), eb('i.owner', '=', uuid)]);
    }
  }

  /**
   * Where the marker image stands in the order of `sortKey`: its sort value, or undefined when it
   * is not in the viewer's base set (filters are not applied to the marker).
   */
  async markerPosition(
    viewer: { uuid: string; all: boolean },
    markerId: string,
    sortKey: SortKey,
  ): Promise<{ value: unknown; id: string } | undefined> {
    let query = this.#db
      .selectFrom('images as i')
      .innerJoin('objects as o', 'o.uuid', 'i.id')
      .select(sortValue[sortKey].as('v'))
      .where('i.id', '=', markerId);
    if (!viewer.all) query = query.where((eb) => this.#listedFor(eb as unknown as Eb, viewer.uuid));
    const row = await query.executeTakeFirst();
    return row && { value: row.v, id: markerId };
  }

  /**
   * §5.12: ids of the viewer's listed images whose members include `member` and that `member`
   * does not own (a new image lists its owner as member, but nothing is shared with him), newest first.
   */
  async sharedWith(viewer: string, member: string): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('images as i')
      .innerJoin('objects as o', 'o.uuid', 'i.id')
      .select('i.id')
      .where((eb) => this.#listedFor(eb as unknown as Eb, viewer))
      .where('o.account', '!=', member)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('grants as g')
            .select('g.object_id')
            .whereRef('g.object_id', '=', 'o.id')
            .where('g.kind', '=', 'read')
            .where('g.grantee', '=', member),
        ),
      )
      .orderBy('i.created_at', 'desc')
      .orderBy(this.#text(sql.ref('i.id')), 'desc')
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Locks the object row of an image until the transaction ends, so that read-modify-writes of
   * its record and grants (registration, members, `is_public`) do not interleave. PostgreSQL needs
   * the row lock; SQLite runs one write transaction at a time anyway. Object first, record second,
   * the same order as an upload's commit, so the two cannot deadlock. False when there is no object.
   */
  async lockObject(trx: Transaction<Database>, uuid: string): Promise<boolean> {
    let q = trx.selectFrom('objects').select('id').where('uuid', '=', uuid);
    if (this.#dialect === 'postgres') q = q.forUpdate();
    return (await q.executeTakeFirst()) !== undefined;
  }

  /**
   * Listed (§4.6): owner, or named (or `*`) in the object's read or write grants. The owner is
   * `images.owner` (indexed with `created_at`), which the move hook keeps equal to the object's account.
   */
  #listedFor(eb: Eb, uuid: string): Expression<SqlBool> {
    return eb.or([
      eb('i.owner', '=', uuid),
      eb.exists(
        eb
          .selectFrom('grants as lg')
          .select('lg.object_id')
          .whereRef('lg.object_id', '=', 'o.id')
          .where('lg.grantee', 'in', [uuid, '*']),
      ),
    ]);
  }

  #isPublic(eb: Eb): Expression<SqlBool> {
    return eb.exists(
      eb
        .selectFrom('grants as pg')
        .select('pg.object_id')
        .whereRef('pg.object_id', '=', 'o.id')
        .where('pg.kind', '=', 'read')
        .where('pg.grantee', '=', '*'),
    );
  }

  /** Strings sort by code point: PostgreSQL needs the "C" collation for that, SQLite's default does it. */
  /**
   * A substring test on the name, ignoring case (SQLite's LIKE folds ASCII letters, PostgreSQL's
   * ILIKE every letter). No index serves it: the planner walks the sort order's index and filters,
   * stopping at a page's worth of matches (src/api/image/v2/README.md, "Name search", for the cost).
   */
  #nameContains(text: string): RawBuilder<SqlBool> {
    const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const op = sql.raw(this.#dialect === 'postgres' ? 'ilike' : 'like');
    return sql<SqlBool>`i.name ${op} ${pattern} escape '\\'`;
  }

  #text<T>(e: RawBuilder<T>): RawBuilder<T> {
    return this.#dialect === 'postgres' ? sql<T>`${e} collate "C"` : e;
  }

  #sortExpression(key: SortKey): RawBuilder<unknown> {
    return isText(key) ? this.#text(sortValue[key]) : sortValue[key];
  }

  /** An image's (`i`) properties as one JSON object (text), for the selects below. */
  #propertiesJson(): RawBuilder<string | null> {
    return this.#dialect === 'postgres'
      ? sql<
          string | null
        >`(select json_object_agg(p.key, p.value)::text from image_properties p where p.image_id = i.id)`
      : sql<string | null>`(select json_group_object(p.key, p.value) from image_properties p where p.image_id = i.id)`;
  }

  /** The columns of a v1 list page (`ImageListFacts`); the properties as one JSON object. */
  #listSelect(db: Db) {
    const props = this.#propertiesJson();
    return db
      .selectFrom('images as i')
      .innerJoin('objects as o', 'o.uuid', 'i.id')
      .innerJoin('containers as c', 'c.id', 'o.container_id')
      .select([
        'i.id',
        'i.name',
        'i.disk_format',
        'i.container_format',
        'i.status',
        'i.origin',
        'i.min_ram',
        'i.min_disk',
        'i.protected',
        'i.created_at',
        'i.updated_at',
        'i.virtual_size',
        'o.account as object_account',
        'c.name as object_container',
        'o.name as object_name',
        'o.size as object_size',
        'o.object_hash',
        'o.md5',
        'o.version_ts',
        sql<
          number | boolean
        >`exists (select 1 from grants pg where pg.object_id = o.id and pg.kind = 'read' and pg.grantee = '*')`.as(
          'is_public',
        ),
        props.as('properties'),
      ]);
  }

  #select(db: Db) {
    const agg = sql.raw(this.#dialect === 'postgres' ? 'string_agg' : 'group_concat');
    const props = this.#propertiesJson();
    const tags =
      this.#dialect === 'postgres'
        ? sql<
            string | null
          >`(select json_agg(t.tag order by t.position)::text from image_tags t where t.image_id = i.id)`
        : sql<
            string | null
          >`(select json_group_array(t.tag) from (select tag from image_tags where image_id = i.id order by position) t)`;
    const grants = (kind: 'read' | 'write') =>
      sql<
        string | null
      >`(select ${agg}(g.grantee, ',' order by g.position) from grants g where g.object_id = o.id and g.kind = ${kind})`;
    return db
      .selectFrom('images as i')
      .innerJoin('objects as o', 'o.uuid', 'i.id')
      .innerJoin('containers as c', 'c.id', 'o.container_id')
      .selectAll('i')
      .select([
        'o.id as object_id',
        'o.account as object_account',
        'c.name as object_container',
        'o.name as object_name',
        'o.size as object_size',
        'o.object_hash',
        'o.md5',
        'o.version_ts',
        'o.public_token',
        grants('read').as('read_grants'),
        grants('write').as('write_grants'),
        props.as('properties'),
        tags.as('tags'),
      ]);
  }
}

/** Sort values as SQL; `updated_at` is derived (§4.1: record change or object version, the later). */
const updatedAt = sql<number>`(case when i.updated_at > o.version_ts then i.updated_at else o.version_ts end)`;
const sortValue: Record<SortKey, RawBuilder<unknown>> = {
  id: sql`i.id`,
  name: sql`i.name`,
  status: sql`i.status`,
  size: sql`o.size`,
  disk_format: sql`i.disk_format`,
  container_format: sql`i.container_format`,
  created_at: sql`i.created_at`,
  updated_at: updatedAt,
};
const TIME_OPS: Record<TimeFilter['op'], string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** v2 status names as stored: `active` is `available`, `killed` is `error`; v2-only states match nothing stored. */
function storedStatus(v2: string): string {
  return v2 === 'active' ? 'available' : v2 === 'killed' ? 'error' : v2;
}

const isText = (key: SortKey) => key !== 'size' && key !== 'created_at' && key !== 'updated_at';

/**
 * A row of the entry select (`#select`): every image column, the joined object's and container's
 * (renamed where they would clash), and the aggregates as JSON or comma-separated text. Column
 * types come from schema.ts, so a schema change shows here at compile time.
 */
type EntryRow = Selectable<ImagesTable> &
  Pick<ObjectRow, 'object_hash' | 'md5' | 'version_ts' | 'public_token'> & {
    object_id: ObjectRow['id'];
    object_account: ObjectRow['account'];
    object_container: ContainerRow['name'];
    object_name: ObjectRow['name'];
    object_size: ObjectRow['size'];
    read_grants: string | null;
    write_grants: string | null;
    properties: string | null;
    tags: string | null;
  };

const splitGrants = (s: string | null): string[] => (s ? s.split(',') : []);

function toEntry(r: EntryRow): ImageEntry {
  const readGrants = splitGrants(r.read_grants);
  return {
    ...recordFacts(r),
    declaredSize: r.declared_size === null ? null : Number(r.declared_size),
    declaredChecksum: r.declared_checksum,
    isPublic: readGrants.includes('*'),
    osHidden: Number(r.os_hidden) === 1,
    community: Number(r.community) === 1,
    sharedFlag: Number(r.shared) === 1,
    osHashAlgo: r.os_hash_algo,
    osHashValue: r.os_hash_value,
    tags: r.tags ? JSON.parse(r.tags) : [],
    properties: r.properties ? JSON.parse(r.properties) : {},
    objectId: r.object_id,
    account: r.object_account,
    readGrants,
    writeGrants: splitGrants(r.write_grants),
    publicToken: r.public_token,
  };
}

/** What changes the SQL of a v1 list page, besides which filters are present (`list`). */
interface ListForm {
  readonly isPublic: boolean | undefined;
  readonly properties: number;
  readonly sortKey: SortKey;
  readonly sortDir: 'asc' | 'desc';
  readonly after: boolean;
}

/** A row of the list select (`#listSelect`). */
type ListRow = Pick<
  Selectable<ImagesTable>,
  | 'id'
  | 'name'
  | 'disk_format'
  | 'container_format'
  | 'status'
  | 'origin'
  | 'min_ram'
  | 'min_disk'
  | 'protected'
  | 'created_at'
  | 'updated_at'
  | 'virtual_size'
> &
  Pick<ObjectRow, 'object_hash' | 'md5' | 'version_ts'> & {
    object_account: ObjectRow['account'];
    object_container: ContainerRow['name'];
    object_name: ObjectRow['name'];
    object_size: ObjectRow['size'];
    /** SQLite answers `exists` with 0/1, PostgreSQL with a boolean. */
    is_public: number | boolean;
    properties: string | null;
  };

/** What an entry and a list item both read from the record and its object. */
function recordFacts(r: Omit<ListRow, 'is_public' | 'properties'>) {
  if (!isImageStatus(r.status)) throw new Error(`image ${r.id} has an unknown status ${r.status}`);
  return {
    id: r.id,
    name: r.name,
    diskFormat: r.disk_format,
    containerFormat: r.container_format,
    status: r.status,
    origin: r.origin as ImageOrigin,
    minRam: Number(r.min_ram),
    minDisk: Number(r.min_disk),
    protected: r.protected === 1,
    createdAt: Number(r.created_at),
    recordUpdatedAt: Number(r.updated_at),
    virtualSize: r.virtual_size === null ? null : Number(r.virtual_size),
    object: { account: r.object_account, container: r.object_container, name: r.object_name },
    objectVersionTs: Number(r.version_ts),
    size: Number(r.object_size),
    objectHash: r.object_hash,
    md5: r.md5,
  };
}

function toListFacts(r: ListRow): ImageListFacts {
  return {
    ...recordFacts(r),
    isPublic: r.is_public === 1 || r.is_public === true,
    properties: r.properties ? JSON.parse(r.properties) : {},
  };
}

// ---- writes: records, properties, status -----------------------------------------------------

/** A new record's columns, status excepted: the status comes from how the image starts. */
export type NewImageRecord = Omit<Insertable<ImagesTable>, 'status'>;

/** Record columns a change may set (never the id or the status). */
export type RecordChanges = Omit<Updateable<ImagesTable>, 'id' | 'status'>;

export async function insertImageRecord(
  trx: Transaction<Database>,
  record: NewImageRecord,
  status: ImageStatus,
): Promise<void> {
  await trx
    .insertInto('images')
    .values({ ...record, status })
    .execute();
}

/**
 * Sets `to` (and `changes`) if the status is one of `from` — and, given `leaseExpiredBefore`
 * (µs), only if the image's upload lease ran out before then; true when this call made the change.
 */
export async function compareAndSetStatus(
  db: Db,
  id: string,
  from: readonly ImageStatus[],
  to: ImageStatus,
  changes: RecordChanges = {},
  leaseExpiredBefore?: number,
): Promise<boolean> {
  let update = db
    .updateTable('images')
    .set({ ...changes, status: to })
    .where('id', '=', id)
    .where('status', 'in', [...from]);
  if (leaseExpiredBefore !== undefined) update = update.where('lease_until', '<', leaseExpiredBefore);
  const r = await update.executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Extends the upload leases of `ids` that still have one (an image that left `saving` has none). */
export async function renewLeases(db: Db, ids: readonly string[], until: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('images')
    .set({ lease_until: until })
    .where('id', 'in', [...ids])
    .where('lease_until', 'is not', null)
    .execute();
}

/** Up to `limit` images whose upload lease ran out before `now` (µs): their process is gone. */
export async function expiredLeases(
  db: Db,
  now: number,
  limit: number,
): Promise<{ id: string; status: ImageStatus }[]> {
  const rows = await db
    .selectFrom('images')
    .select(['id', 'status'])
    .where('lease_until', '<', now)
    .orderBy('lease_until')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, status: r.status as ImageStatus }));
}

export async function imageRecordExists(trx: Transaction<Database>, id: string): Promise<boolean> {
  return (await trx.selectFrom('images').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

/** Ids of the images in `status` (start-up recovery of interrupted imports). */
export async function imageIdsInStatus(db: Db, status: ImageStatus): Promise<string[]> {
  return (await db.selectFrom('images').select('id').where('status', '=', status).execute()).map((r) => r.id);
}

/** Deletes the record unless its status is one of `keep`; true when deleted. */
export async function deleteImageRecordUnless(db: Db, id: string, keep: readonly ImageStatus[]): Promise<boolean> {
  const r = await db
    .deleteFrom('images')
    .where('id', '=', id)
    .where('status', 'not in', [...keep])
    .executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** Sets record columns and `updated_at`; false when the image is gone. */
export async function updateImageRecord(
  trx: Transaction<Database>,
  id: string,
  changes: RecordChanges,
  now: number,
): Promise<boolean> {
  const r = await trx
    .updateTable('images')
    .set({ ...changes, updated_at: now })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The inspected virtual size of an image's current content (its object was overwritten). */
export async function setVirtualSize(
  trx: Transaction<Database>,
  id: string,
  virtualSize: number | null,
): Promise<void> {
  await trx.updateTable('images').set({ virtual_size: virtualSize }).where('id', '=', id).execute();
}

/** Declared size/checksum belong to a reservation: set only while the image is queued. */
export async function declareData(
  trx: Transaction<Database>,
  id: string,
  declared: { size?: number; checksum?: string },
): Promise<void> {
  const set: RecordChanges = {
    ...(declared.size !== undefined ? { declared_size: declared.size } : {}),
    ...(declared.checksum !== undefined ? { declared_checksum: declared.checksum } : {}),
  };
  if (Object.keys(set).length)
    await trx.updateTable('images').set(set).where('id', '=', id).where('status', '=', 'queued').execute();
}

/** The properties become exactly `properties`. */
export async function replaceProperties(
  trx: Transaction<Database>,
  id: string,
  properties: Readonly<Record<string, string>>,
): Promise<void> {
  await trx.deleteFrom('image_properties').where('image_id', '=', id).execute();
  await insertProperties(trx, id, properties);
}

/** Sets some properties and deletes others, keeping the rest. */
export async function mergeProperties(
  trx: Transaction<Database>,
  id: string,
  set: Readonly<Record<string, string>>,
  remove: readonly string[],
): Promise<void> {
  const drop = [...remove, ...Object.keys(set)];
  if (drop.length)
    await trx.deleteFrom('image_properties').where('image_id', '=', id).where('key', 'in', drop).execute();
  await insertProperties(trx, id, set);
}

async function insertProperties(
  trx: Transaction<Database>,
  id: string,
  properties: Readonly<Record<string, string>>,
): Promise<void> {
  const rows = Object.entries(properties).map(([key, value]) => ({ image_id: id, key, value }));
  if (rows.length) await trx.insertInto('image_properties').values(rows).execute();
}

/** The tags become exactly `tags`, in order. */
export async function replaceTags(trx: Transaction<Database>, id: string, tags: readonly string[]): Promise<void> {
  await trx.deleteFrom('image_tags').where('image_id', '=', id).execute();
  const rows = tags.map((tag, position) => ({ image_id: id, tag, position }));
  if (rows.length) await trx.insertInto('image_tags').values(rows).execute();
}

/** Appends a tag (the caller checked it is absent). */
export async function addTag(trx: Transaction<Database>, id: string, tag: string): Promise<void> {
  const last = await trx
    .selectFrom('image_tags')
    .select((eb) => eb.fn.max('position').as('p'))
    .where('image_id', '=', id)
    .executeTakeFirst();
  const position = last?.p === null || last?.p === undefined ? 0 : Number(last.p) + 1;
  await trx.insertInto('image_tags').values({ image_id: id, tag, position }).execute();
}

/** True when the tag was there. */
export async function removeTag(trx: Transaction<Database>, id: string, tag: string): Promise<boolean> {
  const r = await trx.deleteFrom('image_tags').where('image_id', '=', id).where('tag', '=', tag).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}
