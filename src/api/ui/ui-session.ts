/**
 * The web catalog's session (README, "Web catalog"): what the cookies hold, the CSRF token bound
 * to them, and the same-origin checks every state-changing request passes.
 *
 * The session cookie holds the token secret itself (HttpOnly, so no script reads it), prefixed
 * with how it was obtained: `m.` a token the login minted (logout revokes it), `t.` a token the
 * user pasted (logout only forgets it: revoking a long-lived token the user pasted would break
 * their other tools). Nothing is kept on the server, so every node behind a balancer shares it.
 *
 * The CSRF token is derived from the secret (SHA-256 with a label): the page reads it from a
 * non-HttpOnly cookie and sends it back as `X-CSRF-Token`. An attacker's page can neither read
 * the cookie nor compute the digest without the secret, and because it is bound to the session a
 * cookie planted from a sibling origin cannot pass with someone else's session.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { forbidden, unauthorized } from '../../errors.ts';
import { lastHeader, type ApiRequest } from '../http/api-request.ts';

export const SESSION_COOKIE = 'plankton_session';
export const CSRF_COOKIE = 'plankton_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

export type SessionKind = 'minted' | 'pasted';

export interface UiSession {
  readonly secret: string;
  readonly kind: SessionKind;
}

/** The derived CSRF token of a session secret. */
export function csrfTokenOf(secret: string): string {
  return createHash('sha256').update(`plankton-ui-csrf\0${secret}`).digest('base64url');
}

/** Cookies of a request (the last one of a name wins; values are never percent-decoded: ours are base64url). */
export function cookiesOf(req: ApiRequest): Map<string, string> {
  const jar = new Map<string, string>();
  const raw = req.raw.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() !== 'cookie') continue;
    for (const part of raw[i + 1].split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0) jar.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
  }
  return jar;
}

const SESSION_SHAPE = /^([mt])\.([A-Za-z0-9_-]{1,256})$/;

/** The session the request's cookie carries, if any (not yet checked against the token store). */
export function sessionOf(req: ApiRequest): UiSession | undefined {
  const m = SESSION_SHAPE.exec(cookiesOf(req).get(SESSION_COOKIE) ?? '');
  return m ? { secret: m[2], kind: m[1] === 'm' ? 'minted' : 'pasted' } : undefined;
}

/** The session, or 401 when there is none. */
export function requireSession(req: ApiRequest): UiSession {
  const session = sessionOf(req);
  if (!session) throw unauthorized('Not logged in');
  return session;
}

/** 403 unless the request carries the session's CSRF token in its header. */
export function checkCsrf(req: ApiRequest, session: UiSession): void {
  const given = Buffer.from(lastHeader(req.raw, CSRF_HEADER) ?? '', 'utf8');
  const expected = Buffer.from(csrfTokenOf(session.secret), 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw forbidden('Missing or wrong CSRF token');
}

/**
 * 403 for a request a browser says comes from another site: an `Origin` that is neither the
 * public URL's nor this Host's, or `Sec-Fetch-Site: cross-site`/`same-site`. Non-browser clients
 * send neither header; for them the CSRF token (or, at login, the JSON body a form cannot send
 * without a CORS preflight we never grant) is the guard.
 */
export function checkSameOrigin(req: ApiRequest): void {
  const site = lastHeader(req.raw, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw forbidden('Cross-site request refused');
  const origin = lastHeader(req.raw, 'origin');
  if (origin === undefined) return;
  const publicUrl = req.services.publicUrl();
  const allowed = new Set<string>([new URL(publicUrl).origin]);
  const host = lastHeader(req.raw, 'host');
  if (host) allowed.add(`${new URL(publicUrl).protocol}//${host}`);
  if (!allowed.has(origin)) throw forbidden('Cross-origin request refused');
}

/** The Set-Cookie values that open a session. `Secure` when the public URL is https. */
export function sessionCookies(req: ApiRequest, session: UiSession, maxAgeSeconds: number): string[] {
  const secure = req.services.publicUrl().startsWith('https:') ? '; Secure' : '';
  const age = Math.max(0, Math.floor(maxAgeSeconds));
  const value = `${session.kind === 'minted' ? 'm' : 't'}.${session.secret}`;
  return [
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${age}${secure}`,
    // Readable by the page's script on purpose: it is echoed in X-CSRF-Token (double submit).
    `${CSRF_COOKIE}=${csrfTokenOf(session.secret)}; Path=/; SameSite=Strict; Max-Age=${age}${secure}`,
  ];
}

/** The Set-Cookie values that end a session. */
export function clearedCookies(req: ApiRequest): string[] {
  const secure = req.services.publicUrl().startsWith('https:') ? '; Secure' : '';
  return [
    `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure}`,
    `${CSRF_COOKIE}=; Path=/; SameSite=Strict; Max-Age=0${secure}`,
  ];
}
