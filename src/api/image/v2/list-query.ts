/**
 * The query of `GET /v2/images` (openstack.md §4.3), parsed into a protocol-neutral filter the
 * domain's list query takes. Every check answers Glance's 400 message; the order of the checks is
 * Glance's (request deserializer, then controller, then database layer), so the first error a
 * client sees is the one Glance would show.
 *
 * The query is form-encoded (`+` is a space) and keys may repeat (`tag`, `sort_key`, `sort_dir`);
 * for single-valued keys the last value wins.
 */
import { v2Error } from './faults.ts';
import type { ImageCatalogQuery, MatchFilter, TimeFilter } from '../../../domain/images/image-list-query.ts';
import { V2_MEMBER_STATUSES, V2_VISIBILITIES, type V2MemberStatus, type V2Visibility } from './schemas.ts';
import { parseIsoMicros as parseIsoTime } from '../../../domain/time.ts';

export const V2_SORT_KEYS = [
  'name',
  'status',
  'container_format',
  'disk_format',
  'size',
  'id',
  'created_at',
  'updated_at',
] as const;
export type V2SortKey = (typeof V2_SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

export interface V2Sort {
  readonly key: V2SortKey;
  readonly dir: SortDir;
}

export type { MatchFilter, TimeFilter } from '../../../domain/images/image-list-query.ts';
export type TimeOperator = TimeFilter['op'];

/** What the domain's catalog list takes (its fields are documented there). */
export type V2ImageListFilter = ImageCatalogQuery;

export interface ListQueryOptions {
  /** Glance `limit_param_default`. */
  readonly defaultLimit?: number;
  /** Glance `api_limit_max`. */
  readonly maxLimit?: number;
}

/** Keys with a meaning of their own; every other key filters on a custom property. */
const RESERVED_KEYS = new Set([
  'limit',
  'marker',
  'member_status',
  'tag',
  'sort',
  'sort_key',
  'sort_dir',
  'visibility',
  'changes-since',
  'os_hidden',
  'protected',
  'size_min',
  'size_max',
  'created_at',
  'updated_at',
  'name',
  'id',
  'status',
  'container_format',
  'disk_format',
  'owner',
  'checksum',
  'os_hash_value',
  // Glance overwrites it with false before filtering: never a property filter.
  'deleted',
]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const bad = (message: string) => v2Error('badRequest', message);

/** Parses the query (raw string, with or without `?`, or parsed pairs). Throws `V2Error`s. */
export function parseListQuery(query: string | URLSearchParams, options: ListQueryOptions = {}): V2ImageListFilter {
  const q = typeof query === 'string' ? new URLSearchParams(query.replace(/^\?/, '')) : query;
  const last = (key: string) => (q.has(key) ? q.getAll(key).at(-1) : undefined);

  // Request deserializer (`index`, `_get_filters`, `_get_sorting_params`).
  const visibility = last('visibility');
  if (
    visibility !== undefined &&
    !(visibility === 'all' || (V2_VISIBILITIES as readonly string[]).includes(visibility))
  ) {
    throw bad(`Invalid visibility value: ${visibility}`);
  }
  if (q.has('changes-since')) throw bad('The "changes-since" filter is no longer available on v2.');
  const memberStatus = last('member_status') ?? 'accepted';
  if (!(memberStatus === 'all' || (V2_MEMBER_STATUSES as readonly string[]).includes(memberStatus))) {
    throw bad(`Invalid status: ${memberStatus}`);
  }
  const limitText = last('limit');
  const requested = limitText === undefined ? undefined : parseLimit(limitText);
  const sort = parseSort(q);
  const markerText = last('marker');
  const tags = q.getAll('tag').map((t) => t.trim());

  // Controller (`ImagesController.index`).
  const osHiddenText = (last('os_hidden') ?? 'false').toLowerCase();
  if (osHiddenText !== 'true' && osHiddenText !== 'false') {
    throw bad(`Invalid value '${osHiddenText}' for 'os_hidden' filter. Valid values are 'true' or 'false'.`);
  }
  // Glance compares `protected` without lower-casing it (unlike os_hidden).
  const protectedText = last('protected');
  if (protectedText !== undefined && protectedText !== 'true' && protectedText !== 'false') {
    throw bad(`Invalid value '${protectedText}' for 'protected' filter. Valid values are 'true' or 'false'.`);
  }
  const limit = Math.min(options.maxLimit ?? 1000, requested ?? options.defaultLimit ?? 25);

  // Database layer (`_make_conditions_from_filters`), in the query's key order.
  let sizeMin: number | undefined;
  let sizeMax: number | undefined;
  const times: { createdAt?: TimeFilter; updatedAt?: TimeFilter } = {};
  const matches: Partial<Record<'id' | 'name' | 'status' | 'containerFormat' | 'diskFormat', MatchFilter>> = {};
  let nameContains: string | undefined;
  const seen = new Set<string>();
  for (const key of q.keys()) {
    if (seen.has(key)) continue;
    seen.add(key);
    const value = last(key)!;
    if (key === 'size_min') sizeMin = parseRangeBound(value);
    else if (key === 'size_max') sizeMax = parseRangeBound(value);
    else if (key === 'created_at') times.createdAt = parseTimeFilter(key, value);
    else if (key === 'updated_at') times.updatedAt = parseTimeFilter(key, value);
    else if (key === 'name' && value.startsWith(CONTAINS)) nameContains = parseContains(value);
    else if (key in MATCH_KEYS) matches[MATCH_KEYS[key as keyof typeof MATCH_KEYS]] = parseMatchFilter(value);
  }

  // A marker that is not a UUID names no image: the same 400 the domain gives an unknown one.
  if (markerText !== undefined && !UUID.test(markerText)) throw v2Error('markerNotFound', markerText);

  // fromEntries makes own keys even of `__proto__`: a property may be called anything.
  const properties: Record<string, string> = Object.fromEntries(
    [...new Set(q.keys())].filter((key) => !RESERVED_KEYS.has(key)).map((key) => [key, last(key)!]),
  );

  const text = (key: string) => last(key);
  return {
    limit,
    sort,
    memberStatus: memberStatus as V2MemberStatus | 'all',
    osHidden: osHiddenText === 'true',
    tags,
    properties,
    ...defined({
      marker: markerText?.toLowerCase(),
      visibility: visibility as V2Visibility | 'all' | undefined,
      protected: protectedText === undefined ? undefined : protectedText === 'true',
      sizeMin,
      sizeMax,
      owner: text('owner'),
      checksum: text('checksum'),
      osHashValue: text('os_hash_value'),
      nameContains,
    }),
    ...times,
    ...matches,
  };
}

const MATCH_KEYS = {
  id: 'id',
  name: 'name',
  status: 'status',
  container_format: 'containerFormat',
  disk_format: 'diskFormat',
} as const;

/** Python's `int()`: blanks around, a sign, digits. */
const PY_INT = /^\s*[+-]?\d+\s*$/;

function parseLimit(text: string): number {
  if (!PY_INT.test(text)) throw bad('limit param must be an integer');
  const n = Number(text.trim());
  if (n < 0) throw bad('limit param must be positive');
  // Beyond the cap it makes no difference how large it is.
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

function parseRangeBound(text: string): number {
  const n = PY_INT.test(text) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n)) throw bad('Unable to filter on a range with a non-numeric value.');
  return n;
}

function validSortKey(key: string): V2SortKey {
  if (!(V2_SORT_KEYS as readonly string[]).includes(key)) {
    throw bad(`Invalid sort key: ${key}. It must be one of the following: ${V2_SORT_KEYS.join(', ')}.`);
  }
  return key as V2SortKey;
}

function validSortDir(dir: string): SortDir {
  if (dir !== 'asc' && dir !== 'desc') throw bad(`Invalid sort direction: ${dir}`);
  return dir;
}

/** `sort=k1:dir,k2` or `sort_key=…&sort_dir=…` (§4.3), with Glance's tie-breakers appended. */
function parseSort(q: URLSearchParams): V2Sort[] {
  const keys: V2SortKey[] = [];
  const dirs: SortDir[] = [];
  if (q.has('sort')) {
    if (q.has('sort_key') || q.has('sort_dir')) throw bad('Old and new sorting syntax cannot be combined');
    for (const part of q.getAll('sort').at(-1)!.trim().split(',')) {
      const colon = part.indexOf(':');
      const key = colon < 0 ? part : part.slice(0, colon);
      const dir = colon < 0 || part.slice(colon + 1) === '' ? 'desc' : part.slice(colon + 1);
      keys.push(validSortKey(key.trim()));
      dirs.push(validSortDir(dir.trim()));
    }
  } else {
    for (const k of q.getAll('sort_key')) keys.push(validSortKey(k.trim()));
    for (const d of q.getAll('sort_dir')) dirs.push(validSortDir(d.trim()));
    if (dirs.length > 1 && dirs.length !== keys.length)
      throw bad('Number of sort dirs does not match the number of sort keys');
  }
  if (keys.length === 0) keys.push('created_at');
  if (dirs.length === 0) dirs.push('desc');
  // One direction applies to every key, and then to the tie-breakers too; otherwise they go `desc`.
  const tieDir: SortDir = dirs.length === 1 ? dirs[0] : 'desc';
  const sort: V2Sort[] = keys.map((key, i) => ({ key, dir: dirs.length === 1 ? dirs[0] : dirs[i] }));
  for (const key of ['created_at', 'id'] as const) if (!keys.includes(key)) sort.push({ key, dir: tieDir });
  return sort;
}

/**
 * Glance's `split_filter_op`: `op:value`, except that a whole value which is itself an ISO 8601
 * time (it has colons) is an equality.
 */
function splitOperator(expression: string): [string, string] {
  const colon = expression.indexOf(':');
  if (colon < 0) return ['eq', expression];
  if (parseIsoMicros(expression) !== null) return ['eq', expression];
  return [expression.slice(0, colon), expression.slice(colon + 1)];
}

const TIME_OPERATORS: readonly string[] = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'];

function parseTimeFilter(key: 'created_at' | 'updated_at', expression: string): TimeFilter {
  const [op, time] = splitOperator(expression);
  const at = parseIsoMicros(time);
  if (at === null) throw bad(`Bad "${key}" query filter format. Use ISO 8601 DateTime notation.`);
  if (!TIME_OPERATORS.includes(op)) throw bad('Unable to filter on a unknown operator.');
  return { op: op as TimeOperator, at };
}

/**
 * Plankton's extension `name=contains:<text>` (src/api/image/v2/README.md, "Name search"): the names
 * that contain the text, ignoring case. Glance answers 400 to an unknown operator, so no Glance
 * query means something else by it; a name that really starts with `contains:` is `eq:contains:…`.
 */
const CONTAINS = 'contains:';
const MAX_CONTAINS = 255;

function parseContains(expression: string): string | undefined {
  const text = expression.slice(CONTAINS.length);
  if (text.length > MAX_CONTAINS)
    throw bad(`The text of a 'contains:' name filter is at most ${MAX_CONTAINS} characters.`);
  return text === '' ? undefined : text;
}

function parseMatchFilter(expression: string): MatchFilter {
  const [op, value] = splitOperator(expression);
  if (op === 'in') return { op: 'in', values: splitInList(value) };
  if (op === 'eq') return { op: 'eq', value };
  throw bad(`Unable to filter by unknown operator '${op}'.`);
}

/**
 * `a,b,"c,d"` → `['a', 'b', 'c,d']` (Glance's `split_filter_value_for_quotes`, API-WG rules):
 * quotes must follow a comma (or the start) and precede one (or the end), and be closed. A
 * backslash-escaped quote stays in the value as written.
 */
export function splitInList(value: string): string[] {
  let open = true;
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '"') continue;
    if (i > 0 && value[i - 1] === '\\') continue;
    if (open) {
      if (i > 0 && value[i - 1] !== ',')
        throw bad(`Invalid filter value ${value}. There is no comma before opening quotation mark.`);
    } else if (i + 1 !== value.length && value[i + 1] !== ',') {
      throw bad(`Invalid filter value ${value}. There is no comma after closing quotation mark.`);
    }
    open = !open;
  }
  if (!open) throw bad(`Invalid filter value ${value}. The quote is not closed.`);
  const out: string[] = [];
  for (const m of value.matchAll(/"([^"\\]*(?:\\.[^"\\]*)*)",?|([^,]+),?|,/g)) out.push(m[1] || m[2] || '');
  return out;
}

/** Time filters: Glance's ISO 8601 forms (src/domain/time.ts). */
export const parseIsoMicros = (text: string): number | null => parseIsoTime(text, 'glance');

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
