import { timingSafeEqual } from 'node:crypto';
import { AuthenticationFailed, CredentialRejected, SubjectTokenNotFound } from './identity-errors.ts';
import type { LoginSubject, LoginThrottle } from './login-throttle.ts';
import { MAX_PASSWORD_LENGTH, type Passwords } from './passwords.ts';
import type { Caller, Tokens } from './tokens.ts';
import { canonicalUuid, type User, type Users } from './users.ts';

/**
 * Keystone v3 logins on Plankton's users and tokens (openstack.md §2.6). Plankton has exactly one
 * domain (`default` / `Default`) and one project per user: its own account (id = user UUID,
 * name = display name).
 */

export type DomainRef = { readonly id: string } | { readonly name: string };
export type UserRef = { readonly id: string } | { readonly name: string; readonly domain: DomainRef };

export type Credential =
  /** An existing Plankton token: the same token comes back, nothing is written. */
  | { readonly method: 'token'; readonly secret: string }
  /** A real password, or one of the user's tokens given as the password. */
  | { readonly method: 'password'; readonly user: UserRef; readonly password: string; readonly address: string }
  /** id = a token's token_id, secret = that token. `id` is undefined when the client named the credential instead. */
  | { readonly method: 'application_credential'; readonly id: string | undefined; readonly secret: string };

export type ScopeRequest =
  /** No scope given: the user's own project (Keystone's default project). */
  | { readonly kind: 'default' }
  | { readonly kind: 'unscoped' }
  | {
      readonly kind: 'project';
      readonly project: { readonly id: string } | { readonly name: string; readonly domain: DomainRef };
    }
  /** A domain or system scope: Plankton grants neither. */
  | { readonly kind: 'other' };

export interface Session {
  readonly user: User;
  /** The token to hand back (X-Subject-Token). Never logged. */
  readonly secret: string;
  readonly tokenId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly method: Credential['method'];
  /** The project the token is scoped to (the user's own), or undefined for an unscoped token. */
  readonly project: User | undefined;
}

export const DEFAULT_DOMAIN = Object.freeze({ id: 'default', name: 'Default' });

export const isDefaultDomain = (d: DomainRef): boolean =>
  'id' in d ? d.id === DEFAULT_DOMAIN.id : d.name.toLowerCase() === DEFAULT_DOMAIN.name.toLowerCase();

/** A token secret has this shape; other passwords are never looked up as tokens. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export class Authentication {
  constructor(
    private readonly users: Users,
    private readonly tokens: Tokens,
    private readonly passwords: Passwords,
    private readonly throttle: LoginThrottle,
    private readonly mintedTtlSeconds: number,
  ) {}

  /** Proves who the caller is and grants the requested scope, or throws an identity error. */
  async login(credential: Credential, scope: ScopeRequest): Promise<Session> {
    switch (credential.method) {
      case 'token': {
        const caller = await this.tokens.resolve(credential.secret);
        return this.#session(caller, credential.secret, 'token', scope);
      }
      case 'application_credential': {
        const caller = await this.tokens.resolve(credential.secret);
        if (credential.id === undefined || !sameText(credential.id, caller.tokenId))
          throw new AuthenticationFailed('wrong-secret');
        return this.#session(caller, credential.secret, 'application_credential', scope);
      }
      case 'password':
        return this.#passwordLogin(credential, scope);
    }
  }

  /** A token's session as GET /v3/auth/tokens shows it, if the caller may see it (its owner or an admin). */
  async inspect(caller: Caller, subjectSecret: string): Promise<Session> {
    const subject = await this.#subject(caller, subjectSecret);
    return this.#session(subject, subjectSecret, 'token', { kind: 'default' });
  }

  /** Revokes a token: the caller's own, or any for an admin. */
  async revoke(caller: Caller, subjectSecret: string): Promise<void> {
    const subject = await this.#subject(caller, subjectSecret);
    await this.tokens.revokeById(subject.tokenId);
  }

  async #subject(caller: Caller, subjectSecret: string): Promise<Caller> {
    let subject: Caller;
    try {
      subject = await this.tokens.resolve(subjectSecret);
    } catch (err) {
      if (err instanceof AuthenticationFailed) throw new SubjectTokenNotFound();
      throw err;
    }
    if (subject.user.uuid !== caller.user.uuid && !caller.user.admin) throw new SubjectTokenNotFound();
    return subject;
  }

  async #passwordLogin(credential: Extract<Credential, { method: 'password' }>, scope: ScopeRequest): Promise<Session> {
    const { password } = credential;
    if (password.length > MAX_PASSWORD_LENGTH)
      throw new CredentialRejected('password', `longer than ${MAX_PASSWORD_LENGTH} characters`);
    const user = await this.#findUser(credential.user);
    const subject: LoginSubject = {
      user: user
        ? { uuid: user.uuid }
        : { asGiven: 'id' in credential.user ? `id:${credential.user.id}` : `name:${credential.user.name}` },
      address: credential.address,
    };
    await this.throttle.check(subject);

    // One of the user's tokens as the password (as the Astakos endpoint accepts): the same token back.
    if (user && TOKEN_SHAPE.test(password)) {
      const caller = await this.tokens.resolve(password).catch(() => undefined);
      if (caller && caller.user.uuid === user.uuid) {
        await this.throttle.recordSuccess(subject);
        return this.#session(caller, password, 'password', scope);
      }
    }
    // Checked even for an unknown or disabled user (against a decoy): every failure costs the same.
    const matches = await this.passwords.matches(user?.uuid, password);
    if (!user || !matches || !user.active) {
      await this.throttle.recordFailure(subject);
      throw new AuthenticationFailed(!user ? 'unknown-user' : !matches ? 'wrong-password' : 'user-disabled');
    }
    await this.throttle.recordSuccess(subject);
    const project = this.#grantScope(user, scope);
    await this.tokens.purgeExpiredMinted(user.uuid);
    const minted = await this.tokens.issue(user.uuid, this.mintedTtlSeconds, 'keystone-v3 session', { minted: true });
    return {
      user,
      secret: minted.secret,
      tokenId: minted.tokenId,
      issuedAt: minted.issuedAt,
      expiresAt: minted.expiresAt,
      method: 'password',
      project,
    };
  }

  async #findUser(ref: UserRef): Promise<User | undefined> {
    if ('id' in ref) return canonicalUuid(ref.id) === undefined ? undefined : this.users.byUuid(ref.id);
    if (!isDefaultDomain(ref.domain)) return undefined;
    return this.users.byName(ref.name);
  }

  #session(caller: Caller, secret: string, method: Credential['method'], scope: ScopeRequest): Session {
    return {
      user: caller.user,
      secret,
      tokenId: caller.tokenId,
      issuedAt: caller.issuedAt,
      expiresAt: caller.expiresAt,
      method,
      project: this.#grantScope(caller.user, scope),
    };
  }

  /** Only the user's own project may be asked for (admins included: no impersonation). */
  #grantScope(user: User, scope: ScopeRequest): User | undefined {
    switch (scope.kind) {
      case 'default':
        return user;
      case 'unscoped':
        return undefined;
      case 'other':
        throw new AuthenticationFailed('foreign-scope');
      case 'project': {
        const p = scope.project;
        const own = 'id' in p ? canonicalUuid(p.id) === user.uuid : p.name === user.name && isDefaultDomain(p.domain);
        if (!own) throw new AuthenticationFailed('foreign-scope');
        return user;
      }
    }
  }
}

/** Constant-time comparison of two short public strings (a token_id against the presented id). */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
