/**
 * The one way stored bytes are served (object GET/HEAD, the public URL, image v1 data, later
 * v2 `/file`): preconditions (304/412), HEAD without a body, then a single Range (206/416) or
 * the whole thing. Each API adds its own entity headers; the mechanics are the same for all
 * (object-store.md §11).
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { checkConditions, parseRange, rangeNotSatisfiable } from './conditional.ts';
import type { ApiResponse, HeaderMap } from './reply.ts';

export interface ServedData {
  readonly size: number;
  readonly etag: string;
  /** Microseconds since the epoch. */
  readonly lastModified: number;
  /** The API's headers for a 200 or 206 (type, metadata…); length and range headers are added here. */
  readonly headers: HeaderMap;
  /** Streams bytes `[start, end]` (all of them without arguments); called only when a body is sent. */
  open(start?: number, end?: number): Readable;
}

/** The reply to a GET or HEAD of `data`; throws the 412 and 416 faults. */
export function serveData(req: IncomingMessage, data: ServedData): ApiResponse {
  const notModified = checkConditions(
    req,
    { exists: true, etag: data.etag, lastModified: data.lastModified },
    { matchHeaders: true },
  );
  if (notModified) return notModified;
  const headers: HeaderMap = { ...data.headers, 'Accept-Ranges': 'bytes' };
  // Range is defined for GET only; HEAD never reads data.
  if (req.method === 'HEAD') return { status: 200, headers: { ...headers, 'Content-Length': data.size } };
  const range = parseRange(req, data.size, data.etag, data.lastModified);
  if (range === 'unsatisfiable') throw rangeNotSatisfiable(data.size);
  if (range === undefined)
    return { status: 200, headers: { ...headers, 'Content-Length': data.size }, body: data.open() };
  return {
    status: 206,
    headers: {
      ...headers,
      'Content-Length': range.end - range.start + 1,
      'Content-Range': `bytes ${range.start}-${range.end}/${data.size}`,
    },
    body: data.open(range.start, range.end),
  };
}
