/**
 * The VMDK text descriptor, parsed cautiously: every line must be a comment, a `ddb.*` line, a
 * `key=value` header field or an extent line; anything else makes the image unsafe. Extents are
 * where VMDK gets dangerous: a name with a `/` (or, in a descriptor-only file, any name) makes
 * qemu open another file on the host.
 */
import type { SafetyFailure } from '../inspection-report.ts';
import { failure } from '../format-probe.ts';

/** Glance's `vmdk_allowed_types` default. */
export const ALLOWED_CREATE_TYPES = ['monolithicSparse', 'streamOptimized'];
/** Both allowed create types keep their data in one SPARSE extent: the file itself. */
export const ALLOWED_EXTENT_TYPES = ['SPARSE'];

const EXTENT = /^(rw|rdonly|noaccess)\s+(\d+)\s+([a-z]+)(?:\s+"([^"]*)"(?:\s+\d+)?)?$/i;

export interface ParsedDescriptor {
  readonly createType: string | undefined;
  /** Sum of the extents' sizes in bytes (qemu's virtual size for a descriptor-only file). */
  readonly extentBytes: number;
  readonly failures: readonly SafetyFailure[];
}

export function parseDescriptor(bytes: Uint8Array): ParsedDescriptor {
  const failures: SafetyFailure[] = [];
  // qemu reads the descriptor as a C string: it ends at the first NUL (sector padding).
  const nul = bytes.indexOf(0);
  const text = bytes.subarray(0, nul < 0 ? bytes.length : nul);
  for (const c of text) {
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c > 0x7e) {
      return {
        createType: undefined,
        extentBytes: 0,
        failures: [failure('vmdk_descriptor', 'VMDK descriptor is not ASCII text')],
      };
    }
  }
  let createType: string | undefined;
  let extents = 0;
  let extentBytes = 0;
  for (const raw of Buffer.from(text).toString('latin1').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.toLowerCase().startsWith('ddb')) continue;
    const field = /^([^\s=]+)\s*=\s*(.*)$/.exec(line);
    if (field) {
      if (field[1].toLowerCase() === 'createtype') createType = field[2].replace(/^"(.*)"$/, '$1');
      continue;
    }
    if (!/^(rw|rdonly|noaccess)\s/i.test(line)) {
      failures.push(failure('vmdk_descriptor', `VMDK descriptor has an unexpected line "${clip(line)}"`));
      continue;
    }
    extents++;
    if (line.includes('/')) failures.push(failure('vmdk_extent_path', `VMDK extent names a path: "${clip(line)}"`));
    const m = EXTENT.exec(line);
    if (!m) {
      failures.push(failure('vmdk_descriptor', `VMDK extent line not understood: "${clip(line)}"`));
      continue;
    }
    if (!ALLOWED_EXTENT_TYPES.includes(m[3].toUpperCase())) {
      failures.push(
        failure(
          'vmdk_extent_type',
          `VMDK extent type ${m[3]} is not allowed (only ${ALLOWED_EXTENT_TYPES.join(', ')})`,
        ),
      );
    }
    extentBytes += Number(m[2]) * 512;
  }
  if (extents === 0) failures.push(failure('vmdk_no_extents', 'VMDK descriptor has no extents'));
  if (createType === undefined || !ALLOWED_CREATE_TYPES.includes(createType)) {
    failures.push(
      failure(
        'vmdk_create_type',
        `VMDK create type ${createType === undefined ? '(none)' : `"${clip(createType)}"`} is not allowed (only ${ALLOWED_CREATE_TYPES.join(', ')})`,
      ),
    );
  }
  return { createType, extentBytes, failures };
}

const clip = (s: string) => (s.length > 80 ? `${s.slice(0, 80)}…` : s);

/**
 * qemu's test for a descriptor-only VMDK: after blank and comment lines, within the first 512
 * bytes, a line `version=1`, `2` or `3`.
 */
export function looksLikeDescriptorFile(head: Uint8Array): boolean {
  const limit = Math.min(head.length, 512);
  let at = 0;
  while (at < limit) {
    const c = head[at];
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      at++;
    } else if (c === 0x23) {
      while (at < limit && head[at] !== 0x0a) at++;
    } else {
      break;
    }
  }
  const prefix = 'version=';
  for (let i = 0; i < prefix.length; i++) if (head[at + i] !== prefix.charCodeAt(i)) return false;
  const digit = head[at + prefix.length];
  const next = head[at + prefix.length + 1];
  return at + prefix.length + 1 < limit && digit >= 0x31 && digit <= 0x33 && (next === 0x0a || next === 0x0d);
}
