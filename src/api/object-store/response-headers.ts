import type { ObjectRecord } from '../../domain/objects/object-record.ts';
import { etagOf } from '../../domain/objects/object-record.ts';
import { isOwner, isWriteGrantee } from '../../domain/objects/permissions.ts';
import { renderSharing } from './sharing-header.ts';
import { httpDate } from '../../domain/time.ts';
import { encodeHeaderValue, quote } from '../http/percent.ts';
import type { HeaderMap } from '../http/reply.ts';

/** `X-<Domain>-Meta-<key>` headers; the name part is quoted, the value is encoded with the rest. */
export function metaHeaders(
  domain: 'Account' | 'Container' | 'Object',
  meta: Readonly<Record<string, string>>,
): HeaderMap {
  const h: HeaderMap = {};
  for (const [k, v] of Object.entries(meta)) h[`X-${domain}-Meta-${quote(k)}`] = v;
  return h;
}

/** The headers of object HEAD/GET (object-store.md §7.1), before encoding. */
export function objectHeaders(o: ObjectRecord, caller: string | undefined, publicUrl: string): HeaderMap {
  const h: HeaderMap = {
    ETag: etagOf(o),
    'Content-Length': o.size,
    'Content-Type': o.contentType,
    'Last-Modified': httpDate(o.versionTs),
    'X-Object-Hash': o.objectHash,
    'X-Object-UUID': o.uuid,
    'X-Object-Version': o.version,
    'X-Object-Version-Timestamp': httpDate(o.versionTs),
    'X-Object-Modified-By': o.modifiedBy,
    ...metaHeaders('Object', o.meta),
  };
  if (o.contentEncoding) h['Content-Encoding'] = o.contentEncoding;
  if (o.contentDisposition) h['Content-Disposition'] = o.contentDisposition;
  if (o.deleteAt !== null) h['X-Delete-At'] = String(Math.floor(o.deleteAt / 1_000_000));
  const sharing = renderSharing(o.readGrants, o.writeGrants);
  if (sharing) h['X-Object-Sharing'] = sharing;
  if (isOwner(caller, o)) {
    if (o.publicToken) h['X-Object-Public'] = `${publicUrl}/public/${o.publicToken}`;
  } else {
    h['X-Object-Allowed-To'] = isWriteGrantee(caller, o) ? 'write' : 'read';
  }
  return h;
}

const ENCODED = /^(x-account-|x-container-|x-object-|content-)/i;
const VERBATIM = new Set(['content-length', 'content-range']);

/**
 * Percent-encodes the values of `X-Account-*`, `X-Container-*`, `X-Object-*` and `Content-*`
 * response headers (object-store.md §1.4), so no stored value can break a header line.
 */
export function encodeResponseHeaders(headers: HeaderMap | undefined): HeaderMap | undefined {
  if (!headers) return headers;
  const out: HeaderMap = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = typeof v === 'string' && ENCODED.test(k) && !VERBATIM.has(k.toLowerCase()) ? encodeHeaderValue(v) : v;
  }
  return out;
}
