/**
 * Does the content match the declared `disk_format`? Glance 2025.1's rule (openstack.md §7.2):
 * - declared `raw`: always — qemu is told "raw" and reads the bytes as a plain disk (a qcow2
 *   declared raw is served as raw; its safety checks still run).
 * - declared as a format the inspector knows: the content must be that format.
 * - anything else (Plankton's dump formats `diskdump`, `extdump`, `ntfsdump`; `ami`, `ari`,
 *   `aki`; operator-added formats): nothing to inspect, so the content must be raw.
 * Safety is separate: an unsafe report is refused whatever the declared format.
 */
import { DETECTED_FORMATS, type InspectionReport } from './inspection-report.ts';

export function matchesDeclared(diskFormat: string, report: Pick<InspectionReport, 'format'>): boolean {
  if (diskFormat === 'raw') return true;
  if ((DETECTED_FORMATS as readonly string[]).includes(diskFormat)) return report.format === diskFormat;
  return report.format === 'raw';
}

/** `PLANKTON_REQUIRE_FORMAT_MATCH`: which APIs refuse content that does not match disk_format. */
export const FORMAT_MATCH_MODES = ['v2', 'all', 'off'] as const;
export type FormatMatchMode = (typeof FORMAT_MATCH_MODES)[number];

export function formatMatchRequired(mode: FormatMatchMode, api: 'v1' | 'v2'): boolean {
  return mode === 'all' || (mode === 'v2' && api === 'v2');
}
