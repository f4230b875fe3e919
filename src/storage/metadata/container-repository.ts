/**
 * The accounts and containers aggregate in SQL: container rows and their policy and meta, the
 * account row, and the counts and listings over them. The rules (meta merges, emptiness, who sees
 * what) are the domain's (domain/objects/containers.ts); this module only reads and writes rows.
 */
import { granteeNamesUser } from './access-repository.ts';
import { sql } from 'kysely';
import { compiledOnce } from './compiled-once.ts';
import type { Db, Trx } from './database.ts';
import type { ContainerRow } from './schema.ts';

/** Container policy columns a change may set; undefined keeps the current value. */
export interface PolicyColumns {
  readonly quota?: number;
  readonly versioning?: string;
  readonly project?: string;
  readonly versionsLocation?: string | null;
  readonly versionsMode?: string | null;
}

export interface NewContainer {
  readonly account: string;
  readonly name: string;
  readonly quota: number;
  readonly versioning: string;
  readonly project: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly now: number;
  readonly versionsLocation?: string | null;
  readonly versionsMode?: string | null;
}

/** A row of the account's container listing, with its objects' totals. */
export interface ContainerListRow {
  readonly id: number;
  readonly name: string;
  readonly count: number;
  readonly bytes: number;
  readonly quota: number;
  readonly versioning: string;
  readonly project: string;
  readonly modifiedAt: number;
  /** Latest object version time, 0 when empty. */
  readonly latest: number;
}

export interface ContainerListFilter {
  /** Names greater than this. */
  readonly after?: string;
  /** Names at least this. */
  readonly from?: string;
  /** Names less than this (each bound given is applied). */
  readonly below?: readonly string[];
  /** Highest name first. */
  readonly descending?: boolean;
  readonly limit: number;
  /** Only containers holding objects granted to this user (or to `*`). */
  readonly viewer?: string;
  /** Only containers holding objects with grants. */
  readonly shared?: boolean;
  /** Only containers holding published objects. */
  readonly published?: boolean;
}

export class ContainerRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async find(account: string, name: string, db: Db = this.#db): Promise<ContainerRow | undefined> {
    const [row] = await this.#findByName(db, account, name);
    return row;
  }

  /** Compiled once: every object-store request names its container (compiled-once.ts). */
  readonly #findByName = compiledOnce((account, name) =>
    this.#db.selectFrom('containers').selectAll().where('account', '=', account).where('name', '=', name),
  );

  async findById(id: number, db: Db = this.#db): Promise<ContainerRow | undefined> {
    return db.selectFrom('containers').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Inserts the container unless `(account, name)` exists; its id when this call created it. */
  async insertIfMissing(c: NewContainer, db: Db = this.#db): Promise<number | undefined> {
    const inserted = await db
      .insertInto('containers')
      .values({
        account: c.account,
        name: c.name,
        quota: c.quota,
        versioning: c.versioning,
        project: c.project,
        meta: JSON.stringify(c.meta),
        created_at: c.now,
        modified_at: c.now,
        versions_location: c.versionsLocation ?? null,
        versions_mode: c.versionsMode ?? null,
      })
      .onConflict((oc) => oc.columns(['account', 'name']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted?.id;
  }

  /** Touches a container row and returns it as it is now: the UPDATE locks it for the rest of the transaction. */
  async lockRow(
    trx: Trx,
    key: { id: number } | { account: string; name: string },
    now: number,
  ): Promise<ContainerRow | undefined> {
    let q = trx.updateTable('containers').set({ modified_at: now });
    q = 'id' in key ? q.where('id', '=', key.id) : q.where('account', '=', key.account).where('name', '=', key.name);
    return q.returningAll().executeTakeFirst();
  }

  async setPolicyAndMeta(
    trx: Trx,
    id: number,
    policy: PolicyColumns,
    meta: Readonly<Record<string, string>>,
  ): Promise<void> {
    await trx
      .updateTable('containers')
      .set({ ...policyColumns(policy), meta: JSON.stringify(meta) })
      .where('id', '=', id)
      .execute();
  }

  async touch(id: number, now: number, db: Db): Promise<void> {
    await db.updateTable('containers').set({ modified_at: now }).where('id', '=', id).execute();
  }

  async hasObjects(id: number, db: Db = this.#db): Promise<boolean> {
    return (
      (await db.selectFrom('objects').select('id').where('container_id', '=', id).limit(1).executeTakeFirst()) !==
      undefined
    );
  }

  /** Ids of the account's containers (the as-of totals of an account HEAD with `until`). */
  async idsOf(account: string): Promise<number[]> {
    const rows = await this.#db.selectFrom('containers').select('id').where('account', '=', account).execute();
    return rows.map((r) => r.id);
  }

  async delete(trx: Trx, id: number): Promise<void> {
    await trx.deleteFrom('containers').where('id', '=', id).execute();
  }

  /** Object count, total bytes and latest version time of a container: its counters, one row. */
  async objectTotals(id: number): Promise<{ count: number; bytes: number; latest: number }> {
    const r = await this.#db
      .selectFrom('containers')
      .select(['object_count', 'bytes_used', 'objects_latest'])
      .where('id', '=', id)
      .executeTakeFirst();
    return {
      count: Number(r?.object_count ?? 0),
      bytes: Number(r?.bytes_used ?? 0),
      latest: Number(r?.objects_latest ?? 0),
    };
  }

  /** The meta of the container's objects that have any, parsed. */
  async objectMetas(id: number): Promise<Record<string, string>[]> {
    const rows = await this.#db
      .selectFrom('objects')
      .select('meta')
      .where('container_id', '=', id)
      // A literal, as the partial index objects_with_meta (migration 011) is written: the planner then uses it.
      .where(sql<boolean>`meta <> '{}'`)
      .execute();
    return rows.map((r) => JSON.parse(r.meta));
  }

  /** The account row (if any) and the totals of its containers and objects. */
  async accountTotals(account: string): Promise<{
    meta: Record<string, string> | undefined;
    modifiedAt: number;
    containers: number;
    containersLatest: number;
    count: number;
    bytes: number;
    objectsLatest: number;
  }> {
    // The account's totals are its containers' counters: one row per container, not per object.
    const [acct, containers] = await Promise.all([
      this.#db.selectFrom('accounts').selectAll().where('uuid', '=', account).executeTakeFirst(),
      this.#db
        .selectFrom('containers')
        .select((eb) => [
          eb.fn.countAll<number>().as('n'),
          eb.fn.max<number>('modified_at').as('latest'),
          eb.fn.sum<number>('object_count').as('objects'),
          eb.fn.sum<number>('bytes_used').as('bytes'),
          eb.fn.max<number>('objects_latest').as('objectsLatest'),
        ])
        .where('account', '=', account)
        .executeTakeFirstOrThrow(),
    ]);
    return {
      meta: acct ? JSON.parse(acct.meta) : undefined,
      modifiedAt: acct?.modified_at ?? 0,
      containers: Number(containers.n),
      containersLatest: Number(containers.latest ?? 0),
      count: Number(containers.objects ?? 0),
      bytes: Number(containers.bytes ?? 0),
      objectsLatest: Number(containers.objectsLatest ?? 0),
    };
  }

  /** The account's meta alone (no totals): `{}` when the account row does not exist yet. */
  async accountMeta(account: string): Promise<Record<string, string>> {
    const row = await this.#db.selectFrom('accounts').select('meta').where('uuid', '=', account).executeTakeFirst();
    return row ? JSON.parse(row.meta) : {};
  }

  /**
   * Creates the account row if missing, then touches it and returns its meta: the UPDATE locks the
   * row, so concurrent changes are merged one after the other, none lost.
   */
  async lockAccount(trx: Trx, account: string, now: number): Promise<Record<string, string>> {
    await trx
      .insertInto('accounts')
      .values({ uuid: account, meta: '{}', modified_at: now })
      .onConflict((oc) => oc.column('uuid').doNothing())
      .execute();
    const row = await trx
      .updateTable('accounts')
      .set({ modified_at: now })
      .where('uuid', '=', account)
      .returning('meta')
      .executeTakeFirstOrThrow();
    return JSON.parse(row.meta);
  }

  async setAccountMeta(trx: Trx, account: string, meta: Readonly<Record<string, string>>): Promise<void> {
    await trx
      .updateTable('accounts')
      .set({ meta: JSON.stringify(meta) })
      .where('uuid', '=', account)
      .execute();
  }

  /** The account's byte quota, 0 when none (or no account row yet). */
  async accountQuota(account: string, db: Db = this.#db): Promise<number> {
    const r = await db.selectFrom('accounts').select('quota').where('uuid', '=', account).executeTakeFirst();
    return Number(r?.quota ?? 0);
  }

  /** Sets the account's byte quota, creating its row if missing. */
  async setAccountQuota(account: string, bytes: number, now: number, db: Db = this.#db): Promise<void> {
    await db
      .insertInto('accounts')
      .values({ uuid: account, meta: '{}', modified_at: now, quota: bytes })
      .onConflict((oc) => oc.column('uuid').doUpdateSet({ quota: bytes }))
      .execute();
  }

  async touchAccount(account: string, now: number, db: Db): Promise<void> {
    await db.updateTable('accounts').set({ modified_at: now }).where('uuid', '=', account).execute();
  }

  /** The account's containers in name order, with their objects' totals. */
  async list(account: string, f: ContainerListFilter): Promise<ContainerListRow[]> {
    let q = this.#db
      .selectFrom('containers as c')
      .select([
        'c.id',
        'c.name',
        'c.quota',
        'c.versioning',
        'c.project',
        'c.modified_at',
        'c.object_count as count',
        'c.bytes_used as bytes',
        'c.objects_latest as latest',
      ])
      .where('c.account', '=', account)
      .orderBy('c.name', f.descending ? 'desc' : 'asc')
      .limit(f.limit);
    if (f.after !== undefined) q = q.where('c.name', '>', f.after);
    if (f.from !== undefined) q = q.where('c.name', '>=', f.from);
    for (const below of f.below ?? []) q = q.where('c.name', '<', below);
    const grantee = f.viewer;
    if (grantee !== undefined) {
      q = q.where((eb) =>
        eb
          .exists(
            eb
              .selectFrom('objects as go')
              .innerJoin('grants as g', 'g.object_id', 'go.id')
              .select('g.object_id')
              .whereRef('go.container_id', '=', 'c.id')
              .where(granteeNamesUser('g.grantee', grantee)),
          )
          .or(
            eb.exists(
              eb
                .selectFrom('container_acls as ga')
                .select('ga.container_id')
                .whereRef('ga.container_id', '=', 'c.id')
                .where(granteeNamesUser('ga.entry', grantee)),
            ),
          ),
      );
    }
    if (f.shared) {
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('objects as so')
            .innerJoin('grants as sg', 'sg.object_id', 'so.id')
            .select('sg.object_id')
            .whereRef('so.container_id', '=', 'c.id'),
        ),
      );
    }
    if (f.published) {
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('objects as po')
            .select('po.id')
            .whereRef('po.container_id', '=', 'c.id')
            .where('po.public_token', 'is not', null),
        ),
      );
    }
    return (await q.execute()).map((r) => ({
      id: r.id,
      name: r.name,
      count: Number(r.count),
      bytes: Number(r.bytes ?? 0),
      quota: r.quota,
      versioning: r.versioning,
      project: r.project,
      modifiedAt: r.modified_at,
      latest: Number(r.latest ?? 0),
    }));
  }
}

function policyColumns(p: PolicyColumns) {
  return {
    ...(p.quota !== undefined ? { quota: p.quota } : {}),
    ...(p.versioning !== undefined ? { versioning: p.versioning } : {}),
    ...(p.project !== undefined ? { project: p.project } : {}),
    ...(p.versionsLocation !== undefined ? { versions_location: p.versionsLocation } : {}),
    ...(p.versionsMode !== undefined ? { versions_mode: p.versionsMode } : {}),
  };
}
