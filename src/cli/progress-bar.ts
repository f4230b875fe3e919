/**
 * A one-line progress bar for long commands (`plankton gc`), redrawn in place with `\r` on a
 * terminal's stderr. Callers create one only when stderr is a TTY and no `--json` was asked, so
 * scripts and pipes never see it.
 */

const BAR_WIDTH = 30;
/** Redraws at most this often (ms); a new label always redraws. */
const REDRAW_EVERY = 100;

/** The text of one state: `label [#####-----]  50% 5/10 unit`, or `label 1234 unit` when the total is unknown. */
export function renderProgress(label: string, done: number, total: number | undefined, unit: string): string {
  const name = label.padEnd(6);
  if (total === undefined) return `${name} ${done} ${unit}`;
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * BAR_WIDTH);
  const percent = String(Math.floor(ratio * 100)).padStart(3);
  return `${name} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${percent}% ${done}/${total} ${unit}`;
}

export class ProgressBar {
  /** The latest state asked for, drawn or not (redraws are throttled). */
  #state: { label: string; text: string; drawn: boolean } | undefined;
  #lastDraw = 0;
  #width = 0;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  update(label: string, done: number, total: number | undefined, unit: string): void {
    const previous = this.#state;
    if (previous && previous.label !== label) {
      // A new phase: leave the previous one's final state on its own line.
      if (!previous.drawn) this.#draw(previous.text);
      this.stream.write('\n');
      this.#width = 0;
    }
    const text = renderProgress(label, done, total, unit);
    const now = Date.now();
    const due =
      !previous ||
      previous.label !== label ||
      (total !== undefined && done >= total) ||
      now - this.#lastDraw >= REDRAW_EVERY;
    this.#state = { label, text, drawn: due };
    if (due) {
      this.#lastDraw = now;
      this.#draw(text);
    }
  }

  /** Draws the final state and ends the line, so what follows starts on a fresh one. */
  finish(): void {
    if (!this.#state) return;
    if (!this.#state.drawn) this.#draw(this.#state.text);
    this.stream.write('\n');
    this.#state = undefined;
    this.#width = 0;
  }

  #draw(text: string): void {
    this.stream.write(`\r${text.padEnd(this.#width)}`);
    this.#width = text.length;
  }
}
