/**
 * Query parameters of the image lists (image-api.md §5.2), checked in the spec's order. Unknown
 * parameters are ignored; the query map already keeps the last value of a repeated one.
 */
import { badRequest } from '../../../errors.ts';
import { SORT_KEYS, type ImageListQuery, type SortKey } from '../../../domain/images/image-list-query.ts';
import { canonicalUuid, normalizeKey } from '../../../domain/images/image-values.ts';
import { parseIsoMicros as parseIsoTime } from '../../../domain/time.ts';

const PROPERTY_PREFIX = 'property-';

export function parseListParameters(q: ReadonlyMap<string, string>): ImageListQuery {
  const sortKey = q.get('sort_key') ?? 'created_at';
  if (!(SORT_KEYS as readonly string[]).includes(sortKey)) throw badRequest("Invalid 'sort_key'");
  const sortDir = q.get('sort_dir') ?? 'desc';
  if (sortDir !== 'asc' && sortDir !== 'desc') throw badRequest("Invalid 'sort_dir'");

  const sizeMax = integerFilter(q.get('size_max'));
  const sizeMin = integerFilter(q.get('size_min'));
  const minRam = integerFilter(q.get('min_ram'));
  const minDisk = integerFilter(q.get('min_disk'));

  const isPublicText = q.get('is_public')?.toLowerCase();
  if (isPublicText !== undefined && !['true', '1', 'false', '0', 'none'].includes(isPublicText)) {
    throw badRequest('is_public must be None, True, or False');
  }
  const protectedText = q.get('protected')?.toLowerCase();
  if (protectedText !== undefined && !['true', '1', 'false', '0'].includes(protectedText)) {
    throw badRequest('protected must be True, or False');
  }
  const changesText = q.get('changes-since');
  const changesSince = changesText === undefined ? undefined : parseIsoMicros(changesText);
  if (changesSince === null) throw badRequest('Unrecognized changes-since value');

  const limitText = q.get('limit');
  let limit: number | undefined;
  if (limitText !== undefined) {
    const n = /^[+-]?\d+$/.test(limitText) ? Number(limitText) : NaN;
    if (!Number.isSafeInteger(n)) throw badRequest('limit param must be an integer');
    if (n < 0) throw badRequest('limit param must be positive');
    limit = n;
  }
  const markerText = q.get('marker');
  const marker = markerText === undefined ? undefined : canonicalUuid(markerText);
  if (markerText !== undefined && marker === undefined) throw badRequest('Invalid marker format');

  const properties: Record<string, string> = {};
  for (const [k, v] of q)
    if (k.startsWith(PROPERTY_PREFIX)) properties[normalizeKey(k.slice(PROPERTY_PREFIX.length))] = v;

  const text = (name: string) => q.get(name);
  return {
    sortKey: sortKey as SortKey,
    sortDir,
    publicNone: isPublicText === 'none',
    ...(isPublicText !== undefined && isPublicText !== 'none'
      ? { isPublic: isPublicText === 'true' || isPublicText === '1' }
      : {}),
    ...(protectedText !== undefined ? { protected: protectedText === 'true' || protectedText === '1' } : {}),
    ...defined({ sizeMax, sizeMin, minRam, minDisk, changesSince, limit, marker }),
    ...defined({
      name: text('name'),
      diskFormat: text('disk_format'),
      containerFormat: text('container_format'),
      status: text('status')?.toLowerCase(),
    }),
    properties,
  };
}

/** `size_max` and friends: Python's `int()` rules (sign and surrounding blanks allowed, empty is not). */
function integerFilter(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\s*[+-]?\d+\s*$/.test(raw) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n)) throw badRequest('Malformed request.');
  return n;
}

/** `changes-since`: the strict ISO 8601 forms (src/domain/time.ts). */
export const parseIsoMicros = (text: string): number | null => parseIsoTime(text, 'strict');

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
