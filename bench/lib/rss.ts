import { membersOf, statusKb } from './proc.ts';

/**
 * Peak memory, polled. `process(pid)`: one server process, measured by the kernel's own high water
 * mark (VmHWM, exact even between samples). `groups(pgids)`: servers made of several processes
 * (forked workers, helper daemons): the largest sum of their VmRSS seen while polling.
 */
export class RssWatch {
  readonly #timer: NodeJS.Timeout;
  readonly #measure: () => number;
  #peakKb = 0;

  private constructor(measure: () => number, intervalMs: number) {
    this.#measure = measure;
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
    this.sample();
  }

  static process(pid: number, intervalMs = 500): RssWatch {
    return new RssWatch(() => statusKb(pid, 'VmHWM'), intervalMs);
  }

  /**
   * A server that may be several processes (`plankton serve --workers N`: a primary and its
   * workers in one process group): the sum over its processes of each one's VmHWM (its own peak,
   * kept for a process that has exited). A sum of peaks is at least the peak of the sum: an upper bound.
   */
  static processGroup(pgid: number, intervalMs = 500): RssWatch {
    const peaks = new Map<number, number>();
    const set = new Set([pgid]);
    return new RssWatch(() => {
      for (const p of membersOf(set)) peaks.set(p, Math.max(peaks.get(p) ?? 0, statusKb(p, 'VmHWM')));
      return [...peaks.values()].reduce((a, b) => a + b, 0);
    }, intervalMs);
  }

  static groups(pgids: readonly number[], intervalMs = 200): RssWatch {
    const set = new Set(pgids);
    return new RssWatch(() => membersOf(set).reduce((sum, p) => sum + statusKb(p, 'VmRSS'), 0), intervalMs);
  }

  /** Takes one sample now (call it right before stopping the servers). */
  sample(): void {
    this.#peakKb = Math.max(this.#peakKb, this.#measure());
  }

  /** Stops polling; the peak in MB as ps and top count them (1 MB = 1024 kB). */
  stop(): number {
    this.sample();
    clearInterval(this.#timer);
    return this.#peakKb / 1024;
  }
}
