/**
 * Percent-encoding as the three protocols use it. Header values reach Node as latin1 strings:
 * `octets(value)` recovers the bytes the client sent.
 */
const HEX = '0123456789ABCDEF';
const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

export const octets = (latin1: string): Buffer => Buffer.from(latin1, 'latin1');

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** `%XX` → octet; with `strict`, a `%` not followed by two hex digits makes it fail (undefined). `+` stays. */
export function percentDecode(input: Buffer, strict: boolean): Buffer | undefined {
  if (!input.includes(0x25)) return input;
  const out = Buffer.allocUnsafe(input.length);
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c === 0x25 && i + 2 < input.length && isHex(input[i + 1]) && isHex(input[i + 2])) {
      out[n++] = parseInt(String.fromCharCode(input[i + 1], input[i + 2]), 16);
      i += 2;
    } else if (c === 0x25 && strict) {
      return undefined;
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

/** Strict UTF-8 decoding; undefined for invalid input. */
export function utf8(input: Buffer): string | undefined {
  try {
    return utf8Fatal.decode(input);
  } catch {
    return undefined;
  }
}

/** Percent-decode then UTF-8-decode a latin1 header value; undefined when either step fails. */
export function decodeHeaderText(latin1: string, strict: boolean): string | undefined {
  const bytes = percentDecode(octets(latin1), strict);
  return bytes && utf8(bytes);
}

function makeEncoder(safe: string): (s: string) => string {
  const keep = new Uint8Array(256);
  for (const ch of `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${safe}`) keep[ch.charCodeAt(0)] = 1;
  // Most values (ids, names of images and objects) need no escape: answer them as they are,
  // without a byte copy and a string built character by character (list pages render hundreds).
  const allSafe = new RegExp(`^[A-Za-z0-9${safe.replace(/[\\\]^-]/g, '\\$&')}]*$`);
  return (s: string) => {
    if (allSafe.test(s)) return s;
    const bytes = Buffer.from(s, 'utf8');
    let out = '';
    for (const b of bytes) out += keep[b] ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
    return out;
  };
}

/** Object-store response header values (object-store.md §1.4). */
export const encodeHeaderValue = makeEncoder('_.-/=,:@;"+ ');
/** Meta header names (object-store.md §1.4) and image API values `q(s)` (image-api.md §3.4). */
export const quote = makeEncoder('_.-/');

/** Form decoding of a raw query string: `+` is a space, `%XX` decoded leniently; the last value of a key wins. */
export function parseQuery(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!raw) return out;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    out.set(formDecode(k), formDecode(v));
  }
  return out;
}

function formDecode(s: string): string {
  const bytes = percentDecode(Buffer.from(s.replace(/\+/g, ' '), 'latin1'), false)!;
  return new TextDecoder('utf-8').decode(bytes);
}
