/**
 * Grants in SQL: an object's read and write grantee lists (in order), and the questions asked
 * across them (does a user hold a grant in an account; in which accounts). Who may grant what is
 * the domain's rule (domain/authorization.ts).
 */
import type { Selectable } from 'kysely';
import { compiledOnce } from './compiled-once.ts';
import type { Db } from './database.ts';
import type { GrantsTable } from './schema.ts';
import { granteeNamesUser } from './access-repository.ts';
import { byCodePoint } from '../../domain/code-point-order.ts';

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
    return this.#grantsOf(db, objectId);
  }

  /** Compiled once: every object read asks for the object's grants (compiled-once.ts). */
  readonly #grantsOf = compiledOnce((objectId) =>
    this.#db
      .selectFrom('grants')
      .select(['object_id', 'kind', 'grantee'])
      .where('object_id', '=', objectId as unknown as number)
      .orderBy('position'),
  );

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

  /**
   * Does `user` hold a grant (himself, `*` or one of his groups) on some object of the account (and
   * container), or stand in a container's ACL there (a grant on the container's whole path)?
   */
  async hasGrantsIn(user: string, account: string, containerId?: number): Promise<boolean> {
    let q = this.#db
      .selectFrom('grants as g')
      .innerJoin('objects as o', 'o.id', 'g.object_id')
      .select('g.object_id')
      .where(granteeNamesUser('g.grantee', user))
      .where('o.account', '=', account)
      .limit(1);
    if (containerId !== undefined) q = q.where('o.container_id', '=', containerId);
    if ((await q.executeTakeFirst()) !== undefined) return true;
    let acl = this.#db
      .selectFrom('container_acls as a')
      .innerJoin('containers as c', 'c.id', 'a.container_id')
      .select('a.container_id')
      .where(granteeNamesUser('a.entry', user))
      .where('c.account', '=', account)
      .limit(1);
    if (containerId !== undefined) acl = acl.where('c.id', '=', containerId);
    return (await acl.executeTakeFirst()) !== undefined;
  }

  /**
   * Accounts other than `user`'s holding objects granted to him (himself, `*`, his groups) or
   * containers whose ACL names him, in name order, with their latest change.
   */
  async sharingAccounts(
    user: string,
    opts: { marker?: string; limit: number },
  ): Promise<{ name: string; lastModified: number }[]> {
    let q = this.#db
      .selectFrom('grants as g')
      .innerJoin('objects as o', 'o.id', 'g.object_id')
      .select((eb) => ['o.account', eb.fn.max<number>('o.version_ts').as('latest')])
      .where(granteeNamesUser('g.grantee', user))
      .where('o.account', '!=', user)
      .groupBy('o.account')
      .orderBy('o.account')
      .limit(opts.limit);
    if (opts.marker !== undefined) q = q.where('o.account', '>', opts.marker);
    let acl = this.#db
      .selectFrom('container_acls as a')
      .innerJoin('containers as c', 'c.id', 'a.container_id')
      .select((eb) => ['c.account', eb.fn.max<number>('c.modified_at').as('latest')])
      .where(granteeNamesUser('a.entry', user))
      .where('c.account', '!=', user)
      .groupBy('c.account')
      .orderBy('c.account')
      .limit(opts.limit);
    if (opts.marker !== undefined) acl = acl.where('c.account', '>', opts.marker);
    // Each query gives its first `limit` accounts; the merged first `limit` are among them.
    const latest = new Map<string, number>();
    for (const r of [
      ...(await q.execute()).map((r) => ({ name: r.account, t: Number(r.latest) })),
      ...(await acl.execute()).map((r) => ({ name: r.account, t: Number(r.latest) })),
    ])
      latest.set(r.name, Math.max(latest.get(r.name) ?? 0, r.t));
    return [...latest.keys()]
      .sort(byCodePoint)
      .slice(0, opts.limit)
      .map((name) => ({ name, lastModified: latest.get(name)! }));
  }
}
