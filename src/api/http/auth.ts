import { unauthorized } from '../../errors.ts';
import type { Caller } from '../../domain/identity/tokens.ts';
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
  return req.services.tokens.authenticate(token);
}

/** Access-log form of a URL: the query token replaced, so no secret reaches a log line. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]X-Auth-Token=)[^&]*/g, '$1<redacted>');
}
