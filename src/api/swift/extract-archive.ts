/**
 * Swift's archive extraction: `PUT <account>[/<container>[/<prefix>]]?extract-archive=tar|tar.gz|tar.bz2`
 * streams a tar (gunzipped by zlib, bunzipped by the system's `bzip2 -dc`) and makes each regular
 * file an object: at the account, its first path segment names the container (created if
 * missing); below, entries land in the container, under the prefix. Only regular files count:
 * directories, symlinks, hard links and devices are ignored, never followed.
 *
 * Every entry's bytes are written as blocks while the archive streams; the objects are committed
 * at the end in ONE transaction through the object service's write path (quotas and overwrite
 * hooks apply). So a broken archive, a tar bomb (too many entries, too many bytes) or a failed
 * commit writes nothing. An entry whose name is refused (`..` segment, absolute path, not UTF-8,
 * too long, an entry too big) is reported in `Errors` and the others are created, as Swift does.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { badRequest, forbidden } from '../../errors.ts';
import { DataTooLarge } from '../../domain/errors.ts';
import type { Caller } from '../../domain/identity/tokens.ts';
import type { ContainerRecord } from '../../domain/objects/containers.ts';
import { EMPTY_CONTENT, type Content, type ObjectService } from '../../domain/objects/object-service.ts';
import type { ApiRequest } from '../http/api-request.ts';
import type { ApiResponse } from '../http/reply.ts';
import { SWIFT, SWIFT_LIMITS } from '../object-store/dialect.ts';
import type { StoreTarget } from '../object-store/object-store-api.ts';
import { readMeta } from '../object-store/request-headers.ts';
import { bulkFormat, bulkRefusal, quotePath, statusLine, streamedResult, type BulkResult } from './bulk-results.ts';
import { swiftFailure } from './swift-faults.ts';

/** Swift's `max_containers_per_extraction` and `max_failed_extractions`. */
export const MAX_CONTAINERS_PER_EXTRACTION = 10_000;
export const MAX_FAILED_EXTRACTIONS = 1_000;
/** Tar-bomb bounds: tar headers read (every kind), and files made, in one archive. */
export const MAX_ENTRIES_PER_EXTRACTION = 20_000;
export const MAX_FILES_PER_EXTRACTION = 10_000;

/** Entries up to this size are read whole and stored PARALLEL_WRITES at a time (memory: their product). */
const SMALL_ENTRY = 256 * 1024;
const PARALLEL_WRITES = 16;

const TYPES: Record<string, 'tar' | 'gz' | 'bz2'> = { tar: 'tar', 'tar.gz': 'gz', 'tar.bz2': 'bz2' };

export const isExtractArchive = (req: ApiRequest): boolean => req.method === 'PUT' && req.query.has('extract-archive');

/** The transaction a batch commit resolves its containers in. */
type CommitTrx = Parameters<Parameters<ObjectService['commitAll']>[0][number]['container']>[0];

class Refused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(body);
  }
}

interface Staged {
  readonly container: string;
  readonly name: string;
  readonly content: Content;
  readonly contentType: string;
  readonly meta: Record<string, string>;
}

export async function handleExtractArchive(req: ApiRequest, caller: Caller, target: StoreTarget): Promise<ApiResponse> {
  const kind = TYPES[(req.query.get('extract-archive') ?? '').toLowerCase().replace(/^\.+|\.+$/g, '')];
  if (!kind) throw badRequest('Unsupported archive format');
  // New names in an account are its owner's to make (as a single PUT of a new name is).
  if (caller.user.uuid !== target.account) throw forbidden();
  const format = bulkFormat(req.raw);
  const counts = () => ({ 'Number Files Created': 0 });
  const refuse = (status: number, body: string) =>
    bulkRefusal(format, { status, body, counts: counts(), errors: [] }, 'extract');
  if (!format) return refuse(406, 'The server has no response format the request accepts.');
  if (req.raw.headers['content-length'] === undefined && req.raw.headers['transfer-encoding'] === undefined)
    return refuse(411, 'Length Required');
  if (kind === 'bz2' && !bzip2Path()) return refuse(400, 'Invalid Tar File: tar.bz2 is not available on this server');
  // Request meta headers go on every entry (Swift's rule); validated before a byte is read.
  const requestMeta = readMeta(req.raw, 'Object', SWIFT.meta);
  const base =
    target.level === 'account'
      ? ''
      : target.level === 'container'
        ? target.container
        : `${target.container}/${target.object.replace(/\/+$/, '')}`;

  // In archive order (a name given twice: the later entry wins, as in a sequence of PUTs).
  const staged: (Staged | undefined)[] = [];
  const errors: [string, string][] = [];
  try {
    await readArchive(req, kind, base, requestMeta, staged, errors);
  } catch (err) {
    if (err instanceof Refused) return refuse(err.status, err.body);
    throw err;
  }
  return streamedResult(
    format,
    () =>
      commit(
        req,
        caller,
        target.account,
        staged.filter((e): e is Staged => e !== undefined),
        errors,
      ),
    'extract',
    (err) => req.log.error({ err }, 'unexpected error in archive extraction'),
  );
}

async function readArchive(
  req: ApiRequest,
  kind: 'tar' | 'gz' | 'bz2',
  base: string,
  requestMeta: Record<string, string>,
  staged: (Staged | undefined)[],
  errors: [string, string][],
): Promise<void> {
  const max = req.services.settings.objectMaxUpload;
  const extract = tar.extract();
  const stages: (NodeJS.ReadableStream | NodeJS.WritableStream | Duplex)[] = [req.raw];
  if (kind === 'gz') stages.push(createGunzip());
  if (kind === 'bz2') stages.push(bunzip2());
  let streamFailure: unknown;
  const piped = pipeline([...stages, extract] as unknown as [Readable, NodeJS.WritableStream]).catch((err: unknown) => {
    streamFailure = err;
  });
  let entries = 0;
  let files = 0;
  let total = 0;
  const inFlight = new Set<Promise<void>>();
  const containers = new Set<string>();
  const fail = (name: string, status: number) => {
    errors.push([quotePath(name.slice(0, 1282)), statusLine(status)]);
    if (errors.length >= MAX_FAILED_EXTRACTIONS) throw new Refused(400, 'Max extraction failures exceeded');
  };
  try {
    for await (const entry of extract) {
      if (++entries > MAX_ENTRIES_PER_EXTRACTION)
        throw new Refused(400, `Invalid Tar File: more than ${MAX_ENTRIES_PER_EXTRACTION} entries`);
      const h = entry.header;
      if (h.type !== 'file' && h.type !== 'contiguous-file') {
        entry.resume(); // directories, links, devices: ignored, never followed
        continue;
      }
      const size = h.size ?? 0;
      const name = h.name.replace(/^(\.\/)+/, '');
      const joined = base ? `${base}/${name}` : name;
      const slash = joined.indexOf('/');
      const container = joined.slice(0, slash);
      const object = joined.slice(slash + 1);
      const refusal =
        name.startsWith('/') || name.split('/').includes('..')
          ? 400 // no path escape: absolute names and `..` segments are refused, not rewritten
          : name.includes('\uFFFD') || name.includes('\u0000')
            ? 412
            : [...container].length > SWIFT_LIMITS.max_container_name_length ||
                [...object].length > SWIFT_LIMITS.max_object_name_length
              ? 400
              : undefined;
      if (size > max) throw new Refused(413, `Invalid Tar File: an entry of more than ${max} bytes`);
      if (slash < 0 && refusal === undefined) {
        entry.resume(); // a file at the account's top level: Swift ignores it
        continue;
      }
      if (refusal !== undefined || object === '' || container === '') {
        entry.resume();
        fail(joined, refusal ?? 400);
        continue;
      }
      if (++files > MAX_FILES_PER_EXTRACTION)
        throw new Refused(400, `Invalid Tar File: more than ${MAX_FILES_PER_EXTRACTION} files`);
      total += size;
      if (total > max) throw new Refused(413, `Invalid Tar File: more than ${max} bytes`);
      containers.add(container);
      if (containers.size > MAX_CONTAINERS_PER_EXTRACTION)
        throw new Refused(400, `More than ${MAX_CONTAINERS_PER_EXTRACTION} containers to create from tar.`);
      const pax = (h as { pax?: Record<string, string> }).pax ?? {};
      const attrs = paxAttributes(pax, requestMeta);
      const tooLarge = () => new DataTooLarge(max);
      if (size === 0) {
        entry.resume(); // nothing to store: the empty object's content is known
        staged.push({ container, name: object, content: EMPTY_CONTENT, ...attrs });
      } else if (size <= SMALL_ENTRY) {
        // Small entries (the many-files case) are read whole and stored several at a time: each
        // block write waits for its fsync, and one after the other that is most of the time.
        const bytes = await collect(entry as AsyncIterable<Buffer>, SMALL_ENTRY);
        const slot = staged.length;
        staged.push(undefined);
        const writing = req.services.objects.writeData(Readable.from([bytes]), max, tooLarge).then((content) => {
          staged[slot] = { container, name: object, content, ...attrs };
        });
        inFlight.add(writing);
        const done = () => inFlight.delete(writing);
        void writing.then(done, done);
        if (inFlight.size >= PARALLEL_WRITES) await Promise.race(inFlight);
      } else {
        const content = await req.services.objects.writeData(entry as AsyncIterable<Buffer>, max, tooLarge);
        staged.push({ container, name: object, content, ...attrs });
      }
    }
    await Promise.all(inFlight);
  } catch (err) {
    extract.destroy();
    await Promise.allSettled(inFlight);
    await piped;
    if (err instanceof Refused) throw err;
    if (streamFailure !== undefined || isTarError(err))
      throw new Refused(400, `Invalid Tar File: ${messageOf(streamFailure ?? err)}`);
    throw err;
  }
  await piped;
  if (streamFailure !== undefined) throw new Refused(400, `Invalid Tar File: ${messageOf(streamFailure)}`);
}

/** An entry's bytes, read whole (only for entries known to be small). */
async function collect(entry: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of entry) {
    size += chunk.length;
    if (size > limit) throw new DataTooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
const isTarError = (err: unknown) =>
  err instanceof Error &&
  !(err instanceof DataTooLarge) &&
  !('status' in err) &&
  /tar|header|end of|unexpected/i.test(err.message);

/** Content type and meta from the entry's pax records (GNU tar and bsdtar xattrs, as Swift reads them). */
function paxAttributes(
  pax: Record<string, string>,
  requestMeta: Record<string, string>,
): { contentType: string; meta: Record<string, string> } {
  let contentType = 'application/octet-stream';
  const meta = { ...requestMeta };
  for (const [k, v] of Object.entries(pax)) {
    if (k === 'SCHILY.xattr.user.mime_type' || k === 'LIBARCHIVE.xattr.user.mime_type') contentType = v;
    const m = /^(?:SCHILY|LIBARCHIVE)\.xattr\.user\.meta\.(.+)$/.exec(k);
    if (m && m[1].length <= SWIFT.meta.maxName && v.length <= SWIFT.meta.maxValue) meta[m[1]] = v;
  }
  return { contentType, meta };
}

async function commit(
  req: ApiRequest,
  caller: Caller,
  account: string,
  staged: Staged[],
  errors: [string, string][],
): Promise<BulkResult> {
  const counts = { 'Number Files Created': 0 };
  if (staged.length) {
    try {
      const { containers, objects } = req.services;
      // Each container made (or found) once per commit, inside its transaction.
      const made = new Map<string, Promise<ContainerRecord>>();
      const container = (trx: CommitTrx, name: string) => {
        let c = made.get(name);
        if (!c) {
          c = containers.ensure(account, name, trx);
          made.set(name, c);
        }
        return c;
      };
      const written = await objects.commitAll(
        staged.map((s) => ({
          container: (trx) => container(trx, s.container),
          name: s.name,
          content: s.content,
          attrs: { contentType: s.contentType, contentEncoding: null, contentDisposition: null, meta: s.meta },
        })),
        { modifiedBy: caller.user.uuid },
      );
      counts['Number Files Created'] = written.length;
    } catch (err) {
      // Nothing was committed: the whole request failed as this error says.
      const reply = swiftFailure(req.log, err);
      return { status: reply.status, body: typeof reply.body === 'string' ? reply.body : '', counts, errors };
    }
  }
  if (errors.length) return { status: 400, body: '', counts, errors };
  if (!counts['Number Files Created']) return { status: 400, body: 'Invalid Tar File: No Valid Files', counts, errors };
  return { status: 201, body: '', counts, errors };
}

let bzip2: string | null | undefined;
/** The system's `bzip2`, looked up once on PATH (Debian's `bzip2` package). */
function bzip2Path(): string | null {
  if (bzip2 !== undefined) return bzip2;
  bzip2 = null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'bzip2');
    if (dir && fs.existsSync(candidate)) {
      bzip2 = candidate;
      break;
    }
  }
  return bzip2;
}

/**
 * A bunzip2 stream: the system's `bzip2 -dc` (streamed, memory bounded by bzip2's own block
 * size), so no unmaintained JavaScript decoder reads untrusted input. A non-zero exit is an error.
 */
function bunzip2(): Duplex {
  const child = spawn(bzip2Path()!, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 1000) stderr += d.toString();
  });
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on('close', (code) => {
    if (code !== 0 && code !== null) duplex.destroy(new Error(`bzip2: ${stderr.trim() || `exit ${code}`}`));
  });
  child.stdin.on('error', () => {}); // bzip2 gave up early: its exit status tells why
  duplex.on('close', () => {
    if (child.exitCode === null) child.kill();
  });
  return duplex;
}
