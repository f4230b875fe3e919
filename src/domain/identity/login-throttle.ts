import { createHash } from 'node:crypto';
import type { IdentityRepository } from '../../storage/metadata/identity-repository.ts';
import { nowMicros } from '../time.ts';
import { LoginThrottled } from './identity-errors.ts';

export interface ThrottleLimits {
  /** Length of the sliding window, seconds. */
  readonly windowSeconds: number;
  /** Failed password attempts per user (known or not) within the window. */
  readonly perUser: number;
  /** Failed password attempts per client address within the window, whatever the user. */
  readonly perAddress: number;
}

/** Who a password attempt is counted against. */
export interface LoginSubject {
  /** The user's UUID when the name or id given is a user; else the name or id as given. */
  readonly user: { readonly uuid: string } | { readonly asGiven: string };
  readonly address: string;
}

/**
 * Sliding-window throttle of failed password attempts (the only guessable credential: token and
 * application-credential secrets are 256-bit random).
 *
 * * A failure is recorded under two keys, the user and the client address; a key with `limit`
 *   failures within the last `window` seconds refuses further attempts (429 + Retry-After) until
 *   the oldest of those failures leaves the window.
 * * A refused (throttled) attempt is **not** counted and its password is never checked. So a
 *   brute-force loop gets at most `limit` guesses per window, whatever its speed, and once the
 *   loop stops (or merely slows to the allowed rate) the right password works again after at
 *   most one window. A counter that grew with every refused attempt would instead lock the real
 *   user out for as long as the attacker keeps trying.
 * * The cost of that choice: an attacker can keep one user's *password* logins throttled. Its
 *   tokens and application credentials are never throttled, so automation does not depend on it.
 * * A success clears the user's failures (not the address's: one address may try many users).
 * * Unknown users are counted like known ones (under the name as given), so a 429 never tells
 *   whether a user exists.
 * * State is in the database, so every API node behind a load balancer counts the same failures.
 *   Concurrent attempts can overshoot a limit by the number in flight.
 */
export class LoginThrottle {
  constructor(
    private readonly repo: IdentityRepository,
    private readonly limits: ThrottleLimits,
  ) {}

  /** Throws LoginThrottled when the user or the address has used up its failures. */
  async check(subject: LoginSubject): Promise<void> {
    const now = nowMicros();
    const window = this.limits.windowSeconds * 1_000_000;
    let worst: LoginThrottled | undefined;
    for (const [key, limit, by] of [
      [userKey(subject), this.limits.perUser, 'user'],
      [addressKey(subject), this.limits.perAddress, 'address'],
    ] as const) {
      const recent = await this.repo.recentLoginFailures(key, now - window, limit);
      if (recent.length < limit) continue;
      // The limit-th newest failure: once it leaves the window, the key is under its limit again.
      const retryAfter = Math.max(1, Math.ceil((recent[limit - 1] + window - now) / 1_000_000));
      if (!worst || retryAfter > worst.retryAfterSeconds) worst = new LoginThrottled(retryAfter, by);
    }
    if (worst) throw worst;
  }

  async recordFailure(subject: LoginSubject): Promise<void> {
    const now = nowMicros();
    await this.repo.recordLoginFailure(
      [userKey(subject), addressKey(subject)],
      now,
      now - this.limits.windowSeconds * 1_000_000,
    );
  }

  async recordSuccess(subject: LoginSubject): Promise<void> {
    await this.repo.clearLoginFailures(userKey(subject));
  }
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

// Names as given may be 10,000 characters long: keys hold a digest, never the text itself.
const userKey = (s: LoginSubject) => ('uuid' in s.user ? `user:${s.user.uuid}` : `user?${digest(s.user.asGiven)}`);
const addressKey = (s: LoginSubject) => `address:${s.address.replace(/^::ffff:/, '')}`;
