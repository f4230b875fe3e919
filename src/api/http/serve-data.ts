/**
 * The one way stored bytes are served (object GET/HEAD, the public URL, image v1 data, later
 * v2 `/file`): preconditions (304/412), HEAD without a body, then a single Range (206/416) or
 * the whole thing. Each API adds its own entity headers; the mechanics are the same for all
 * (object-store.md §11).
 */
import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlockStream } from '../../domain/objects/object-reader.ts';
import { checkConditions, parseRange, parseRanges, rangeNotSatisfiable } from './conditional.ts';
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
  /** Several ranges → `206 multipart/byteranges` (the object store); else only a single range is honoured. */
  readonly multiRange?: boolean;
}

/**
 * Waits until the body has its first bytes (or is empty), so a store that fails on the first
 * block (down, timed out) is still answered with a fault — 503 — rather than a 200 cut after its
 * headers. Failures later on can only cut the connection: the status line is out by then.
 */
async function firstBytes(body: Readable): Promise<Readable> {
  if (body instanceof BlockStream) {
    await body.firstBytes();
    return body;
  }
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
  let range: ReturnType<typeof parseRange>;
  if (data.multiRange) {
    const ranges = parseRanges(req, data.size, data.etag, data.lastModified);
    if (ranges !== undefined && ranges !== 'unsatisfiable' && ranges.length > 1)
      return multipartRanges(data, headers, ranges);
    range = ranges === undefined || ranges === 'unsatisfiable' ? ranges : ranges[0];
  } else {
    range = parseRange(req, data.size, data.etag, data.lastModified);
  }
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

/**
 * `206 multipart/byteranges` (RFC 9110 §14.6): each range a part with its own `Content-Type` and
 * `Content-Range`, streamed one after the other (never buffered); the length is known up front.
 */
function multipartRanges(
  data: ServedData,
  headers: HeaderMap,
  ranges: readonly { readonly start: number; readonly end: number }[],
): ApiResponse {
  const boundary = randomBytes(16).toString('hex');
  const type = String(headers['Content-Type'] ?? 'application/octet-stream');
  const heads = ranges.map((r, i) =>
    Buffer.from(
      `${i ? '\r\n' : ''}--${boundary}\r\nContent-Type: ${type}\r\nContent-Range: bytes ${r.start}-${r.end}/${data.size}\r\n\r\n`,
    ),
  );
  const tail = Buffer.from(`\r\n--${boundary}--`);
  const length =
    heads.reduce((n, h) => n + h.length, 0) + ranges.reduce((n, r) => n + r.end - r.start + 1, 0) + tail.length;
  async function* parts() {
    for (const [i, r] of ranges.entries()) {
      yield heads[i];
      yield* data.open(r.start, r.end);
    }
    yield tail;
  }
  return {
    status: 206,
    headers: {
      ...headers,
      'Content-Type': `multipart/byteranges; boundary=${boundary}`,
      'Content-Length': length,
    },
    body: Readable.from(parts(), { objectMode: false }),
  };
}
