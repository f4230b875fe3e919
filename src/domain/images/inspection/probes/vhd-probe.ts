/**
 * VHD (qemu's "vpc"). Dynamic and differencing disks keep a copy of the big-endian footer at
 * offset 0; fixed disks keep it only in the last 512 bytes (the tail), which qemu's own probe
 * does not look at (it needs `-f vpc`), but a fixed VHD declared `vhd` is still a VHD.
 *
 * The size rule is qemu's (block/vpc.c, qemu 7.2 as Debian ships it): the CHS geometry product,
 * except for creator apps known to use the footer's current_size (Hyper-V, disk2vhd, XenServer,
 * XenConverter, qemu with force_size) or when the geometry is at its maximum.
 */
import { hasAscii, printable, safeNumber, sectorFloor, u16be, u32be, u64be, u8 } from '../byte-fields.ts';
import { failure, type FormatProbe, type ProbeConclusion, type RegionRequest } from '../format-probe.ts';

const CURRENT_SIZE_APPS = ['win ', 'qem2', 'd2v ', 'CTXS', 'tap\0'];
const MAX_GEOMETRY = 65535 * 16 * 255;
const FOOTER = 512;
const FIXED = 2;

export class VhdProbe implements FormatProbe {
  readonly name = 'vhd';
  #atStart = false;
  #head: ProbeConclusion | undefined;

  examineHead(head: Uint8Array): RegionRequest[] {
    if (hasAscii(head, 0, 'conectix')) {
      this.#atStart = true;
      this.#head = fromFooter(head, 'dynamic');
    }
    return [];
  }

  onRegion(): RegionRequest[] {
    return [];
  }

  wantsTail(): boolean {
    return !this.#atStart;
  }

  conclude(size: number, tail: Uint8Array): ProbeConclusion {
    if (this.#head) return this.#head;
    const footer = tail.subarray(tail.length - FOOTER);
    if (size >= FOOTER && hasAscii(footer, 0, 'conectix') && u32be(footer, 60) === FIXED)
      return fromFooter(footer, 'fixed');
    return { matched: false, failures: [] };
  }
}

function fromFooter(footer: Uint8Array, type: 'dynamic' | 'fixed'): ProbeConclusion {
  const currentSize = safeNumber(u64be(footer, 48));
  const cyls = u16be(footer, 56);
  const heads = u8(footer, 58);
  const sectors = u8(footer, 59);
  if (currentSize === undefined || cyls === undefined || heads === undefined || sectors === undefined) {
    return {
      matched: true,
      virtualSize: null,
      failures: [failure('vhd_header', 'VHD footer truncated or its size beyond 2^53 bytes')],
    };
  }
  const app = String.fromCharCode(...footer.subarray(28, 32));
  const chs = cyls * heads * sectors;
  const useCurrentSize = CURRENT_SIZE_APPS.includes(app) || chs === MAX_GEOMETRY;
  return {
    matched: true,
    virtualSize: useCurrentSize ? sectorFloor(currentSize) : chs * 512,
    failures: [],
    details: { vhd_type: type, vhd_creator: printable(footer.subarray(28, 32)) },
  };
}
