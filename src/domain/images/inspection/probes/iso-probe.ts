/**
 * ISO 9660 / UDF: volume descriptors start at sector 16 (32 KiB), 2 KiB each; sectors 16..31
 * lie within the head. ISO 9660 has "CD001" at sector 16; UDF has its NSR02/NSR03 descriptor
 * among them. qemu has no ISO driver (it reads ISOs as raw), so the virtual size is the image
 * size in whole sectors, which is what `qemu-img info` reports; the primary volume descriptor's own idea of the
 * size is kept as a detail.
 */
import { hasAscii, u16le, u32le, wholeSectors } from '../byte-fields.ts';
import type { FormatProbe, ProbeConclusion, RegionRequest } from '../format-probe.ts';

const SECTOR = 2048;
const FIRST = 16;
const LAST = 31;

export class IsoProbe implements FormatProbe {
  readonly name = 'iso';
  #matched = false;
  #details: Record<string, string | number> = {};

  examineHead(head: Uint8Array): RegionRequest[] {
    if (hasAscii(head, FIRST * SECTOR + 1, 'CD001')) {
      this.#matched = true;
      this.#details.iso_kind = 'iso9660';
      for (let s = FIRST; s <= LAST; s++) {
        const at = s * SECTOR;
        if (!hasAscii(head, at + 1, 'CD001') || head[at] === 255) break;
        if (head[at] !== 1) continue;
        const blockSize = u16le(head, at + 128);
        const blocks = u32le(head, at + 80);
        if (blockSize !== undefined && blocks !== undefined) this.#details.iso_volume_bytes = blockSize * blocks;
        break;
      }
      return [];
    }
    for (let s = FIRST; s <= LAST; s++) {
      if (hasAscii(head, s * SECTOR + 1, 'NSR02') || hasAscii(head, s * SECTOR + 1, 'NSR03')) {
        this.#matched = true;
        this.#details.iso_kind = 'udf';
        break;
      }
    }
    return [];
  }

  onRegion(): RegionRequest[] {
    return [];
  }

  wantsTail(): boolean {
    return false;
  }

  conclude(size: number): ProbeConclusion {
    return this.#matched
      ? { matched: true, virtualSize: wholeSectors(size), failures: [], details: this.#details }
      : { matched: false, failures: [] };
  }
}
