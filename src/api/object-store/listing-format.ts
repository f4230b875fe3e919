import type { IncomingMessage } from 'node:http';
import { badRequest } from '../../errors.ts';
import type { ObjectRecord } from '../../domain/objects/object-record.ts';
import { isOwner, isWriteGrantee } from '../../domain/objects/permissions.ts';
import { renderSharing } from './sharing-header.ts';
import { epochSeconds6, isoMicros } from '../../domain/time.ts';
import { JSON_TYPE, type ApiResponse, type HeaderMap } from '../http/reply.ts';

export const MAX_LISTING = 10000;

/** `limit` of a listing: 1–10000, absent or empty = 10000 (object-store.md §10). */
export function listingLimit(query: Map<string, string>): number {
  const v = query.get('limit');
  if (v === undefined || v === '') return MAX_LISTING;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > MAX_LISTING) throw badRequest('Invalid limit');
  return Number(v);
}

/** JSON or text, from `format` or the `Accept` header; `xml` is refused. */
export function wantsJson(req: IncomingMessage, query: Map<string, string>): boolean {
  const format = query.get('format');
  if (format === 'xml') throw badRequest("Unsupported format 'xml'");
  if (format === 'json') return true;
  if (format !== undefined && format !== '') return false;
  return (req.headers.accept ?? '').includes('application/json');
}

/** A listing reply: JSON `200` (`[]` when empty) or text `200`/`204`. */
export function listingResponse(asJson: boolean, names: string[], entries: unknown[], headers: HeaderMap): ApiResponse {
  if (asJson)
    return {
      status: 200,
      headers: { ...headers, 'Content-Type': JSON_TYPE },
      body: Buffer.from(JSON.stringify(entries)),
    };
  if (names.length === 0) return { status: 204, headers };
  return {
    status: 200,
    headers: { ...headers, 'Content-Type': 'text/plain; charset=UTF-8' },
    body: names.map((n) => `${n}\n`).join(''),
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
