/**
 * Large objects on both mounts (issue 19 item 5; the domain is domain/objects/manifests.ts):
 * `X-Object-Manifest` on PUT and POST (dynamic), `?multipart-manifest=put|get|delete` (static),
 * and GET/HEAD of either as the concatenation of its segments. One semantics for Pithos and Swift;
 * the texts of a refused static manifest are Swift's (its slo middleware), on both mounts.
 */
import type { IncomingMessage } from 'node:http';
import { badRequest, conflict, forbidden, ServiceError, tooLarge } from '../../errors.ts';
import { authorize, permits, type Principal } from '../../domain/authorization.ts';
import type { DomainError } from '../../domain/errors.ts';
import type { Caller } from '../../domain/identity/tokens.ts';
import { etagOf, type ObjectRecord } from '../../domain/objects/object-record.ts';
import { EMPTY_CONTENT } from '../../domain/objects/object-service.ts';
import {
  LARGE_OBJECT_LIMITS,
  ManifestOnImage,
  ManifestRefused,
  ManifestUnreadable,
  SegmentForbidden,
  parseRangeSpec,
  splitSegmentPath,
  type DynamicManifest,
  type RangeSpec,
  type SegmentProblem,
  type StaticManifest,
} from '../../domain/objects/manifests.ts';
import { readSmallBody, type ApiRequest } from '../http/api-request.ts';
import { serveData } from '../http/serve-data.ts';
import { quote } from '../http/percent.ts';
import type { ApiResponse, HeaderMap } from '../http/reply.ts';
import { httpDate, isoMicros } from '../../domain/time.ts';
import { decodedHeader } from './request-headers.ts';
import type { ContainerRecord } from '../../domain/objects/containers.ts';
import type { Attributes, Grants } from '../../domain/objects/object-service.ts';

const MANIFEST_FORMAT = 'X-Object-Manifest must be in the format container/prefix';

/**
 * `X-Object-Manifest: <container>/<prefix>` (percent-decoded): a dynamic manifest; an empty
 * value: none (a plain object); undefined when the header is absent.
 */
export function readDynamicManifest(req: IncomingMessage): DynamicManifest | null | undefined {
  const value = decodedHeader(req, 'x-object-manifest');
  if (value === undefined) return undefined;
  if (value.trim() === '') return null;
  const m = /^\/?([^/]+)\/(.*)$/s.exec(value.trim());
  if (!m || m[1].length > 256) throw badRequest(MANIFEST_FORMAT);
  return { kind: 'dlo', container: m[1], prefix: m[2] };
}

/** The headers that say an object is a large object (swiftclient, rclone read them). */
export function manifestHeaders(obj: ObjectRecord): HeaderMap {
  const m = obj.manifest;
  if (!m) return {};
  return m.kind === 'dlo'
    ? // Percent-encoded with the other X-Object-* values (response-headers.ts), as swiftclient unquotes it.
      { 'X-Object-Manifest': `${m.container}/${m.prefix}` }
    : { 'X-Static-Large-Object': 'True' };
}

// ---- GET / HEAD --------------------------------------------------------------------------------

/**
 * GET/HEAD of a large object: the concatenation of its segments (Range and multi-range across
 * segment boundaries), ETag quoted as Swift sends it; `?multipart-manifest=get` gives the
 * manifest itself. `reader` undefined: a public link, read as the manifest's owner.
 */
export async function serveLargeObject(
  req: ApiRequest,
  obj: ObjectRecord,
  headers: HeaderMap,
  reader: Principal | undefined,
): Promise<ApiResponse> {
  const m = obj.manifest!;
  const large = req.services.objects.large;
  const own = { ...headers, ...manifestHeaders(obj) };
  if (req.query.get('multipart-manifest') === 'get') {
    if (m.kind === 'slo') return staticManifestDocument(req, obj, m, own);
    return serveData(req.raw, {
      size: obj.size,
      etag: etagOf(obj),
      lastModified: obj.versionTs,
      headers: own,
      open: (start, end) => req.services.objects.openReader(obj, start, end),
      multiRange: true,
    });
  }
  if (req.method === 'HEAD') {
    const { size, etag } = await large.summary(obj, reader);
    return serveData(req.raw, {
      size,
      etag,
      lastModified: obj.versionTs,
      headers: { ...own, ETag: `"${etag}"` },
      open: () => {
        throw new Error('unreachable: HEAD reads no data');
      },
    });
  }
  const resolved = await large.resolve(obj, reader);
  return serveData(req.raw, {
    size: resolved.size,
    etag: resolved.etag,
    lastModified: obj.versionTs,
    headers: { ...own, ETag: `"${resolved.etag}"` },
    open: (start, end) => large.open(resolved, start, end),
    multiRange: true,
  });
}

/** `?multipart-manifest=get` of a static manifest: Swift's JSON listing, or the PUT form with `format=raw`. */
function staticManifestDocument(
  req: ApiRequest,
  obj: ObjectRecord,
  m: StaticManifest,
  headers: HeaderMap,
): ApiResponse {
  const raw = req.query.get('format') === 'raw';
  const range = (s: StaticManifest['segments'][number]) => (s.range ? `${s.range.start}-${s.range.end}` : undefined);
  const doc = m.segments.map((s) =>
    raw
      ? { path: s.path, etag: s.etag, size_bytes: s.size, ...(s.range ? { range: range(s) } : {}) }
      : {
          name: s.path,
          hash: s.etag,
          bytes: s.size,
          content_type: s.contentType,
          last_modified: isoMicros(s.lastModified).slice(0, 26),
          ...(s.range ? { range: range(s) } : {}),
          ...(s.nested ? { sub_slo: true } : {}),
        },
  );
  const body = Buffer.from(JSON.stringify(doc));
  const out: HeaderMap = {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': body.length,
    ETag: etagOf(obj),
    'Last-Modified': httpDate(obj.versionTs),
  };
  return req.method === 'HEAD' ? { status: 200, headers: out } : { status: 200, headers: out, body };
}

// ---- PUT ?multipart-manifest=put -------------------------------------------------------------

interface Entry {
  readonly path: string;
  readonly etag: string | null;
  readonly sizeBytes: number | null;
  readonly range?: RangeSpec;
}

/** Swift's checks of the manifest's form (slo.py `parse_and_validate_input`), with its texts. */
function parseStaticEntries(body: Buffer): Entry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw badRequest('Manifest must be valid JSON.\n');
  }
  if (!Array.isArray(doc)) throw badRequest('Manifest must be a list.\n');
  if (doc.length > LARGE_OBJECT_LIMITS.maxManifestSegments)
    throw badRequest(`Number of segments must be <= ${LARGE_OBJECT_LIMITS.maxManifestSegments}\n`);
  if (doc.length === 0) throw badRequest('Manifest must have at least one segment.\n');
  const errors: string[] = [];
  const entries: Entry[] = [];
  doc.forEach((item: unknown, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      errors.push(`Index ${i}: not a JSON object`);
      return;
    }
    const e = item as Record<string, unknown>;
    const extra = Object.keys(e).filter((k) => !['path', 'etag', 'size_bytes', 'range'].includes(k));
    if (typeof e.path !== 'string') {
      errors.push(`Index ${i}: expected keys to include path`);
      return;
    }
    if (extra.length) {
      errors.push(`Index ${i}: extraneous keys ${extra.map((k) => `"${k}"`).join(', ')}`);
      return;
    }
    if (!splitSegmentPath(e.path) || e.path.includes('\0')) {
      errors.push(`Index ${i}: path does not refer to an object. Path must be of the form /container/object.`);
      return;
    }
    const size = e.size_bytes;
    let sizeBytes: number | null = null;
    if (typeof size === 'string' && /^\d+$/.test(size)) sizeBytes = Number(size);
    else if (typeof size === 'number' && Number.isSafeInteger(size) && size >= 0) sizeBytes = size;
    else if (size !== undefined && size !== null) {
      errors.push(`Index ${i}: invalid size_bytes`);
      return;
    }
    if (e.etag !== undefined && e.etag !== null && typeof e.etag !== 'string') {
      errors.push(`Index ${i}: invalid etag`);
      return;
    }
    const etag = typeof e.etag === 'string' ? e.etag.replace(/^"(.*)"$/, '$1') : null;
    let range: RangeSpec | undefined;
    if (e.range !== undefined) {
      range = typeof e.range === 'string' ? parseRangeSpec(e.range) : undefined;
      if (!range) {
        errors.push(`Index ${i}: invalid range`);
        return;
      }
    }
    entries.push({ path: e.path, etag, sizeBytes, range });
  });
  if (errors.length) throw badRequest(`${errors.join('\n')}\n`);
  return entries;
}

const PROBLEM_TEXT: Record<SegmentProblem, string> = {
  'not-found': '404 Not Found',
  forbidden: '403 Forbidden',
  'etag-mismatch': 'Etag Mismatch',
  'size-mismatch': 'Size Mismatch',
  'too-small': `Too small; each segment must be at least ${LARGE_OBJECT_LIMITS.minSegmentSize} byte.`,
  'unsatisfiable-range': 'Unsatisfiable Range',
  self: 'Manifest cannot reference itself',
  'too-deep': 'Max recursion depth exceeded',
};

/**
 * `PUT ?multipart-manifest=put`: the segments are checked, then the manifest is committed on the
 * one write path (an empty version carrying the manifest). Nothing is written when any check fails.
 */
export async function putStaticManifest(
  req: ApiRequest,
  caller: Caller,
  container: ContainerRecord,
  name: string,
  write: { readonly attrs: Attributes; readonly sharing?: Grants; readonly publish?: boolean },
  created: (obj: ObjectRecord, extra: HeaderMap) => ApiResponse,
): Promise<ApiResponse> {
  const max = LARGE_OBJECT_LIMITS.maxManifestSize;
  const body = await readSmallBody(req.raw, max, () => tooLarge(`Manifest File > ${max} bytes`));
  const entries = parseStaticEntries(body);
  const manifest = await req.services.objects.large.buildStatic(
    container.account,
    { container: container.name, name },
    entries,
    caller.user,
  );
  const expected = decodedHeader(req.raw, 'etag')
    ?.trim()
    .replace(/^"(.*)"$/, '$1')
    .toLowerCase();
  if (expected !== undefined && expected !== manifest.etag)
    throw new ServiceError('unprocessableEntity', 'Object ETag does not match');
  const obj = await req.services.objects.commit(
    container,
    name,
    EMPTY_CONTENT,
    { ...write.attrs, manifest },
    { modifiedBy: caller.user.uuid, sharing: write.sharing, publish: write.publish },
  );
  return created(obj, { ETag: `"${manifest.etag}"` });
}

// ---- DELETE ?multipart-manifest=delete --------------------------------------------------------

/**
 * Deletes a static manifest and its segments (nested manifests' too), each through the one
 * delete path; per-path results in the form of Swift's bulk delete (plain text, or JSON when
 * the client accepts it). A segment the caller may not delete is an error line, not a stop.
 */
export async function deleteStaticManifest(req: ApiRequest, caller: Caller, obj: ObjectRecord): Promise<ApiResponse> {
  authorize(caller.user, 'delete', { object: obj });
  const { objects } = req.services;
  let deleted = 0;
  let notFound = 0;
  const errors: [string, string][] = [];
  const seen = new Set<number>();
  const remove = async (target: ObjectRecord, path: string, depth: number): Promise<void> => {
    if (seen.has(target.id)) return;
    seen.add(target.id);
    if (target.manifest?.kind === 'slo' && depth <= LARGE_OBJECT_LIMITS.maxDepth) {
      for (const s of target.manifest.segments) {
        const at = splitSegmentPath(s.path)!;
        const seg = await objects.get(target.account, at.container, at.name);
        if (!seg) notFound++;
        else await remove(seg, s.path, depth + 1);
      }
    }
    if (!permits(caller.user, 'delete', { object: target })) {
      errors.push([quote(path), '403 Forbidden']);
      return;
    }
    if (await objects.delete(target)) deleted++;
    else notFound++;
  };
  await remove(obj, `/${obj.container}/${obj.name}`, 1);
  const status = errors.length ? '400 Bad Request' : '200 OK';
  const json = (req.raw.headers.accept ?? '').includes('application/json');
  const body = json
    ? JSON.stringify({
        'Number Deleted': deleted,
        'Number Not Found': notFound,
        'Response Body': '',
        'Response Status': status,
        Errors: errors,
      })
    : `Number Deleted: ${deleted}\nNumber Not Found: ${notFound}\nResponse Body: \nResponse Status: ${status}\nErrors:\n${errors.map((e) => e.join(', ')).join('\n')}`;
  return {
    status: 200,
    headers: { 'Content-Type': json ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8' },
    body,
  };
}

// ---- faults ----------------------------------------------------------------------------------

/** How both mounts word the large-object errors; undefined for any other error. */
export function largeObjectFault(err: DomainError): ServiceError | undefined {
  if (err instanceof ManifestRefused)
    return badRequest(`Errors:\n${err.problems.map((p) => `${quote(p.path)}, ${PROBLEM_TEXT[p.problem]}`).join('\n')}`);
  if (err instanceof ManifestUnreadable) {
    const why: Record<ManifestUnreadable['reason'], string> = {
      'missing-segment': 'A segment of the large object is missing',
      'changed-segment': 'A segment of the large object changed since the manifest was written',
      'too-deep': `Large objects nest more than ${LARGE_OBJECT_LIMITS.maxDepth} levels deep`,
      'too-many-segments': `The large object has more than ${LARGE_OBJECT_LIMITS.maxDynamicSegments} segments`,
    };
    return conflict(`${why[err.reason]}${err.path ? `: ${err.path}` : ''}`);
  }
  if (err instanceof SegmentForbidden) return forbidden();
  if (err instanceof ManifestOnImage) return conflict("An image's object cannot become a large object manifest");
  return undefined;
}
