/**
 * qcow2 (qemu docs/interop/qcow2.txt). Everything needed is in the first cluster, which the head
 * holds (capped at HEAD_BYTES): the big-endian header, the header extensions that follow it,
 * and usually the backing file name.
 *
 * Unsafe: a backing file (qemu would open that path on the host), an external data file
 * (incompatible bit 2, or its header extension), any incompatible feature bit from 4 up (qemu
 * versions we do not know of could give it host-file meaning — Glance's rule), versions other
 * than 2 and 3, and headers qemu itself would refuse (cluster bits outside 9..21).
 */
import { hasAscii, printable, safeNumber, sectorFloor, u32be, u64be } from '../byte-fields.ts';
import type { SafetyFailure } from '../inspection-report.ts';
import { failure, HEAD_BYTES, type FormatProbe, type ProbeConclusion, type RegionRequest } from '../format-probe.ts';

const V2_HEADER = 72;
const V3_HEADER = 104;
const DATA_FILE_BIT = 2n;
const FIRST_UNKNOWN_BIT = 4n;
const EXT_END = 0x00000000;
const EXT_DATA_FILE = 0x44415441;

export class Qcow2Probe implements FormatProbe {
  readonly name = 'qcow2';
  #conclusion: ProbeConclusion = { matched: false, failures: [] };

  examineHead(head: Uint8Array): RegionRequest[] {
    if (hasAscii(head, 0, 'QFI\xfb')) this.#conclusion = examine(head);
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

function examine(head: Uint8Array): ProbeConclusion {
  const failures: SafetyFailure[] = [];
  const details: Record<string, number> = {};
  const matched = (virtualSize: number | null): ProbeConclusion => ({ matched: true, virtualSize, failures, details });

  if (head.length < V2_HEADER) {
    failures.push(failure('qcow2_header', `qcow2 header truncated: ${head.length} of ${V2_HEADER} bytes`));
    return matched(null);
  }
  const version = u32be(head, 4)!;
  details.qcow2_version = version;
  if (version !== 2 && version !== 3) {
    failures.push(failure('qcow2_version', `qcow2 version ${version} is not 2 or 3`));
    return matched(null);
  }

  const backingOffset = u64be(head, 8)!;
  if (backingOffset !== 0n) {
    const len = Math.min(u32be(head, 16)!, 1023);
    const at = safeNumber(backingOffset);
    const name = at !== undefined && at + len <= head.length ? ` "${printable(head.subarray(at, at + len))}"` : '';
    failures.push(failure('backing_file', `qcow2 image has a backing file${name}`));
  }

  const clusterBits = u32be(head, 20)!;
  if (clusterBits < 9 || clusterBits > 21) {
    failures.push(failure('qcow2_header', `qcow2 cluster_bits ${clusterBits} outside 9..21`));
  }
  const clusterSize = clusterBits >= 9 && clusterBits <= 21 ? 2 ** clusterBits : head.length;

  const size = safeNumber(u64be(head, 24));
  if (size === undefined) failures.push(failure('qcow2_header', 'qcow2 virtual size is beyond 2^53 bytes'));

  let extensionsAt = V2_HEADER;
  if (version === 3) {
    if (head.length < V3_HEADER) {
      failures.push(failure('qcow2_header', `qcow2 v3 header truncated: ${head.length} of ${V3_HEADER} bytes`));
      return matched(null);
    }
    const incompatible = u64be(head, 72)!;
    if ((incompatible >> DATA_FILE_BIT) & 1n)
      failures.push(failure('data_file', 'qcow2 image uses an external data file'));
    const unknown = incompatible >> FIRST_UNKNOWN_BIT;
    if (unknown !== 0n) {
      const bits: number[] = [];
      for (let bit = 0; bit < 60; bit++) if ((unknown >> BigInt(bit)) & 1n) bits.push(bit + Number(FIRST_UNKNOWN_BIT));
      failures.push(
        failure('unknown_features', `qcow2 image has unknown incompatible feature bits ${bits.join(', ')}`),
      );
    }
    const headerLength = u32be(head, 100)!;
    if (headerLength < V3_HEADER || headerLength > clusterSize) {
      failures.push(
        failure('qcow2_header', `qcow2 header_length ${headerLength} outside ${V3_HEADER}..${clusterSize}`),
      );
      return matched(size === undefined ? null : sectorFloor(size));
    }
    extensionsAt = headerLength;
  }

  failures.push(...walkExtensions(head, extensionsAt, clusterSize, backingOffset));
  return matched(size === undefined ? null : sectorFloor(size));
}

/**
 * Header extensions run from the header's end to an end marker, within the first cluster and
 * before the backing file name (qemu stops there). Only the data-file extension matters here;
 * an extension list that never ends, or runs past what we hold, cannot be vouched for.
 */
function walkExtensions(head: Uint8Array, start: number, clusterSize: number, backingOffset: bigint): SafetyFailure[] {
  const backingAt = backingOffset !== 0n ? (safeNumber(backingOffset) ?? clusterSize) : clusterSize;
  const limit = Math.min(clusterSize, backingAt);
  let at = start;
  while (true) {
    if (at + 8 > limit)
      return [failure('qcow2_header', 'qcow2 header extensions have no end marker within the first cluster')];
    if (at + 8 > head.length) {
      return [
        failure(
          'qcow2_header',
          head.length < HEAD_BYTES
            ? 'qcow2 header extensions truncated'
            : `qcow2 header extensions continue past the first ${head.length} bytes, which is all that is inspected`,
        ),
      ];
    }
    const type = u32be(head, at)!;
    const length = u32be(head, at + 4)!;
    if (type === EXT_END) return [];
    if (type === EXT_DATA_FILE) {
      const name = at + 8 + length <= head.length ? ` "${printable(head.subarray(at + 8, at + 8 + length))}"` : '';
      return [failure('data_file', `qcow2 image names an external data file${name}`)];
    }
    at += 8 + Math.ceil(length / 8) * 8;
  }
}
