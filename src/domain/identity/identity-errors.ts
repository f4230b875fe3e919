/**
 * What can go wrong when someone proves who they are. The domain says what happened (for the
 * adapter to map and for the log); each API decides how much of it a client may learn. The
 * Keystone v3 adapter answers every AuthenticationFailed with the same 401 so that user names
 * cannot be probed; the Astakos endpoint keeps its historical messages.
 */
export type AuthenticationFailure =
  | 'unknown-token'
  | 'revoked-token'
  | 'expired-token'
  | 'user-disabled'
  | 'unknown-user'
  | 'wrong-password'
  | 'wrong-secret'
  | 'foreign-scope';

export class AuthenticationFailed extends Error {
  constructor(readonly reason: AuthenticationFailure) {
    super(`authentication failed: ${reason}`);
  }
}

/** Too many failed password attempts in the sliding window, for the user or for the client address. */
export class LoginThrottled extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    readonly by: 'user' | 'address',
  ) {
    super(`too many failed logins for this ${by}; retry in ${retryAfterSeconds} s`);
  }
}

/** A credential the domain refuses to even check (too long to be real). */
export class CredentialRejected extends Error {
  constructor(
    readonly field: 'password' | 'secret',
    readonly why: string,
  ) {
    super(`invalid ${field}: ${why}`);
  }
}

/** A token to validate or revoke that is unknown, no longer valid, or not the caller's to see. */
export class SubjectTokenNotFound extends Error {
  constructor() {
    super('subject token not found');
  }
}

/**
 * A request about a user's own tokens (list, issue, revoke) the rules refuse: another user's
 * tokens (only admins may look at or revoke those), issuing from a session that proved no
 * password, a token that is not there (or not live), or a lifetime out of bounds.
 */
export type OwnTokenRefusal =
  | 'other-user'
  | 'password-session-required'
  | 'no-such-token'
  | 'bad-lifetime'
  | 'bad-name';

export class OwnTokenRefused extends Error {
  constructor(
    readonly reason: OwnTokenRefusal,
    message: string,
  ) {
    super(message);
  }
}
