/**
 * GPT: a protective MBR (0x55AA at 510) and "EFI PART" at LBA 1 (512-byte or 4 KiB sectors).
 * A GPT disk is raw content; the signature only matters when it overlaps another format's:
 * bootable hybrid ISOs carry one (accepted as iso), a qcow2 carrying one is ambiguous.
 */
import { hasAscii, u8 } from '../byte-fields.ts';
import type { FormatProbe, ProbeConclusion, RegionRequest } from '../format-probe.ts';

export class GptProbe implements FormatProbe {
  readonly name = 'gpt';
  #matched = false;

  examineHead(head: Uint8Array): RegionRequest[] {
    const bootSignature = u8(head, 510) === 0x55 && u8(head, 511) === 0xaa;
    this.#matched = bootSignature && (hasAscii(head, 512, 'EFI PART') || hasAscii(head, 4096, 'EFI PART'));
    return [];
  }

  onRegion(): RegionRequest[] {
    return [];
  }

  wantsTail(): boolean {
    return false;
  }

  conclude(): ProbeConclusion {
    return { matched: this.#matched, failures: [] };
  }
}
