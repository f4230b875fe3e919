import type { IncomingMessage } from 'node:http';
import { badRequest, ServiceError } from '../../errors.ts';
import { PITHOS, type Dialect } from './dialect.ts';
import type { ObjectRecord } from '../../domain/objects/object-record.ts';
import { isOwner, isWriteGrantee } from '../../domain/objects/permissions.ts';
import { renderSharing } from './sharing-header.ts';
import { epochSeconds6, isoMicros } from '../../domain/time.ts';
import { JSON_TYPE, type ApiResponse, type HeaderMap } from '../http/reply.ts';

export const MAX_LISTING = 10000;

/**
 * `limit` of a listing: 0–10000 (0: an empty list), absent or empty = 10000 (object-store.md §10);
 * anything else is the dialect's fault.
 */
export function listingLimit(query: Map<string, string>, dialect: Dialect = PITHOS): number {
  const v = query.get('limit');
  if (v === undefined || v === '') return MAX_LISTING;
  if (!/^\d+$/.test(v) || Number(v) > MAX_LISTING) {
    const { status, message } = dialect.badLimit;
    throw status === 412 ? new ServiceError('preconditionFailed', message) : badRequest(message);
  }
  return Number(v);
}

/** A boolean query parameter as Swift reads it (`reverse=true|1|yes|on|t|y`). */
export const isTrue = (v: string | undefined): boolean =>
  v !== undefined && ['true', '1', 'yes', 'on', 't', 'y'].includes(v.toLowerCase());

export type ListingFormat = 'json' | 'xml' | 'plain';

/** `format=json|xml|plain`, else the `Accept` header (JSON, then XML), else text. */
export function listingFormat(req: IncomingMessage, query: Map<string, string>): ListingFormat {
  const format = query.get('format')?.toLowerCase();
  if (format === 'json' || format === 'xml') return format;
  if (format !== undefined && format !== '') return 'plain';
  const accept = req.headers.accept ?? '';
  if (accept.includes('application/json')) return 'json';
  if (accept.includes('application/xml') || accept.includes('text/xml')) return 'xml';
  return 'plain';
}

/** What a listing is of: `<account name=…>` holds containers, `<container name=…>` objects. */
export interface ListingRoot {
  readonly level: 'account' | 'container';
  readonly name: string;
}

/** A listing reply: JSON and XML `200` (empty list included), text `200`, or `204` when empty. */
export function listingResponse(
  format: ListingFormat,
  root: ListingRoot,
  names: string[],
  entries: Record<string, unknown>[],
  headers: HeaderMap,
): ApiResponse {
  if (format === 'json')
    return {
      status: 200,
      headers: { ...headers, 'Content-Type': JSON_TYPE },
      body: Buffer.from(JSON.stringify(entries)),
    };
  if (format === 'xml')
    return {
      status: 200,
      headers: { ...headers, 'Content-Type': 'application/xml; charset=UTF-8' },
      body: xmlListing(root, entries),
    };
  if (names.length === 0) return { status: 204, headers };
  return {
    status: 200,
    headers: { ...headers, 'Content-Type': 'text/plain; charset=UTF-8' },
    body: names.map((n) => `${n}\n`).join(''),
  };
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const xmlText = (s: string) => s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);

/** Swift's XML listing shape; each entry's scalar keys become elements, escaped. */
function xmlListing(root: ListingRoot, entries: Record<string, unknown>[]): string {
  const item = root.level === 'account' ? 'container' : 'object';
  const parts = ['<?xml version="1.0" encoding="UTF-8"?>\n', `<${root.level} name="${xmlText(root.name)}">`];
  for (const e of entries) {
    if (typeof e.subdir === 'string') {
      parts.push(`<subdir name="${xmlText(e.subdir)}"><name>${xmlText(e.subdir)}</name></subdir>`);
      continue;
    }
    parts.push(`<${item}>`);
    for (const [k, v] of Object.entries(e)) {
      if (v === null || v === undefined || typeof v === 'object') continue;
      parts.push(`<${k}>${xmlText(String(v))}</${k}>`);
    }
    parts.push(`</${item}>`);
  }
  parts.push(`</${root.level}>`);
  return parts.join('');
}

/** One object of Swift's JSON container listing: the five keys its clients read. */
export function swiftObjectEntry(o: ObjectRecord, dialect: Dialect): Record<string, unknown> {
  // A static large object is listed with its total size and its SLO ETag, as Swift lists it.
  const slo = o.manifest?.kind === 'slo' ? o.manifest : undefined;
  return {
    name: o.name,
    hash: o.md5 ?? '',
    bytes: slo ? slo.size : o.size,
    content_type: o.contentType,
    last_modified: dialect.listingTime(o.versionTs),
    ...(slo ? { slo_etag: `"${slo.etag}"` } : {}),
  };
}

/** One object of a JSON container listing (object-store.md §10). */
export function objectEntry(o: ObjectRecord, caller: string, publicUrl: string): Record<string, unknown> {
  const e: Record<string, unknown> = {
    name: o.name,
    bytes: o.size,
    content_type: o.contentType,
    hash: o.md5 ?? '',
    x_object_hash: o.objectHash,
    last_modified: isoMicros(o.versionTs),
    x_object_uuid: o.uuid,
    x_object_version: o.version,
    x_object_version_timestamp: epochSeconds6(o.versionTs),
    x_object_modified_by: o.modifiedBy,
  };
  for (const [k, v] of Object.entries(o.meta)) e[`x_object_meta_${k.toLowerCase().replace(/-/g, '_')}`] = v;
  if (o.contentEncoding) e.content_encoding = o.contentEncoding;
  if (o.contentDisposition) e.content_disposition = o.contentDisposition;
  const sharing = renderSharing(o.readGrants, o.writeGrants);
  if (sharing) e.x_object_sharing = sharing;
  if (!isOwner(caller, o)) e.x_object_allowed_to = isWriteGrantee(caller, o) ? 'write' : 'read';
  else if (o.publicToken) e.x_object_public = `${publicUrl}/public/${o.publicToken}`;
  return e;
}
