/** Words both image APIs use (v1 with 400, v2 with 415). */
import type { ImageContentRefused } from '../../domain/errors.ts';

/**
 * Glance's words for refused image content (openstack.md §7.3), which v1 answers with 400:
 * the failed checks by name, or the declared and the detected format.
 */
export function contentRefused(err: ImageContentRefused): string {
  return err.reason === 'unsafe'
    ? `Image failed safety checks: ${err.failures.map((f) => f.check).join(', ')}`
    : `Image disk_format ${err.declared} does not match stream data ${err.detected}`;
}
