/**
 * VHDX (MS-VHDX): "vhdxfile" at 0; the region table at 192 KiB names the metadata region; its
 * table names the Virtual Disk Size item; that item is the virtual size (qemu takes it in
 * whole 512-byte sectors). Three regions are captured after the head, each bounded: the region
 * table (16 + 2047 × 32 bytes), the metadata table (64 KiB) and the 8-byte size.
 *
 * Every offset must point past the structure that names it (the spec requires it), so a stream
 * never has to go back, and an offset beyond the end of the image is a clear failure.
 */
import { bytesEqual, guidBytes, hasAscii, safeNumber, sectorFloor, u16le, u32le, u64le } from '../byte-fields.ts';
import type { SafetyFailure } from '../inspection-report.ts';
import {
  failure,
  type FormatProbe,
  type ProbeConclusion,
  type RegionEnd,
  type RegionRequest,
} from '../format-probe.ts';

const REGION_TABLE_AT = 192 * 1024;
const REGION_TABLE_BYTES = 64 * 1024;
const METADATA_TABLE_BYTES = 64 * 1024;
const MAX_ENTRIES = 2047;
const METADATA_REGION = guidBytes('8B7CA206-4790-4B9A-B8FE-575F050F886E');
const VIRTUAL_DISK_SIZE = guidBytes('2FA54224-CD1B-4876-B211-5DBED83BF4B8');

export class VhdxProbe implements FormatProbe {
  readonly name = 'vhdx';
  #matched = false;
  #metadataAt = 0;
  #virtualSize: number | null = null;
  #problem: SafetyFailure | undefined;

  examineHead(head: Uint8Array): RegionRequest[] {
    if (!hasAscii(head, 0, 'vhdxfile')) return [];
    this.#matched = true;
    return [{ key: 'regions', offset: REGION_TABLE_AT, length: REGION_TABLE_BYTES }];
  }

  onRegion(key: string, data: Uint8Array, end: RegionEnd): RegionRequest[] {
    if (end === 'passed') return this.#fail(`VHDX ${key} region lies before data already read`);
    if (key === 'regions') return this.#onRegionTable(data);
    if (key === 'metadata') return this.#onMetadataTable(data);
    const size = safeNumber(u64le(data, 0));
    if (size === undefined)
      return this.#fail(
        data.length < 8
          ? 'VHDX virtual disk size lies beyond the end of the image'
          : 'VHDX virtual disk size is beyond 2^53 bytes',
      );
    this.#virtualSize = sectorFloor(size);
    return [];
  }

  #onRegionTable(table: Uint8Array): RegionRequest[] {
    if (table.length < 16 || !hasAscii(table, 0, 'regi')) return this.#fail('VHDX region table missing or truncated');
    const count = u32le(table, 8)!;
    if (count > MAX_ENTRIES) return this.#fail(`VHDX region table has ${count} entries (limit ${MAX_ENTRIES})`);
    for (let i = 0; i < count; i++) {
      const entry = 16 + i * 32;
      if (entry + 32 > table.length) return this.#fail('VHDX region table truncated');
      if (!bytesEqual(table, entry, METADATA_REGION)) continue;
      const offset = safeNumber(u64le(table, entry + 16));
      if (offset === undefined || offset < REGION_TABLE_AT + REGION_TABLE_BYTES) {
        return this.#fail(`VHDX metadata region offset ${u64le(table, entry + 16)} is not after the region table`);
      }
      this.#metadataAt = offset;
      return [{ key: 'metadata', offset, length: METADATA_TABLE_BYTES }];
    }
    return this.#fail('VHDX region table has no metadata region');
  }

  #onMetadataTable(table: Uint8Array): RegionRequest[] {
    if (table.length < 32 || !hasAscii(table, 0, 'metadata'))
      return this.#fail('VHDX metadata table missing or beyond the end of the image');
    const count = u16le(table, 10)!;
    if (count > MAX_ENTRIES) return this.#fail(`VHDX metadata table has ${count} entries (limit ${MAX_ENTRIES})`);
    for (let i = 0; i < count; i++) {
      const entry = 32 + i * 32;
      if (entry + 32 > table.length) return this.#fail('VHDX metadata table truncated');
      if (!bytesEqual(table, entry, VIRTUAL_DISK_SIZE)) continue;
      const itemOffset = u32le(table, entry + 16)!;
      const itemLength = u32le(table, entry + 20)!;
      if (itemOffset < METADATA_TABLE_BYTES || itemLength < 8) {
        return this.#fail(
          `VHDX virtual disk size item at ${itemOffset} (length ${itemLength}) is not after the metadata table`,
        );
      }
      return [{ key: 'size', offset: this.#metadataAt + itemOffset, length: 8 }];
    }
    return this.#fail('VHDX metadata has no virtual disk size');
  }

  #fail(message: string): RegionRequest[] {
    this.#problem ??= failure('vhdx_header', message);
    return [];
  }

  wantsTail(): boolean {
    return false;
  }

  conclude(): ProbeConclusion {
    if (!this.#matched) return { matched: false, failures: [] };
    const failures = this.#problem
      ? [this.#problem]
      : this.#virtualSize === null
        ? [failure('vhdx_header', 'VHDX virtual disk size not found')]
        : [];
    return { matched: true, virtualSize: this.#problem ? null : this.#virtualSize, failures };
  }
}
