/**
 * Upload leases: how the image of an upload whose process died (SIGKILL, a crash, a lost node)
 * leaves `saving` / `importing`, in a cluster too. An image enters those statuses with a lease
 * (`images.lease_until`); the process running the upload holds it and renews it while it runs;
 * every way out clears it. A lease that ran out therefore means its process is gone, and the
 * `serve` of any node (`reclaim`) moves the image back as the failed upload would have:
 * `saving → queued`, `importing → queued` (with the import marked failed). Each move is a
 * compare-and-set that also checks the lease ran out, so an upload that renewed meanwhile keeps
 * its image, and two nodes reclaiming at once move it once.
 *
 * A renewal that fails (the database briefly away) is retried at the next beat; an upload that
 * outlives its lease without renewing (the database away longer than the lease) loses its image
 * to a reclaim and then fails at its commit, which requires `saving`: nothing half-done is kept.
 */
import type { Db } from '../../storage/metadata/database.ts';
import { renewLeases } from '../../storage/metadata/image-repository.ts';
import { nowMicros } from '../time.ts';

/** Renewals per lease: a lease survives this many beats lost in a row, less one. */
const BEATS_PER_LEASE = 4;

export class UploadLeases {
  readonly #db: Db;
  readonly #leaseMicros: number;
  /** Image id → uploads of this process holding it (an import nests an upload). */
  readonly #held = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;
  #report: ((err: unknown) => void) | undefined;

  constructor(db: Db, leaseSeconds: number) {
    this.#db = db;
    this.#leaseMicros = leaseSeconds * 1_000_000;
  }

  /** Where a failed renewal is reported (the server's log); the next beat tries again. */
  onRenewalFailure(report: (err: unknown) => void): void {
    this.#report = report;
  }

  /** The `lease_until` of a lease taken now. */
  until(): number {
    return nowMicros() + this.#leaseMicros;
  }

  /** Lease times before this have run out. */
  expiredBefore(): number {
    return nowMicros();
  }

  /** Keeps renewing `id`'s lease until the returned release is called (once per hold). */
  hold(id: string): () => void {
    this.#held.set(id, (this.#held.get(id) ?? 0) + 1);
    this.#timer ??= setInterval(() => this.#beat(), this.#leaseMicros / 1000 / BEATS_PER_LEASE).unref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.#held.get(id)! - 1;
      if (left > 0) this.#held.set(id, left);
      else this.#held.delete(id);
      if (this.#held.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  /** Images whose leases this process holds now. */
  get held(): number {
    return this.#held.size;
  }

  #beat(): void {
    // A beat still waiting for the database makes this one skip: renewals never pile up.
    if (this.#renewing || this.#held.size === 0) return;
    this.#renewing = renewLeases(this.#db, [...this.#held.keys()], this.until())
      .catch((err) => this.#report?.(err))
      .finally(() => {
        this.#renewing = undefined;
      });
  }
}
