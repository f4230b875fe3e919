/**
 * Swift v1.0 auth (`GET /auth/v1.0`), for tools that still use it (`swift -A … -U … -K …`):
 * `X-Auth-User` is a user's display name (`account:user` is read as `user`, tempauth's form),
 * `X-Auth-Key` one of his tokens or his password. It is the Keystone v3 password login underneath
 * (same throttle, same minted token, a token as the password comes back as it is), answered in
 * tempauth's terms: `X-Storage-Url` (the Swift mount) and `X-Auth-Token`/`X-Storage-Token`.
 */
import { AuthenticationFailed, CredentialRejected, LoginThrottled } from '../../domain/identity/identity-errors.ts';
import { DEFAULT_DOMAIN } from '../../domain/identity/authentication.ts';
import { lastHeader, type ApiRequest } from '../http/api-request.ts';
import type { ApiResponse } from '../http/reply.ts';
import { swiftError } from './swift-faults.ts';

export const SWIFT_BASE = '/swift/v1';

export const storageUrl = (publicUrl: string, uuid: string): string => `${publicUrl}${SWIFT_BASE}/AUTH_${uuid}`;

export async function handleV1Auth(req: ApiRequest): Promise<ApiResponse> {
  const given = lastHeader(req.raw, 'x-auth-user') ?? lastHeader(req.raw, 'x-storage-user');
  const key = lastHeader(req.raw, 'x-auth-key') ?? lastHeader(req.raw, 'x-storage-pass');
  if (!given || !key) return swiftError(401);
  const { users, authentication } = req.services;
  // tempauth's `account:user`: a display name with a colon is tried whole first.
  const name = (await users.byName(given)) || !given.includes(':') ? given : given.slice(given.indexOf(':') + 1);
  try {
    const session = await authentication.login(
      {
        method: 'password',
        user: { name, domain: { id: DEFAULT_DOMAIN.id } },
        password: key,
        address: req.raw.socket.remoteAddress ?? '',
      },
      { kind: 'default' },
    );
    const expiresIn = Math.max(0, Math.floor((session.expiresAt - Date.now() * 1000) / 1_000_000));
    return {
      status: 200,
      headers: {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-Storage-Url': storageUrl(req.services.publicUrl(), session.user.uuid),
        'X-Auth-Token': session.secret,
        'X-Storage-Token': session.secret,
        'X-Auth-Token-Expires': expiresIn,
      },
    };
  } catch (err) {
    if (err instanceof LoginThrottled)
      return swiftError(429, undefined, { 'Retry-After': String(err.retryAfterSeconds) });
    if (err instanceof AuthenticationFailed || err instanceof CredentialRejected) return swiftError(401);
    throw err;
  }
}
