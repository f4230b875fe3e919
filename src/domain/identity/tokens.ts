import crypto, { createHash, randomBytes } from 'node:crypto';
import type { IdentityRepository } from '../../storage/metadata/identity-repository.ts';
import { nowMicros } from '../time.ts';
import { AuthenticationFailed } from './identity-errors.ts';
import { toUser, UserError, type User } from './users.ts';

export interface IssuedToken {
  readonly tokenId: string;
  readonly userUuid: string;
  /** Shown once, never stored or logged. */
  readonly secret: string;
  readonly issuedAt: number;
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
  /** When the token was issued (microseconds). */
  readonly issuedAt: number;
  /** Whether a password login minted the token (a proof of the password, not only of a token). */
  readonly minted: boolean;
}

/** Only the SHA-256 of a secret is stored: a lookup by hash compares no secret character by character. */
export const tokenHash = (secret: string): string => sha256Hex(secret);

/**
 * SHA-256 of a UTF-8 string, hex. Node's one-shot `crypto.hash` (20.12 and later) skips the Hash
 * object a `createHash` call allocates on every authenticated request; older 20.x keep that.
 */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => createHash('sha256').update(text, 'utf8').digest('hex');

export class Tokens {
  constructor(private readonly repo: IdentityRepository) {}

  async issue(
    userUuid: string,
    ttlSeconds: number,
    note?: string,
    opts: { minted?: boolean } = {},
  ): Promise<IssuedToken> {
    // A secret starting with '-' would read as an option in `swift --os-auth-token T`: draw again.
    let secret: string;
    do secret = randomBytes(32).toString('base64url');
    while (secret.startsWith('-'));
    const tokenId = randomBytes(6).toString('hex');
    const createdAt = nowMicros();
    const expiresAt = createdAt + ttlSeconds * 1_000_000;
    await this.repo.insertToken({
      tokenId,
      userUuid,
      hash: tokenHash(secret),
      createdAt,
      expiresAt,
      note: note ?? null,
      minted: opts.minted === true,
    });
    return { tokenId, userUuid, secret, issuedAt: createdAt, expiresAt };
  }

  /** Resolves a presented secret to its caller, or throws AuthenticationFailed saying why not. */
  async resolve(secret: string): Promise<Caller> {
    const row = await this.repo.tokenByHash(tokenHash(secret));
    if (!row) throw new AuthenticationFailed('unknown-token');
    if (row.revoked_at !== null) throw new AuthenticationFailed('revoked-token');
    if (row.user.active !== 1) throw new AuthenticationFailed('user-disabled');
    if (row.expires_at <= Date.now() * 1000) throw new AuthenticationFailed('expired-token');
    return {
      user: toUser(row.user),
      tokenId: row.token_id,
      expiresAt: row.expires_at,
      issuedAt: row.created_at,
      minted: row.minted === 1,
    };
  }

  /** Revokes one token given by its secret or its token_id; returns its token_id. */
  async revoke(ref: string): Promise<string> {
    const tokenId = await this.repo.tokenIdByRef(tokenHash(ref), ref);
    if (!tokenId)
      throw new UserError('no such token (give the token itself or its token_id; see "plankton token list")');
    await this.repo.revokeToken(tokenId, nowMicros());
    return tokenId;
  }

  /** Revokes one token known by its token_id (already resolved by the caller). */
  async revokeById(tokenId: string): Promise<void> {
    await this.repo.revokeToken(tokenId, nowMicros());
  }

  /** Revokes every live token of a user; returns how many. */
  revokeAll(userUuid: string): Promise<number> {
    return this.repo.revokeUserTokens(userUuid, nowMicros());
  }

  /** Deletes the user's minted (password-login) tokens that have expired; returns how many. */
  purgeExpiredMinted(userUuid: string): Promise<number> {
    return this.repo.purgeExpiredMinted(userUuid, Date.now() * 1000);
  }

  async list(userUuid?: string): Promise<TokenInfo[]> {
    const now = Date.now() * 1000;
    return (await this.repo.listTokens(userUuid)).map((r) => ({
      tokenId: r.token_id,
      userUuid: r.user_uuid,
      userName: r.display_name,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      revokedAt: r.revoked_at,
      note: r.note,
      state: r.revoked_at !== null ? 'revoked' : r.expires_at <= now ? 'expired' : 'active',
    }));
  }
}
