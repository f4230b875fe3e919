import { ContainerNotEmpty, NotFound, TooManyMetadataItems } from '../errors.ts';
import { takeCommitLock as lockCommits } from '../../storage/metadata/commit-lock.ts';
import type { Db } from '../../storage/metadata/database.ts';
import type { ContainerRow } from '../../storage/metadata/schema.ts';
import { nowMicros } from '../time.ts';

export interface Policy {
  quota?: number;
  versioning?: 'auto' | 'none';
  project?: string;
}

export interface ContainerRecord {
  readonly id: number;
  readonly account: string;
  readonly name: string;
  readonly quota: number;
  readonly versioning: string;
  readonly project: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly modifiedAt: number;
}

export interface ContainerStats {
  readonly count: number;
  readonly bytes: number;
  /** Latest of the container's own changes and its objects' versions. */
  readonly lastModified: number;
}

export interface AccountInfo extends ContainerStats {
  readonly containers: number;
  readonly meta: Readonly<Record<string, string>>;
}

export interface MetaChange {
  /** Keys to set; an empty value deletes the key when merging. */
  readonly meta: Readonly<Record<string, string>>;
  /** Replace the whole set (POST without `?update`) instead of merging. */
  readonly replace: boolean;
}

/** More than this many meta items on one resource is refused (object-store.md §7.4). */
export const MAX_META_ITEMS = 32;

export function applyMetaChange(current: Readonly<Record<string, string>>, change: MetaChange): Record<string, string> {
  const next: Record<string, string> = change.replace ? {} : { ...current };
  for (const [k, v] of Object.entries(change.meta)) {
    if (v === '') delete next[k];
    else next[k] = v;
  }
  if (Object.keys(next).length > MAX_META_ITEMS) throw new TooManyMetadataItems(MAX_META_ITEMS);
  return next;
}

const toContainer = (r: ContainerRow): ContainerRecord => ({
  id: r.id, account: r.account, name: r.name, quota: r.quota, versioning: r.versioning, project: r.project,
  meta: JSON.parse(r.meta), modifiedAt: r.modified_at,
});

/** Accounts (one per user) and their containers. */
export class Containers {
  constructor(private readonly db: Db) {}

  async get(account: string, name: string, db: Db = this.db): Promise<ContainerRecord | undefined> {
    const r = await db.selectFrom('containers').selectAll().where('account', '=', account).where('name', '=', name).executeTakeFirst();
    return r && toContainer(r);
  }

  async require(account: string, name: string, db: Db = this.db): Promise<ContainerRecord> {
    const c = await this.get(account, name, db);
    if (!c) throw new NotFound('container');
    return c;
  }

  /**
   * Creates the container, or merges policy and meta into an existing one; true when created.
   * Insert first: of concurrent PUTs exactly one creates it (201), the others merge (202).
   */
  async put(account: string, name: string, policy: Policy, meta: Readonly<Record<string, string>>): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const now = nowMicros();
      const initialMeta = applyMetaChange({}, { meta, replace: false });
      const inserted = await trx.insertInto('containers').values({
        account, name, quota: policy.quota ?? 0, versioning: policy.versioning ?? 'auto', project: policy.project ?? account,
        meta: JSON.stringify(initialMeta), created_at: now, modified_at: now,
      }).onConflict((oc) => oc.columns(['account', 'name']).doNothing()).returning('id').executeTakeFirst();
      if (inserted) {
        await this.touchAccount(account, now, trx);
        return true;
      }
      const row = await lockContainerRow(trx, { account, name }, now);
      const merged = applyMetaChange(JSON.parse(row.meta), { meta, replace: false });
      await trx.updateTable('containers').set({ ...policyColumns(policy), meta: JSON.stringify(merged) }).where('id', '=', row.id).execute();
      return false;
    });
  }

  /** Creates the container with default policy if missing (image uploads use `images`). */
  async ensure(account: string, name: string, db: Db = this.db): Promise<ContainerRecord> {
    const now = nowMicros();
    await db.insertInto('containers').values({
      account, name, quota: 0, versioning: 'auto', project: account, meta: '{}', created_at: now, modified_at: now,
    }).onConflict((oc) => oc.columns(['account', 'name']).doNothing()).execute();
    return (await this.get(account, name, db))!;
  }

  /** Meta and policy changes (container POST), merged into the current row under its lock. */
  async update(c: ContainerRecord, change: MetaChange | undefined, policy: Policy): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = await lockContainerRow(trx, { id: c.id }, nowMicros());
      const meta = change ? applyMetaChange(JSON.parse(row.meta), change) : JSON.parse(row.meta);
      await trx.updateTable('containers').set({ ...policyColumns(policy), meta: JSON.stringify(meta) }).where('id', '=', c.id).execute();
    });
  }

  /** Removes an empty container; ContainerNotEmpty when it still holds objects. */
  async delete(c: ContainerRecord): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      // Serialised with commits: an object committed into it meanwhile makes it non-empty
      // instead of being removed with it by the cascade.
      await lockCommits(trx);
      const any = await trx.selectFrom('objects').select('id').where('container_id', '=', c.id).limit(1).executeTakeFirst();
      if (any) throw new ContainerNotEmpty();
      await trx.deleteFrom('containers').where('id', '=', c.id).execute();
      await this.touchAccount(c.account, nowMicros(), trx);
    });
  }

  async stats(c: ContainerRecord): Promise<ContainerStats> {
    const r = await this.db.selectFrom('objects')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.sum<number>('size').as('bytes'), eb.fn.max<number>('version_ts').as('latest')])
      .where('container_id', '=', c.id).executeTakeFirstOrThrow();
    return { count: Number(r.count), bytes: Number(r.bytes ?? 0), lastModified: Math.max(c.modifiedAt, Number(r.latest ?? 0)) };
  }

  /** Distinct meta keys used by the container's objects, sorted (X-Container-Object-Meta). */
  async objectMetaKeys(c: ContainerRecord): Promise<string[]> {
    const rows = await this.db.selectFrom('objects').select('meta').where('container_id', '=', c.id).where('meta', '!=', '{}').execute();
    const keys = new Set<string>();
    for (const r of rows) for (const k of Object.keys(JSON.parse(r.meta))) keys.add(k);
    return [...keys].sort(byCodePoint);
  }

  async account(account: string): Promise<AccountInfo> {
    const [acct, containers, objects] = await Promise.all([
      this.db.selectFrom('accounts').selectAll().where('uuid', '=', account).executeTakeFirst(),
      this.db.selectFrom('containers').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max<number>('modified_at').as('latest')])
        .where('account', '=', account).executeTakeFirstOrThrow(),
      this.db.selectFrom('objects').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size').as('bytes'), eb.fn.max<number>('version_ts').as('latest')])
        .where('account', '=', account).executeTakeFirstOrThrow(),
    ]);
    return {
      containers: Number(containers.n), count: Number(objects.n), bytes: Number(objects.bytes ?? 0),
      lastModified: Math.max(acct?.modified_at ?? 0, Number(containers.latest ?? 0), Number(objects.latest ?? 0)),
      meta: acct ? JSON.parse(acct.meta) : {},
    };
  }

  async updateAccountMeta(account: string, change: MetaChange): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const now = nowMicros();
      await trx.insertInto('accounts').values({ uuid: account, meta: '{}', modified_at: now }).onConflict((oc) => oc.column('uuid').doNothing()).execute();
      // The UPDATE locks the row: concurrent changes are merged one after the other, none lost.
      const row = await trx.updateTable('accounts').set({ modified_at: now }).where('uuid', '=', account).returning('meta').executeTakeFirstOrThrow();
      const meta = applyMetaChange(JSON.parse(row.meta), change);
      await trx.updateTable('accounts').set({ meta: JSON.stringify(meta) }).where('uuid', '=', account).execute();
    });
  }

  private async touchAccount(account: string, now: number, db: Db): Promise<void> {
    await db.updateTable('accounts').set({ modified_at: now }).where('uuid', '=', account).execute();
  }

  /**
   * The account's containers in name order, with counts. `viewer` (a non-owner) sees only
   * containers holding objects granted to him; `shared`/`published` keep only containers holding
   * objects with grants / published objects.
   */
  async list(account: string, opts: { marker?: string; limit: number; viewer?: string; shared?: boolean; published?: boolean }) {
    let q = this.db.selectFrom('containers as c')
      .leftJoin('objects as o', 'o.container_id', 'c.id')
      .select((eb) => ['c.id', 'c.name', 'c.quota', 'c.versioning', 'c.project', 'c.modified_at',
        eb.fn.count<number>('o.id').as('count'), eb.fn.sum<number>('o.size').as('bytes'), eb.fn.max<number>('o.version_ts').as('latest')])
      .where('c.account', '=', account)
      .groupBy(['c.id', 'c.name', 'c.quota', 'c.versioning', 'c.project', 'c.modified_at'])
      .orderBy('c.name').limit(opts.limit);
    if (opts.marker !== undefined) q = q.where('c.name', '>', opts.marker);
    const grantee = opts.viewer;
    if (grantee !== undefined) {
      q = q.where((eb) => eb.exists(eb.selectFrom('objects as go').innerJoin('grants as g', 'g.object_id', 'go.id')
        .select('g.object_id').whereRef('go.container_id', '=', 'c.id').where('g.grantee', 'in', [grantee, '*'])));
    }
    if (opts.shared) {
      q = q.where((eb) => eb.exists(eb.selectFrom('objects as so').innerJoin('grants as sg', 'sg.object_id', 'so.id')
        .select('sg.object_id').whereRef('so.container_id', '=', 'c.id')));
    }
    if (opts.published) {
      q = q.where((eb) => eb.exists(eb.selectFrom('objects as po').select('po.id').whereRef('po.container_id', '=', 'c.id')
        .where('po.public_token', 'is not', null)));
    }
    return (await q.execute()).map((r) => ({
      name: r.name, count: Number(r.count), bytes: Number(r.bytes ?? 0), quota: r.quota, versioning: r.versioning,
      project: r.project, lastModified: Math.max(r.modified_at, Number(r.latest ?? 0)),
    }));
  }

  /** Does `user` hold a grant (or `*`) on some object of the account (and container)? */
  async hasGrantsIn(user: string, account: string, containerId?: number): Promise<boolean> {
    let q = this.db.selectFrom('grants as g').innerJoin('objects as o', 'o.id', 'g.object_id')
      .select('g.object_id').where('g.grantee', 'in', [user, '*']).where('o.account', '=', account).limit(1);
    if (containerId !== undefined) q = q.where('o.container_id', '=', containerId);
    return (await q.executeTakeFirst()) !== undefined;
  }

  /** Accounts other than the caller's in which the caller holds grants (`GET /object-store/v1`). */
  async sharingAccounts(user: string, opts: { marker?: string; limit: number }) {
    let q = this.db.selectFrom('grants as g').innerJoin('objects as o', 'o.id', 'g.object_id')
      .select((eb) => ['o.account', eb.fn.max<number>('o.version_ts').as('latest')])
      .where('g.grantee', 'in', [user, '*']).where('o.account', '!=', user)
      .groupBy('o.account').orderBy('o.account').limit(opts.limit);
    if (opts.marker !== undefined) q = q.where('o.account', '>', opts.marker);
    return (await q.execute()).map((r) => ({ name: r.account, lastModified: Number(r.latest) }));
  }
}

/** The commit lock without a version (src/storage/metadata/commit-lock.ts), under its older name. */
export { lockCommits };

/** Touches a container row and returns it as it is now: the UPDATE locks it for the rest of the transaction. */
async function lockContainerRow(trx: Db, key: { id: number } | { account: string; name: string }, now: number): Promise<ContainerRow> {
  let q = trx.updateTable('containers').set({ modified_at: now });
  q = 'id' in key ? q.where('id', '=', key.id) : q.where('account', '=', key.account).where('name', '=', key.name);
  const row = await q.returningAll().executeTakeFirst();
  if (!row) throw new NotFound('container');
  return row;
}

function policyColumns(p: Policy) {
  return {
    ...(p.quota !== undefined ? { quota: p.quota } : {}),
    ...(p.versioning !== undefined ? { versioning: p.versioning } : {}),
    ...(p.project !== undefined ? { project: p.project } : {}),
  };
}

/** Code point order (= UTF-8 byte order), never UTF-16 order or locale order. */
export function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The least string greater than every string starting with `prefix` (code point order); undefined if none. */
export function prefixUpperBound(prefix: string): string | undefined {
  const cps = [...prefix];
  while (cps.length) {
    const last = cps.pop()!.codePointAt(0)!;
    let next = last + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next <= 0x10ffff) return cps.join('') + String.fromCodePoint(next);
  }
  return undefined;
}
