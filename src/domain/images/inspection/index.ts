/**
 * Image content inspection: what format an image really is, its virtual size, and whether a
 * hypervisor may safely open it (the CVE-2024-32498 class: qcow2 backing/data files and VMDK
 * extents that make qemu read host files). See docs/spec (openstack.md §7).
 *
 * Two ways in, one report:
 * - `StreamInspector`: `push(chunk)` every chunk of an upload in order, then `finish()`.
 * - `inspectRandomAccess(read, size)`: for an object already stored; reads only the regions
 *   it needs.
 *
 * What each format captures (all bounded; a stream keeps at most ~64 KiB + 1.5 KiB + the open
 * regions below, never more than ~1.1 MiB in all):
 * | format | regions |
 * |---|---|
 * | every inspection | head: bytes 0..64 KiB; tail: the last 1536 bytes |
 * | qcow2, qed, vdi, iso, gpt | the head only (qcow2's first cluster, capped at 64 KiB) |
 * | vhd | the head (dynamic: footer copy at 0), else the tail (fixed: footer at the end) |
 * | vmdk sparse | the descriptor at 512, ≤ 1 MiB (bigger: failure); the tail for footers |
 * | vmdk descriptor file | bytes 0..1 MiB (a bigger file: failure) |
 * | vhdx | region table (64 KiB at 192 KiB), metadata table (64 KiB), virtual size (8 bytes) |
 *
 * How it plugs in (the rules themselves: ../content-rules.ts):
 * - Upload: ImageService's save path gives the block writer a `StreamInspector` as its tap,
 *   which sees each 4 MiB block in order on the main thread (a view of the shared buffer: the
 *   inspector copies what it keeps, so recycling the buffer is safe). Not on the hash workers:
 *   they run plain JavaScript without a loader, and after the head the inspector only copies
 *   the tail (measured: ~9 ms per GiB). The report is judged in the upload's `verify`, before
 *   the commit, so refused content commits no version.
 * - Registration from an object, and new content written onto an image's object through the
 *   object store: `inspectRandomAccess` over the object reader; only the blocks the head, the
 *   header regions and maybe the tail fall in are read.
 */
export { StreamInspector } from './stream-inspector.ts';
export { fileRangeReader, inspectRandomAccess, type RangeReader } from './random-access.ts';
export { matchesDeclared, formatMatchRequired, FORMAT_MATCH_MODES, type FormatMatchMode } from './format-match.ts';
export {
  DETECTED_FORMATS,
  isSafe,
  type DetectedFormat,
  type InspectionReport,
  type SafetyFailure,
} from './inspection-report.ts';
