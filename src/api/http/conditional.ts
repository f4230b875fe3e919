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
  const ifRange = req.headers['if-range'] as string | undefined;
  if (ifRange !== undefined) {
    const asEtag = ifRange
      .trim()
      .replace(/^W\//, '')
      .replace(/^"(.*)"$/, '$1');
    const stale = /^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{64}$|^"/.test(ifRange.trim())
      ? asEtag.toLowerCase() !== etag.toLowerCase()
      : parseDate(ifRange) !== Math.floor(lastModified / 1_000_000);
    if (stale) return undefined;
  }
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  // `first > last` is a bad spec (ignored); an open `a-` is checked against the size only.
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1) };
}

export const rangeNotSatisfiable = (size: number) =>
  new ServiceError('rangeNotSatisfiable', 'Requested range exceeds object limits', {
    'Content-Range': `bytes */${size}`,
  });
