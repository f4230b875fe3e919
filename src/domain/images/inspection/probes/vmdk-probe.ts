/**
 * VMDK. Two shapes:
 * - sparse (monolithicSparse, streamOptimized): a little-endian "KDMV" header, the text
 *   descriptor at sector 1 (capped at 1 MiB: bigger is refused, qemu truncates it), the virtual
 *   size as capacity × 512. A header whose grain directory is "at the end" (VMware's
 *   streamOptimized) defers to the footer copy in the last 1536 bytes, as qemu does. A header
 *   with capacity 0 makes qemu treat the embedded descriptor as a descriptor file: refused.
 * - descriptor-only text files: always unsafe (every extent is another file), still parsed so
 *   the report says what they point at.
 */
import { hasAscii, safeNumber, u32le, u64le } from '../byte-fields.ts';
import type { SafetyFailure } from '../inspection-report.ts';
import {
  failure,
  MAX_REGION_BYTES,
  TAIL_BYTES,
  type FormatProbe,
  type ProbeConclusion,
  type RegionEnd,
  type RegionRequest,
} from '../format-probe.ts';
import { looksLikeDescriptorFile, parseDescriptor } from './vmdk-descriptor.ts';

const GD_AT_END = 0xffffffffffffffffn;
const FOOTER_MARKER = 3;

type Shape = 'none' | 'sparse' | 'descriptor-file';

export class VmdkProbe implements FormatProbe {
  readonly name = 'vmdk';
  #shape: Shape = 'none';
  #header: Uint8Array | undefined;
  #failures: SafetyFailure[] = [];
  #descriptor: Uint8Array | undefined;
  #descriptorComplete = false;

  examineHead(head: Uint8Array): RegionRequest[] {
    if (hasAscii(head, 0, 'KDMV')) {
      this.#shape = 'sparse';
      return this.#sparseHeader(head);
    }
    if (looksLikeDescriptorFile(head)) {
      this.#shape = 'descriptor-file';
      return [{ key: 'descriptor', offset: 0, length: MAX_REGION_BYTES }];
    }
    return [];
  }

  #sparseHeader(head: Uint8Array): RegionRequest[] {
    if (head.length < 77) return this.#fail('vmdk_header', `VMDK header truncated: ${head.length} of 77 bytes`);
    this.#header = head.slice(0, 77);
    const version = u32le(head, 4)!;
    if (version < 1 || version > 3) this.#fail('vmdk_header', `VMDK version ${version} is not 1, 2 or 3`);
    // qemu then ignores this file's grains and opens the descriptor's extents as other files.
    if (u64le(head, 12) === 0n)
      this.#fail('vmdk_descriptor_file', "VMDK capacity 0: its descriptor's extents would be opened as other files");
    const descSector = u64le(head, 28)!;
    const descSectors = u64le(head, 36)!;
    if (descSector === 0n && descSectors === 0n)
      return this.#fail('vmdk_no_extents', 'VMDK has no embedded descriptor');
    if (descSector !== 1n) return this.#fail('vmdk_descriptor', `VMDK descriptor at sector ${descSector}, not 1`);
    if (descSectors * 512n > BigInt(MAX_REGION_BYTES)) {
      return this.#fail(
        'vmdk_descriptor',
        `VMDK descriptor of ${descSectors} sectors is over the ${MAX_REGION_BYTES}-byte limit`,
      );
    }
    if (descSectors === 0n) return this.#fail('vmdk_descriptor', 'VMDK descriptor is empty');
    return [{ key: 'descriptor', offset: 512, length: Number(descSectors) * 512 }];
  }

  onRegion(_key: string, data: Uint8Array, end: RegionEnd): RegionRequest[] {
    this.#descriptor = data;
    this.#descriptorComplete = end === 'complete';
    return [];
  }

  wantsTail(): boolean {
    return this.#header !== undefined && u64le(this.#header, 56) === GD_AT_END;
  }

  conclude(size: number, tail: Uint8Array): ProbeConclusion {
    if (this.#shape === 'none') return { matched: false, failures: [] };
    const failures = [...this.#failures];
    const details: Record<string, string> = {};
    let virtualSize: number | null = null;

    if (this.#descriptor !== undefined) {
      if (this.#shape === 'sparse' && !this.#descriptorComplete) {
        failures.push(failure('vmdk_descriptor', 'VMDK descriptor lies beyond the end of the image'));
      } else if (this.#shape === 'descriptor-file' && size > MAX_REGION_BYTES) {
        failures.push(
          failure(
            'vmdk_descriptor',
            `VMDK descriptor file of ${size} bytes is over the ${MAX_REGION_BYTES}-byte limit`,
          ),
        );
      } else {
        const parsed = parseDescriptor(this.#descriptor);
        failures.push(...parsed.failures);
        if (parsed.createType !== undefined) details.vmdk_create_type = parsed.createType.slice(0, 64);
        if (this.#shape === 'descriptor-file') {
          virtualSize = parsed.extentBytes;
          failures.push(failure('vmdk_descriptor_file', 'descriptor-only VMDK: its extents are other files'));
        }
      }
    }
    if (this.#shape === 'sparse' && this.#header !== undefined) {
      const header = u64le(this.#header, 56) === GD_AT_END ? footerHeader(size, tail, failures) : this.#header;
      if (header !== undefined) {
        const capacity = safeNumber(u64le(header, 12));
        if (capacity === undefined || capacity > Number.MAX_SAFE_INTEGER / 512)
          failures.push(failure('vmdk_header', 'VMDK capacity is beyond 2^53 bytes'));
        else virtualSize = capacity * 512;
      }
    }
    return { matched: true, virtualSize, failures, details };
  }

  #fail(check: string, message: string): RegionRequest[] {
    this.#failures.push(failure(check, message));
    return [];
  }
}

/** The footer's header copy (marker sector, then "KDMV" + header, then end-of-stream marker). */
function footerHeader(size: number, tail: Uint8Array, failures: SafetyFailure[]): Uint8Array | undefined {
  const ok =
    size >= TAIL_BYTES &&
    tail.length === TAIL_BYTES &&
    u32le(tail, 12) === FOOTER_MARKER &&
    hasAscii(tail, 512, 'KDMV');
  if (!ok) {
    failures.push(failure('vmdk_header', 'VMDK header says the grain directory is at the end, but there is no footer'));
    return undefined;
  }
  const header = tail.subarray(512, 1024);
  if (u64le(header, 56) === GD_AT_END) {
    failures.push(failure('vmdk_header', 'VMDK footer also puts the grain directory at the end'));
    return undefined;
  }
  return header;
}
