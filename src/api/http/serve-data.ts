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

/**
 * Waits until the body has its first bytes (or is empty), so a store that fails on the first
 * block (down, timed out) is still answered with a fault — 503 — rather than a 200 cut after its
 * headers. Failures later on can only cut the connection: the status line is out by then.
 */
async function firstBytes(body: Readable): Promise<Readable> {
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      body.off('readable', onReadable);
      body.off('error', done);
      body.off('end', onReadable);
      if (err) reject(err);
      else resolve();
    };
    const onReadable = () => done();
    body.once('readable', onReadable);
    body.once('error', done);
    body.once('end', onReadable);
  });
  return body;
}

/** The reply to a GET or HEAD of `data`; throws the 412 and 416 faults, and the store's failure to read a first byte. */
export async function serveData(req: IncomingMessage, data: ServedData): Promise<ApiResponse> {
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
    return { status: 200, headers: { ...headers, 'Content-Length': data.size }, body: await firstBytes(data.open()) };
  return {
    status: 206,
    headers: {
      ...headers,
      'Content-Length': range.end - range.start + 1,
      'Content-Range': `bytes ${range.start}-${range.end}/${data.size}`,
    },
    body: await firstBytes(data.open(range.start, range.end)),
  };
}
