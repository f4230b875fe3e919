import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { badRequest, tooLarge } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { parseQuery } from './percent.ts';

/** What every API handler gets: the raw request, already split into path and query. */
export interface ApiRequest {
  readonly raw: IncomingMessage;
  readonly id: string;
  readonly method: string;
  /** The raw path, still percent-encoded, dot segments untouched. */
  readonly path: string;
  readonly rawQuery: string;
  readonly query: Map<string, string>;
  /** This request's logger (`reqId` bound). */
  readonly log: Logger;
  readonly services: Services;
  /**
   * The route template of the `route` metrics label (route-label.ts), set by an API that has
   * matched the path anyway, so the shell need not match it a second time per request.
   */
  routeLabel?: string;
}

/**
 * `log`: this request's logger, or how to make it. Made on first use only: most requests log
 * nothing but their access line, which the shell writes without a child logger (pino's `child`
 * serialises its bindings anew for each request).
 */
export function apiRequest(
  raw: IncomingMessage,
  id: string,
  log: Logger | (() => Logger),
  services: Services,
): ApiRequest {
  return new ShellRequest(raw, id, log, services);
}

class ShellRequest implements ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
  #query: Map<string, string> | undefined;
  #log: Logger | (() => Logger);
  routeLabel?: string;

  constructor(
    readonly raw: IncomingMessage,
    readonly id: string,
    log: Logger | (() => Logger),
    readonly services: Services,
  ) {
    const url = raw.url ?? '/';
    const q = url.indexOf('?');
    this.method = (raw.method ?? 'GET').toUpperCase();
    this.path = q < 0 ? url : url.slice(0, q);
    this.rawQuery = q < 0 ? '' : url.slice(q + 1);
    this.#log = log;
  }

  get query(): Map<string, string> {
    if (this.#query === undefined) this.#query = parseQuery(this.rawQuery);
    return this.#query;
  }

  get log(): Logger {
    if (typeof this.#log === 'function') this.#log = this.#log();
    return this.#log;
  }
}

/** The last value of a request header, from the raw headers (names case-insensitive). */
export function lastHeader(req: IncomingMessage, name: string): string | undefined {
  const raw = req.rawHeaders;
  const lower = name.toLowerCase();
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === lower) value = raw[i + 1];
  return value;
}

/** True when the request carries a body (chunked, or a positive Content-Length). */
export function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const len = req.headers['content-length'];
  return len !== undefined && Number(len) > 0;
}

/** Media type of Content-Type, lower-cased without parameters, or undefined. */
export function mediaType(req: IncomingMessage): string | undefined {
  const ct = req.headers['content-type'];
  return ct === undefined ? undefined : ct.split(';')[0].trim().toLowerCase();
}

/**
 * Reads a small body (JSON documents, hashmaps) whole, refusing more than `limit` bytes
 * before reading when declared and while reading when chunked.
 */
export async function readSmallBody(
  req: IncomingMessage,
  limit: number,
  onTooLarge = () => tooLarge('Request body too large'),
): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw onTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw onTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON body with the identity API's messages. */
export function parseJson(body: Buffer, notUtf8: string, notJson: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw badRequest(notUtf8);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest(notJson);
  }
}
