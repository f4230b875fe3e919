import { byCodePoint } from '../code-point-order.ts';
import { ContainerNotEmpty, NotFound, TooManyMetadataItems } from '../errors.ts';
import { takeCommitLock as lockCommits } from '../../storage/metadata/commit-lock.ts';
import { ContainerRepository } from '../../storage/metadata/container-repository.ts';
import type { Db, Trx } from '../../storage/metadata/database.ts';
import { GrantRepository } from '../../storage/metadata/grant-repository.ts';
import type { ContainerRow } from '../../storage/metadata/schema.ts';
import { nowMicros } from '../time.ts';
import { listingScope, lowest, prefixUpperBound, rolledUpListing } from './listing-rollup.ts';

export interface Policy {
  quota?: number;
  versioning?: 'auto' | 'none';
  project?: string;
  /** Swift's versions location (container name) or null to clear it; see versions.ts. */
  versionsLocation?: string | null;
  /** `stack` (X-Versions-Location) or `history` (X-History-Location); null with no location. */
  versionsMode?: VersionsMode | null;
}

/** How Swift's versioned writes treat a DELETE: `stack` brings the previous version back, `history` keeps it. */
export type VersionsMode = 'stack' | 'history';

export interface ContainerRecord {
  readonly id: number;
  readonly account: string;
  readonly name: string;
  readonly quota: number;
  readonly versioning: string;
  readonly project: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly modifiedAt: number;
  readonly versionsLocation: string | null;
  readonly versionsMode: VersionsMode | null;
}

export interface ContainerStats {
  readonly count: number;
  readonly bytes: number;
  /** Latest of the container's own changes and its objects' versions. */
  readonly lastModified: number;
}

export interface AccountInfo extends ContainerStats {
  readonly containers: number;
  readonly meta: Readonly<Record<string, string>>;
}

export interface MetaChange {
  /** Keys to set; an empty value deletes the key when merging. */
  readonly meta: Readonly<Record<string, string>>;
  /** Replace the whole set (POST without `?update`) instead of merging. */
  readonly replace: boolean;
  /** Most items the resulting set may hold (default MAX_META_ITEMS, Pithos's 32; Swift allows 90). */
  readonly maxItems?: number;
}

/** More than this many meta items on one resource is refused (object-store.md §7.4). */
export const MAX_META_ITEMS = 32;

export function applyMetaChange(current: Readonly<Record<string, string>>, change: MetaChange): Record<string, string> {
  const next: Record<string, string> = change.replace ? {} : { ...current };
  for (const [k, v] of Object.entries(change.meta)) {
    if (v === '') delete next[k];
    else next[k] = v;
  }
  const max = change.maxItems ?? MAX_META_ITEMS;
  if (Object.keys(next).length > max) throw new TooManyMetadataItems(max);
  return next;
}

const toContainer = (r: ContainerRow): ContainerRecord => ({
  id: r.id,
  account: r.account,
  name: r.name,
  quota: r.quota,
  versioning: r.versioning,
  project: r.project,
  meta: JSON.parse(r.meta),
  modifiedAt: r.modified_at,
  versionsLocation: r.versions_location ?? null,
  versionsMode: (r.versions_mode as VersionsMode | null) ?? null,
});

/** One entry of an account listing: a container with its totals, or a rolled-up name prefix. */
export type ContainerListEntry =
  | {
      readonly id: number;
      readonly name: string;
      readonly count: number;
      readonly bytes: number;
      readonly quota: number;
      readonly versioning: string;
      readonly project: string;
      readonly lastModified: number;
    }
  | { readonly subdir: string };

export interface ContainerListOptions {
  readonly marker?: string;
  readonly endMarker?: string;
  readonly prefix?: string;
  /** Rolls up container names at the first delimiter after the prefix (Swift's account `delimiter`). */
  readonly delimiter?: string;
  readonly reverse?: boolean;
  readonly limit: number;
  readonly viewer?: string;
  readonly shared?: boolean;
  readonly published?: boolean;
}

/**
 * The names a listing covers as SQL bounds: `marker` and `end_marker` (exclusive; swapped by
 * `reverse`, as Swift reads them) and the range of names that start with `prefix`.
 */
export function nameWindow(opts: {
  readonly marker?: string;
  readonly endMarker?: string;
  readonly prefix?: string;
  readonly reverse?: boolean;
}): { after?: string; from?: string; below: string[] } {
  const marker = opts.marker || undefined;
  const endMarker = opts.endMarker || undefined;
  const after = opts.reverse ? endMarker : marker;
  const below: string[] = [];
  const upper = opts.reverse ? marker : endMarker;
  if (upper !== undefined) below.push(upper);
  const prefix = opts.prefix || undefined;
  const prefixEnd = prefix && prefixUpperBound(prefix);
  if (prefixEnd) below.push(prefixEnd);
  return { after, from: prefix, below };
}

/** Accounts (one per user) and their containers. */
export class Containers {
  readonly #rows: ContainerRepository;
  readonly #grants: GrantRepository;

  constructor(private readonly db: Db) {
    this.#rows = new ContainerRepository(db);
    this.#grants = new GrantRepository(db);
  }

  async get(account: string, name: string, db: Db = this.db): Promise<ContainerRecord | undefined> {
    const r = await this.#rows.find(account, name, db);
    return r && toContainer(r);
  }

  /** The container with this id as it is now; NotFound when it was removed. */
  async requireById(id: number, db: Db = this.db): Promise<ContainerRecord> {
    const r = await this.#rows.findById(id, db);
    if (!r) throw new NotFound('container');
    return toContainer(r);
  }

  async require(account: string, name: string, db: Db = this.db): Promise<ContainerRecord> {
    const c = await this.get(account, name, db);
    if (!c) throw new NotFound('container');
    return c;
  }

  /**
   * Creates the container, or merges policy and meta into an existing one; true when created.
   * Insert first: of concurrent PUTs exactly one creates it (201), the others merge (202).
   */
  async put(
    account: string,
    name: string,
    policy: Policy,
    meta: Readonly<Record<string, string>>,
    maxItems?: number,
    /** Policy of a container this call creates, where `policy` is silent (Swift's: no history). */
    defaults: Policy = {},
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const now = nowMicros();
      const initialMeta = applyMetaChange({}, { meta, replace: false, maxItems });
      const inserted = await this.#rows.insertIfMissing(
        {
          account,
          name,
          quota: policy.quota ?? defaults.quota ?? 0,
          versioning: policy.versioning ?? defaults.versioning ?? 'auto',
          project: policy.project ?? account,
          meta: initialMeta,
          now,
          versionsLocation: policy.versionsLocation ?? null,
          versionsMode: policy.versionsMode ?? null,
        },
        trx,
      );
      if (inserted !== undefined) {
        await this.#rows.touchAccount(account, now, trx);
        return true;
      }
      const row = await this.#lockRow(trx, { account, name }, now);
      const merged = applyMetaChange(JSON.parse(row.meta), { meta, replace: false, maxItems });
      await this.#rows.setPolicyAndMeta(trx, row.id, policy, merged);
      return false;
    });
  }

  /**
   * Creates the container with default policy if missing (image uploads use `images`; the
   * internal staging area passes `none`: it keeps no history).
   */
  async ensure(
    account: string,
    name: string,
    db: Db = this.db,
    versioning: 'auto' | 'none' = 'auto',
  ): Promise<ContainerRecord> {
    await this.#rows.insertIfMissing(
      { account, name, quota: 0, versioning, project: account, meta: {}, now: nowMicros() },
      db,
    );
    return (await this.get(account, name, db))!;
  }

  /** Meta and policy changes (container POST), merged into the current row under its lock. */
  async update(c: ContainerRecord, change: MetaChange | undefined, policy: Policy): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = await this.#lockRow(trx, { id: c.id }, nowMicros());
      const meta = change ? applyMetaChange(JSON.parse(row.meta), change) : JSON.parse(row.meta);
      await this.#rows.setPolicyAndMeta(trx, c.id, policy, meta);
    });
  }

  /** Marks the container changed now (an object of it went or moved away). */
  async touch(id: number, db: Db = this.db): Promise<void> {
    await this.#rows.touch(id, nowMicros(), db);
  }

  /** Removes an empty container; ContainerNotEmpty when it still holds objects. */
  async delete(c: ContainerRecord): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      // Serialised with commits: an object committed into it meanwhile makes it non-empty
      // instead of being removed with it by the cascade.
      await lockCommits(trx);
      if (await this.#rows.hasObjects(c.id, trx)) throw new ContainerNotEmpty();
      await this.#rows.delete(trx, c.id);
      await this.#rows.touchAccount(c.account, nowMicros(), trx);
    });
  }

  async stats(c: ContainerRecord): Promise<ContainerStats> {
    const r = await this.#rows.objectTotals(c.id);
    return { count: r.count, bytes: r.bytes, lastModified: Math.max(c.modifiedAt, r.latest) };
  }

  /** Distinct meta keys used by the container's objects, sorted (X-Container-Object-Meta). */
  async objectMetaKeys(c: ContainerRecord): Promise<string[]> {
    const keys = new Set<string>();
    for (const meta of await this.#rows.objectMetas(c.id)) for (const k of Object.keys(meta)) keys.add(k);
    return [...keys].sort(byCodePoint);
  }

  async account(account: string): Promise<AccountInfo> {
    const t = await this.#rows.accountTotals(account);
    return {
      containers: t.containers,
      count: t.count,
      bytes: t.bytes,
      lastModified: Math.max(t.modifiedAt, t.containersLatest, t.objectsLatest),
      meta: t.meta ?? {},
    };
  }

  /** The account's meta without its totals (TempURL/FormPost keys, read on every signed request). */
  accountMeta(account: string): Promise<Record<string, string>> {
    return this.#rows.accountMeta(account);
  }

  /** Ids of the account's containers. */
  async idsOf(account: string): Promise<number[]> {
    return this.#rows.idsOf(account);
  }

  async updateAccountMeta(account: string, change: MetaChange): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      // Locked: concurrent changes are merged one after the other, none lost.
      const current = await this.#rows.lockAccount(trx, account, nowMicros());
      await this.#rows.setAccountMeta(trx, account, applyMetaChange(current, change));
    });
  }

  /**
   * The account's containers in name order (highest first with `reverse`), with counts: names
   * after `marker` and before `endMarker` in that order, starting with `prefix`. `viewer` (a
   * non-owner) sees only containers holding objects granted to him; `shared`/`published` keep
   * only containers holding objects with grants / published objects.
   */
  async list(account: string, opts: ContainerListOptions): Promise<ContainerListEntry[]> {
    if (opts.limit === 0) return [];
    // Swift's account listing uses the prefix as given (no delimiter appended).
    const scope = listingScope({ prefix: opts.prefix, delimiter: opts.delimiter, appendDelimiter: false });
    const window = nameWindow({ ...opts, prefix: scope.prefix });
    const listed = await rolledUpListing(
      (w, limit) =>
        this.#rows.list(account, {
          after: w.after,
          from: w.from,
          below: w.below === undefined ? [] : [w.below],
          descending: !!opts.reverse,
          limit,
          viewer: opts.viewer,
          shared: opts.shared,
          published: opts.published,
        }),
      { scope, window: { ...window, below: lowest(window.below) }, limit: opts.limit, reverse: !!opts.reverse },
    );
    return listed.map((e) => {
      if ('subdir' in e) return { subdir: e.subdir };
      const r = e.row;
      return {
        id: r.id,
        name: r.name,
        count: r.count,
        bytes: r.bytes,
        quota: r.quota,
        versioning: r.versioning,
        project: r.project,
        lastModified: Math.max(r.modifiedAt, r.latest),
      };
    });
  }

  /** Does `user` hold a grant (or `*`) on some object of the account (and container)? */
  async hasGrantsIn(user: string, account: string, containerId?: number): Promise<boolean> {
    return this.#grants.hasGrantsIn(user, account, containerId);
  }

  /** Accounts other than the caller's in which the caller holds grants (`GET /object-store/v1`). */
  async sharingAccounts(user: string, opts: { marker?: string; limit: number }) {
    return this.#grants.sharingAccounts(user, opts);
  }

  /** Locks a container row (see ContainerRepository.lockRow); NotFound when it is gone. */
  async #lockRow(
    trx: Trx,
    key: { id: number } | { account: string; name: string },
    now: number,
  ): Promise<ContainerRow> {
    const row = await this.#rows.lockRow(trx, key, now);
    if (!row) throw new NotFound('container');
    return row;
  }
}

/** The commit lock without a version (src/storage/metadata/commit-lock.ts), under its older name. */
export { lockCommits };

/** Code point order, from its one home (src/domain/code-point-order.ts). */
export { byCodePoint };

/** The least string greater than a prefix's names, from its one home (listing-rollup.ts). */
export { prefixUpperBound };
