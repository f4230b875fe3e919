import { createHash, randomBytes } from 'node:crypto';
import { unauthorized } from '../../errors.ts';
import type { Db } from '../../storage/metadata/database.ts';
import { nowMicros } from '../time.ts';
import { UserError, type User } from './users.ts';

export interface IssuedToken {
  readonly tokenId: string;
  readonly userUuid: string;
  /** Shown once, never stored or logged. */
  readonly secret: string;
  readonly expiresAt: number;
}

export interface TokenInfo {
  readonly tokenId: string;
  readonly userUuid: string;
  readonly userName: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly note: string | null;
  readonly state: 'active' | 'expired' | 'revoked';
}

/** The caller of a request, once its token checks out. */
export interface Caller {
  readonly user: User;
  readonly tokenId: string;
  readonly expiresAt: number;
}

/** Only the SHA-256 of a secret is stored: a lookup by hash compares no secret character by character. */
export const tokenHash = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

export class Tokens {
  constructor(private readonly db: Db) {}

  async issue(userUuid: string, ttlSeconds: number, note?: string): Promise<IssuedToken> {
    // A secret starting with '-' would read as an option in `swift --os-auth-token T`: draw again.
    let secret: string;
    do secret = randomBytes(32).toString('base64url');
    while (secret.startsWith('-'));
    const tokenId = randomBytes(6).toString('hex');
    const createdAt = nowMicros();
    const expiresAt = createdAt + ttlSeconds * 1_000_000;
    await this.db.insertInto('tokens').values({
      token_id: tokenId, user_uuid: userUuid, hash: tokenHash(secret), created_at: createdAt,
      expires_at: expiresAt, revoked_at: null, note: note ?? null,
    }).execute();
    return { tokenId, userUuid, secret, expiresAt };
  }

  /** Resolves a presented secret to its caller, or throws the 401 of identity.md §4. */
  async authenticate(secret: string): Promise<Caller> {
    const row = await this.db.selectFrom('tokens')
      .innerJoin('users', 'users.uuid', 'tokens.user_uuid')
      .select(['tokens.token_id', 'tokens.expires_at', 'tokens.revoked_at',
        'users.uuid', 'users.display_name', 'users.admin', 'users.active', 'users.created_at'])
      .where('tokens.hash', '=', tokenHash(secret))
      .executeTakeFirst();
    if (!row || row.revoked_at !== null) throw unauthorized('Invalid token');
    if (row.active !== 1) throw unauthorized('User inactive');
    if (row.expires_at <= Date.now() * 1000) throw unauthorized('Authentication expired');
    return {
      user: { uuid: row.uuid, name: row.display_name, admin: row.admin === 1, active: true, createdAt: row.created_at },
      tokenId: row.token_id,
      expiresAt: row.expires_at,
    };
  }

  /** Revokes one token given by its secret or its token_id; returns its token_id. */
  async revoke(ref: string): Promise<string> {
    const row = await this.db.selectFrom('tokens').select('token_id')
      .where((eb) => eb.or([eb('hash', '=', tokenHash(ref)), eb('token_id', '=', ref)]))
      .executeTakeFirst();
    if (!row) throw new UserError('no such token (give the token itself or its token_id; see "plankton token list")');
    await this.db.updateTable('tokens').set({ revoked_at: nowMicros() })
      .where('token_id', '=', row.token_id).where('revoked_at', 'is', null).execute();
    return row.token_id;
  }

  /** Revokes every live token of a user; returns how many. */
  async revokeAll(userUuid: string): Promise<number> {
    const res = await this.db.updateTable('tokens').set({ revoked_at: nowMicros() })
      .where('user_uuid', '=', userUuid).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  async list(userUuid?: string): Promise<TokenInfo[]> {
    let q = this.db.selectFrom('tokens').innerJoin('users', 'users.uuid', 'tokens.user_uuid')
      .select(['tokens.token_id', 'tokens.user_uuid', 'users.display_name', 'tokens.created_at',
        'tokens.expires_at', 'tokens.revoked_at', 'tokens.note'])
      .orderBy('tokens.created_at');
    if (userUuid) q = q.where('tokens.user_uuid', '=', userUuid);
    const now = Date.now() * 1000;
    return (await q.execute()).map((r) => ({
      tokenId: r.token_id, userUuid: r.user_uuid, userName: r.display_name, createdAt: r.created_at,
      expiresAt: r.expires_at, revokedAt: r.revoked_at, note: r.note,
      state: r.revoked_at !== null ? 'revoked' : r.expires_at <= now ? 'expired' : 'active',
    }));
  }
}
