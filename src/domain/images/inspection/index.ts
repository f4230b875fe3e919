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
 * How it plugs into uploads and registration (after the upload-pipeline refactor):
 * - Upload: the hash worker that already sees every block owns one `StreamInspector` per
 *   upload and pushes each block (a view of the shared buffer: the inspector copies what it
 *   keeps, so recycling the buffer is safe). At commit time the worker returns
 *   `finish()`'s report with the hashes; the domain refuses the upload when
 *   `safetyFailures` is non-empty, or when `formatMatchRequired(setting, api)` and
 *   `!matchesDeclared(disk_format, report)`, before the image leaves `saving`, and stores
 *   `virtualSize` otherwise. Only `container_format = bare` images need the format match.
 *   Messages in Glance's style (openstack.md §7.3): v2 415 `Image failed safety checks:
 *   <check, …>` / `Image disk_format <declared> does not match stream data <format>`; v1 400.
 * - Registration from an object: `inspectRandomAccess((o, n) => objectReader.range(o, n), size)`;
 *   a few reads from the first block(s) and at most one from the last (footers).
 */
export { StreamInspector } from './stream-inspector.ts';
export { inspectRandomAccess, type RangeReader } from './random-access.ts';
export { matchesDeclared, formatMatchRequired, FORMAT_MATCH_MODES, type FormatMatchMode } from './format-match.ts';
export {
  DETECTED_FORMATS,
  isSafe,
  type DetectedFormat,
  type InspectionReport,
  type SafetyFailure,
} from './inspection-report.ts';
