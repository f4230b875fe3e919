import { METRICS, type MetricKey } from './metrics.ts';

/** What a run has measured so far: every metric (null until measured), notes, section times. */
export class Results {
  readonly metrics: Record<MetricKey, number | null>;
  readonly notes: string[] = [];
  /** Per scenario: how long it ran, and the machine's 1-minute load average when it began. */
  readonly sections: Record<string, { seconds: number; load_at_start: number }> = {};

  constructor() {
    this.metrics = Object.fromEntries(METRICS.map((m) => [m.key, null])) as Record<MetricKey, number | null>;
  }

  /** Records a number (rounded to 3 significant decimals); NaN/Infinity become null. */
  set(key: MetricKey, value: number | null): void {
    this.metrics[key] = value === null || !Number.isFinite(value) ? null : Math.round(value * 1000) / 1000;
  }

  note(text: string): void {
    this.notes.push(text);
  }
}
