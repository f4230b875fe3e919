/**
 * The value types of image metadata (image-api.md §3.2 normalisation, §3.3 value types), shared
 * by the request checks, the list filters and the tests. Pure functions, no I/O.
 */
import { canonicalUuid } from '../identity/users.ts';

export { canonicalUuid };

/** The 32 ASCII punctuation characters; each becomes `_` in a normalised key. */
const PUNCTUATION = /[!-/:-@[-`{-~]/g;

/**
 * `normalize(s)` of §3.2: punctuation → `_`, everything else lower-cased (Unicode). This is how
 * Plankton's WSGI layer made `Disk-Format` and `disk_format` the same name.
 */
export const normalizeKey = (s: string): string => s.replace(PUNCTUATION, '_').toLowerCase();

/** Length in Unicode code points, the unit every limit of the spec counts in. */
export const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/**
 * Boolean fields (`is_public`, `protected`): `none` means "not given" (glanceclient sends
 * `is_public: None` on every create), a short list of words is true, anything else false.
 */
export function parseBoolean(raw: string): boolean | undefined {
  const v = raw.trim().toLowerCase();
  if (v === 'none') return undefined;
  return TRUE_WORDS.has(v);
}
const TRUE_WORDS = new Set(['true', '1', 'yes', 'on', 'y', 't']);

/** `^\s*\+?\d+\s*$` up to 2^53−1, else undefined (the caller picks the field's message). */
export function parseCount(raw: string): number | undefined {
  if (!/^\s*\+?\d+\s*$/.test(raw)) return undefined;
  const n = Number(raw.trim().replace(/^\+/, ''));
  return Number.isSafeInteger(n) ? n : undefined;
}

/** 32 hex digits (an MD5) or 64 (an object hash), lower-cased; anything else undefined. */
export function parseChecksum(raw: string): string | undefined {
  return /^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/.test(raw) ? raw.toLowerCase() : undefined;
}

export const isMd5 = (checksum: string): boolean => checksum.length === 32;

/**
 * No image text holds U+0000: PostgreSQL's `text` cannot store it (and refuses to compare with
 * it), so the rule is the same on every database. Names, property keys and values, tags.
 */
export const hasNul = (s: string): boolean => s.includes('\u0000');

/** The texts a new or changed image would store, any of them with a NUL: the first such, else undefined. */
export function textWithNul(texts: Iterable<string | null | undefined>): string | undefined {
  for (const t of texts) if (typeof t === 'string' && hasNul(t)) return t;
  return undefined;
}
