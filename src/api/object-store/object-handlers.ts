import { z } from 'zod';
import { badRequest, forbidden, notFound, notImplemented, ServiceError } from '../../errors.ts';
import { DataTooLarge, NotFound } from '../../domain/errors.ts';
import type { Caller } from '../../domain/identity/tokens.ts';
import { BLOCK_HASH, BLOCK_SIZE, EMPTY_HASH, blockCount, isHashHex, objectHash } from '../../domain/hashing.ts';
import { applyMetaChange, type ContainerRecord } from '../../domain/objects/containers.ts';
import { MissingBlocksError, type Attributes, type Grants } from '../../domain/objects/object-service.ts';
import { etagOf, type ObjectRecord } from '../../domain/objects/object-record.ts';
import { authorize, permits } from '../../domain/authorization.ts';
import { parseSharing, type GroupLookup } from './sharing-header.ts';
import { aclWrites } from '../../domain/objects/container-acl.ts';
import { lastHeader, parseJson, readSmallBody, type ApiRequest } from '../http/api-request.ts';
import { checkConditions } from '../http/conditional.ts';
import { serveData } from '../http/serve-data.ts';
import { json, type ApiResponse, type HeaderMap } from '../http/reply.ts';
import {
  contentMediaType,
  decodedHeader,
  hasHeader,
  readContentType,
  readMeta,
  readPublic,
} from './request-headers.ts';
import { objectHeaders } from './response-headers.ts';
import { readExpiry } from './expiry-quota-headers.ts';
import { PITHOS, type Dialect } from './dialect.ts';
import { httpDate } from '../../domain/time.ts';
import { quote } from '../http/percent.ts';
import { isDataUpdate, postObjectData } from './partial-update.ts';
import { isFormUpload, postForm } from './form-upload.ts';
import { copyWithPrefix } from './prefix-copies.ts';
import type { Principal } from '../../domain/authorization.ts';
import { deleteStaticManifest, putStaticManifest, readDynamicManifest, serveLargeObject } from './large-objects.ts';
import type { Trx } from '../../storage/metadata/database.ts';
import { objectAsOf, purgeHistory, readUntil, sourceVersion, versionedObject, versionList } from './object-versions.ts';

/** Re-reads a kept version inside the copy's commit transaction. */
type KeptVersionReload = (trx: Trx) => Promise<ObjectRecord | undefined>;

const HASHMAP_BODY_LIMIT = 32 * 1024 * 1024;

/** The groups `X-Object-Sharing` may name: the owner's own. */
const ownerGroups = (req: ApiRequest, owner: string): GroupLookup => ({
  owner,
  hasGroup: (account, name) => req.services.access.hasGroup(account, name),
});

/** `/object-store/v1/<account>/<container>/<object>` (object-store.md §7). */
export async function handleObject(
  req: ApiRequest,
  caller: Caller,
  account: string,
  container: string,
  name: string,
  dialect: Dialect = PITHOS,
): Promise<ApiResponse> {
  if (req.method === 'PUT') return putObject(req, caller, account, container, name, dialect);
  if (req.method === 'POST' && dialect.name === 'pithos' && isFormUpload(contentMediaType(req.raw))) {
    // A form upload creates or overwrites, as a PUT does (Pithos's object_write_form).
    return postForm(req, caller, await writableDestination(req, caller, account, container, name), name);
  }
  const past = await historyRoute(req, caller, account, container, name, dialect);
  if (past) return past;
  const obj = await visibleObject(req, caller, account, container, name);
  switch (req.method) {
    case 'HEAD':
    case 'GET':
      return readObject(req, caller, obj);
    case 'POST':
      return postObject(req, caller, obj, dialect);
    case 'DELETE':
      return deleteObject(req, caller, obj);
    default: // COPY, MOVE
      return copyByMethod(req, caller, obj, dialect);
  }
}

/**
 * Requests on the history (object-versions.ts): a version list or a past version read, a read
 * `until` a time, a purge, or a COPY/MOVE of a past version; undefined for every other request.
 */
async function historyRoute(
  req: ApiRequest,
  caller: Caller,
  account: string,
  container: string,
  name: string,
  dialect: Dialect,
): Promise<ApiResponse | undefined> {
  const version = req.query.get('version');
  const until = readUntil(req.query);
  switch (req.method) {
    case 'GET':
    case 'HEAD':
      if (version === 'list' && req.method === 'GET') return versionList(req, caller, account, container, name);
      if (version !== undefined)
        return readObject(req, caller, await versionedObject(req, caller, account, container, name, version));
      if (until !== undefined)
        return readObject(req, caller, await objectAsOf(req, caller, account, container, name, until));
      return undefined;
    case 'DELETE': {
      if (until === undefined) return undefined;
      // The object goes as by a plain DELETE (when it is there), then its kept versions up to `until`.
      const live = await req.services.objects.get(account, container, name);
      if (live) await deleteObject(req, caller, await visibleObject(req, caller, account, container, name));
      return purgeHistory(req, caller, account, container, until, name, !live);
    }
    case 'COPY':
    case 'MOVE': {
      const source = await sourceVersion(req, caller, account, container, name);
      return source && copyByMethod(req, caller, source.record, dialect, source.reload);
    }
    default:
      return undefined;
  }
}

/** The object as a source (read, update, delete, copy): missing or unreadable → the same 404. */
async function visibleObject(
  req: ApiRequest,
  caller: Caller,
  account: string,
  container: string,
  name: string,
): Promise<ObjectRecord> {
  const me = caller.user.uuid;
  if (me === account && !(await req.services.containers.get(account, container)))
    throw notFound('Container does not exist');
  const obj = await req.services.objects.get(account, container, name);
  if (!obj) throw notFound('Object does not exist');
  authorize(caller.user, 'read', { object: obj });
  return obj;
}

async function readObject(req: ApiRequest, caller: Caller, obj: ObjectRecord): Promise<ApiResponse> {
  const headers = objectHeaders(obj, caller.user.uuid, req.services.publicUrl());
  if (req.query.has('hashmap') && req.method === 'GET') {
    const notModified = checkConditions(
      req.raw,
      { exists: true, etag: etagOf(obj), lastModified: obj.versionTs },
      { matchHeaders: true },
    );
    if (notModified) return notModified;
    const doc = { block_size: BLOCK_SIZE, block_hash: BLOCK_HASH, bytes: obj.size, hashes: obj.hashes };
    const body = Buffer.from(JSON.stringify(doc));
    return {
      status: 200,
      headers: { ...headers, 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': body.length },
      body,
    };
  }
  return serveObject(req, obj, headers, caller.user);
}

/**
 * An object's bytes (GET/HEAD, Range, preconditions); shared by the object store and the public
 * URL. A large object's segments are read as `reader` (undefined: as the object's owner).
 */
export function serveObject(
  req: ApiRequest,
  obj: ObjectRecord,
  headers: HeaderMap,
  reader?: Principal,
): Promise<ApiResponse> {
  if (obj.manifest) return serveLargeObject(req, obj, headers, reader);
  return serveData(req.raw, {
    size: obj.size,
    etag: etagOf(obj),
    lastModified: obj.versionTs,
    headers,
    open: (start, end) => req.services.objects.openReader(obj, start, end),
    multiRange: true,
  });
}

// ---- PUT ---------------------------------------------------------------------------------------

interface Destination {
  readonly container: ContainerRecord;
  readonly existing?: ObjectRecord;
}

/** Where a write lands, and whether the caller may write there (object-store.md §2, object PUT rows). */
async function writableDestination(
  req: ApiRequest,
  caller: Caller,
  account: string,
  containerName: string,
  name: string,
): Promise<Destination> {
  const { containers, objects } = req.services;
  const me = caller.user.uuid;
  const container = await containers.get(account, containerName);
  const existing = container && (await objects.get(account, containerName, name));
  if (me === account) {
    if (!container) throw notFound('Container does not exist');
    return { container, existing };
  }
  if (existing && permits(caller.user, 'read', { object: existing })) {
    // Not the owner here: the write grant allows new content, never new grants or publishing.
    authorize(caller.user, 'write', { object: existing });
    if (hasHeader(req.raw, 'x-object-sharing')) authorize(caller.user, 'share', { object: existing });
    if (hasHeader(req.raw, 'x-object-public')) authorize(caller.user, 'publish', { object: existing });
    return { container: container!, existing };
  }
  // A new name in someone else's container: the owner's and his container ACL writers' to create
  // (never with grants or publishing: those stay the owner's); a grantee inside may know the container exists.
  if (container && !existing && aclWrites(me, await req.services.access.containerAcl(container))) {
    if (hasHeader(req.raw, 'x-object-sharing') || hasHeader(req.raw, 'x-object-public')) throw forbidden();
    return { container };
  }
  const sharesWithCaller = !!container && (await containers.hasGrantsIn(me, account, container.id));
  authorize(caller.user, 'write', { container: { account, sharesWithCaller } });
  throw new Error('unreachable: only the owner writes new names into a container');
}

async function putObject(
  req: ApiRequest,
  caller: Caller,
  account: string,
  containerName: string,
  name: string,
  dialect: Dialect,
): Promise<ApiResponse> {
  const dest = await writableDestination(req, caller, account, containerName, name);
  const existing = dest.existing;
  checkConditions(
    req.raw,
    { exists: !!existing, etag: existing && etagOf(existing), lastModified: existing?.versionTs },
    { matchHeaders: true },
  );
  if (req.query.get('multipart-manifest') === 'put') {
    const write = await readWriteHeaders(req, dialect, dest.container.account);
    return putStaticManifest(req, caller, dest.container, name, write, (obj, extra) => created(obj, dialect, extra));
  }
  const copyFrom = lastHeader(req.raw, 'x-copy-from');
  const moveFrom = lastHeader(req.raw, 'x-move-from');
  if (copyFrom !== undefined && moveFrom !== undefined) throw badRequest('Invalid X-Move-From header');
  if (copyFrom !== undefined || moveFrom !== undefined) {
    const move = moveFrom !== undefined;
    const header = move ? 'X-Move-From' : 'X-Copy-From';
    const source = parseObjectPath(decodedHeader(req.raw, header.toLowerCase())!, `Invalid ${header} header`);
    const sourceAccount =
      dialect.accountUuid(
        decodedHeader(req.raw, 'x-copy-from-account') || decodedHeader(req.raw, 'x-source-account'),
      ) || caller.user.uuid;
    const past = await sourceVersion(req, caller, sourceAccount, source.container, source.name);
    if (past) return copyObject(req, caller, past.record, dest, name, move, dialect, past.reload);
    const obj = await visibleObject(req, caller, sourceAccount, source.container, source.name).catch((e) => {
      throw (e instanceof ServiceError && e.status === 404) || e instanceof NotFound
        ? notFound('Object does not exist')
        : e;
    });
    return copyObject(req, caller, obj, dest, name, move, dialect);
  }
  const write = await readWriteHeaders(req, dialect, dest.container.account);
  return req.query.has('hashmap')
    ? putHashmap(req, caller, dest, name, write, dialect)
    : putRaw(req, caller, dest, name, write, dialect);
}

interface WriteHeaders {
  readonly attrs: Attributes;
  readonly sharing?: Grants;
  readonly publish?: boolean;
}

/** Validates every header of a content write before any byte is read (object-store.md §7.3 step 4). */
async function readWriteHeaders(req: ApiRequest, dialect: Dialect, owner: string): Promise<WriteHeaders> {
  const meta = applyMetaChange(
    {},
    { meta: readMeta(req.raw, 'Object', dialect.meta), replace: true, maxItems: dialect.meta.maxItems },
  );
  const sharingHeader = decodedHeader(req.raw, 'x-object-sharing');
  const sharing =
    sharingHeader === undefined
      ? undefined
      : await parseSharing(sharingHeader, req.services.users, ownerGroups(req, owner));
  const publish = readPublic(req.raw);
  const attrs: Attributes = {
    contentType: readContentType(req.raw) ?? 'application/octet-stream',
    contentEncoding: decodedHeader(req.raw, 'content-encoding') || null,
    contentDisposition: decodedHeader(req.raw, 'content-disposition') || null,
    meta,
    manifest: readDynamicManifest(req.raw) ?? null,
    deleteAt: readExpiry(req.raw) ?? null,
  };
  return { attrs, sharing, publish };
}

/** The reply to a write; Swift's clients also read `Last-Modified` (and `Content-Type`, added by its adapter). */
const created = (obj: ObjectRecord, dialect: Dialect, extra: HeaderMap = {}): ApiResponse => ({
  status: 201,
  headers: {
    ETag: etagOf(obj),
    'X-Object-Version': obj.version,
    ...(dialect.name === 'swift' ? { 'Last-Modified': httpDate(obj.versionTs) } : {}),
    ...extra,
  },
});

/** Swift-style streamed upload: blocks and MD5 computed as the body arrives. */
async function putRaw(
  req: ApiRequest,
  caller: Caller,
  dest: Destination,
  name: string,
  w: WriteHeaders,
  dialect: Dialect,
): Promise<ApiResponse> {
  const raw = req.raw;
  const length = raw.headers['content-length'];
  const chunked = raw.headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === undefined || !/^\d+$/.test(length))) {
    throw new ServiceError('lengthRequired', 'Missing or invalid Content-Length header');
  }
  const max = req.services.settings.objectMaxUpload;
  if (!chunked && Number(length) > max) throw badRequest('Maximum size is reached');
  const expected = lastHeader(raw, 'etag')
    ?.trim()
    .replace(/^"(.*)"$/, '$1')
    .toLowerCase();
  const obj = await req.services.objects
    .upload(raw, dest.container, name, w.attrs, {
      modifiedBy: caller.user.uuid,
      sharing: w.sharing,
      publish: w.publish,
      maxBytes: max,
      onTooLarge: () => new DataTooLarge(max),
      verify: (data) => {
        if (expected !== undefined && expected !== data.md5)
          throw new ServiceError('unprocessableEntity', 'Object ETag does not match');
      },
    })
    .catch((err: unknown) => {
      // The client went away before the end of the body: nothing was committed. Not a server fault
      // (no "unexpected error" log); the answer goes nowhere.
      if (!raw.complete && (err as NodeJS.ErrnoException)?.code === 'ECONNRESET') throw badRequest('Bad request');
      throw err;
    });
  return created(obj, dialect);
}

/**
 * The hashmap PUT body (object-store.md §6.3): `hashes` an array (each entry checked below, for its
 * own message), `bytes` a safe integer given as a JSON number or a decimal string, as kamaki sends it.
 */
const HASHMAP_BODY = z.object({
  hashes: z.array(z.unknown()),
  bytes: z
    .union([
      z.number(),
      z
        .string()
        .regex(/^\s*-?\d+\s*$/)
        .transform(Number),
    ])
    .pipe(z.number().int().refine(Number.isSafeInteger)),
});

/** kamaki's upload: the hashmap names blocks; missing ones are answered 409 with their list. */
async function putHashmap(
  req: ApiRequest,
  caller: Caller,
  dest: Destination,
  name: string,
  w: WriteHeaders,
  dialect: Dialect,
): Promise<ApiResponse> {
  const body = await readSmallBody(req.raw, HASHMAP_BODY_LIMIT, () => badRequest('Maximum size is reached'));
  const invalid = 'Invalid data formatting';
  const parsed = HASHMAP_BODY.safeParse(parseJson(body, invalid, invalid));
  if (!parsed.success) throw badRequest(invalid);
  const { hashes: given, bytes } = parsed.data;
  const hashes = given.map((h) => {
    if (typeof h !== 'string' || !isHashHex(h))
      throw badRequest(`Invalid hash: ${typeof h === 'string' ? h : JSON.stringify(h)}`);
    return h.toLowerCase();
  });
  const sizeMismatch =
    bytes < 0 ||
    (bytes === 0 && !(hashes.length === 0 || (hashes.length === 1 && hashes[0] === EMPTY_HASH))) ||
    (bytes > 0 && hashes.length !== blockCount(bytes));
  if (sizeMismatch) throw badRequest("The object's size does not match with the object's hashmap length");
  if (bytes > req.services.settings.objectMaxUpload) throw badRequest('Maximum size is reached');
  const stored = bytes === 0 ? [EMPTY_HASH] : hashes;
  const { objects } = req.services;
  const missing = await objects.missingBlocks(stored);
  if (missing.length) return json(409, missing);
  try {
    const obj = await objects.commit(
      dest.container,
      name,
      { size: bytes, hashes: stored, objectHash: objectHash(stored), md5: null },
      w.attrs,
      {
        modifiedBy: caller.user.uuid,
        sharing: w.sharing,
        publish: w.publish,
      },
    );
    return created(obj, dialect);
  } catch (err) {
    if (err instanceof MissingBlocksError) return json(409, err.missing);
    throw err;
  }
}

// ---- copy / move -------------------------------------------------------------------------------

/** `/<container>/<object>`, the leading slash optional (Swift's clients send both forms). */
function parseObjectPath(value: string, message: string): { container: string; name: string } {
  const m = /^\/?([^/]+)\/(.+)$/s.exec(value);
  if (!m) throw badRequest(message);
  return { container: m[1], name: m[2] };
}

async function copyObject(
  req: ApiRequest,
  caller: Caller,
  source: ObjectRecord,
  dest: Destination,
  destName: string,
  move: boolean,
  dialect: Dialect,
  /** Set when `source` is a version named by X-Source-Version: re-reads it under the commit lock. */
  reloadVersion?: KeptVersionReload,
): Promise<ApiResponse> {
  if (reloadVersion && move) throw badRequest('A past version cannot be moved; copy it');
  const delimiter = req.query.get('delimiter');
  if (delimiter !== undefined && dialect.name !== 'pithos')
    throw notImplemented('Copying or moving by prefix is not supported');
  if (move) authorize(caller.user, 'move', { object: source });
  const requested = readMeta(req.raw, 'Object', dialect.meta);
  const fresh = (lastHeader(req.raw, 'x-fresh-metadata') ?? '').trim().toLowerCase() === 'true';
  const meta = applyMetaChange(fresh ? {} : source.meta, {
    meta: requested,
    replace: false,
    maxItems: dialect.meta.maxItems,
  });
  const sharingHeader = decodedHeader(req.raw, 'x-object-sharing');
  const sharing =
    sharingHeader === undefined
      ? undefined
      : await parseSharing(sharingHeader, req.services.users, ownerGroups(req, dest.container.account));
  const attrs: Attributes = {
    contentType: readContentType(req.raw) ?? source.contentType,
    contentEncoding: decodedHeader(req.raw, 'content-encoding') ?? source.contentEncoding,
    contentDisposition: decodedHeader(req.raw, 'content-disposition') ?? source.contentDisposition,
    meta,
    // A copy of a large object is a manifest of the same segments (see src/api/swift/README.md).
    manifest: source.manifest,
    // Expiry is the request's own, never the source's (a copy of an expiring object stays).
    deleteAt: readExpiry(req.raw) ?? null,
  };
  const writeOpts = { modifiedBy: caller.user.uuid, sharing, publish: readPublic(req.raw) };
  const obj = reloadVersion
    ? await req.services.objects.copyKeptVersion(reloadVersion, dest.container, destName, attrs, writeOpts)
    : delimiter
      ? await copyWithPrefix(req, caller, source, dest.container, destName, attrs, { ...writeOpts, move }, delimiter)
      : await req.services.objects.copy(source, dest.container, destName, attrs, { ...writeOpts, move });
  const copied: HeaderMap = dialect.copiedFromHeaders
    ? {
        'X-Copied-From': `${quote(source.container)}/${quote(source.name)}`,
        'X-Copied-From-Account': dialect.accountName(source.account),
        'X-Copied-From-Last-Modified': httpDate(source.versionTs),
      }
    : {};
  return created(obj, dialect, copied);
}

/** `COPY`/`MOVE` with `Destination: /<container>/<object>` = a PUT of the destination (object-store.md §7.6). */
async function copyByMethod(
  req: ApiRequest,
  caller: Caller,
  source: ObjectRecord,
  dialect: Dialect,
  reloadVersion?: KeptVersionReload,
): Promise<ApiResponse> {
  const destination = decodedHeader(req.raw, 'destination');
  if (destination === undefined) throw badRequest('Missing Destination header');
  const target = parseObjectPath(destination, 'Invalid Destination header');
  if ([...target.name].length > 1024) throw badRequest('Object name too large.');
  checkConditions(
    req.raw,
    { exists: true, etag: etagOf(source), lastModified: source.versionTs },
    { matchHeaders: true },
  );
  const account = dialect.accountUuid(decodedHeader(req.raw, 'destination-account')) || caller.user.uuid;
  const dest = await writableDestination(req, caller, account, target.container, target.name);
  return copyObject(req, caller, source, dest, target.name, req.method === 'MOVE', dialect, reloadVersion);
}

// ---- POST, DELETE ------------------------------------------------------------------------------

async function postObject(req: ApiRequest, caller: Caller, obj: ObjectRecord, dialect: Dialect): Promise<ApiResponse> {
  const type = contentMediaType(req.raw);
  if (dialect.name === 'pithos' && isDataUpdate(req)) return postObjectData(req, caller, obj, dialect);
  if (
    type === 'application/octet-stream' ||
    ['x-source-object', 'content-range', 'x-object-bytes'].some((h) => hasHeader(req.raw, h))
  ) {
    throw notImplemented('Partial object updates are not supported');
  }
  if (type === 'multipart/form-data') throw notImplemented('Form uploads are not supported');
  checkConditions(req.raw, { exists: true, etag: etagOf(obj), lastModified: obj.versionTs }, { matchHeaders: true });
  const me = caller.user.uuid;
  authorize(caller.user, 'write', { object: obj });
  const sharingHeader = decodedHeader(req.raw, 'x-object-sharing');
  const publish = readPublic(req.raw);
  if (sharingHeader !== undefined) authorize(caller.user, 'share', { object: obj });
  if (publish !== undefined) authorize(caller.user, 'publish', { object: obj });
  const meta = readMeta(req.raw, 'Object', dialect.meta);
  const sharing =
    sharingHeader === undefined
      ? undefined
      : await parseSharing(sharingHeader, req.services.users, ownerGroups(req, obj.account));
  // `X-Object-Manifest` makes (or, empty, unmakes) a dynamic manifest; a static one stays as it is.
  const manifest = obj.manifest?.kind === 'slo' ? undefined : readDynamicManifest(req.raw);
  const updated = await req.services.objects.update(obj, {
    meta: { meta, replace: dialect.metaPostReplaces('Object', req.query), maxItems: dialect.meta.maxItems },
    contentEncoding: decodedHeader(req.raw, 'content-encoding'),
    contentDisposition: decodedHeader(req.raw, 'content-disposition'),
    sharing,
    publish,
    manifest,
    deleteAt: readExpiry(req.raw),
    modifiedBy: me,
  });
  return { status: dialect.postStatus, headers: { 'X-Object-Version': updated.version } };
}

async function deleteObject(req: ApiRequest, caller: Caller, obj: ObjectRecord): Promise<ApiResponse> {
  if (req.query.get('multipart-manifest') === 'delete' && obj.manifest?.kind === 'slo')
    return deleteStaticManifest(req, caller, obj);
  authorize(caller.user, 'delete', { object: obj });
  const { objects, containers } = req.services;
  const container = await containers.get(obj.account, obj.container);
  // Swift's stack mode (X-Versions-Location): the previous version comes back (versions.ts).
  const gone =
    container?.versionsMode === 'stack' ? await objects.deleteRestoringPrevious(obj) : await objects.delete(obj);
  if (!gone) throw notFound('Object does not exist'); // deleted or moved meanwhile
  const delimiter = req.query.get('delimiter');
  if (delimiter) {
    await objects.deleteByPrefix(container!, obj.name.endsWith(delimiter) ? obj.name : obj.name + delimiter);
  }
  return { status: 204 };
}
