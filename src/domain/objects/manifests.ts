/**
 * Large objects (issue 19 item 5): an object whose bytes are other objects' bytes, one after the
 * other. Two kinds, one reader for both mounts:
 * - a dynamic manifest (DLO, `X-Object-Manifest: <container>/<prefix>`) is the concatenation of
 *   the objects under the prefix, in name order, listed when it is read;
 * - a static manifest (SLO, `?multipart-manifest=put`) lists its segments (path, size, ETag,
 *   optional byte range), checked when it is written and again when it is read.
 * The manifest lives in the version's `manifest` column (migration 009), beside the version's own
 * content (empty for an SLO; whatever the PUT sent for a DLO, which reads never show).
 *
 * A read resolves the manifest into pieces (block lists and byte windows) before any header goes
 * out, so every failure — a segment gone, changed, unreadable, a loop — is a clean 403/409 and
 * never a reply cut after its status line. The bytes then stream block by block (object-reader.ts),
 * so memory stays flat in the total size.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { permits, type Principal } from '../authorization.ts';
import { DomainError, UploadBlocksRemoved } from '../errors.ts';
import { BLOCK_SIZE, objectHash } from '../hashing.ts';
import type { BlockStore } from '../../storage/blocks/block-store.ts';
import { etagOf, type ObjectRecord } from './object-record.ts';
import { BlockStream, type HashmapRange } from './object-reader.ts';
import type { ObjectService } from './object-service.ts';

export interface DynamicManifest {
  readonly kind: 'dlo';
  readonly container: string;
  /** May be empty: the whole container. */
  readonly prefix: string;
}

/** One segment of a static manifest, as it was when the manifest was written. */
export interface StaticSegment {
  /** `/<container>/<object>` in the manifest's account. */
  readonly path: string;
  /** The segment's ETag (a nested static manifest: its own manifest ETag). */
  readonly etag: string;
  /** The whole segment's size (not the range's). */
  readonly size: number;
  /** Inclusive byte window of the segment; absent: all of it. */
  readonly range?: { readonly start: number; readonly end: number };
  readonly contentType: string;
  /** Microseconds since the epoch. */
  readonly lastModified: number;
  /** The segment is itself a static manifest. */
  readonly nested?: boolean;
}

export interface StaticManifest {
  readonly kind: 'slo';
  readonly segments: readonly StaticSegment[];
  /** Total bytes. */
  readonly size: number;
  /** Swift's SLO ETag: MD5 of the segments' ETags (`etag:start-end;` for a ranged one). */
  readonly etag: string;
  /** 1 for segments that are plain objects; one more than the deepest nested manifest. */
  readonly depth: number;
}

export type Manifest = DynamicManifest | StaticManifest;

/** Swift's limits (its slo/dlo defaults), announced in `/info`. */
export const LARGE_OBJECT_LIMITS = {
  maxManifestSegments: 1000,
  maxManifestSize: 8 * 1024 * 1024,
  minSegmentSize: 1,
  /** Segments a dynamic manifest may have (and segment lookups one read may make in all). */
  maxDynamicSegments: 10000,
  /** Manifests within manifests (Swift's max_slo_recursion_depth). */
  maxDepth: 10,
} as const;

/** Why a manifest cannot be read now (409): its segments are not what it says, or it never ends. */
export type UnreadableReason = 'missing-segment' | 'changed-segment' | 'too-deep' | 'too-many-segments';

export class ManifestUnreadable extends DomainError {
  constructor(
    readonly reason: UnreadableReason,
    readonly path?: string,
  ) {
    super(`large object unreadable: ${reason}${path ? ` (${path})` : ''}`);
  }
}

/** A segment of a large object the reader may not read. */
export class SegmentForbidden extends DomainError {
  constructor(readonly path: string) {
    super(`segment ${path} may not be read`);
  }
}

/** What is wrong with one entry of a static manifest being written. */
export type SegmentProblem =
  | 'not-found'
  | 'forbidden'
  | 'etag-mismatch'
  | 'size-mismatch'
  | 'too-small'
  | 'unsatisfiable-range'
  | 'self'
  | 'too-deep';

/** A static manifest refused: every problem found, entry by entry (nothing is written). */
export class ManifestRefused extends DomainError {
  constructor(readonly problems: readonly { readonly path: string; readonly problem: SegmentProblem }[]) {
    super(`manifest refused: ${problems.map((p) => `${p.path} ${p.problem}`).join(', ')}`);
  }
}

/** An image's object may not become a manifest: an image's bytes are its own (see freeze). */
export class ManifestOnImage extends DomainError {
  constructor() {
    super("an image's object cannot become a manifest");
  }
}

// ---- the column ------------------------------------------------------------------------------

export const manifestColumn = (m: Manifest | null | undefined): string | null => (m ? JSON.stringify(m) : null);

export const parseManifestColumn = (text: string | null | undefined): Manifest | null =>
  text ? (JSON.parse(text) as Manifest) : null;

/** `/<container>/<object>` → its parts (the leading slash optional, as Swift takes it). */
export function splitSegmentPath(path: string): { container: string; name: string } | undefined {
  const m = /^\/?([^/]+)\/(.+)$/s.exec(path);
  return m ? { container: m[1], name: m[2] } : undefined;
}

// ---- reading ---------------------------------------------------------------------------------

/** A large object resolved for one read: its total size, its ETag, and the pieces of its bytes. */
export interface ResolvedLargeObject {
  readonly size: number;
  readonly etag: string;
  /** Byte windows `[start, end]` of stored versions, in order. */
  readonly pieces: readonly HashmapRange[];
}

/** A version of plain bytes (not a manifest) frozen out of a large object. */
export interface FrozenContent {
  readonly size: number;
  readonly etag: string;
}

const md5Hex = (s: string) => createHash('md5').update(s).digest('hex');

/** The ETag a segment contributes to an SLO's ETag. */
const segmentTag = (etag: string, range?: { start: number; end: number }) =>
  range ? `${etag}:${range.start}-${range.end};` : etag;

/** Pieces of `[from, to]` of the concatenation of `pieces`. */
function window(pieces: readonly HashmapRange[], from: number, to: number): HashmapRange[] {
  const out: HashmapRange[] = [];
  let offset = 0;
  for (const p of pieces) {
    const length = p.end - p.start + 1;
    const a = Math.max(from, offset);
    const b = Math.min(to, offset + length - 1);
    if (a <= b) out.push({ ...p, start: p.start + (a - offset), end: p.start + (b - offset) });
    offset += length;
    if (offset > to) break;
  }
  return out;
}

/**
 * The block list of a concatenation whose pieces all start on a block boundary and, but the last,
 * end on one; undefined when some piece does not (its bytes must then be re-cut into blocks).
 */
function blocksByReference(resolved: ResolvedLargeObject): string[] | undefined {
  if (resolved.size === 0) return undefined;
  const out: string[] = [];
  for (const [i, p] of resolved.pieces.entries()) {
    const length = p.end - p.start + 1;
    const last = i === resolved.pieces.length - 1;
    if (p.start % BLOCK_SIZE !== 0 || (!last && length % BLOCK_SIZE !== 0)) return undefined;
    out.push(...p.hashes.slice(p.start / BLOCK_SIZE, Math.ceil((p.end + 1) / BLOCK_SIZE)));
  }
  return out;
}

/** Lookups of one read: a cap on the work a manifest (or a loop of them) can cause. */
interface Budget {
  lookups: number;
}

export class LargeObjects {
  constructor(
    private readonly objects: ObjectService,
    private readonly blocks: BlockStore,
  ) {}

  /**
   * Size and ETag of a manifest without reading its segments when the manifest records them (a
   * static one); a dynamic one is listed. For HEAD.
   */
  async summary(obj: ObjectRecord, reader: Principal | undefined): Promise<{ size: number; etag: string }> {
    const m = obj.manifest;
    if (m?.kind === 'slo') return { size: m.size, etag: m.etag };
    return this.resolve(obj, reader);
  }

  /**
   * The pieces of a large object's bytes as they are now, each segment checked: it exists, the
   * reader may read it (`undefined`: the manifest's owner reads, a public link), a static
   * manifest's segments still have the size and ETag it recorded, nesting stays within
   * `maxDepth` (a loop of manifests ends there), and a read makes at most `maxDynamicSegments`
   * segment lookups.
   */
  async resolve(obj: ObjectRecord, reader: Principal | undefined): Promise<ResolvedLargeObject> {
    const who: Principal = reader ?? { uuid: obj.account, admin: false };
    return this.#resolve(obj, who, 1, { lookups: 0 });
  }

  async #resolve(obj: ObjectRecord, who: Principal, depth: number, budget: Budget): Promise<ResolvedLargeObject> {
    const m = obj.manifest;
    if (!m) {
      const pieces = obj.size > 0 ? [{ hashes: obj.hashes, start: 0, end: obj.size - 1 }] : [];
      return { size: obj.size, etag: etagOf(obj), pieces };
    }
    if (depth > LARGE_OBJECT_LIMITS.maxDepth) throw new ManifestUnreadable('too-deep', `/${obj.container}/${obj.name}`);
    return m.kind === 'dlo'
      ? this.#resolveDynamic(obj, m, who, depth, budget)
      : this.#resolveStatic(obj, m, who, depth, budget);
  }

  async #resolveDynamic(
    obj: ObjectRecord,
    m: DynamicManifest,
    who: Principal,
    depth: number,
    budget: Budget,
  ): Promise<ResolvedLargeObject> {
    const container = await this.objects.containers.get(obj.account, m.container);
    const pieces: HashmapRange[] = [];
    const etags: string[] = [];
    let size = 0;
    let marker: string | undefined;
    // No container (yet): no segments, an empty object, as Swift serves it.
    while (container) {
      const page = await this.objects.list(container, {
        prefix: m.prefix,
        marker,
        limit: 1000,
        appendDelimiter: false,
      });
      for (const entry of page) {
        const seg = entry.object!;
        marker = seg.name;
        // A manifest whose prefix takes in its own name is not one of its own segments.
        if (seg.id === obj.id) continue;
        if (++budget.lookups > LARGE_OBJECT_LIMITS.maxDynamicSegments)
          throw new ManifestUnreadable('too-many-segments', `/${obj.container}/${obj.name}`);
        const path = `/${seg.container}/${seg.name}`;
        if (!permits(who, 'read', { object: seg })) throw new SegmentForbidden(path);
        const part = await this.#resolve(seg, who, depth + 1, budget);
        pieces.push(...part.pieces);
        etags.push(part.etag);
        size += part.size;
      }
      if (page.length < 1000) break;
    }
    return { size, etag: md5Hex(etags.join('')), pieces };
  }

  async #resolveStatic(
    obj: ObjectRecord,
    m: StaticManifest,
    who: Principal,
    depth: number,
    budget: Budget,
  ): Promise<ResolvedLargeObject> {
    const pieces: HashmapRange[] = [];
    for (const s of m.segments) {
      if (++budget.lookups > LARGE_OBJECT_LIMITS.maxDynamicSegments)
        throw new ManifestUnreadable('too-many-segments', `/${obj.container}/${obj.name}`);
      const at = splitSegmentPath(s.path)!;
      const seg = await this.objects.get(obj.account, at.container, at.name);
      if (!seg) throw new ManifestUnreadable('missing-segment', s.path);
      if (!permits(who, 'read', { object: seg })) throw new SegmentForbidden(s.path);
      const part = await this.#resolve(seg, who, depth + 1, budget);
      if (part.size !== s.size || part.etag !== s.etag) throw new ManifestUnreadable('changed-segment', s.path);
      pieces.push(...(s.range ? window(part.pieces, s.range.start, s.range.end) : part.pieces));
    }
    return { size: m.size, etag: m.etag, pieces };
  }

  /** Streams bytes `[start, end]` of a resolved large object, its segments like one object (one read-ahead). */
  open(resolved: ResolvedLargeObject, start = 0, end = resolved.size - 1): Readable {
    return new BlockStream(this.blocks, window(resolved.pieces, start, end));
  }

  /**
   * Turns a large object into a plain object with the same bytes (a new version at the same path,
   * same uuid, attributes and meta; no manifest): what an image registered from a manifest
   * becomes, so that later changes of the segments never change the image. When every piece
   * falls on 4 MiB block boundaries (segments of whole 4 MiB blocks, e.g. 100 MiB)
   * the new version names the segments' blocks: no
   * byte is read or written, the ETag is then the object hash (no MD5 was seen). Otherwise the
   * bytes are streamed through the block writer once (blocks it meets again cost no space).
   */
  async freeze(obj: ObjectRecord, maxBytes: number, onTooLarge: () => Error): Promise<ObjectRecord> {
    const resolved = await this.resolve(obj, undefined);
    if (resolved.size > maxBytes) throw onTooLarge();
    const container = await this.objects.containers.requireById(obj.containerId);
    const attrs = {
      contentType: obj.contentType,
      contentEncoding: obj.contentEncoding,
      contentDisposition: obj.contentDisposition,
      meta: obj.meta,
      manifest: null,
    };
    const hashes = blocksByReference(resolved);
    if (hashes) {
      const content = { size: resolved.size, hashes, objectHash: objectHash(hashes), md5: null };
      try {
        return await this.objects.commit(container, obj.name, content, attrs, { modifiedBy: obj.modifiedBy });
      } catch (err) {
        // A segment's block removed by gc since the resolve (its segment deleted meanwhile): nothing committed.
        const missing = (err as { missing?: unknown }).missing;
        if (Array.isArray(missing)) throw new UploadBlocksRemoved(missing);
        throw err;
      }
    }
    return this.objects.upload(this.open(resolved), container, obj.name, attrs, {
      modifiedBy: obj.modifiedBy,
      maxBytes,
      onTooLarge,
    });
  }

  // ---- writing a static manifest ---------------------------------------------------------------

  /**
   * Checks the entries of a static manifest against the segments as they are now and builds
   * the manifest to store (Swift's rules: each segment exists and is readable, its size and
   * ETag match where given (null: not checked), at least `minSegmentSize` bytes after its range,
   * nesting within `maxDepth`). Throws ManifestRefused with every problem; writes nothing.
   */
  async buildStatic(
    account: string,
    target: { container: string; name: string },
    entries: readonly {
      readonly path: string;
      readonly etag: string | null;
      readonly sizeBytes: number | null;
      readonly range?: RangeSpec;
    }[],
    writer: Principal,
  ): Promise<StaticManifest> {
    const problems: { path: string; problem: SegmentProblem }[] = [];
    const segments: StaticSegment[] = [];
    let depth = 1;
    const budget: Budget = { lookups: 0 };
    for (const e of entries) {
      const at = splitSegmentPath(e.path)!;
      const path = `/${at.container}/${at.name}`;
      const fail = (problem: SegmentProblem) => problems.push({ path, problem });
      if (at.container === target.container && at.name === target.name) {
        fail('self');
        continue;
      }
      const seg = await this.objects.get(account, at.container, at.name);
      if (!seg) {
        fail('not-found');
        continue;
      }
      if (!permits(writer, 'read', { object: seg })) {
        fail('forbidden');
        continue;
      }
      let size = seg.size;
      let etag = etagOf(seg);
      const nested = seg.manifest?.kind === 'slo';
      if (seg.manifest) {
        const segDepth = seg.manifest.kind === 'slo' ? seg.manifest.depth : 1;
        if (segDepth + 1 > LARGE_OBJECT_LIMITS.maxDepth) {
          fail('too-deep');
          continue;
        }
        depth = Math.max(depth, segDepth + 1);
        try {
          ({ size, etag } = await this.#resolve(seg, writer, 2, budget));
        } catch (err) {
          if (!(err instanceof ManifestUnreadable || err instanceof SegmentForbidden)) throw err;
          fail(err instanceof SegmentForbidden ? 'forbidden' : err.reason === 'too-deep' ? 'too-deep' : 'not-found');
          continue;
        }
      }
      if (e.etag !== null && e.etag.toLowerCase() !== etag) fail('etag-mismatch');
      if (e.sizeBytes !== null && e.sizeBytes !== size) fail('size-mismatch');
      const range = e.range && satisfy(e.range, size);
      if (e.range && !range) {
        fail('unsatisfiable-range');
        continue;
      }
      const length = range ? range.end - range.start + 1 : size;
      if (length < LARGE_OBJECT_LIMITS.minSegmentSize) fail('too-small');
      segments.push({
        path,
        etag,
        size,
        ...(range ? { range } : {}),
        contentType: seg.contentType,
        lastModified: seg.versionTs,
        ...(nested ? { nested: true } : {}),
      });
    }
    if (problems.length) throw new ManifestRefused(problems);
    const size = segments.reduce((n, s) => n + (s.range ? s.range.end - s.range.start + 1 : s.size), 0);
    const etag = md5Hex(segments.map((s) => segmentTag(s.etag, s.range)).join(''));
    return { kind: 'slo', segments, size, etag, depth };
  }
}

/** A segment's `range` as Swift takes it: `a-b`, `a-` or `-n` (bytes, inclusive). */
export type RangeSpec = { readonly first?: number; readonly last?: number; readonly suffix?: number };

/** Parses `a-b`, `a-`, `-n`; undefined when it is not one of those. */
export function parseRangeSpec(text: string): RangeSpec | undefined {
  const m = /^\s*(?:bytes=)?(\d*)-(\d*)\s*$/.exec(text);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') return { suffix: Number(m[2]) };
  const first = Number(m[1]);
  if (m[2] === '') return { first };
  const last = Number(m[2]);
  return last < first ? undefined : { first, last };
}

/** The window a range spec takes of `size` bytes, or undefined when none. */
function satisfy(r: RangeSpec, size: number): { start: number; end: number } | undefined {
  if (r.suffix !== undefined)
    return r.suffix > 0 && size > 0 ? { start: Math.max(0, size - r.suffix), end: size - 1 } : undefined;
  const start = r.first!;
  if (start >= size) return undefined;
  return { start, end: Math.min(r.last ?? size - 1, size - 1) };
}
