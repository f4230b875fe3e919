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
