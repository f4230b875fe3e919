/**
 * VirtualBox VDI: little-endian header with the signature at 0x40 and the disk size at 0x170.
 * qemu rounds a size that is not a whole number of sectors up, so we do too.
 */
import { safeNumber, u32le, u64le } from '../byte-fields.ts';
import { failure, type FormatProbe, type ProbeConclusion, type RegionRequest } from '../format-probe.ts';

const SIGNATURE = 0xbeda107f;

export class VdiProbe implements FormatProbe {
  readonly name = 'vdi';
  #conclusion: ProbeConclusion = { matched: false, failures: [] };

  examineHead(head: Uint8Array): RegionRequest[] {
    if (u32le(head, 0x40) !== SIGNATURE) return [];
    const raw = u64le(head, 0x170);
    const size = safeNumber(raw);
    this.#conclusion =
      size === undefined
        ? {
            matched: true,
            virtualSize: null,
            failures: [
              failure('vdi_header', raw === undefined ? 'VDI header truncated' : 'VDI disk size is beyond 2^53 bytes'),
            ],
          }
        : { matched: true, virtualSize: Math.ceil(size / 512) * 512, failures: [] };
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
