/**
 * Container ACLs and account groups in SQL (migration 008), and the one SQL form of "this grant
 * entry names user U": U himself, `*`, or a group (`<account>:<group>`) U is a member of. Every
 * query that asks what is shared with U (listings, "has grants in", the accounts sharing with U)
 * uses `granteeNamesUser`, so a group grant counts wherever a user grant does.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { compiledOnce } from './compiled-once.ts';
import type { Db } from './database.ts';

export interface AclLists {
  readonly read: readonly string[];
  readonly write: readonly string[];
}

/** `column` (a grant or ACL entry) names `user`: himself, `*`, or one of his groups. */
export function granteeNamesUser(column: string, user: string): RawBuilder<SqlBool> {
  const ref = sql.ref(column);
  return sql<SqlBool>`(${ref} in (${user}, '*') or ${ref} in (select mg.account || ':' || mg.name from account_groups mg where mg.member = ${user}))`;
}

export class AccessRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** A container's ACL lists, each in order. */
  /** Compiled once: every object-store read of a container asks for its ACLs (compiled-once.ts). */
  readonly #aclRows = compiledOnce((containerId) =>
    this.#db
      .selectFrom('container_acls')
      .select(['kind', 'entry'])
      .where('container_id', '=', containerId as unknown as number)
      .orderBy('kind')
      .orderBy('position'),
  );

  async aclOf(containerId: number, db: Db = this.#db): Promise<AclLists> {
    const rows = await this.#aclRows(db, containerId);
    return {
      read: rows.filter((r) => r.kind === 'read').map((r) => r.entry),
      write: rows.filter((r) => r.kind === 'write').map((r) => r.entry),
    };
  }

  /** Replaces one of a container's ACL lists. */
  async replaceAcl(containerId: number, kind: 'read' | 'write', entries: readonly string[], db: Db = this.#db) {
    await db.deleteFrom('container_acls').where('container_id', '=', containerId).where('kind', '=', kind).execute();
    if (entries.length)
      await db
        .insertInto('container_acls')
        .values(entries.map((entry, position) => ({ container_id: containerId, kind, entry, position })))
        .execute();
  }

  /** An account's groups: name → members in order. */
  async groupsOf(account: string, db: Db = this.#db): Promise<Record<string, string[]>> {
    const rows = await db
      .selectFrom('account_groups')
      .select(['name', 'member'])
      .where('account', '=', account)
      .orderBy('name')
      .orderBy('position')
      .execute();
    const groups: Record<string, string[]> = {};
    for (const r of rows) {
      groups[r.name] ??= [];
      groups[r.name].push(r.member);
    }
    return groups;
  }

  /** Replaces an account's whole set of groups. */
  async replaceGroups(account: string, groups: Readonly<Record<string, readonly string[]>>, db: Db = this.#db) {
    await db.deleteFrom('account_groups').where('account', '=', account).execute();
    const rows = Object.entries(groups).flatMap(([name, members]) =>
      members.map((member, position) => ({ account, name, member, position })),
    );
    if (rows.length) await db.insertInto('account_groups').values(rows).execute();
  }
}
