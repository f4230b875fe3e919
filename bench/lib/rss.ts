import fs from 'node:fs';
import { membersOf, statusKb } from './proc.ts';

/** Proportional set size of a process in kB (0 when it is gone). */
function pssKb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

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
   * workers in one process group). One process: its VmHWM (exact). Several: the largest sum of
   * their Pss seen while polling (each process's private pages plus its share of the pages they
   * share, such as node's own code), so that memory shared by the workers is counted once, not
   * once per worker as a sum of VmRSS would.
   */
  static processGroup(pgid: number, intervalMs = 200): RssWatch {
    const set = new Set([pgid]);
    return new RssWatch(() => {
      const members = membersOf(set);
      if (members.length <= 1) return statusKb(pgid, 'VmHWM');
      return members.reduce((sum, p) => sum + pssKb(p), 0);
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
