/**
 * Grants in SQL: an object's read and write grantee lists (in order), and the questions asked
 * across them (does a user hold a grant in an account; in which accounts). Who may grant what is
 * the domain's rule (domain/authorization.ts).
 */
import type { Selectable } from 'kysely';
import type { Db } from './database.ts';
import type { GrantsTable } from './schema.ts';

/** One grant as read back (its position only orders the reads). */
export type GrantRow = Pick<Selectable<GrantsTable>, 'object_id' | 'kind' | 'grantee'>;

export interface GrantLists {
  readonly read: readonly string[];
  readonly write: readonly string[];
}

export class GrantRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** An object's grant rows in grant order. */
  async of(objectId: number, db: Db = this.#db): Promise<GrantRow[]> {
    return db
      .selectFrom('grants')
      .select(['object_id', 'kind', 'grantee'])
      .where('object_id', '=', objectId)
      .orderBy('position')
      .execute();
  }

  /** The grant rows of several objects, by object id, each in grant order. */
  async ofMany(ids: readonly number[], db: Db = this.#db): Promise<Map<number, GrantRow[]>> {
    const map = new Map<number, GrantRow[]>();
    if (!ids.length) return map;
    const rows = await db
      .selectFrom('grants')
      .select(['object_id', 'kind', 'grantee'])
      .where('object_id', 'in', ids)
      .orderBy('position')
      .execute();
    for (const r of rows) (map.get(r.object_id) ?? map.set(r.object_id, []).get(r.object_id)!).push(r);
    return map;
  }

  /** Replaces an object's grants, keeping each list's order. */
  async replace(objectId: number, grants: GrantLists, db: Db = this.#db): Promise<void> {
    await db.deleteFrom('grants').where('object_id', '=', objectId).execute();
    const rows = [
      ...grants.read.map((grantee, position) => ({ object_id: objectId, kind: 'read' as const, grantee, position })),
      ...grants.write.map((grantee, position) => ({ object_id: objectId, kind: 'write' as const, grantee, position })),
    ];
    if (rows.length) await db.insertInto('grants').values(rows).execute();
  }

  /** Does `user` hold a grant (or `*`) on some object of the account (and container)? */
  async hasGrantsIn(user: string, account: string, containerId?: number): Promise<boolean> {
    let q = this.#db
      .selectFrom('grants as g')
      .innerJoin('objects as o', 'o.id', 'g.object_id')
      .select('g.object_id')
      .where('g.grantee', 'in', [user, '*'])
      .where('o.account', '=', account)
      .limit(1);
    if (containerId !== undefined) q = q.where('o.container_id', '=', containerId);
    return (await q.executeTakeFirst()) !== undefined;
  }

  /** Accounts other than `user`'s holding objects granted to him (or `*`), in name order, with their latest version time. */
  async sharingAccounts(
    user: string,
    opts: { marker?: string; limit: number },
  ): Promise<{ name: string; lastModified: number }[]> {
    let q = this.#db
      .selectFrom('grants as g')
      .innerJoin('objects as o', 'o.id', 'g.object_id')
      .select((eb) => ['o.account', eb.fn.max<number>('o.version_ts').as('latest')])
      .where('g.grantee', 'in', [user, '*'])
      .where('o.account', '!=', user)
      .groupBy('o.account')
      .orderBy('o.account')
      .limit(opts.limit);
    if (opts.marker !== undefined) q = q.where('o.account', '>', opts.marker);
    return (await q.execute()).map((r) => ({ name: r.account, lastModified: Number(r.latest) }));
  }
}
