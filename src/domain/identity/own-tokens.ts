import { nowMicros } from '../time.ts';
import { OwnTokenRefused } from './identity-errors.ts';
import type { Caller, IssuedToken, TokenInfo, Tokens } from './tokens.ts';

/**
 * A user managing their own tokens through an API (README, "Your own tokens": Keystone v3
 * application credentials are Plankton tokens): list the live ones, issue one with a lifetime and
 * a name, revoke one. The rules live here, not in the adapter:
 *
 * - a user sees and revokes only their own tokens; an admin may see and revoke anyone's, but
 *   issues only their own (no impersonation: `plankton token issue` is the operator's tool);
 * - issuing needs a session that proved the password (a token minted by a password login), as
 *   Keystone lets only unrestricted credentials create credentials: a stolen token, or one issued
 *   here, cannot extend itself by issuing a fresh one;
 * - a lifetime is at most the operator's default token lifetime (`PLANKTON_TOKEN_TTL`), which is
 *   also what an unspecified one gets.
 */
export class OwnTokens {
  constructor(
    private readonly tokens: Tokens,
    private readonly maxTtlSeconds: number,
  ) {}

  /** The user's live (neither expired nor revoked) tokens, oldest first. */
  async list(caller: Caller, userUuid: string): Promise<TokenInfo[]> {
    this.#mayLookAt(caller, userUuid);
    return (await this.tokens.list(userUuid)).filter((t) => t.state === 'active');
  }

  /** One live token of the user, by its token_id. */
  async show(caller: Caller, userUuid: string, tokenId: string): Promise<TokenInfo> {
    const found = (await this.list(caller, userUuid)).find((t) => t.tokenId === tokenId);
    if (!found) throw new OwnTokenRefused('no-such-token', `Could not find token: ${tokenId}.`);
    return found;
  }

  /**
   * A new token for the caller, named `name`, expiring at `expiresAt` (microseconds; undefined:
   * the default lifetime). The secret is in the result and nowhere else, ever.
   */
  async issue(caller: Caller, userUuid: string, name: string, expiresAt: number | undefined): Promise<IssuedToken> {
    if (userUuid !== caller.user.uuid)
      throw new OwnTokenRefused('other-user', 'Tokens can only be issued for yourself.');
    if (!caller.minted)
      throw new OwnTokenRefused(
        'password-session-required',
        'Issuing a token needs a session opened with your password, not with a token.',
      );
    if (name.length === 0 || name.length > 255)
      throw new OwnTokenRefused('bad-name', 'A name of 1 to 255 characters is required.');
    const now = nowMicros();
    let ttlSeconds = this.maxTtlSeconds;
    if (expiresAt !== undefined) {
      ttlSeconds = Math.floor((expiresAt - now) / 1_000_000);
      if (ttlSeconds < 60) throw new OwnTokenRefused('bad-lifetime', 'The expiry must be at least a minute away.');
      // A minute of slack: a client computing "now + the maximum" a moment ago is still within it.
      if (ttlSeconds > this.maxTtlSeconds + 60)
        throw new OwnTokenRefused(
          'bad-lifetime',
          `A token lives at most ${this.maxTtlSeconds} seconds (${Math.floor(this.maxTtlSeconds / 86400)} days).`,
        );
      ttlSeconds = Math.min(ttlSeconds, this.maxTtlSeconds);
    }
    return this.tokens.issue(caller.user.uuid, ttlSeconds, name);
  }

  /** Revokes one of the user's live tokens (possibly the caller's own: that ends its session). */
  async revoke(caller: Caller, userUuid: string, tokenId: string): Promise<void> {
    await this.show(caller, userUuid, tokenId);
    await this.tokens.revokeById(tokenId);
  }

  #mayLookAt(caller: Caller, userUuid: string): void {
    if (userUuid !== caller.user.uuid && !caller.user.admin)
      throw new OwnTokenRefused('other-user', "You are not authorized to see or revoke another user's tokens.");
  }
}
