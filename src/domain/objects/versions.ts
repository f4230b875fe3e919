/**
 * Object versions (issue 19 item 6): one history for both dialects.
 *
 * A container whose `versioning` policy is `auto` keeps every version an overwrite, a meta
 * change, a move away or a delete replaces (object-service.ts `#replacing`, the one hook every
 * writer passes through); `none` keeps none. Pithos reads the history with `?version=list`,
 * `?version=<id>`, `X-Source-Version` and `until`; Swift's `X-Versions-Location` (stack) and
 * `X-History-Location` turn `auto` on for their container and name where the history "lives"
 * (see src/api/swift/versioned-writes.ts). Kept versions reference their blocks like live ones:
 * `plankton gc` keeps them (block-references.ts) until a purge drops the versions.
 */
import type { Db } from '../../storage/metadata/database.ts';
import { HistoryRepository, historyAsObjectRow } from '../../storage/metadata/history-repository.ts';
import { takeCommitLock } from '../../storage/metadata/commit-lock.ts';
import { ObjectRepository } from '../../storage/metadata/object-repository.ts';
import type { ContainerRecord } from './containers.ts';
import { toObjectRecord, type ObjectRecord } from './object-record.ts';

/** One entry of a version list: the version id and when it was made (µs). */
export interface VersionEntry {
  readonly version: number;
  readonly versionTs: number;
}

export class ObjectVersions {
  readonly #history: HistoryRepository;
  readonly #rows: ObjectRepository;

  constructor(private readonly db: Db) {
    this.#history = new HistoryRepository(db);
    this.#rows = new ObjectRepository(db);
  }

  /**
   * Every version of a path, oldest first: the kept ones and the live one (Pithos's list, which
   * leaves out deletions). Undefined when the path has neither (never existed, or purged).
   */
  async list(c: ContainerRecord, name: string): Promise<VersionEntry[] | undefined> {
    const kept = await this.#history.versionsOf(c.id, name);
    const live = await this.#rows.findByPath(c.account, c.name, name);
    const all = kept.map((h) => ({ version: Number(h.version), versionTs: Number(h.version_ts) }));
    if (live) all.push({ version: live.version, versionTs: live.version_ts });
    return all.length ? all.sort((a, b) => a.version - b.version) : undefined;
  }

  /** Version `version` of a path, kept or live (a past version has no grants and no public link). */
  async get(c: ContainerRecord, name: string, version: number, db: Db = this.db): Promise<ObjectRecord | undefined> {
    const kept = await this.#history.find(c.id, name, version, db);
    if (kept) return toObjectRecord(historyAsObjectRow(kept), c.name, []);
    const live = await this.#rows.findByPath(c.account, c.name, name, db);
    return live && live.version === version ? toObjectRecord(live, c.name, []) : undefined;
  }

  /** The version of a path that was live at `at` (µs), if the path held one then. */
  async asOf(c: ContainerRecord, name: string, at: number): Promise<ObjectRecord | undefined> {
    const row = await this.#history.asOf(c.id, name, at);
    return row && toObjectRecord(row, c.name, []);
  }

  /** Totals of containers as they were at `at` (µs). */
  totalsAsOf(containerIds: readonly number[], at: number) {
    return this.#history.totalsAsOf(containerIds, at);
  }

  /**
   * Pithos's purge (`DELETE …?until=`): drops the kept versions made at or before `until` (µs) of
   * the container, or of one path in it; live versions stay. Under the commit lock, like every
   * change to what references blocks. Returns how many went.
   */
  async purge(c: ContainerRecord, until: number, name?: string): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      await takeCommitLock(trx);
      return this.#history.purge(trx, c.id, until, name);
    });
  }
}
