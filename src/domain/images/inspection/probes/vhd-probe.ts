/**
 * VHD (qemu's "vpc"), dynamic: a copy of the big-endian footer at offset 0. The size rule is
 * qemu's (block/vpc.c, qemu 7.2 as Debian ships it): the CHS geometry product, except for
 * creator apps known to use the footer's current_size (Hyper-V, disk2vhd, XenServer,
 * XenConverter, qemu with force_size) or when the geometry is at its maximum.
 * Fixed VHDs keep their footer only at the end; like qemu's and Glance's probes, we see them
 * as raw.
 */
import { hasAscii, printable, safeNumber, sectorFloor, u16be, u64be, u8 } from '../byte-fields.ts';
import { failure, type FormatProbe, type ProbeConclusion, type RegionRequest } from '../format-probe.ts';

const CURRENT_SIZE_APPS = ['win ', 'qem2', 'd2v ', 'CTXS', 'tap\0'];
const MAX_GEOMETRY = 65535 * 16 * 255;

export class VhdProbe implements FormatProbe {
  readonly name = 'vhd';
  #conclusion: ProbeConclusion = { matched: false, failures: [] };

  examineHead(head: Uint8Array): RegionRequest[] {
    if (!hasAscii(head, 0, 'conectix')) return [];
    const currentSize = safeNumber(u64be(head, 48));
    const cyls = u16be(head, 56);
    const heads = u8(head, 58);
    const sectors = u8(head, 59);
    if (currentSize === undefined || cyls === undefined || heads === undefined || sectors === undefined) {
      this.#conclusion = { matched: true, virtualSize: null, failures: [failure('vhd_header', 'VHD footer truncated or its size beyond 2^53 bytes')] };
      return [];
    }
    const app = String.fromCharCode(...head.subarray(28, 32));
    const chs = cyls * heads * sectors;
    const useCurrentSize = CURRENT_SIZE_APPS.includes(app) || chs === MAX_GEOMETRY;
    this.#conclusion = {
      matched: true,
      virtualSize: useCurrentSize ? sectorFloor(currentSize) : chs * 512,
      failures: [],
      details: { vhd_creator: printable(head.subarray(28, 32)) },
    };
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
