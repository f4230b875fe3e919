/**
 * Signed requests on the object store (Swift's TempURL and FormPost): the keys an account or a
 * container holds in its meta, the signature forms a client may send, and the one comparison of a
 * signature against every key. Protocol-neutral: the Swift adapter builds the signed message.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The HMAC digests a signature may use (Swift's `allowed_digests`; `sha1` is deprecated there). */
export const SIGNATURE_DIGESTS = ['sha1', 'sha256', 'sha512'] as const;
export type SignatureDigest = (typeof SIGNATURE_DIGESTS)[number];
export const DEPRECATED_DIGESTS: readonly SignatureDigest[] = ['sha1'];

/** Meta keys (as stored: `Temp-Url-Key`, `Temp-Url-Key-2`) that hold signing keys. */
const KEY_NAMES = new Set(['temp-url-key', 'temp-url-key-2']);

/** The signing keys among an account's or a container's meta (0 to 2). */
export function signingKeys(meta: Readonly<Record<string, string>>): string[] {
  return Object.entries(meta)
    .filter(([k, v]) => KEY_NAMES.has(k.toLowerCase()) && v !== '')
    .map(([, v]) => v);
}

/** True when the meta key is a signing key (hidden from whoever may not write its holder). */
export const isSigningKeyName = (metaKey: string): boolean => KEY_NAMES.has(metaKey.toLowerCase());

const HEX_LENGTHS: Record<number, SignatureDigest> = { 40: 'sha1', 64: 'sha256', 128: 'sha512' };
const DIGEST_BYTES: Record<SignatureDigest, number> = { sha1: 20, sha256: 32, sha512: 64 };

/**
 * A signature as a client sends it: lower- or upper-case hex (the digest told by its length), or
 * `<digest>:<base64>` (standard or URL-safe alphabet, padding optional). Undefined when malformed
 * or of a digest not allowed.
 */
export function parseSignature(value: string): { digest: SignatureDigest; bytes: Buffer } | undefined {
  const colon = value.indexOf(':');
  if (colon < 0) {
    const digest = HEX_LENGTHS[value.length];
    if (!digest || !/^[0-9a-fA-F]+$/.test(value)) return undefined;
    return { digest, bytes: Buffer.from(value, 'hex') };
  }
  const name = value.slice(0, colon);
  if (!(SIGNATURE_DIGESTS as readonly string[]).includes(name)) return undefined;
  const digest = name as SignatureDigest;
  const b64 = value.slice(colon + 1).replace(/=+$/, '');
  const standard = b64.replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*$/.test(standard) || (/[-_]/.test(b64) && /[+/]/.test(b64))) return undefined;
  const bytes = Buffer.from(standard, 'base64');
  if (bytes.length !== DIGEST_BYTES[digest]) return undefined;
  return { digest, bytes };
}

/**
 * Does the signature match the HMAC of one of the messages under one of the keys? Every pair is
 * computed and compared in constant time, so the time taken says nothing about which part of a
 * forged signature was right. Returns the index of the matching key, or -1.
 */
export function matchingKey(
  signature: { digest: SignatureDigest; bytes: Buffer },
  keys: readonly string[],
  messages: readonly string[],
): number {
  let found = -1;
  keys.forEach((key, i) => {
    for (const message of messages) {
      const expected = createHmac(signature.digest, Buffer.from(key, 'utf8')).update(message, 'utf8').digest();
      if (expected.length === signature.bytes.length && timingSafeEqual(expected, signature.bytes) && found < 0)
        found = i;
    }
  });
  return found;
}
