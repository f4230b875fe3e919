/**
 * Pithos data `POST` on an object (object-store.md §7.4, Pithos's `object_update`): the request is
 * parsed and judged here, the bytes are spliced by the domain (partial-updates.ts).
 *
 * - `Content-Range: bytes <a>-<b>/*` + body: overwrite `[a, b]` (past the end extends the object);
 *   `bytes <a>-/*`: as many bytes as the body has; `bytes *\/*`: append.
 * - `X-Source-Object: /<container>/<object>` (+ `X-Source-Account`, `X-Source-Version`): the bytes
 *   come from that object (its first `b − a + 1` bytes, or all of it) instead of the body.
 * - `X-Object-Bytes: <n>`: then truncate to `n` bytes, or zero-extend to `n` (Pithos only truncates;
 *   alone, without a range, a source or a body, it just resizes).
 * - With a total in `Content-Range` (`bytes a-b/<size>`), the range must lie inside the object.
 * - Meta headers apply as on a metadata POST (merged with `?update`), the content type is kept;
 *   `X-Object-Sharing`/`X-Object-Public` as on a metadata POST (owner only).
 * Reply `204` with the new version's `ETag` (the object hash: the MD5 of the whole is unknown
 * after a partial update) and `X-Object-Version`, as Pithos.
 */
import { badRequest, notFound, notImplemented, ServiceError } from '../../errors.ts';
import { NotFound } from '../../domain/errors.ts';
import type { Caller } from '../../domain/identity/tokens.ts';
import { authorize } from '../../domain/authorization.ts';
import { applyMetaChange } from '../../domain/objects/containers.ts';
import { etagOf, type ObjectRecord } from '../../domain/objects/object-record.ts';
import { ObjectChanged } from '../../domain/objects/object-service.ts';
import type { SpliceData, UpdatePlan } from '../../domain/objects/partial-updates.ts';
import { lastHeader, hasBody, type ApiRequest } from '../http/api-request.ts';
import { checkConditions } from '../http/conditional.ts';
import type { ApiResponse } from '../http/reply.ts';
import type { Dialect } from './dialect.ts';
import { contentMediaType, decodedHeader, hasHeader, readMeta, readPublic } from './request-headers.ts';
import { parseSharing } from './sharing-header.ts';

/** Does this object POST change data (Pithos: an octet-stream body or a source; here also a range or a size)? */
export const isDataUpdate = (req: ApiRequest): boolean =>
  contentMediaType(req.raw) === 'application/octet-stream' ||
  ['x-source-object', 'content-range', 'x-object-bytes'].some((h) => hasHeader(req.raw, h));

/** A parsed `Content-Range`: `offset` undefined = append; `length`/`total` undefined = not given. */
interface ContentRange {
  readonly offset?: number;
  readonly length?: number;
  readonly total?: number;
}

const invalidRange = () => new ServiceError('rangeNotSatisfiable', 'Invalid Content-Range header');

/** Pithos's `get_content_range`: `bytes a-b/total`, `b` and `total` optional (`*`), or `bytes *\/*`. */
export function parseContentRange(value: string): ContentRange {
  if (value === 'bytes */*') return {};
  const m = /^bytes (\d+)-(\d*)\/(\d+|\*)$/.exec(value);
  if (!m) throw invalidRange();
  const num = (s: string) => {
    const n = Number(s);
    if (!Number.isSafeInteger(n)) throw invalidRange();
    return n;
  };
  const offset = num(m[1]);
  const upto = m[2] === '' ? undefined : num(m[2]);
  const total = m[3] === '*' ? undefined : num(m[3]);
  if (
    (upto !== undefined && offset > upto) ||
    (total !== undefined && offset >= total) ||
    (total !== undefined && upto !== undefined && upto >= total)
  )
    throw invalidRange();
  return { offset, length: upto === undefined ? undefined : upto - offset + 1, total };
}

/** `/<container>/<object>`, the leading slash optional. */
function parseSourcePath(value: string): { container: string; name: string } {
  const m = /^\/?([^/]+)\/(.+)$/s.exec(value);
  if (!m) throw badRequest('Invalid source object');
  return { container: m[1], name: m[2] };
}

/** The source object of a splice, as the caller may read it; a missing or hidden one is the same 404. */
async function sourceObject(req: ApiRequest, caller: Caller, dialect: Dialect): Promise<ObjectRecord | undefined> {
  const header = decodedHeader(req.raw, 'x-source-object');
  if (header === undefined) return undefined;
  const path = parseSourcePath(header);
  const account = dialect.accountUuid(decodedHeader(req.raw, 'x-source-account')) || caller.user.uuid;
  const source = await req.services.objects.get(account, path.container, path.name);
  if (!source) throw notFound('Object does not exist');
  try {
    authorize(caller.user, 'read', { object: source });
  } catch {
    throw notFound('Object does not exist');
  }
  const version = lastHeader(req.raw, 'x-source-version')?.trim();
  // Only the live version exists here; reading older ones is the versions feature's.
  if (version !== undefined && version !== '' && version !== String(source.version))
    throw notImplemented('Object versions are not supported');
  return source;
}

/** `Content-Length` of a body that is not chunked; undefined when chunked. */
function bodyLength(req: ApiRequest): number | undefined {
  if (req.raw.headers['transfer-encoding'] !== undefined) return undefined;
  const length = req.raw.headers['content-length'];
  if (length === undefined || !/^\d+$/.test(length))
    throw new ServiceError('lengthRequired', 'Missing or invalid Content-Length header');
  return Number(length);
}

export async function postObjectData(
  req: ApiRequest,
  caller: Caller,
  obj: ObjectRecord,
  dialect: Dialect,
): Promise<ApiResponse> {
  const raw = req.raw;
  checkConditions(raw, { exists: true, etag: etagOf(obj), lastModified: obj.versionTs }, { matchHeaders: true });
  authorize(caller.user, 'write', { object: obj });
  const sharingHeader = decodedHeader(raw, 'x-object-sharing');
  const publish = readPublic(raw);
  if (sharingHeader !== undefined) authorize(caller.user, 'share', { object: obj });
  if (publish !== undefined) authorize(caller.user, 'publish', { object: obj });
  const meta = readMeta(raw, 'Object', dialect.meta);
  const sharing = sharingHeader === undefined ? undefined : await parseSharing(sharingHeader, req.services.users);
  const contentEncoding = decodedHeader(raw, 'content-encoding');
  const contentDisposition = decodedHeader(raw, 'content-disposition');

  const bytesHeader = lastHeader(raw, 'x-object-bytes');
  let resizeTo: number | undefined;
  if (bytesHeader !== undefined) {
    const n = Number(bytesHeader.trim());
    if (!/^\s*\d+\s*$/.test(bytesHeader) || !Number.isSafeInteger(n)) throw badRequest('Invalid X-Object-Bytes header');
    resizeTo = n;
  }
  const max = req.services.settings.objectMaxUpload;
  if (resizeTo !== undefined && resizeTo > max) throw badRequest('Maximum size is reached');

  const rangeHeader = lastHeader(raw, 'content-range');
  const source = await sourceObject(req, caller, dialect);
  const resizeOnly = rangeHeader === undefined && !source && resizeTo !== undefined && !hasBody(raw);
  if (rangeHeader === undefined && !resizeOnly) throw badRequest('Missing Content-Range header');
  const range = rangeHeader === undefined ? undefined : parseContentRange(rangeHeader);

  let declared: number | undefined;
  if (range && !source) {
    const contentLength = bodyLength(req);
    if (contentLength !== undefined && contentLength > max) throw badRequest('Maximum size is reached');
    if (range.length !== undefined && contentLength !== undefined && range.length !== contentLength)
      throw badRequest('Content length does not match range length');
    declared = range.length ?? contentLength;
  }
  if (source && range?.length !== undefined && range.length > source.size)
    throw badRequest('Object length is smaller than range length');

  const plan = (live: ObjectRecord): UpdatePlan => {
    const attrs = {
      contentType: live.contentType,
      contentEncoding: contentEncoding === undefined ? live.contentEncoding : contentEncoding || null,
      contentDisposition: contentDisposition === undefined ? live.contentDisposition : contentDisposition || null,
      meta: applyMetaChange(live.meta, {
        meta,
        replace: dialect.metaPostReplaces('Object', req.query),
        maxItems: dialect.meta.maxItems,
      }),
    };
    if (!range) return { resizeTo, attrs };
    const offset = range.offset ?? live.size;
    if (offset > live.size) throw new ServiceError('rangeNotSatisfiable', 'Supplied offset is beyond object limits');
    const length = source ? (range.length ?? source.size) : declared;
    if (
      range.total !== undefined &&
      (range.total !== live.size ||
        offset >= live.size ||
        (length !== undefined && length > 0 && offset + length > live.size))
    )
      throw new ServiceError('rangeNotSatisfiable', 'Supplied range will change provided object limits');
    const data: SpliceData = source
      ? { kind: 'object', source, length: length! }
      : {
          kind: 'stream',
          stream: raw,
          length: declared,
          onLengthMismatch: () => badRequest('Content length does not match range length'),
        };
    return { splice: { offset, data }, resizeTo, attrs };
  };

  try {
    const updated = await req.services.partialUpdates.apply(obj, plan, {
      modifiedBy: caller.user.uuid,
      sharing,
      publish,
    });
    return { status: 204, headers: { ETag: etagOf(updated), 'X-Object-Version': updated.version } };
  } catch (err) {
    if (err instanceof ObjectChanged)
      throw new ServiceError('conflict', 'The object was replaced while it was being updated; send the update again');
    if (err instanceof NotFound) throw notFound('Object does not exist');
    // The client went away before the end of the body: nothing was committed.
    if (!raw.complete && (err as NodeJS.ErrnoException)?.code === 'ECONNRESET') throw badRequest('Bad request');
    throw err;
  }
}
