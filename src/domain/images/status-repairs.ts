/**
 * The way out of `saving` (or `importing`) for an upload that failed while the database failed
 * too (README, "When a dependency fails"). The upload's own failure path moves the image back
 * (queued, or gone for a v1 create); when that write fails as well, the image would stay
 * `saving` for ever: no other request may touch it (uploads need `queued`, deletes refuse
 * `saving`). So the process that ran the upload — the only one that knows it is no longer
 * running — keeps the change and retries it, with a growing pause, until the database takes it.
 *
 * Cluster-safe by construction: no other worker or node guesses which `saving` images are
 * stale (one may be uploading into it right now); each repair is the same compare-and-set the
 * failure path would have made (`saving → queued` …), so it does nothing if the image moved on.
 * Held in memory: for a process that dies before the database comes back, the image's upload
 * lease runs out and `serve` moves it back (upload-leases.ts).
 */

/** What the owner hears: a repair scheduled (the write failed), done, or given up at shutdown. */
export type RepairEvent =
  | { readonly imageId: string; readonly outcome: 'pending'; readonly err: unknown }
  | { readonly imageId: string; readonly outcome: 'repaired'; readonly attempts: number }
  | { readonly imageId: string; readonly outcome: 'abandoned'; readonly err: unknown };

interface Pending {
  readonly repair: () => Promise<unknown>;
  attempts: number;
  timer: NodeJS.Timeout | undefined;
  lastError: unknown;
}

export class StatusRepairs {
  readonly #pending = new Map<string, Pending>();
  readonly #firstDelayMs: number;
  readonly #maxDelayMs: number;
  #report: ((event: RepairEvent) => void) | undefined;
  #waiters: (() => void)[] = [];
  #closed = false;

  constructor(delays: { firstMs?: number; maxMs?: number } = {}) {
    this.#firstDelayMs = delays.firstMs ?? 250;
    this.#maxDelayMs = delays.maxMs ?? 10_000;
  }

  onEvent(report: (event: RepairEvent) => void): void {
    this.#report = report;
  }

  /** Images whose status change is still waiting for the database. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Keeps `repair` (idempotent: a compare-and-set) for `imageId`, whose first try failed with
   * `err`, and retries it until it succeeds.
   */
  add(imageId: string, repair: () => Promise<unknown>, err: unknown): void {
    if (this.#closed) {
      this.#report?.({ imageId, outcome: 'abandoned', err });
      return;
    }
    const earlier = this.#pending.get(imageId);
    if (earlier?.timer) clearTimeout(earlier.timer);
    const p: Pending = { repair, attempts: 1, timer: undefined, lastError: err };
    this.#pending.set(imageId, p);
    this.#report?.({ imageId, outcome: 'pending', err });
    this.#schedule(imageId, p);
  }

  #schedule(imageId: string, p: Pending): void {
    const delay = Math.min(this.#maxDelayMs, this.#firstDelayMs * 2 ** (p.attempts - 1));
    p.timer = setTimeout(() => void this.#attempt(imageId, p), delay);
    // A pending repair does not keep a CLI process alive; `close` makes its last try.
    p.timer.unref();
  }

  async #attempt(imageId: string, p: Pending): Promise<boolean> {
    p.timer = undefined;
    p.attempts++;
    try {
      await p.repair();
    } catch (err) {
      p.lastError = err;
      if (this.#pending.get(imageId) === p && !this.#closed) this.#schedule(imageId, p);
      return false;
    }
    if (this.#pending.get(imageId) === p) this.#pending.delete(imageId);
    this.#report?.({ imageId, outcome: 'repaired', attempts: p.attempts });
    if (this.#pending.size === 0) for (const wake of this.#waiters.splice(0)) wake();
    return true;
  }

  /** Resolves once nothing is pending (tests). */
  settled(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** At shutdown: one last try of each; what still fails is reported abandoned. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const [imageId, p] of [...this.#pending]) {
      if (p.timer) clearTimeout(p.timer);
      if (!(await this.#attempt(imageId, p))) {
        this.#pending.delete(imageId);
        this.#report?.({ imageId, outcome: 'abandoned', err: p.lastError });
      }
    }
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
