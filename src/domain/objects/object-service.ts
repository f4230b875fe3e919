import { randomInt } from 'node:crypto';
import type { Readable } from 'node:stream';
import { DomainError, NotFound, UploadBlocksRemoved } from '../errors.ts';
import { Quotas } from './quotas.ts';
import type { BlockStore } from '../../storage/blocks/block-store.ts';
import type { Db, Trx } from '../../storage/metadata/database.ts';
import type { ObjectRow } from '../../storage/metadata/schema.ts';
import { GrantRepository } from '../../storage/metadata/grant-repository.ts';
import { AccessRepository } from '../../storage/metadata/access-repository.ts';
import { loadAccess } from './object-access.ts';
import {
  ObjectRepository,
  type LocatedObjectRow,
  type VersionValues,
} from '../../storage/metadata/object-repository.ts';
import { takeCommitLockAndNextVersion } from '../../storage/metadata/commit-lock.ts';
import { HistoryRepository, historyAsObjectRow, type ArchiveScope } from '../../storage/metadata/history-repository.ts';
import { EMPTY_HASH, EMPTY_MD5, blockHash, packHashmap, trimTrailingNuls } from '../hashing.ts';
import { nowMicros } from '../time.ts';
import { writeBlocks, type BlockTap, type StreamAlgorithm, type WrittenData } from './block-writer.ts';
import { listingScope, lowest, rolledUpListing } from './listing-rollup.ts';
import {
  type Containers,
  applyMetaChange,
  lockCommits,
  nameWindow,
  prefixUpperBound,
  type ContainerRecord,
  type MetaChange,
} from './containers.ts';
import { toObjectRecord, type ObjectRecord } from './object-record.ts';
import { matchesMeta, type MetaFilter } from './meta-filter.ts';
import { readObject } from './object-reader.ts';
import { LargeObjects, manifestColumn, type Manifest } from './manifests.ts';

/** The data of a version. `md5` is null when the server never saw the whole stream. */
export interface Content {
  readonly size: number;
  readonly hashes: readonly string[];
  readonly objectHash: string;
  readonly md5: string | null;
}

/** What a content write sets; these replace the previous version's (object-store.md §7.3 step 6). */
export interface Attributes {
  readonly contentType: string;
  readonly contentEncoding: string | null;
  readonly contentDisposition: string | null;
  readonly meta: Readonly<Record<string, string>>;
  /** The version is a large object (manifests.ts); absent or null: plain bytes. */
  readonly manifest?: Manifest | null;
  /** Expiry (microseconds; X-Delete-At) of the new version; absent or null: none. */
  readonly deleteAt?: number | null;
}

export interface Grants {
  readonly read: readonly string[];
  readonly write: readonly string[];
}

export interface WriteOptions {
  readonly modifiedBy: string;
  /** UUID for a new object (the image service creates objects whose uuid is the image id). */
  readonly uuid?: string;
  /** Replace the grants; undefined keeps them. */
  readonly sharing?: Grants;
  /** Publish (true) or unpublish (false); undefined keeps the public token. */
  readonly publish?: boolean;
  /** Runs inside the commit transaction, after the version is written (image status changes). */
  readonly inCommit?: (trx: Trx, obj: ObjectRecord) => Promise<void>;
}

/**
 * Runs inside a move's transaction, under the commit lock, before the object changes place:
 * throw to refuse the move.
 */
export type MoveHook = (trx: Trx, obj: ObjectRecord, dest: ContainerRecord) => Promise<void>;
/** Sees an existing object's new version inside its commit (blocks all stored); may refuse it by throwing. */
export type OverwriteHook = (trx: Trx, obj: ObjectRecord) => Promise<void>;

/** Thrown when a version would reference blocks the store does not hold (a hashmap PUT answers their list). */
export class MissingBlocksError extends Error {
  constructor(readonly missing: string[]) {
    super(`${missing.length} block(s) missing`);
  }
}

/** Another version was committed between the start of a partial update and its commit (partial-updates.ts). */
export class ObjectChanged extends DomainError {
  constructor() {
    super('the object was replaced during the partial update');
  }
}

export interface ListEntry {
  readonly object?: ObjectRecord;
  readonly subdir?: string;
}

export interface ListOptions {
  readonly prefix?: string;
  readonly delimiter?: string;
  /** `path=`: prefix `<path>/`, delimiter `/`, no subdir entries. */
  readonly pathMode?: boolean;
  readonly marker?: string;
  readonly endMarker?: string;
  /** Highest name first; `marker` and `endMarker` then bound from above and below. */
  readonly reverse?: boolean;
  /** Pithos's prefix rule (see listingScope); false for Swift. */
  readonly appendDelimiter?: boolean;
  readonly limit: number;
  /** A non-owner: only objects he is a read grantee of. */
  readonly viewer?: string;
  readonly shared?: boolean;
  readonly published?: boolean;
  /** Pithos's `meta` filter: only objects whose meta match (meta-filter.ts). */
  readonly metaFilter?: MetaFilter;
  /** The container as it was at this time (µs): live and kept versions (versions.ts); no grants shown. */
  readonly until?: number;
}

const PUBLIC_TOKEN_CHARS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const newPublicToken = () =>
  Array.from({ length: 16 }, () => PUBLIC_TOKEN_CHARS[randomInt(PUBLIC_TOKEN_CHARS.length)]).join('');
/** Publishing keeps an existing token (object-store.md §8.3); unpublishing drops it; undefined changes nothing. */
const nextPublicToken = (current: string | null, publish: boolean | undefined): string | null =>
  publish === undefined ? current : publish ? (current ?? newPublicToken()) : null;

export const EMPTY_CONTENT: Content = { size: 0, hashes: [EMPTY_HASH], objectHash: EMPTY_HASH, md5: EMPTY_MD5 };

/**
 * Objects: the write path (blocks first, then one transaction that commits the version), reads,
 * listings, copy/move, meta, grants and publishing. Every commit takes the version-counter row
 * lock first, which also serialises it with `gc` (see gc.ts): a version is only committed while
 * all its blocks exist.
 */
export class ObjectService {
  readonly #moveHooks: MoveHook[] = [];
  readonly #overwriteHooks: OverwriteHook[] = [];
  readonly #rows: ObjectRepository;
  readonly #grants: GrantRepository;
  /** Large objects (DLO/SLO): resolving and reading manifests (manifests.ts). */
  readonly large: LargeObjects;
  readonly #history: HistoryRepository;
  readonly #access: AccessRepository;
  readonly quotas: Quotas;

  constructor(
    private readonly db: Db,
    private readonly blocks: BlockStore,
    readonly containers: Containers,
  ) {
    this.#rows = new ObjectRepository(db);
    this.#grants = new GrantRepository(db);
    this.large = new LargeObjects(this, blocks);
    this.#history = new HistoryRepository(db);
    this.#access = new AccessRepository(db);
    this.quotas = new Quotas(db);
  }

  /**
   * Lets another aggregate take part in moves (the image module: an image moves with its
   * object, and not while its data is being saved). Copies need no hook: a copy is a new object.
   */
  onMove(hook: MoveHook): void {
    this.#moveHooks.push(hook);
  }

  /**
   * Lets another aggregate judge new content of an existing object (the image module: an image
   * registered on an object follows its content, which must pass the image inspector too).
   */
  onOverwrite(hook: OverwriteHook): void {
    this.#overwriteHooks.push(hook);
  }

  // ---- reads ---------------------------------------------------------------------------------

  async get(account: string, container: string, name: string, db: Db = this.db): Promise<ObjectRecord | undefined> {
    const row = await this.#rows.findByPath(account, container, name, db);
    return row && this.withGrants(row, db);
  }

  async getByUuid(uuid: string, db: Db = this.db): Promise<ObjectRecord | undefined> {
    const row = await this.#rows.findByUuid(uuid, db);
    return row && this.withGrants(row, db);
  }

  async getByPublicToken(token: string): Promise<ObjectRecord | undefined> {
    const row = await this.#rows.findByPublicToken(token);
    return row && this.withGrants(row, this.db);
  }

  private async withGrants(row: LocatedObjectRow, db: Db): Promise<ObjectRecord> {
    const obj = toObjectRecord(row, row.container_name, await this.#grants.of(row.id, db));
    return { ...obj, access: await loadAccess(this.#access, obj, db) };
  }

  /** Streams the bytes `[start, end]` of a version. */
  openReader(obj: ObjectRecord, start = 0, end = obj.size - 1): Readable {
    return readObject(this.blocks, obj.hashes, obj.size, start, end);
  }

  // ---- writes --------------------------------------------------------------------------------

  /** Streams a body into blocks and commits it as a new version; `verify` may refuse the data first. */
  async upload(
    body: AsyncIterable<Buffer>,
    container: ContainerRecord,
    name: string,
    attrs: Attributes,
    opts: WriteOptions & {
      readonly maxBytes: number;
      readonly onTooLarge: () => Error;
      readonly verify?: (data: WrittenData) => void | Promise<void>;
      /** Whole-stream digests wanted beside MD5 (computed in the same pass, on the hash workers). */
      readonly digests?: readonly StreamAlgorithm[];
      /** Sees every block in order, in the same pass (the image inspector). */
      readonly tap?: BlockTap;
    },
  ): Promise<ObjectRecord> {
    // The byte quotas' room now: past it the body is cut off as it arrives (the commit checks again).
    const quota = await this.quotas.allowance(container, async () =>
      Number((await this.#rows.findByPath(container.account, container.name, name))?.size ?? 0),
    );
    const byQuota = quota !== undefined && quota.room < opts.maxBytes;
    const data = await writeBlocks(
      body,
      this.blocks,
      byQuota ? quota.room : opts.maxBytes,
      byQuota ? quota.refusal : opts.onTooLarge,
      opts.digests,
      opts.tap,
    );
    await opts.verify?.(data);
    try {
      return await this.commit(container, name, data, attrs, opts);
    } catch (err) {
      // gc removed a block we wrote before we took the commit lock: nothing is committed, and a
      // retry writes the blocks again (gc.ts, "Why no commit references a removed block").
      if (err instanceof MissingBlocksError) throw new UploadBlocksRemoved(err.missing);
      throw err;
    }
  }

  /**
   * Streams a body into blocks without committing anything (an entry of a form upload or an
   * archive, committed later with the others by `commitAll`). Unreferenced blocks are gc's.
   */
  writeData(body: AsyncIterable<Buffer>, maxBytes: number, onTooLarge: () => Error): Promise<WrittenData> {
    return writeBlocks(body, this.blocks, maxBytes, onTooLarge);
  }

  /**
   * Commits several new versions in ONE transaction, all or none (a FormPost's files, an
   * archive's entries). Each goes through `writeVersion`, the path of every content write, so
   * quotas and overwrite hooks apply to each. `container` is resolved inside the transaction
   * (an archive may create its containers, which then roll back with the rest).
   */
  async commitAll(
    entries: readonly {
      readonly container: (trx: Trx) => Promise<ContainerRecord>;
      readonly name: string;
      readonly content: Content;
      readonly attrs: Attributes;
    }[],
    opts: WriteOptions,
  ): Promise<ObjectRecord[]> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const written: ObjectRecord[] = [];
        for (const e of entries) {
          const version = await this.nextVersion(trx);
          const missing = await this.missingBlocks(e.content.hashes);
          if (missing.length) throw new MissingBlocksError(missing);
          written.push(await this.writeVersion(trx, version, await e.container(trx), e.name, e.content, e.attrs, opts));
        }
        return written;
      });
    } catch (err) {
      if (err instanceof MissingBlocksError) throw new UploadBlocksRemoved(err.missing);
      throw err;
    }
  }

  /** Stores one block (kamaki's block POST) and returns its hash. */
  async storeBlock(block: Buffer): Promise<string> {
    const stored = trimTrailingNuls(block);
    const hash = blockHash(stored);
    await this.blocks.put(hash, stored);
    return hash;
  }

  /**
   * Blocks of a hashmap that the store does not hold, in hashmap order, each once. The empty block
   * (`EMPTY_HASH`: an empty object, or a block of NULs only) holds no bytes, so it is always
   * present without being stored: an empty file (`{"bytes": 0, "hashes": []}`) or an empty raw
   * `PUT` never waits for a block nobody can send.
   */
  missingBlocks(hashes: readonly string[]): Promise<string[]> {
    return this.blocks.missing(hashes.filter((h) => h !== EMPTY_HASH));
  }

  /** Commits a version of `container/name` whose blocks are all stored; creates or overwrites. */
  async commit(
    container: ContainerRecord,
    name: string,
    content: Content,
    attrs: Attributes,
    opts: WriteOptions,
  ): Promise<ObjectRecord> {
    return this.db.transaction().execute(async (trx) => {
      const version = await this.nextVersion(trx);
      const missing = await this.missingBlocks(content.hashes);
      if (missing.length) throw new MissingBlocksError(missing);
      const obj = await this.writeVersion(trx, version, container, name, content, attrs, opts);
      await opts.inCommit?.(trx, obj);
      return obj;
    });
  }

  /**
   * Commits `content` as the next version of `base`'s object if `base` is still its live version
   * (partial updates, partial-updates.ts): under the object's row lock, through the one write
   * path. Another version committed meanwhile → `ObjectChanged`, nothing written.
   */
  async commitOver(base: ObjectRecord, content: Content, attrs: Attributes, opts: WriteOptions): Promise<ObjectRecord> {
    return this.db.transaction().execute(async (trx) => {
      const version = await this.nextVersion(trx);
      await this.#rows.lockRow(trx, base.uuid);
      const live = await this.requireLive(base, trx);
      if (live.containerId !== base.containerId || live.name !== base.name) throw new NotFound('object');
      if (live.version !== base.version) throw new ObjectChanged();
      const missing = await this.missingBlocks(content.hashes);
      if (missing.length) throw new MissingBlocksError(missing);
      const c = await this.liveContainer(base.containerId, trx);
      return this.writeVersion(trx, version, c, base.name, content, attrs, { ...opts, uuid: undefined });
    });
  }

  /**
   * Server-side copy or move (object-store.md §7.7): the new version takes the source's content;
   * no block is read or written. A move keeps the source's identity (uuid, grants, public token,
   * image) and replaces whatever was at the destination.
   */
  async copy(
    source: ObjectRecord,
    dest: ContainerRecord,
    destName: string,
    attrs: Attributes,
    opts: WriteOptions & { readonly move: boolean },
  ): Promise<ObjectRecord> {
    return this.db.transaction().execute((trx) => this.copyIn(trx, source, dest, destName, attrs, opts));
  }

  /**
   * Several copies or moves in one transaction, all or nothing (Pithos's copy or move of a whole
   * prefix, prefix-copies.ts): each one exactly as `copy`. Returns the new versions in order.
   */
  async copyMany(
    items: readonly {
      readonly source: ObjectRecord;
      readonly destName: string;
      readonly attrs: Attributes;
      readonly opts: WriteOptions & { readonly move: boolean };
    }[],
    dest: ContainerRecord,
  ): Promise<ObjectRecord[]> {
    return this.db.transaction().execute(async (trx) => {
      const out: ObjectRecord[] = [];
      for (const i of items) out.push(await this.copyIn(trx, i.source, dest, i.destName, i.attrs, i.opts));
      return out;
    });
  }

  private async copyIn(
    trx: Trx,
    source: ObjectRecord,
    dest: ContainerRecord,
    destName: string,
    attrs: Attributes,
    opts: WriteOptions & { readonly move: boolean },
  ): Promise<ObjectRecord> {
    const sameTarget = source.containerId === dest.id && source.name === destName;
    if (!opts.move || sameTarget) {
      const version = await this.nextVersion(trx);
      // The source is live under the lock, so its blocks are referenced and gc cannot remove them.
      const live = await this.requireLive(source, trx);
      return this.writeVersion(trx, version, dest, destName, live, attrs, { ...opts, uuid: undefined });
    }
    const version = await this.nextVersion(trx);
    const live = await this.requireLive(source, trx);
    const c = await this.liveContainer(dest.id, trx);
    // Whatever rides on the object (an image) may refuse the move or follow it.
    for (const hook of this.#moveHooks) await hook(trx, live, c);
    const existing = await this.#rows.slot(trx, c.id, destName);
    const sameContainer = c.id === live.containerId;
    const delta = sameContainer ? -(existing?.size ?? 0) : live.size - (existing?.size ?? 0);
    await this.quotas.check(c, delta, sameContainer || existing ? 0 : 1, trx);
    const publicToken = nextPublicToken(live.publicToken, opts.publish);
    const values = this.versionValues(c, destName, version, live, attrs, opts.modifiedBy, publicToken);
    // Both paths lose their live version: the destination's is replaced, the source's moves away.
    if (existing) await this.#replacing(trx, { id: existing.id }, values.versionTs, false);
    await this.#replacing(trx, { id: live.id }, values.versionTs, true);
    if (existing) await this.#rows.deleteById(trx, existing.id);
    await this.#rows.overwriteVersion(trx, live.id, values);
    if (opts.sharing) await this.setGrants(live.id, opts.sharing, trx);
    await this.touchContainer(live.containerId, trx);
    return (await this.get(c.account, c.name, destName, trx))!;
  }

  /** Writes a version row (insert or overwrite, keeping uuid, grants and token) inside a commit transaction. */
  private async writeVersion(
    trx: Trx,
    version: number,
    container: ContainerRecord,
    name: string,
    content: Content,
    attrs: Attributes,
    opts: WriteOptions,
  ): Promise<ObjectRecord> {
    const c = await this.liveContainer(container.id, trx);
    let existing = await this.#rows.slot(trx, c.id, name);
    if (existing?.expired) {
      // An expired object is gone for everyone but the reaper: the new one starts afresh (new
      // uuid, no grants, no public link), and the old row goes as the reaper would remove it.
      await this.#rows.deleteById(trx, existing.id);
      existing = undefined;
    }
    await this.quotas.check(c, content.size - (existing?.size ?? 0), existing ? 0 : 1, trx);
    const publicToken = nextPublicToken(existing?.publicToken ?? null, opts.publish);
    const values = this.versionValues(c, name, version, content, attrs, opts.modifiedBy, publicToken);
    let id: number;
    if (existing) {
      id = existing.id;
      await this.#replacing(trx, { id }, values.versionTs, false);
      await this.#rows.overwriteVersion(trx, id, values);
    } else {
      id = await this.#rows.insertVersion(trx, values, opts.uuid);
    }
    if (opts.sharing) await this.setGrants(id, opts.sharing, trx);
    const written = (await this.get(c.account, c.name, name, trx))!;
    if (existing) for (const hook of this.#overwriteHooks) await hook(trx, written);
    return written;
  }

  /**
   * Meta, sharing and publishing changes (object POST). A meta change makes a new version with
   * the same content; sharing and publishing do not.
   */
  async update(
    obj: ObjectRecord,
    change: {
      readonly meta?: MetaChange;
      readonly contentEncoding?: string;
      readonly contentDisposition?: string;
      readonly sharing?: Grants;
      readonly publish?: boolean;
      /** A new manifest, or null: plain bytes again (Swift's `X-Object-Manifest` on POST); undefined keeps it. */
      readonly manifest?: Manifest | null;
      /** New expiry (microseconds), null removes it, undefined keeps it. */
      readonly deleteAt?: number | null;
      readonly modifiedBy: string;
    },
  ): Promise<ObjectRecord> {
    return this.db.transaction().execute(async (trx) => {
      // Under the commit lock, then the object's row lock (the image service's order: object row,
      // then its record and grants): concurrent POSTs and image member changes apply one after
      // the other (no lost change, no clash of grant rows), and the object is still at this path.
      await lockCommits(trx);
      await this.#rows.lockRow(trx, obj.uuid);
      const live = await this.requireLive(obj, trx);
      if (live.containerId !== obj.containerId || live.name !== obj.name) throw new NotFound('object');
      const manifest =
        change.manifest === undefined || manifestColumn(change.manifest) === manifestColumn(live.manifest)
          ? undefined
          : manifestColumn(change.manifest);
      if (change.meta || manifest !== undefined) {
        const metaChange = change.meta ?? { meta: {}, replace: false };
        const meta = applyMetaChange(live.meta, metaChange);
        const set = (v: string | undefined, current: string | null) =>
          v === undefined ? (metaChange.replace ? null : current) : v === '' ? null : v;
        const contentEncoding = set(change.contentEncoding, live.contentEncoding);
        const contentDisposition = set(change.contentDisposition, live.contentDisposition);
        const changed =
          manifest !== undefined ||
          metaChange.replace ||
          (change.deleteAt !== undefined && change.deleteAt !== live.deleteAt) ||
          JSON.stringify(meta) !== JSON.stringify(live.meta) ||
          contentEncoding !== live.contentEncoding ||
          contentDisposition !== live.contentDisposition;
        if (changed) {
          const version = await this.nextVersion(trx);
          const versionTs = nowMicros();
          await this.#replacing(trx, { id: live.id }, versionTs, false);
          await this.#rows.setMetaVersion(trx, live.id, {
            meta,
            contentEncoding,
            contentDisposition,
            version,
            versionTs,
            modifiedBy: change.modifiedBy,
            manifest,
            deleteAt: change.deleteAt,
          });
          // Becoming a manifest changes what the object reads as: whatever rides on it judges that.
          if (manifest)
            for (const hook of this.#overwriteHooks) await hook(trx, (await this.getByUuid(live.uuid, trx))!);
        }
      } else if (change.deleteAt !== undefined && change.deleteAt !== live.deleteAt) {
        const version = await this.nextVersion(trx);
        const versionTs = nowMicros();
        // A new version like a meta change: the one it replaces is kept as such a change's is.
        await this.#replacing(trx, { id: live.id }, versionTs, false);
        await this.#rows.setMetaVersion(trx, live.id, {
          meta: live.meta,
          contentEncoding: live.contentEncoding,
          contentDisposition: live.contentDisposition,
          version,
          versionTs,
          modifiedBy: change.modifiedBy,
          deleteAt: change.deleteAt,
        });
      }
      if (change.sharing) await this.setGrants(live.id, change.sharing, trx);
      if (change.publish !== undefined) {
        const token = nextPublicToken(live.publicToken, change.publish);
        if (token !== live.publicToken) await this.#rows.setPublicToken(trx, live.id, token);
      }
      return (await this.getByUuid(live.uuid, trx))!;
    });
  }

  /** Replaces an object's grants (read list order is kept; write implies read). */
  async setGrants(objectId: number, grants: Grants, db: Db = this.db): Promise<void> {
    await this.#grants.replace(objectId, grants, db);
  }

  /**
   * Deletes an object: its grants, public token and image go with it. False when it was gone
   * already. Its container's history keeps the deleted version (versioning `auto`) unless
   * `keepHistory` is false (the image service removing data it owns, see versions.ts). With
   * `expiredAt` (the reaper) only while it has expired by then.
   */
  async delete(
    obj: ObjectRecord,
    opts: { readonly keepHistory?: boolean; readonly expiredAt?: number } = {},
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await lockCommits(trx);
      // By id *and* path: an object moved away meanwhile keeps its row id and must not go.
      const removed = await this.#rows.deleteAt(trx, obj.id, obj.containerId, obj.name, opts.expiredAt);
      // Gone meanwhile, or (for the reaper) no longer expired: nothing deleted, nothing to keep.
      if (!removed) return false;
      if (opts.keepHistory !== false) await this.#removed(trx, removed, nowMicros());
      await this.touchContainer(obj.containerId, trx);
      return true;
    });
  }

  /** Deletes every object whose name starts with `prefix` (empty prefix: the whole container). */
  async deleteByPrefix(container: ContainerRecord, prefix: string): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      await lockCommits(trx);
      const range = prefix ? { from: prefix, below: prefixUpperBound(prefix) } : {};
      await this.#replacing(trx, { containerId: container.id, ...range }, nowMicros(), true);
      const deleted = await this.#rows.deleteRange(trx, container.id, range);
      await this.touchContainer(container.id, trx);
      return deleted;
    });
  }

  /**
   * Copies a kept version (versions.ts; X-Source-Version) to `dest/destName` as a new version,
   * the restore of a past or deleted version. `reload` re-reads the kept version under the commit
   * lock: a purge may have removed it since, and only a version still held keeps its blocks safe
   * from gc.
   */
  async copyKeptVersion(
    reload: (trx: Trx) => Promise<ObjectRecord | undefined>,
    dest: ContainerRecord,
    destName: string,
    attrs: Attributes,
    opts: WriteOptions,
  ): Promise<ObjectRecord> {
    return this.db.transaction().execute(async (trx) => {
      const version = await this.nextVersion(trx);
      const source = await reload(trx);
      if (!source) throw new NotFound('object');
      return this.writeVersion(trx, version, dest, destName, source, attrs, { ...opts, uuid: undefined });
    });
  }

  /**
   * Swift's stack mode DELETE (`X-Versions-Location`): the live version goes without being kept,
   * and the newest kept version of the path, if any, comes back as a new live version (its row
   * leaves the history). `restored` or `deleted`; false when the object was gone already.
   */
  async deleteRestoringPrevious(obj: ObjectRecord): Promise<'restored' | 'deleted' | false> {
    return this.db.transaction().execute(async (trx) => {
      const version = await this.nextVersion(trx);
      const slot = await this.#rows.slot(trx, obj.containerId, obj.name);
      if (!slot || slot.id !== obj.id) return false;
      const previous = await this.#history.newest(trx, obj.containerId, obj.name);
      if (!previous) {
        await this.#rows.deleteAt(trx, obj.id, obj.containerId, obj.name);
        await this.touchContainer(obj.containerId, trx);
        return 'deleted';
      }
      const c = await this.liveContainer(obj.containerId, trx);
      const kept = toObjectRecord(historyAsObjectRow(previous), c.name, []);
      const values = this.versionValues(c, obj.name, version, kept, kept, kept.modifiedBy, slot.publicToken);
      await this.#rows.overwriteVersion(trx, obj.id, values);
      await this.#history.deleteById(trx, previous.id);
      return 'restored';
    });
  }

  /**
   * Removes up to `limit` objects expired at `now`, each through `delete` (the one removal path,
   * so whatever hooks there applies to expiry too); returns how many went. Objects given a new
   * expiry or replaced meanwhile stay (delete's own guards).
   */
  async reapExpired(now: number = nowMicros(), limit = 1000): Promise<number> {
    let reaped = 0;
    for (const row of await this.#rows.expired(now, limit)) {
      const obj = toObjectRecord(row, row.container_name, []);
      if (await this.delete(obj, { expiredAt: now })) reaped++;
    }
    return reaped;
  }

  // ---- listings ------------------------------------------------------------------------------

  /**
   * A page of a container listing in code point order (highest first with `reverse`), with
   * prefix/delimiter roll-up (object-store.md §10). Every bound is SQL: `marker`/`end_marker`,
   * the prefix's range, and each rolled-up subdir skipped in one step, so a page costs a few
   * index range scans whatever the container holds.
   */
  async list(container: ContainerRecord, opts: ListOptions): Promise<ListEntry[]> {
    if (opts.limit === 0) return [];
    const scope = listingScope(opts);
    const window = nameWindow({ ...opts, prefix: scope.prefix });
    const listed = await rolledUpListing(
      (w, limit) =>
        opts.until !== undefined
          ? this.#history.pageAsOf(container.id, opts.until, { limit, ...w, descending: !!opts.reverse })
          : this.#rows.page(container.id, {
              limit,
              ...w,
              descending: !!opts.reverse,
              viewer: opts.viewer,
              shared: opts.shared,
              published: opts.published,
            }),
      {
        scope,
        window: { ...window, below: lowest(window.below) },
        limit: opts.limit,
        reverse: !!opts.reverse,
        omitSubdirs: opts.pathMode,
        // Not listed, and rolls nothing up: a subdir shows only when an object under it matches.
        accept: opts.metaFilter && ((row) => matchesMeta(opts.metaFilter!, JSON.parse(row.meta))),
      },
    );
    const objects = await this.#entriesOf(
      listed.flatMap((e) => ('row' in e ? [e.row] : [])),
      container.name,
    );
    let next = 0;
    return listed.map((e) => ('row' in e ? objects[next++]! : { subdir: e.subdir }));
  }

  /** Listing entries of rows, their grants read in one query. */
  async #entriesOf(rows: readonly ObjectRow[], containerName: string): Promise<ListEntry[]> {
    if (!rows.length) return [];
    const grants = await this.#grants.ofMany(rows.map((r) => r.id).filter((id) => id > 0));
    return rows.map((row) => ({ object: toObjectRecord(row, containerName, grants.get(row.id) ?? []) }));
  }

  // ---- helpers -------------------------------------------------------------------------------

  /**
   * THE hook of every replacement or removal of a live version (overwrite, meta version, move,
   * prefix delete): call it in the commit transaction, under the commit lock, just before the
   * live row changes. Containers with `versioning: auto` keep the old version in their history
   * (versions.ts); others keep nothing. `deleted`: the path ends (move away, prefix delete).
   * A single delete uses `#removed` instead: it learns from the delete whether anything went.
   */
  async #replacing(trx: Trx, scope: ArchiveScope, supersededTs: number, deleted: boolean): Promise<void> {
    await this.#history.archive(trx, scope, supersededTs, deleted);
  }

  /** The same hook for one live row a delete has just removed (its values as the delete returned them). */
  async #removed(trx: Trx, removed: ObjectRow, supersededTs: number): Promise<void> {
    await this.#history.archiveRemoved(trx, removed, supersededTs);
  }

  /** Takes the next server-wide version id. Being an UPDATE, it is the row lock that orders commits and gc. */
  private nextVersion(trx: Trx): Promise<number> {
    return takeCommitLockAndNextVersion(trx);
  }

  private liveContainer(id: number, trx: Trx): Promise<ContainerRecord> {
    return this.containers.requireById(id, trx);
  }

  private async requireLive(obj: ObjectRecord, trx: Db): Promise<ObjectRecord> {
    const live = await this.getByUuid(obj.uuid, trx);
    if (!live) throw new NotFound('object');
    return live;
  }

  private touchContainer(id: number, trx: Trx): Promise<void> {
    return this.containers.touch(id, trx);
  }

  private versionValues(
    c: ContainerRecord,
    name: string,
    version: number,
    content: Content,
    attrs: Attributes,
    modifiedBy: string,
    publicToken: string | null,
  ): VersionValues {
    return {
      containerId: c.id,
      account: c.account,
      name,
      version,
      versionTs: nowMicros(),
      size: content.size,
      hashmap: packHashmap(content.hashes),
      objectHash: content.objectHash,
      md5: content.md5,
      contentType: attrs.contentType,
      contentEncoding: attrs.contentEncoding,
      contentDisposition: attrs.contentDisposition,
      meta: attrs.meta,
      modifiedBy,
      publicToken,
      manifest: manifestColumn(attrs.manifest),
      deleteAt: attrs.deleteAt ?? null,
    };
  }
}

/** The least of the bounds given (code point order), or undefined when none. */
