import { unauthorized } from '../../errors.ts';
import { AuthenticationFailed } from '../../domain/identity/identity-errors.ts';
import type { Caller, Tokens } from '../../domain/identity/tokens.ts';
import { lastHeader, type ApiRequest } from './api-request.ts';

/** The presented token: query parameter `X-Auth-Token` (exact name) first, else the header. */
export function presentedToken(req: ApiRequest): string | undefined {
  const fromQuery = req.query.get('X-Auth-Token');
  if (fromQuery) return fromQuery;
  return lastHeader(req.raw, 'x-auth-token') || undefined;
}

/** The caller of a request that needs a token, or the 401 of identity.md §4. */
export async function authenticate(req: ApiRequest): Promise<Caller> {
  const token = presentedToken(req);
  if (!token) throw unauthorized('Access denied. No authentication token');
  return callerOf(req.services.tokens, token);
}

/** The Astakos / Plankton 401 messages (identity.md §4) of the ways a token can be refused. */
const REFUSALS: Partial<Record<AuthenticationFailed['reason'], string>> = {
  'user-disabled': 'User inactive',
  'expired-token': 'Authentication expired',
};

/**
 * The caller a token secret stands for, or the 401 of identity.md §4, for the APIs that speak
 * Plankton's fault shape (object store, image API, Astakos identity). Keystone v3 words its own.
 */
export async function callerOf(tokens: Tokens, secret: string): Promise<Caller> {
  try {
    return await tokens.resolve(secret);
  } catch (err) {
    if (err instanceof AuthenticationFailed) throw unauthorized(REFUSALS[err.reason] ?? 'Invalid token');
    throw err;
  }
}

/** Access-log form of a URL: the query token replaced, so no secret reaches a log line. */
export function redactUrl(url: string): string {
  if (!url.includes('X-Auth-Token=')) return url; // the usual case: nothing to redact, no regex run
  return url.replace(/([?&]X-Auth-Token=)[^&]*/g, '$1<redacted>');
}
