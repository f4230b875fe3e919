import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { badRequest } from '../../errors.ts';
import type { Policy } from '../../domain/objects/containers.ts';
import { lastHeader } from '../http/api-request.ts';
import { decodeHeaderText } from '../http/percent.ts';
import { PITHOS, type MetaLevel, type MetaRules } from './dialect.ts';

/**
 * Any request header value with an octet ≥ 0x80 is refused: Pithos clients must percent-encode
 * (object-store.md §1.3). Swift clients may also send raw UTF-8 (`utf8`), which Swift stores as
 * is: it is decoded like a percent-encoded value, and only octets that are not UTF-8 are refused.
 */
export function checkHeaderOctets(req: IncomingMessage, opts: { utf8?: boolean } = {}): void {
  const raw = req.rawHeaders;
  for (let i = 1; i < raw.length; i += 2) {
    // eslint-disable-next-line no-control-regex
    if (!/[^\u0000-\u007f]/.test(raw[i])) continue;
    if (!opts.utf8 || !isUtf8(Buffer.from(raw[i], 'latin1'))) throw badRequest('Bad character in headers.');
  }
}

/** Lenient percent-decoding then strict UTF-8 of a header the server interprets. */
export function decoded(value: string): string {
  const text = decodeHeaderText(value, false);
  if (text === undefined) throw badRequest('Bad character in headers.');
  return text;
}

/** The last value of a header, decoded, or undefined. */
export function decodedHeader(req: IncomingMessage, name: string): string | undefined {
  let value: string | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === name) value = raw[i + 1];
  return value === undefined ? undefined : decoded(value);
}

/** `foo_bar` / `FOO-bar` → `Foo-Bar` (object-store.md §1.3). */
export function normalizeMetaKey(key: string): string {
  return key
    .replace(/_/g, '-')
    .split('-')
    .map((w) => (w ? w[0].toUpperCase() + w.slice(1).toLowerCase() : w))
    .join('-');
}

/**
 * The `X-<Domain>-Meta-*` headers of a request as key → value (empty values kept: they delete on
 * merge), checked against the dialect's limits. With `removeHeaders`, `X-Remove-<Domain>-Meta-<key>`
 * is the key with an empty value.
 */
export function readMeta(
  req: IncomingMessage,
  domain: MetaLevel,
  rules: MetaRules = PITHOS.meta,
): Record<string, string> {
  const prefix = `x-${domain.toLowerCase()}-meta-`;
  const removePrefix = `x-remove-${domain.toLowerCase()}-meta-`;
  const meta: Record<string, string> = {};
  let count = 0;
  let overall = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const removal = rules.removeHeaders && name.startsWith(removePrefix);
    if (!removal && !name.startsWith(prefix)) continue;
    if (++count > rules.maxCount) throw badRequest(rules.messages.count);
    const key = normalizeMetaKey(decoded(raw[i].slice((removal ? removePrefix : prefix).length)));
    if (key === '') continue;
    const value = removal ? '' : decoded(raw[i + 1]).trim();
    if ([...key].length > rules.maxName) throw badRequest(rules.messages.name(raw[i]));
    if ([...value].length > rules.maxValue) throw badRequest(rules.messages.value(raw[i]));
    overall += Buffer.byteLength(key) + Buffer.byteLength(value);
    if (rules.maxOverall !== undefined && overall > rules.maxOverall) throw badRequest(rules.messages.overall);
    // A removal wins over a value given for the same key in the same request (Swift's rule).
    if (removal || meta[key] !== '' || !rules.removeHeaders) meta[key] = value;
  }
  return meta;
}

/** `X-Container-Policy-*` (object-store.md §5.1). */
export function readPolicy(req: IncomingMessage): Policy {
  const policy: { quota?: number; versioning?: 'auto' | 'none'; project?: string } = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (!name.startsWith('x-container-policy-')) continue;
    const key = name.slice('x-container-policy-'.length);
    const value = raw[i + 1].replace(/ /g, '');
    if (key === 'quota') {
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
        throw badRequest('The quota policy value should be a positive integer.');
      policy.quota = Number(value);
    } else if (key === 'versioning') {
      if (value !== 'auto' && value !== 'none')
        throw badRequest("The versioning policy value should be either 'auto' or 'none'.");
      policy.versioning = value;
    } else if (key === 'project') {
      if (value !== '') policy.project = decoded(value);
    } else {
      throw badRequest("The only allowed policies are 'quota' or 'versioning'.");
    }
  }
  return policy;
}

/** `X-Object-Public: true|false` → publish / unpublish; absent → undefined (object-store.md §8.3). */
export function readPublic(req: IncomingMessage): boolean | undefined {
  const v = decodedHeader(req, 'x-object-public');
  if (v === undefined) return undefined;
  const s = v.replace(/ /g, '').toLowerCase();
  if (s === 'true') return true;
  if (s === 'false' || s === '') return false;
  throw badRequest('Bad X-Object-Public header value');
}

/** `Content-Type` of a content write: ASCII only; absent or empty → undefined (the caller's default). */
export function readContentType(req: IncomingMessage): string | undefined {
  const ct = lastHeader(req, 'content-type'); // Node keeps the first of repeated ones; the last wins here
  if (ct === undefined || ct.trim() === '') return undefined; // empty = not sent
  // eslint-disable-next-line no-control-regex
  if (/[^\u0020-\u007e]/.test(ct)) throw badRequest('Bad characters in Content-Type.');
  return ct;
}

/** Media type of the (last) Content-Type, lower-cased without parameters, or undefined. */
export function contentMediaType(req: IncomingMessage): string | undefined {
  return lastHeader(req, 'content-type')?.split(';')[0].trim().toLowerCase();
}

/** Any of `X-<Domain>-Group-*`, `X-Object-Manifest`… present? */
export const hasHeader = (req: IncomingMessage, name: string): boolean => req.headers[name] !== undefined;
export const hasHeaderPrefix = (req: IncomingMessage, prefix: string): boolean =>
  Object.keys(req.headers).some((k) => k.startsWith(prefix));
