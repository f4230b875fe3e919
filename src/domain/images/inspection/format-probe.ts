/**
 * The contract between the inspection engines (streaming, random access) and one format's probe.
 *
 * Every probe first sees the image's head (its first HEAD_BYTES, shorter only when the image
 * is). From it the probe decides whether its signature is there and may ask for further regions
 * by offset and length (a VMDK descriptor, a VHDX region table…). Each region comes back once,
 * possibly shorter than asked when the image ends first. Finally the probe concludes, seeing the
 * image size and its last TAIL_BYTES (VMDK and fixed-VHD footers live there).
 *
 * Probes only ask for regions at or after the end of whatever named them, so a stream never has
 * to go back: the engines then produce the same answer whichever way the bytes arrive.
 */
import type { SafetyFailure } from './inspection-report.ts';

/** Every probe's header fits here: qcow2's first cluster (capped), ISO volume descriptors 16..31. */
export const HEAD_BYTES = 64 * 1024;
/** VMDK streamOptimized footer (marker, footer header, end-of-stream marker); a fixed VHD's is 512. */
export const TAIL_BYTES = 1536;
/** No single region is bigger (a VMDK descriptor's limit, as in qemu). */
export const MAX_REGION_BYTES = 1024 * 1024;

export interface RegionRequest {
  readonly key: string;
  readonly offset: number;
  readonly length: number;
}

/**
 * `complete`: all bytes asked for. `short`: the image ended first (data holds what there was).
 * `passed`: a stream had already gone past the offset (only when a probe breaks the rule above).
 */
export type RegionEnd = 'complete' | 'short' | 'passed';

export interface ProbeConclusion {
  /** The format's signature is present (even if the rest is broken). */
  readonly matched: boolean;
  /** Virtual size when this format decides it; null when it should but cannot. */
  readonly virtualSize?: number | null;
  readonly failures: readonly SafetyFailure[];
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export interface FormatProbe {
  /** A detected format's name, or `gpt` (a partitioned raw disk: it only matters for overlaps). */
  readonly name: string;
  examineHead(head: Uint8Array): readonly RegionRequest[];
  onRegion(key: string, data: Uint8Array, end: RegionEnd): readonly RegionRequest[];
  /** Whether `conclude` needs the tail (random access reads it only then). */
  wantsTail(): boolean;
  conclude(size: number, tail: Uint8Array): ProbeConclusion;
}

export const failure = (check: string, message: string): SafetyFailure => ({ check, message });
