import { compiledOnce } from './compiled-once.ts';
import type { Db } from './database.ts';
import type { TokenRow, UserRow } from './schema.ts';

/** A token row joined with its user: what authenticating a presented secret needs, in one query. */
export interface TokenWithUser {
  readonly token_id: string;
  readonly created_at: number;
  readonly expires_at: number;
  readonly revoked_at: number | null;
  /** 1 for a token a password login minted. */
  readonly minted: number;
  readonly user: UserRow;
}

/** A token as `token list` shows it, with its user's display name (never its hash). */
export type TokenListRow = Readonly<
  Pick<TokenRow, 'token_id' | 'user_uuid' | 'created_at' | 'expires_at' | 'revoked_at' | 'note'> &
    Pick<UserRow, 'display_name'>
>;

export interface NewToken {
  readonly tokenId: string;
  readonly userUuid: string;
  readonly hash: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly note: string | null;
  readonly minted: boolean;
}

/**
 * Every SQL statement about users, tokens, passwords and failed logins. The identity domain
 * (src/domain/identity/) states the rules and calls these; it never builds a query itself.
 */
export class IdentityRepository {
  readonly #db: Db;

  /** Compiled once: it runs on every authenticated request (compiled-once.ts). */
  readonly #tokenByHash = compiledOnce((hash) =>
    this.#db
      .selectFrom('tokens')
      .innerJoin('users', 'users.uuid', 'tokens.user_uuid')
      .select([
        'tokens.token_id',
        'tokens.created_at as token_created_at',
        'tokens.expires_at',
        'tokens.revoked_at',
        'tokens.minted',
        'users.uuid',
        'users.display_name',
        'users.admin',
        'users.active',
        'users.created_at',
      ])
      .where('tokens.hash', '=', hash),
  );

  constructor(db: Db) {
    this.#db = db;
  }

  // --- users ---------------------------------------------------------------------------------

  /** A user and its object-store account, in one transaction (every user is an account). */
  async insertUser(row: UserRow): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.insertInto('users').values(row).execute();
      await trx.insertInto('accounts').values({ uuid: row.uuid, meta: '{}', modified_at: row.created_at }).execute();
    });
  }

  userByUuid(uuid: string): Promise<UserRow | undefined> {
    return this.#db.selectFrom('users').selectAll().where('uuid', '=', uuid).executeTakeFirst();
  }

  userByName(name: string): Promise<UserRow | undefined> {
    return this.#db.selectFrom('users').selectAll().where('display_name', '=', name).executeTakeFirst();
  }

  listUsers(): Promise<UserRow[]> {
    return this.#db.selectFrom('users').selectAll().orderBy('created_at').orderBy('uuid').execute();
  }

  async anyAdmin(): Promise<boolean> {
    return (
      (await this.#db.selectFrom('users').select('uuid').where('admin', '=', 1).limit(1).executeTakeFirst()) !==
      undefined
    );
  }

  namesOf(uuids: readonly string[]): Promise<{ uuid: string; display_name: string }[]> {
    return this.#db
      .selectFrom('users')
      .select(['uuid', 'display_name'])
      .where('uuid', 'in', [...new Set(uuids)])
      .execute();
  }

  uuidsOf(names: readonly string[]): Promise<{ uuid: string; display_name: string }[]> {
    return this.#db
      .selectFrom('users')
      .select(['uuid', 'display_name'])
      .where('display_name', 'in', [...new Set(names)])
      .execute();
  }

  async renameUser(uuid: string, name: string): Promise<void> {
    await this.#db.updateTable('users').set({ display_name: name }).where('uuid', '=', uuid).execute();
  }

  async setUserFlag(uuid: string, flag: 'admin' | 'active', on: boolean): Promise<void> {
    await this.#db
      .updateTable('users')
      .set({ [flag]: on ? 1 : 0 })
      .where('uuid', '=', uuid)
      .execute();
  }

  // --- tokens --------------------------------------------------------------------------------

  async insertToken(t: NewToken): Promise<void> {
    await this.#db
      .insertInto('tokens')
      .values({
        token_id: t.tokenId,
        user_uuid: t.userUuid,
        hash: t.hash,
        created_at: t.createdAt,
        expires_at: t.expiresAt,
        revoked_at: null,
        note: t.note,
        minted: t.minted ? 1 : 0,
      })
      .execute();
  }

  /** The token with this hash and its user (the hot path of every authenticated request). */
  async tokenByHash(hash: string): Promise<TokenWithUser | undefined> {
    const [r] = await this.#tokenByHash(this.#db, hash);
    return (
      r && {
        token_id: r.token_id,
        created_at: r.token_created_at,
        expires_at: r.expires_at,
        revoked_at: r.revoked_at,
        minted: r.minted,
        user: {
          uuid: r.uuid,
          display_name: r.display_name,
          admin: r.admin,
          active: r.active,
          created_at: r.created_at,
        },
      }
    );
  }

  /** The token_id of the token given by its hash or its token_id. */
  async tokenIdByRef(hash: string, tokenId: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('tokens')
      .select('token_id')
      .where((eb) => eb.or([eb('hash', '=', hash), eb('token_id', '=', tokenId)]))
      .executeTakeFirst();
    return row?.token_id;
  }

  async revokeToken(tokenId: string, at: number): Promise<void> {
    await this.#db
      .updateTable('tokens')
      .set({ revoked_at: at })
      .where('token_id', '=', tokenId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async revokeUserTokens(userUuid: string, at: number): Promise<number> {
    const res = await this.#db
      .updateTable('tokens')
      .set({ revoked_at: at })
      .where('user_uuid', '=', userUuid)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  listTokens(userUuid?: string): Promise<TokenListRow[]> {
    let q = this.#db
      .selectFrom('tokens')
      .innerJoin('users', 'users.uuid', 'tokens.user_uuid')
      .select([
        'tokens.token_id',
        'tokens.user_uuid',
        'users.display_name',
        'tokens.created_at',
        'tokens.expires_at',
        'tokens.revoked_at',
        'tokens.note',
      ])
      .orderBy('tokens.created_at');
    if (userUuid) q = q.where('tokens.user_uuid', '=', userUuid);
    return q.execute();
  }

  /** Deletes a user's minted tokens that expired before `now`; returns how many. */
  async purgeExpiredMinted(userUuid: string, now: number): Promise<number> {
    const res = await this.#db
      .deleteFrom('tokens')
      .where('user_uuid', '=', userUuid)
      .where('minted', '=', 1)
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  // --- passwords -----------------------------------------------------------------------------

  async passwordHash(userUuid: string): Promise<string | undefined> {
    const r = await this.#db
      .selectFrom('user_passwords')
      .select('hash')
      .where('user_uuid', '=', userUuid)
      .executeTakeFirst();
    return r?.hash;
  }

  async setPasswordHash(userUuid: string, hash: string, at: number): Promise<void> {
    await this.#db
      .insertInto('user_passwords')
      .values({ user_uuid: userUuid, hash, updated_at: at })
      .onConflict((oc) => oc.column('user_uuid').doUpdateSet({ hash, updated_at: at }))
      .execute();
  }

  // --- failed logins -------------------------------------------------------------------------

  /** Records failures under several keys, and drops every failure older than `forgetBefore`. */
  async recordLoginFailure(keys: readonly string[], at: number, forgetBefore: number): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('login_failures').where('failed_at', '<', forgetBefore).execute();
      await trx
        .insertInto('login_failures')
        .values(keys.map((key) => ({ key, failed_at: at })))
        .execute();
    });
  }

  /**
   * Failure times under `key` since `since`, newest first, at most `limit` of them: enough to
   * tell whether the key reached the limit and when its oldest counted failure leaves the window.
   */
  async recentLoginFailures(key: string, since: number, limit: number): Promise<number[]> {
    const rows = await this.#db
      .selectFrom('login_failures')
      .select('failed_at')
      .where('key', '=', key)
      .where('failed_at', '>', since)
      .orderBy('failed_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => r.failed_at);
  }

  async clearLoginFailures(key: string): Promise<void> {
    await this.#db.deleteFrom('login_failures').where('key', '=', key).execute();
  }
}
