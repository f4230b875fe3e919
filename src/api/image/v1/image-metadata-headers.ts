/**
 * Image metadata from request headers (image-api.md §3.2, §3.5). Node hands header values over
 * as latin1 strings and joins repeated headers, so everything here works on `rawHeaders` and on
 * the octets the client sent. Decoding is strict: malformed percent-encoding is bad input.
 */
import { badRequest } from '../../../errors.ts';
import type { ImageMetaInput } from './request-checks.ts';
import type { ObjectPath } from '../../../domain/images/image-model.ts';
import { normalizeKey } from '../../../domain/images/image-values.ts';
import { decodeHeaderText, quote } from '../../http/percent.ts';

const PROPERTY_PREFIX = 'x-image-meta-property-';
const FIELD_PREFIX = 'x-image-meta-';

export interface ImageRequestHeaders extends ImageMetaInput {
  /** `x-glance-registry-purge-props: true` (any case). */
  readonly purgeProps: boolean;
}

export const undecodable = () => badRequest('Could not decode request as UTF-8 string');

/**
 * Builds `fields` and `properties` from the raw headers, in order, a later header winning.
 * A decoding failure anywhere throws here: it comes before every other metadata check.
 */
export function readImageHeaders(rawHeaders: readonly string[]): ImageRequestHeaders {
  const fields = new Map<string, string>();
  const properties = new Map<string, string>();
  let emptyPropertyKey = false;
  let copyFrom = false;
  let purgeProps = false;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    // WSGI made `Disk-Format` and `Disk_format` one variable; so do we.
    const n = rawHeaders[i].toLowerCase().replace(/_/g, '-');
    const value = rawHeaders[i + 1];
    if (n.startsWith(PROPERTY_PREFIX)) {
      const key = decodeHeaderText(n.slice(PROPERTY_PREFIX.length), true);
      const text = decodeHeaderText(value, true);
      if (key === undefined || text === undefined) throw undecodable();
      const normalized = normalizeKey(key);
      if (normalized === '') emptyPropertyKey = true;
      else properties.set(normalized, text);
    } else if (n.startsWith(FIELD_PREFIX)) {
      const field = normalizeKey(n.slice(FIELD_PREFIX.length));
      if (field === 'name') {
        const text = decodeHeaderText(value, true);
        if (text === undefined) throw undecodable();
        fields.set(field, text);
      } else {
        fields.set(field, value);
      }
    } else if (n === 'x-glance-api-copy-from') {
      copyFrom = true;
    } else if (n === 'x-glance-registry-purge-props') {
      purgeProps = value.trim().toLowerCase() === 'true';
    }
  }
  const location = fields.get('location');
  return {
    fields,
    properties,
    emptyPropertyKey,
    copyFrom,
    purgeProps,
    ...(location !== undefined ? { locationPath: parseLocation(location) } : {}),
  };
}

/**
 * `pithos://<account>/<container>/<object>` (§3.5), each part percent-decoded; the object keeps
 * its inner slashes. Undefined when it does not parse: the caller reports it in its turn.
 */
export function parseLocation(raw: string): ObjectPath | undefined {
  const parts: string[] = [];
  let rest = raw;
  // split('/', 5) in JavaScript drops the remainder; the object part must keep it.
  while (parts.length < 4) {
    const slash = rest.indexOf('/');
    if (slash < 0) break;
    parts.push(rest.slice(0, slash));
    rest = rest.slice(slash + 1);
  }
  parts.push(rest);
  if (parts.length !== 5 || parts[0] !== 'pithos:' || parts[1] !== '') return undefined;
  const [account, container, name] = parts.slice(2).map((p) => (p === '' ? undefined : decodeHeaderText(p, true)));
  if (!account || !container || !name) return undefined;
  return { account, container, name };
}

/** The location clients see: every component quoted with `q`, inner slashes of the object kept. */
export const renderLocation = (p: ObjectPath): string =>
  `pithos://${quote(p.account)}/${quote(p.container)}/${quote(p.name)}`;
