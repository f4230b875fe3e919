/**
 * Reading fixed-width fields out of captured header bytes. Every reader returns undefined when
 * the field lies (partly) outside the bytes, so a truncated header is a value the probes test
 * for, never an exception. 64-bit fields come back as bigint; `safeNumber` narrows them.
 */

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const fits = (b: Uint8Array, at: number, width: number) => at >= 0 && at + width <= b.length;

export const u8 = (b: Uint8Array, at: number): number | undefined => (fits(b, at, 1) ? b[at] : undefined);
export const u16le = (b: Uint8Array, at: number) => (fits(b, at, 2) ? view(b).getUint16(at, true) : undefined);
export const u16be = (b: Uint8Array, at: number) => (fits(b, at, 2) ? view(b).getUint16(at, false) : undefined);
export const u32le = (b: Uint8Array, at: number) => (fits(b, at, 4) ? view(b).getUint32(at, true) : undefined);
export const u32be = (b: Uint8Array, at: number) => (fits(b, at, 4) ? view(b).getUint32(at, false) : undefined);
export const u64le = (b: Uint8Array, at: number) => (fits(b, at, 8) ? view(b).getBigUint64(at, true) : undefined);
export const u64be = (b: Uint8Array, at: number) => (fits(b, at, 8) ? view(b).getBigUint64(at, false) : undefined);

/** A bigint as a JS number when exactly representable (≤ 2^53 − 1), else undefined. */
export function safeNumber(v: bigint | undefined): number | undefined {
  return v !== undefined && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
}

/** True when `b` holds exactly these ASCII bytes at `at`. */
export function hasAscii(b: Uint8Array, at: number, text: string): boolean {
  if (!fits(b, at, text.length)) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

export function bytesEqual(b: Uint8Array, at: number, expected: Uint8Array): boolean {
  if (!fits(b, at, expected.length)) return false;
  for (let i = 0; i < expected.length; i++) if (b[at + i] !== expected[i]) return false;
  return true;
}

/**
 * A GUID in the mixed-endian byte order Microsoft formats store on disk (first three groups
 * little-endian, the rest as written).
 */
export function guidBytes(guid: string): Uint8Array {
  const hex = guid.replace(/-/g, '');
  const raw = Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  return Uint8Array.from(order.map((i) => raw[i]));
}

/** Text from untrusted bytes for a message: printable ASCII only, at most `max` characters. */
export function printable(b: Uint8Array, max = 64): string {
  let s = '';
  for (let i = 0; i < b.length && s.length < max; i++) {
    const c = b[i];
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return b.length > max ? `${s}…` : s;
}

export const sectorFloor = (n: number) => n - (n % 512);

/** qemu presents a raw file as a disk of whole 512-byte sectors (the last one zero-padded). */
export const wholeSectors = (n: number) => Math.ceil(n / 512) * 512;
