/**
 * Quotas (issue 19 item 8): a container's byte limit (Pithos `X-Container-Policy-Quota`, Swift's
 * `X-Container-Meta-Quota-Bytes`: the lower one applies), its object-count limit (Swift's
 * `X-Container-Meta-Quota-Count`) and the account's byte limit (set by an admin: `plankton account
 * quota`, shown as `X-Account-Policy-Quota` / `X-Account-Meta-Quota-Bytes`). Usage comes from the
 * exact container counters (object-repository.ts), so a check is a couple of one-row reads.
 *
 * A commit checks under the commit lock (no two commits interleave, so usage cannot move under
 * the check); a streamed upload also gets its byte allowance before it starts, so it is cut off
 * as soon as it runs over instead of storing the whole body first (the commit check still decides).
 */
import { ContainerRepository } from '../../storage/metadata/container-repository.ts';
import type { Db } from '../../storage/metadata/database.ts';
import { ObjectRepository } from '../../storage/metadata/object-repository.ts';
import { QuotaExceeded } from '../errors.ts';
import type { ContainerRecord } from './containers.ts';

/** Swift container_quotas' meta keys, as stored (normalised). */
export const QUOTA_BYTES_META = 'Quota-Bytes';
export const QUOTA_COUNT_META = 'Quota-Count';

const metaLimit = (meta: Readonly<Record<string, string>>, key: string): number | undefined => {
  const v = meta[key];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
};

/** The container's byte limit (undefined: none); a Pithos quota of 0 means none. */
export function containerByteLimit(c: ContainerRecord): number | undefined {
  const limits = [c.quota > 0 ? c.quota : undefined, metaLimit(c.meta, QUOTA_BYTES_META)].filter(
    (n): n is number => n !== undefined,
  );
  return limits.length ? Math.min(...limits) : undefined;
}

export class Quotas {
  readonly #objects: ObjectRepository;
  readonly #containers: ContainerRepository;

  constructor(private readonly db: Db) {
    this.#objects = new ObjectRepository(db);
    this.#containers = new ContainerRepository(db);
  }

  /**
   * Refuses a write that adds `bytes` and `objects` to container `c` (negative: frees) when it
   * would take the container or its account over a limit. Frees and size-neutral writes always pass.
   */
  async check(c: ContainerRecord, bytes: number, objects: number, db: Db = this.db): Promise<void> {
    if (bytes <= 0 && objects <= 0) return;
    const byteLimit = containerByteLimit(c);
    const countLimit = metaLimit(c.meta, QUOTA_COUNT_META);
    if (byteLimit !== undefined || countLimit !== undefined) {
      const usage = await this.#objects.containerUsage(c.id, db);
      if (bytes > 0 && byteLimit !== undefined && usage.bytes + bytes > byteLimit)
        throw new QuotaExceeded(byteLimit, usage.bytes);
      if (objects > 0 && countLimit !== undefined && usage.count + objects > countLimit)
        throw new QuotaExceeded(countLimit, usage.count);
    }
    if (bytes > 0) {
      const accountLimit = await this.#containers.accountQuota(c.account, db);
      if (accountLimit > 0) {
        const used = await this.#objects.accountBytes(c.account, db);
        if (used + bytes > accountLimit) throw new QuotaExceeded(accountLimit, used, 'account');
      }
    }
  }

  /**
   * Most bytes a new version of a name in `c` may hold under the byte quotas right now (the bytes
   * of the version it replaces, `replaced()`, asked only when a quota applies, are freed by it)
   * and the refusal past it, or undefined when no byte quota applies. A streamed upload stops
   * reading once past it.
   */
  async allowance(
    c: ContainerRecord,
    replaced: () => Promise<number>,
  ): Promise<{ readonly room: number; readonly refusal: () => QuotaExceeded } | undefined> {
    let best: { room: number; refusal: () => QuotaExceeded } | undefined;
    const byteLimit = containerByteLimit(c);
    const accountLimit = await this.#containers.accountQuota(c.account);
    if (byteLimit === undefined && accountLimit <= 0) return undefined;
    const replacedBytes = await replaced();
    if (byteLimit !== undefined) {
      const used = (await this.#objects.containerUsage(c.id)).bytes;
      best = { room: Math.max(0, byteLimit - used + replacedBytes), refusal: () => new QuotaExceeded(byteLimit, used) };
    }
    if (accountLimit > 0) {
      const used = await this.#objects.accountBytes(c.account);
      const room = Math.max(0, accountLimit - used + replacedBytes);
      if (!best || room < best.room) best = { room, refusal: () => new QuotaExceeded(accountLimit, used, 'account') };
    }
    return best;
  }

  /** An account's byte quota, 0: none. */
  accountQuota(account: string): Promise<number> {
    return this.#containers.accountQuota(account);
  }

  /** Sets an account's byte quota (0: none); the admin's CLI and the admin's account POST. */
  async setAccountQuota(account: string, bytes: number): Promise<void> {
    await this.#containers.setAccountQuota(account, bytes, Date.now() * 1000);
  }
}
