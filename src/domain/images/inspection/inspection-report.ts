/**
 * What the image inspector says about a stream of bytes. Plain data only (no classes, no
 * bigints), so a report crosses a worker-thread boundary or becomes JSON unchanged.
 */

/** Formats the inspector tells apart; `raw` is what remains when no signature matches. */
export const DETECTED_FORMATS = ['raw', 'qcow2', 'qed', 'vmdk', 'vhd', 'vhdx', 'vdi', 'iso'] as const;
export type DetectedFormat = (typeof DETECTED_FORMATS)[number];

/**
 * One reason the image must not be served to a hypervisor. `check` is a stable snake_case name
 * (Glance's style: `backing_file`, `data_file`, …) that APIs may show; `message` says what was seen.
 */
export interface SafetyFailure {
  readonly check: string;
  readonly message: string;
}

export interface InspectionReport {
  readonly format: DetectedFormat;
  /**
   * The guest-visible disk size in bytes, as `qemu-img info` reports it, or null when the
   * header that holds it is missing or broken (there is then always a safety failure).
   */
  readonly virtualSize: number | null;
  /** Empty means safe. */
  readonly safetyFailures: readonly SafetyFailure[];
  /** Every signature seen, in priority order (`gpt` included, although it is a kind of raw). */
  readonly signatures: readonly string[];
  /** Length of the image in bytes (the whole stream, or the object's size in random access). */
  readonly size: number;
  /** Format facts worth showing an operator (qcow2 version, VMDK create type, …). */
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

export const isSafe = (report: InspectionReport): boolean => report.safetyFailures.length === 0;
