import { randomInt, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { NotFound, QuotaExceeded } from '../errors.ts';
import type { BlockStore } from '../../storage/blocks/block-store.ts';
import type { Db, Trx } from '../../storage/metadata/database.ts';
import type { ObjectRow } from '../../storage/metadata/schema.ts';
import { takeCommitLockAndNextVersion } from '../../storage/metadata/commit-lock.ts';
import { EMPTY_HASH, EMPTY_MD5, blockHash, packHashmap, trimTrailingNuls } from '../hashing.ts';
import { nowMicros } from '../time.ts';
import { writeBlocks, type WrittenData } from './block-writer.ts';
import { Containers, applyMetaChange, lockCommits, prefixUpperBound, type ContainerRecord, type MetaChange } from './containers.ts';
import { toObjectRecord, type GrantRow, type ObjectRecord } from './object-record.ts';
import { readObject } from './object-reader.ts';

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

/** Thrown when a version would reference blocks the store does not hold (a hashmap PUT answers their list). */
export class MissingBlocksError extends Error {
  constructor(readonly missing: string[]) {
    super(`${missing.length} block(s) missing`);
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
  readonly limit: number;
  /** A non-owner: only objects he is a read grantee of. */
  readonly viewer?: string;
  readonly shared?: boolean;
  readonly published?: boolean;
}

const PUBLIC_TOKEN_CHARS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const newPublicToken = () => Array.from({ length: 16 }, () => PUBLIC_TOKEN_CHARS[randomInt(PUBLIC_TOKEN_CHARS.length)]).join('');
/** Publishing keeps an existing token (object-store.md §8.3); unpublishing drops it; undefined changes nothing. */
const nextPublicToken = (current: string | null, publish: boolean | undefined): string | null =>
  publish === undefined ? current : publish ? current ?? newPublicToken() : null;

export const EMPTY_CONTENT: Content = { size: 0, hashes: [EMPTY_HASH], objectHash: EMPTY_HASH, md5: EMPTY_MD5 };

/**
 * Objects: the write path (blocks first, then one transaction that commits the version), reads,
 * listings, copy/move, meta, grants and publishing. Every commit takes the version-counter row
 * lock first, which also serialises it with `gc` (see gc.ts): a version is only committed while
 * all its blocks exist.
 */
export class ObjectService {
  readonly #moveHooks: MoveHook[] = [];

  constructor(private readonly db: Db, private readonly blocks: BlockStore, readonly containers: Containers) {}

  /**
   * Lets another aggregate take part in moves (the image module: an image moves with its
   * object, and not while its data is being saved). Copies need no hook: a copy is a new object.
   */
  onMove(hook: MoveHook): void {
    this.#moveHooks.push(hook);
  }

  // ---- reads ---------------------------------------------------------------------------------

  async get(account: string, container: string, name: string, db: Db = this.db): Promise<ObjectRecord | undefined> {
    const row = await db.selectFrom('objects as o').innerJoin('containers as c', 'c.id', 'o.container_id')
      .selectAll('o').select('c.name as container_name')
      .where('c.account', '=', account).where('c.name', '=', container).where('o.name', '=', name).executeTakeFirst();
    return row && this.withGrants(row, row.container_name, db);
  }

  async getByUuid(uuid: string, db: Db = this.db): Promise<ObjectRecord | undefined> {
    const row = await db.selectFrom('objects as o').innerJoin('containers as c', 'c.id', 'o.container_id')
      .selectAll('o').select('c.name as container_name').where('o.uuid', '=', uuid).executeTakeFirst();
    return row && this.withGrants(row, row.container_name, db);
  }

  async getByPublicToken(token: string): Promise<ObjectRecord | undefined> {
    const row = await this.db.selectFrom('objects as o').innerJoin('containers as c', 'c.id', 'o.container_id')
      .selectAll('o').select('c.name as container_name').where('o.public_token', '=', token).executeTakeFirst();
    return row && this.withGrants(row, row.container_name, this.db);
  }

  private async withGrants(row: ObjectRow, container: string, db: Db): Promise<ObjectRecord> {
    const grants = await db.selectFrom('grants').select(['object_id', 'kind', 'grantee'])
      .where('object_id', '=', row.id).orderBy('position').execute();
    return toObjectRecord(row, container, grants);
  }

  /** Streams the bytes `[start, end]` of a version. */
  openReader(obj: ObjectRecord, start = 0, end = obj.size - 1): Readable {
    return readObject(this.blocks, obj.hashes, obj.size, start, end);
  }

  // ---- writes --------------------------------------------------------------------------------

  /** Streams a body into blocks and commits it as a new version; `verify` may refuse the data first. */
  async upload(body: AsyncIterable<Buffer>, container: ContainerRecord, name: string, attrs: Attributes, opts: WriteOptions & {
    readonly maxBytes: number;
    readonly onTooLarge: () => Error;
    readonly verify?: (data: WrittenData) => void | Promise<void>;
  }): Promise<ObjectRecord> {
    const data = await writeBlocks(body, this.blocks, opts.maxBytes, opts.onTooLarge);
    await opts.verify?.(data);
    return this.commit(container, name, data, attrs, opts);
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
  async commit(container: ContainerRecord, name: string, content: Content, attrs: Attributes, opts: WriteOptions): Promise<ObjectRecord> {
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
   * Server-side copy or move (object-store.md §7.7): the new version takes the source's content;
   * no block is read or written. A move keeps the source's identity (uuid, grants, public token,
   * image) and replaces whatever was at the destination.
   */
  async copy(source: ObjectRecord, dest: ContainerRecord, destName: string, attrs: Attributes, opts: WriteOptions & { readonly move: boolean }): Promise<ObjectRecord> {
    const sameTarget = source.containerId === dest.id && source.name === destName;
    if (!opts.move || sameTarget) {
      return this.db.transaction().execute(async (trx) => {
        const version = await this.nextVersion(trx);
        // The source is live under the lock, so its blocks are referenced and gc cannot remove them.
        const live = await this.requireLive(source, trx);
        return this.writeVersion(trx, version, dest, destName, live, attrs, { ...opts, uuid: undefined });
      });
    }
    return this.db.transaction().execute(async (trx) => {
      const version = await this.nextVersion(trx);
      const live = await this.requireLive(source, trx);
      const c = await this.liveContainer(dest.id, trx);
      // Whatever rides on the object (an image) may refuse the move or follow it.
      for (const hook of this.#moveHooks) await hook(trx, live, c);
      const existing = await trx.selectFrom('objects').select(['id', 'size']).where('container_id', '=', c.id).where('name', '=', destName).executeTakeFirst();
      const delta = c.id === live.containerId ? -(existing?.size ?? 0) : live.size - (existing?.size ?? 0);
      await this.checkQuota(c, delta, trx);
      if (existing) await trx.deleteFrom('objects').where('id', '=', existing.id).execute();
      const row = this.versionRow(c, destName, version, live, attrs, opts.modifiedBy);
      const publicToken = nextPublicToken(live.publicToken, opts.publish);
      await trx.updateTable('objects').set({ ...row, public_token: publicToken }).where('id', '=', live.id).execute();
      if (opts.sharing) await this.setGrants(live.id, opts.sharing, trx);
      await this.touchContainer(live.containerId, trx);
      return (await this.get(c.account, c.name, destName, trx))!;
    });
  }

  /** Writes a version row (insert or overwrite, keeping uuid, grants and token) inside a commit transaction. */
  private async writeVersion(trx: Db, version: number, container: ContainerRecord, name: string, content: Content, attrs: Attributes, opts: WriteOptions): Promise<ObjectRecord> {
    const c = await this.liveContainer(container.id, trx);
    const existing = await trx.selectFrom('objects').select(['id', 'size', 'public_token']).where('container_id', '=', c.id).where('name', '=', name).executeTakeFirst();
    await this.checkQuota(c, content.size - (existing?.size ?? 0), trx);
    const row = this.versionRow(c, name, version, content, attrs, opts.modifiedBy);
    const publicToken = nextPublicToken(existing?.public_token ?? null, opts.publish);
    let id: number;
    if (existing) {
      id = existing.id;
      await trx.updateTable('objects').set({ ...row, public_token: publicToken }).where('id', '=', id).execute();
    } else {
      id = (await trx.insertInto('objects').values({ ...row, uuid: opts.uuid ?? randomUUID(), public_token: publicToken })
        .returning('id').executeTakeFirstOrThrow()).id;
    }
    if (opts.sharing) await this.setGrants(id, opts.sharing, trx);
    return (await this.get(c.account, c.name, name, trx))!;
  }

  /**
   * Meta, sharing and publishing changes (object POST). A meta change makes a new version with
   * the same content; sharing and publishing do not.
   */
  async update(obj: ObjectRecord, change: {
    readonly meta?: MetaChange;
    readonly contentEncoding?: string;
    readonly contentDisposition?: string;
    readonly sharing?: Grants;
    readonly publish?: boolean;
    readonly modifiedBy: string;
  }): Promise<ObjectRecord> {
    return this.db.transaction().execute(async (trx) => {
      // Under the commit lock, then the object's row lock (the image service's order: object row,
      // then its record and grants): concurrent POSTs and image member changes apply one after
      // the other (no lost change, no clash of grant rows), and the object is still at this path.
      await lockCommits(trx);
      await trx.updateTable('objects').set((eb) => ({ version: eb.ref('version') })).where('uuid', '=', obj.uuid).execute();
      const live = await this.requireLive(obj, trx);
      if (live.containerId !== obj.containerId || live.name !== obj.name) throw new NotFound('object');
      if (change.meta) {
        const meta = applyMetaChange(live.meta, change.meta);
        const set = (v: string | undefined, current: string | null) => (v === undefined ? (change.meta!.replace ? null : current) : v === '' ? null : v);
        const contentEncoding = set(change.contentEncoding, live.contentEncoding);
        const contentDisposition = set(change.contentDisposition, live.contentDisposition);
        const changed = change.meta.replace || JSON.stringify(meta) !== JSON.stringify(live.meta)
          || contentEncoding !== live.contentEncoding || contentDisposition !== live.contentDisposition;
        if (changed) {
          const version = await this.nextVersion(trx);
          await trx.updateTable('objects').set({
            meta: JSON.stringify(meta), content_encoding: contentEncoding, content_disposition: contentDisposition,
            version, version_ts: nowMicros(), modified_by: change.modifiedBy,
          }).where('id', '=', live.id).execute();
        }
      }
      if (change.sharing) await this.setGrants(live.id, change.sharing, trx);
      if (change.publish !== undefined) {
        const token = nextPublicToken(live.publicToken, change.publish);
        if (token !== live.publicToken) await trx.updateTable('objects').set({ public_token: token }).where('id', '=', live.id).execute();
      }
      return (await this.getByUuid(live.uuid, trx))!;
    });
  }

  /** Replaces an object's grants (read list order is kept; write implies read). */
  async setGrants(objectId: number, grants: Grants, db: Db = this.db): Promise<void> {
    await db.deleteFrom('grants').where('object_id', '=', objectId).execute();
    const rows = [
      ...grants.read.map((grantee, position) => ({ object_id: objectId, kind: 'read' as const, grantee, position })),
      ...grants.write.map((grantee, position) => ({ object_id: objectId, kind: 'write' as const, grantee, position })),
    ];
    if (rows.length) await db.insertInto('grants').values(rows).execute();
  }

  /** Deletes an object: its grants, public token and image go with it. False when it was gone already. */
  async delete(obj: ObjectRecord): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await lockCommits(trx);
      // By id *and* path: an object moved away meanwhile keeps its row id and must not go.
      const res = await trx.deleteFrom('objects').where('id', '=', obj.id).where('container_id', '=', obj.containerId)
        .where('name', '=', obj.name).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) return false;
      await this.touchContainer(obj.containerId, trx);
      return true;
    });
  }

  /** Deletes every object whose name starts with `prefix` (empty prefix: the whole container). */
  async deleteByPrefix(container: ContainerRecord, prefix: string): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      await lockCommits(trx);
      let q = trx.deleteFrom('objects').where('container_id', '=', container.id);
      if (prefix) {
        q = q.where('name', '>=', prefix);
        const upper = prefixUpperBound(prefix);
        if (upper !== undefined) q = q.where('name', '<', upper);
      }
      const res = await q.executeTakeFirst();
      await this.touchContainer(container.id, trx);
      return Number(res.numDeletedRows);
    });
  }

  // ---- listings ------------------------------------------------------------------------------

  /** A page of a container listing in code point order, with prefix/delimiter roll-up (object-store.md §10). */
  async list(container: ContainerRecord, opts: ListOptions): Promise<ListEntry[]> {
    let prefix = opts.prefix ?? '';
    let delimiter = opts.delimiter;
    if (opts.pathMode) {
      prefix = opts.prefix === undefined || opts.prefix === '' ? '' : opts.prefix.replace(/\/*$/, '/');
      delimiter = '/';
    } else if (delimiter && prefix && !prefix.endsWith(delimiter)) {
      prefix += delimiter;
    }
    prefix = prefix.replace(/^\//, '');
    const out: ListEntry[] = [];
    let after = opts.marker;
    let from: string | undefined = prefix || undefined;
    const upper = prefix ? prefixUpperBound(prefix) : undefined;
    const batch = Math.min(Math.max(opts.limit, 100), 1000);
    while (out.length < opts.limit) {
      let q = this.db.selectFrom('objects').selectAll().where('container_id', '=', container.id).orderBy('name').limit(batch);
      if (after !== undefined) q = q.where('name', '>', after);
      if (from !== undefined) q = q.where('name', '>=', from);
      if (upper !== undefined) q = q.where('name', '<', upper);
      if (opts.viewer !== undefined) {
        const viewer = opts.viewer;
        q = q.where((eb) => eb.exists(eb.selectFrom('grants as g').select('g.object_id').whereRef('g.object_id', '=', 'objects.id')
          .where('g.grantee', 'in', [viewer, '*'])));
      }
      if (opts.shared) q = q.where((eb) => eb.exists(eb.selectFrom('grants as sg').select('sg.object_id').whereRef('sg.object_id', '=', 'objects.id')));
      if (opts.published) q = q.where('public_token', 'is not', null);
      const rows = await q.execute();
      if (rows.length === 0) break;
      const grants = await this.grantsOf(rows.map((r) => r.id));
      let skipTo: string | undefined;
      for (const row of rows) {
        const rest = row.name.slice(prefix.length);
        const cut = delimiter ? rest.indexOf(delimiter) : -1;
        if (cut >= 0) {
          const subdir = prefix + rest.slice(0, cut + delimiter!.length);
          if (!opts.pathMode) out.push({ subdir });
          // Skip every other name under this subdir in one step.
          skipTo = prefixUpperBound(subdir);
          break;
        }
        out.push({ object: toObjectRecord(row, container.name, grants.get(row.id) ?? []) });
        if (out.length >= opts.limit) break;
        after = row.name;
      }
      if (skipTo !== undefined) {
        from = skipTo;
        after = undefined;
        if (opts.marker !== undefined && byteGreater(opts.marker, skipTo)) after = opts.marker;
        continue;
      }
      if (rows.length < batch) break;
    }
    return out.slice(0, opts.limit);
  }

  private async grantsOf(ids: number[]): Promise<Map<number, GrantRow[]>> {
    const map = new Map<number, GrantRow[]>();
    if (!ids.length) return map;
    const rows = await this.db.selectFrom('grants').select(['object_id', 'kind', 'grantee']).where('object_id', 'in', ids).orderBy('position').execute();
    for (const r of rows) (map.get(r.object_id) ?? map.set(r.object_id, []).get(r.object_id)!).push(r);
    return map;
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** Takes the next server-wide version id. Being an UPDATE, it is the row lock that orders commits and gc. */
  private nextVersion(trx: Trx): Promise<number> {
    return takeCommitLockAndNextVersion(trx);
  }

  private async liveContainer(id: number, trx: Db): Promise<ContainerRecord> {
    const r = await trx.selectFrom('containers').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw new NotFound('container');
    return { id: r.id, account: r.account, name: r.name, quota: r.quota, versioning: r.versioning, project: r.project, meta: JSON.parse(r.meta), modifiedAt: r.modified_at };
  }

  private async requireLive(obj: ObjectRecord, trx: Db): Promise<ObjectRecord> {
    const live = await this.getByUuid(obj.uuid, trx);
    if (!live) throw new NotFound('object');
    return live;
  }

  private async checkQuota(c: ContainerRecord, delta: number, trx: Db): Promise<void> {
    if (c.quota <= 0 || delta <= 0) return;
    const r = await trx.selectFrom('objects').select((eb) => eb.fn.sum<number>('size').as('bytes')).where('container_id', '=', c.id).executeTakeFirstOrThrow();
    const usage = Number(r.bytes ?? 0);
    if (usage + delta > c.quota) throw new QuotaExceeded(c.quota, usage);
  }

  private async touchContainer(id: number, trx: Db): Promise<void> {
    await trx.updateTable('containers').set({ modified_at: nowMicros() }).where('id', '=', id).execute();
  }

  private versionRow(c: ContainerRecord, name: string, version: number, content: Content, attrs: Attributes, modifiedBy: string) {
    return {
      container_id: c.id, account: c.account, name, version, version_ts: nowMicros(), size: content.size,
      hashmap: packHashmap(content.hashes), object_hash: content.objectHash, md5: content.md5,
      content_type: attrs.contentType, content_encoding: attrs.contentEncoding, content_disposition: attrs.contentDisposition,
      meta: JSON.stringify(attrs.meta), modified_by: modifiedBy,
    };
  }
}

const byteGreater = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')) > 0;
