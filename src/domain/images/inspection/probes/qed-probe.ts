/**
 * QED: recognised only to be refused. Nobody ships it, qemu deprecated it, and nothing checks
 * its backing-file fields for us (Glance bans it outright too).
 */
import { hasAscii, safeNumber, sectorFloor, u64le } from '../byte-fields.ts';
import { failure, type FormatProbe, type ProbeConclusion, type RegionRequest } from '../format-probe.ts';

export class QedProbe implements FormatProbe {
  readonly name = 'qed';
  #conclusion: ProbeConclusion = { matched: false, failures: [] };

  examineHead(head: Uint8Array): RegionRequest[] {
    if (hasAscii(head, 0, 'QED\0')) {
      const size = safeNumber(u64le(head, 48));
      this.#conclusion = {
        matched: true,
        virtualSize: size === undefined ? null : sectorFloor(size),
        failures: [failure('qed', 'QED images are not allowed')],
      };
    }
    return [];
  }

  onRegion(): RegionRequest[] {
    return [];
  }

  wantsTail(): boolean {
    return false;
  }

  conclude(): ProbeConclusion {
    return this.#conclusion;
  }
}
