/**
 * What the image rules make of an inspection report (issue 13, openstack.md §7), whichever way
 * the data came in (an upload through v1 or v2, a registration of an object, later import):
 * - unsafe content (qcow2 backing/data file, unknown qcow2 features, QED, VMDK extents naming
 *   paths, several formats at once…) is always refused: a hypervisor opening it could read the
 *   host's files;
 * - content that is not the declared `disk_format` is refused when the API's setting asks for it
 *   (`PLANKTON_REQUIRE_FORMAT_MATCH`), for `container_format = bare` only (a container holds a
 *   disk plus other things; its bytes are not a disk image);
 * - otherwise the image's `virtual_size` is what the content says, as `qemu-img info -f
 *   <disk_format>` would: declared raw (or a raw-like format: the dump formats, ami/ari/aki)
 *   is sized as raw whatever it holds; a declared format the content does not match (the
 *   setting allowed it) has no known virtual size; a container has none either.
 */
import { ImageContentRefused } from '../errors.ts';
import {
  DETECTED_FORMATS,
  formatMatchRequired,
  matchesDeclared,
  type FormatMatchMode,
  type InspectionReport,
} from './inspection/index.ts';
import { wholeSectors } from './inspection/byte-fields.ts';

/** Which image API the data came through: the format-match setting is per API. */
export type ImageApi = 'v1' | 'v2';

export interface ContentPolicy {
  readonly diskFormat: string;
  readonly containerFormat: string;
  readonly mode: FormatMatchMode;
  readonly api: ImageApi;
}

/** Refuses the content (ImageContentRefused) or returns the virtual size to store. */
export function judgeContent(report: InspectionReport, p: ContentPolicy): { virtualSize: number | null } {
  if (report.safetyFailures.length > 0)
    throw new ImageContentRefused('unsafe', p.diskFormat, report.format, report.safetyFailures);
  const bare = p.containerFormat === 'bare';
  const matches = matchesDeclared(p.diskFormat, report);
  if (bare && !matches && formatMatchRequired(p.mode, p.api))
    throw new ImageContentRefused('format-mismatch', p.diskFormat, report.format);
  if (!bare) return { virtualSize: null };
  const inspectable = (DETECTED_FORMATS as readonly string[]).includes(p.diskFormat) && p.diskFormat !== 'raw';
  if (!inspectable) return { virtualSize: wholeSectors(report.size) };
  return { virtualSize: matches ? report.virtualSize : null };
}
