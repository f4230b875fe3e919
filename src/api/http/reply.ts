import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { ServiceError, type FaultKind } from '../../errors.ts';
import { DomainError } from '../../domain/errors.ts';
import { BlockStream } from '../../domain/objects/object-reader.ts';

/** Header values; a list is sent as repeated lines (Set-Cookie). */
export type HeaderMap = Record<string, string | number | readonly string[]>;

/** What a handler answers; one writer (`send`) puts it on the wire. */
export interface ApiResponse {
  status: number;
  headers?: HeaderMap;
  /** Buffer/string as is; a Readable is streamed; anything else is sent as JSON. */
  body?: Buffer | string | Readable | object;
}

export const JSON_TYPE = 'application/json; charset=UTF-8';

export const json = (status: number, value: unknown, headers: HeaderMap = {}): ApiResponse => ({
  status,
  headers: { 'Content-Type': JSON_TYPE, ...headers },
  body: Buffer.from(JSON.stringify(value)),
});

/** How an API names its faults: the image API says `overLimit` where the others say `requestEntityTooLarge`. */
export type FaultNames = Partial<Record<FaultKind, string>>;

export function errorResponse(err: ServiceError, names: FaultNames = {}): ApiResponse {
  const name = names[err.kind] ?? err.kind;
  return json(err.status, { [name]: { code: err.status, message: err.message, details: '' } }, { ...err.headers });
}

/** An API's faults module: how it words each domain error (status, fault name, message, headers). */
export type FaultMapper = (err: DomainError) => ServiceError;

/**
 * The reply to anything a handler threw: a domain error worded by the API's faults module, a
 * fault as it is, anything else a logged 500.
 */
export function failureResponse(log: Logger, err: unknown, faults?: FaultMapper, names?: FaultNames): ApiResponse {
  const fault = err instanceof DomainError && faults ? faults(err) : err;
  return fault instanceof ServiceError ? errorResponse(fault, names) : unexpectedError(log, fault);
}

export function unexpectedError(log: Logger, err: unknown): ApiResponse {
  log.error({ err }, 'unexpected error');
  return errorResponse(new ServiceError('internalServerError', 'Unexpected error'));
}

// A header value Node would refuse (CR, LF, non-latin1) is a bug upstream; encode it rather than crash.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\uffff]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');
const safeValue = (v: string) => (UNSAFE.test(v) ? v.replace(UNSAFE_ALL, (c) => encodeURIComponent(c)) : v);

/** Writes a response. HEAD gets the headers only. A body not consumed yet closes the connection. */
export async function send(req: IncomingMessage, res: ServerResponse, r: ApiResponse): Promise<void> {
  const headers: HeaderMap = { ...r.headers };
  let body = r.body;
  if (body !== undefined && !(body instanceof Readable) && !Buffer.isBuffer(body) && typeof body !== 'string') {
    body = Buffer.from(JSON.stringify(body));
    headers['Content-Type'] ??= JSON_TYPE;
  }
  if (typeof body === 'string') body = Buffer.from(body);
  if (Buffer.isBuffer(body) && !hasHeader(headers, 'content-length')) headers['Content-Length'] = body.length;
  if (body === undefined && !hasHeader(headers, 'content-length') && r.status !== 204 && r.status !== 304)
    headers['Content-Length'] = 0;
  // Answering before the request body was read: don't make the client send the rest on this connection.
  if (!req.complete && req.method !== 'GET' && req.method !== 'HEAD') headers.Connection = 'close';
  for (const [k, v] of Object.entries(headers))
    res.setHeader(k, typeof v === 'number' ? String(v) : typeof v === 'string' ? safeValue(v) : v.map(safeValue));
  res.statusCode = r.status;
  if (req.method === 'HEAD' || r.status === 204 || r.status === 304 || body === undefined) {
    if (body instanceof Readable) body.destroy();
    res.end();
    return;
  }
  if (body instanceof Readable) {
    // Stored bytes take the fast path: recycled buffers, released as the socket takes them.
    await (body instanceof BlockStream ? body.pipeTo(res) : pipeline(body, res)).catch((err) => {
      // The client went away or the source failed mid-stream: the status line is out, so cut the
      // connection; a short body tells the client something is wrong.
      res.destroy(err);
    });
    return;
  }
  res.end(body);
}

const hasHeader = (h: HeaderMap, name: string) => Object.keys(h).some((k) => k.toLowerCase() === name);
