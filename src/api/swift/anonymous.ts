/**
 * Requests without a token on the Swift mount: only `GET`/`HEAD` of a container whose read ACL
 * lets anyone in (`.r:*`, or a `.r:` referrer rule matching the `Referer`), as Swift serves them.
 * An object is served when the referrer rules allow it; the container (HEAD and listing) only
 * with `.rlistings` as well. Everything else is Swift's `401` (never a `404`: an anonymous
 * caller learns nothing of what exists unless the ACL lets him read it). Anonymous never writes.
 */
import { notFound, unauthorized } from '../../errors.ts';
import { anonymousLists, anonymousReads } from '../../domain/objects/container-acl.ts';
import { BLOCK_HASH, BLOCK_SIZE } from '../../domain/hashing.ts';
import { httpDate } from '../../domain/time.ts';
import { lastHeader, type ApiRequest } from '../http/api-request.ts';
import { checkConditions } from '../http/conditional.ts';
import type { ApiResponse, HeaderMap } from '../http/reply.ts';
import { SWIFT } from '../object-store/dialect.ts';
import {
  isTrue,
  listingFormat,
  listingLimit,
  listingResponse,
  swiftObjectEntry,
} from '../object-store/listing-format.ts';
import { serveObject } from '../object-store/object-handlers.ts';
import type { StoreTarget } from '../object-store/object-store-api.ts';
import { objectHeaders } from '../object-store/response-headers.ts';

const refused = () => unauthorized('Access denied. No authentication token');

/** Would the container's ACL serve this read to anyone (the level's rule, the request's `Referer`)? */
export async function publiclyReadable(req: ApiRequest, target: StoreTarget): Promise<boolean> {
  if (target.level === 'account') return false;
  const c = await req.services.containers.get(target.account, target.container);
  if (!c) return false;
  const acl = await req.services.access.containerAcl(c);
  const referer = lastHeader(req.raw, 'referer');
  return target.level === 'object' ? anonymousReads(acl, referer) : anonymousLists(acl, referer);
}

/** Serves an anonymous read the container's ACL allows, else 401. */
export async function handleAnonymous(req: ApiRequest, target: StoreTarget): Promise<ApiResponse> {
  if (target.level === 'account' || (req.method !== 'GET' && req.method !== 'HEAD')) throw refused();
  const { containers, objects, access } = req.services;
  const c = await containers.get(target.account, target.container);
  if (!c) throw refused();
  const acl = await access.containerAcl(c);
  const referer = lastHeader(req.raw, 'referer');
  if (target.level === 'object') {
    if (!anonymousReads(acl, referer)) throw refused();
    const obj = await objects.get(target.account, target.container, target.object);
    // The ACL lets anyone read here, so a missing object may be told apart.
    if (!obj) throw notFound('Object does not exist');
    const headers = objectHeaders(obj, undefined, req.services.publicUrl());
    // Who shares with whom, and who wrote it, are not anyone's business.
    for (const k of ['X-Object-Sharing', 'X-Object-Allowed-To', 'X-Object-Modified-By']) delete headers[k];
    return serveObject(req, obj, headers);
  }
  if (!anonymousLists(acl, referer)) throw refused();
  const stats = await containers.stats(c);
  const headers: HeaderMap = {
    'Last-Modified': httpDate(stats.lastModified),
    'X-Container-Object-Count': stats.count,
    'X-Container-Bytes-Used': stats.bytes,
    'X-Container-Block-Size': BLOCK_SIZE,
    'X-Container-Block-Hash': BLOCK_HASH,
  };
  const notModified = checkConditions(
    req.raw,
    { exists: true, lastModified: stats.lastModified },
    { matchHeaders: false },
  );
  if (notModified) return notModified;
  if (req.method === 'HEAD') return { status: 204, headers };
  const entries = await objects.list(c, {
    prefix: req.query.get('path') ?? req.query.get('prefix'),
    delimiter: req.query.get('delimiter') || undefined,
    pathMode: req.query.has('path'),
    appendDelimiter: SWIFT.appendDelimiterToPrefix,
    marker: req.query.get('marker'),
    endMarker: req.query.get('end_marker'),
    reverse: isTrue(req.query.get('reverse')),
    limit: listingLimit(req.query, SWIFT),
  });
  return listingResponse(
    listingFormat(req.raw, req.query),
    { level: 'container', name: c.name },
    entries.map((e) => e.subdir ?? e.object!.name),
    entries.map((e) => (e.subdir !== undefined ? { subdir: e.subdir } : swiftObjectEntry(e.object!, SWIFT))),
    headers,
  );
}
