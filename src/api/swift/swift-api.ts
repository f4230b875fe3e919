/**
 * The Swift dialect of the object store (issue 19): `/swift/v1/AUTH_<uuid>[/<container>[/<object>]]`
 * on the same accounts, containers and objects as the Pithos mount, served by the same handlers
 * (src/api/object-store/) with the SWIFT dialect table, plus Swift's conventions on every reply:
 * `X-Trans-Id` and `X-Openstack-Request-Id`, a `Content-Type` even on empty replies,
 * `X-Timestamp`, `X-Storage-Policy`, Swift's error pages, 404 for unknown routes and 403 for an
 * account or container the caller may not use. Also `/info`, `/swift/healthcheck`,
 * `/crossdomain.xml` and `/auth/v1.0`. See README.md beside this file.
 */
import { randomBytes } from 'node:crypto';
import { badRequest, forbidden, methodNotAllowed, notFound } from '../../errors.ts';
import type { Caller } from '../../domain/identity/tokens.ts';
import { canonicalUuid } from '../../domain/identity/users.ts';
import type { ApiRequest } from '../http/api-request.ts';
import { authenticate, presentedToken } from '../http/auth.ts';
import { handleAnonymous, publiclyReadable } from './anonymous.ts';
import type { ApiResponse, HeaderMap } from '../http/reply.ts';
import { SWIFT, swiftTimestamp } from '../object-store/dialect.ts';
import { handleStoreTarget, parseStorePath, type StoreTarget } from '../object-store/object-store-api.ts';
import { checkHeaderOctets } from '../object-store/request-headers.ts';
import { encodeResponseHeaders } from '../object-store/response-headers.ts';
import { crossdomain, healthcheck, info, STORAGE_POLICY } from './discovery.ts';
import { HTML_TYPE, swiftFailure } from './swift-faults.ts';
import { handleV1Auth, SWIFT_BASE } from './v1-auth.ts';
import { handleBulkDelete, isBulkDelete } from './bulk-delete.ts';
import { handleExtractArchive, isExtractArchive } from './extract-archive.ts';
import { handleFormPost, isFormPost } from './form-post.ts';
import { handleTempUrl, isTempUrlRequest } from './temp-url.ts';

/** Everything this API answers: the mount and Swift's fixed paths. */
export const SWIFT_PREFIX = /^\/(swift(\/|$)|info\/?$|crossdomain\.xml$|auth\/v1\.0\/?$)/;

const ALLOW = {
  account: ['HEAD', 'GET', 'POST'],
  container: ['HEAD', 'GET', 'PUT', 'POST', 'DELETE'],
  object: ['HEAD', 'GET', 'PUT', 'POST', 'DELETE', 'COPY'],
} as const;

const READS = ['GET', 'HEAD'];

/** Swift's transaction id form: `tx` + 21 hex digits + `-` + the time in hex. */
const transId = (): string =>
  `tx${randomBytes(11).toString('hex').slice(0, 21)}-${Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(10, '0')}`;

/**
 * Swift's request-id headers, which the HTTP shell sets on every reply of this mount before the
 * handler runs, so that the replies the shell words itself (a `408` for a body too slow, the
 * `503` for too many uploads) carry them too (src/api/router.ts, `Api.idHeaders`).
 */
export function swiftIdHeaders(): Record<string, string> {
  const trans = transId();
  return { 'X-Trans-Id': trans, 'X-Openstack-Request-Id': trans };
}

export async function handleSwift(req: ApiRequest): Promise<ApiResponse> {
  let response: ApiResponse;
  let level: StoreTarget['level'] | undefined;
  try {
    const routed = await route(req);
    response = routed.response;
    level = routed.level;
  } catch (err) {
    response = swiftFailure(req.log, err);
  }
  return finish(response, level);
}

async function route(req: ApiRequest): Promise<{ response: ApiResponse; level?: StoreTarget['level'] }> {
  const fixed = fixedRoute(req);
  if (fixed) {
    if (!READS.includes(req.method)) throw methodNotAllowed(READS);
    return { response: await fixed() };
  }
  const base = `${SWIFT_BASE}/AUTH_`;
  const parsed = req.path.startsWith(base) ? parseStorePath(req.path.slice(base.length)) : undefined;
  if (!parsed || canonicalUuid(parsed.target.account) === undefined) throw notFound('');
  const { target, badPath } = parsed;
  // Signed requests carry no token: TempURL and FormPost (temp-url.ts, form-post.ts).
  if (isTempUrlRequest(req) || isFormPost(req)) {
    if (badPath) throw badRequest('Invalid UTF8 or contains NULL');
    const response = isTempUrlRequest(req) ? await handleTempUrl(req, target) : await handleFormPost(req, target);
    return { response, level: target.level };
  }
  const bulk = isBulkDelete(req) || isExtractArchive(req);
  if (!bulk && !(ALLOW[target.level] as readonly string[]).includes(req.method))
    throw methodNotAllowed(ALLOW[target.level]);
  // No token: a public-read container (its ACL) may still serve it (anonymous.ts); else 401.
  if (presentedToken(req) === undefined && !badPath) {
    const response = await handleAnonymous(req, target);
    return { response: { ...response, headers: encodeResponseHeaders(response.headers) }, level: target.level };
  }
  const caller = await authenticate(req);
  if (badPath) throw badRequest('Invalid UTF8 or contains NULL');
  checkHeaderOctets(req.raw, { utf8: true });
  if (!(await mayUsePlace(req, caller, target))) {
    // A container that lets anyone read (`.r:` rules) lets a signed-in stranger read too, as anonymous.
    if (target.level !== 'account' && READS.includes(req.method) && (await publiclyReadable(req, target))) {
      const response = await handleAnonymous(req, target);
      return { response: { ...response, headers: encodeResponseHeaders(response.headers) }, level: target.level };
    }
    throw forbidden();
  }
  if (isBulkDelete(req)) return { response: await handleBulkDelete(req, caller, target.account) };
  if (isExtractArchive(req)) return { response: await handleExtractArchive(req, caller, target) };
  const response = await handleStoreTarget(req, caller, target, SWIFT);
  return { response: { ...response, headers: encodeResponseHeaders(response.headers) }, level: target.level };
}

function fixedRoute(req: ApiRequest): (() => ApiResponse | Promise<ApiResponse>) | undefined {
  switch (req.path.replace(/\/$/, '')) {
    case '/info':
    case '/swift/info': // where swiftclient looks: the storage URL less `/v1/AUTH_…`, then `/info`
      return () => info(req.services.settings);
    case '/swift/healthcheck':
      return healthcheck;
    case '/crossdomain.xml':
      return crossdomain;
    case '/auth/v1.0':
      return () => handleV1Auth(req);
    default:
      return undefined;
  }
}

/**
 * Swift refuses (403) an account or container the caller may not use, where Pithos says it does
 * not exist. Here a caller may use someone else's account or container only where he holds a
 * grant on something inside (Pithos sharing); the handlers then decide per object as on Pithos.
 */
async function mayUsePlace(req: ApiRequest, caller: Caller, target: StoreTarget): Promise<boolean> {
  if (target.account === caller.user.uuid) return true;
  const { containers } = req.services;
  if (target.level === 'account') return containers.hasGrantsIn(caller.user.uuid, target.account);
  const c = await containers.get(target.account, target.container);
  return !!c && (await containers.hasGrantsIn(caller.user.uuid, target.account, c.id));
}

/** Swift's headers on every reply of this API (`X-Trans-Id`: the shell's, see swiftIdHeaders). */
function finish(r: ApiResponse, level: StoreTarget['level'] | undefined): ApiResponse {
  const headers: HeaderMap = { ...r.headers };
  const has = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name);
  if (!has('content-type'))
    headers['Content-Type'] = level === 'object' || r.status >= 300 ? HTML_TYPE : 'text/plain; charset=UTF-8';
  if (r.status < 300 && level !== undefined) {
    const lastModified = headers['Last-Modified'];
    if (lastModified !== undefined && !has('x-timestamp'))
      headers['X-Timestamp'] = swiftTimestamp(Date.parse(String(lastModified)) * 1000);
    if (level !== 'object') headers['X-Storage-Policy'] = STORAGE_POLICY;
  }
  return { ...r, headers };
}
