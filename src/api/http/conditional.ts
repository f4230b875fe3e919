import type { IncomingMessage } from 'node:http';
import { ServiceError } from '../../errors.ts';
import type { ApiResponse } from './reply.ts';

/** What a conditional request is checked against (object-store.md §11). */
export interface ConditionTarget {
  readonly exists: boolean;
  readonly etag?: string;
  /** Microseconds since the epoch. */
  readonly lastModified?: number;
}

const precondition = (message: string) => new ServiceError('preconditionFailed', message);

function etagList(value: string): string[] {
  return value
    .split(',')
    .map((e) =>
      e
        .trim()
        .replace(/^W\//, '')
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase(),
    )
    .filter(Boolean);
}

function parseDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
}

/**
 * Applies If-Modified-Since, If-Unmodified-Since, If-Match, If-None-Match in that order.
 * Returns a 304 response to send, throws a 412, or returns undefined to go on.
 */
export function checkConditions(
  req: IncomingMessage,
  t: ConditionTarget,
  opts: { matchHeaders: boolean },
): ApiResponse | undefined {
  const read = req.method === 'GET' || req.method === 'HEAD';
  const lastSecond = t.lastModified === undefined ? undefined : Math.floor(t.lastModified / 1_000_000);
  const h = req.headers;
  if (t.exists && lastSecond !== undefined) {
    const since = parseDate(h['if-modified-since']);
    if (read && since !== undefined && lastSecond <= since) return notModified(t);
    const unmodified = parseDate(h['if-unmodified-since']);
    if (unmodified !== undefined && lastSecond > unmodified) throw precondition('Resource has been modified');
  }
  if (!opts.matchHeaders) return undefined;
  const ifMatch = h['if-match'];
  if (ifMatch !== undefined) {
    if (!t.exists) throw precondition('Resource does not exist');
    const list = etagList(ifMatch);
    if (!list.includes('*') && !list.includes((t.etag ?? '').toLowerCase()))
      throw precondition('Resource ETag does not match');
  }
  const ifNoneMatch = h['if-none-match'];
  if (ifNoneMatch !== undefined && t.exists) {
    const list = etagList(ifNoneMatch);
    if (list.includes('*') || list.includes((t.etag ?? '').toLowerCase())) {
      if (read) return notModified(t);
      throw precondition('Resource exists or ETag matches');
    }
  }
  return undefined;
}

const notModified = (t: ConditionTarget): ApiResponse => ({ status: 304, headers: t.etag ? { ETag: t.etag } : {} });

export type RangeResult = { readonly start: number; readonly end: number } | 'unsatisfiable' | undefined;

/**
 * A single `bytes=` range (object-store.md §11.2): undefined to send the whole body (no range,
 * a bad or multi-range spec, or a stale If-Range), 'unsatisfiable' for 416, else the bytes.
 */
export function parseRange(req: IncomingMessage, size: number, etag: string, lastModified: number): RangeResult {
  const header = req.headers.range;
  if (header === undefined) return undefined;
  if (ifRangeStale(req, etag, lastModified)) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined;
  return oneRange(m[1], m[2], size);
}

/** `If-Range`: an ETag or date that no longer matches means the whole body. */
function ifRangeStale(req: IncomingMessage, etag: string, lastModified: number): boolean {
  const ifRange = req.headers['if-range'] as string | undefined;
  if (ifRange === undefined) return false;
  const asEtag = ifRange
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');
  return /^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{64}$|^"/.test(ifRange.trim())
    ? asEtag.toLowerCase() !== etag.toLowerCase()
    : parseDate(ifRange) !== Math.floor(lastModified / 1_000_000);
}

/** One `first-last` spec: undefined when bad (the header is then ignored), 'unsatisfiable', or the bytes. */
function oneRange(first: string, last: string, size: number): RangeResult {
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const n = Number(last);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  // `first > last` is a bad spec (ignored); an open `a-` is checked against the size only.
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

/** More ranges than this in one request: the header is ignored (a whole body is cheaper than many parts). */
export const MAX_RANGES = 100;

export type RangeSet = readonly { readonly start: number; readonly end: number }[] | 'unsatisfiable' | undefined;

/**
 * Every range of a `bytes=` header, for the object store's multi-range GET: undefined to send the
 * whole body (no range, a bad spec among them, too many, or a stale If-Range), 'unsatisfiable' when
 * none can be served (416); unsatisfiable ones among others are left out (RFC 9110 §14.2).
 */
export function parseRanges(req: IncomingMessage, size: number, etag: string, lastModified: number): RangeSet {
  const header = req.headers.range;
  if (header === undefined || !header.includes(',')) {
    const one = parseRange(req, size, etag, lastModified);
    return one === undefined || one === 'unsatisfiable' ? one : [one];
  }
  if (ifRangeStale(req, etag, lastModified)) return undefined;
  const m = /^\s*bytes\s*=(.*)$/is.exec(header);
  if (!m) return undefined;
  const specs = m[1].split(',');
  if (specs.length > MAX_RANGES) return undefined;
  const ranges: { start: number; end: number }[] = [];
  for (const spec of specs) {
    const r = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(spec);
    if (!r) return undefined;
    const range = oneRange(r[1], r[2], size);
    if (range === undefined) return undefined;
    if (range !== 'unsatisfiable') ranges.push(range);
  }
  return ranges.length ? ranges : 'unsatisfiable';
}

export const rangeNotSatisfiable = (size: number) =>
  new ServiceError('rangeNotSatisfiable', 'Requested range exceeds object limits', {
    'Content-Range': `bytes */${size}`,
  });
