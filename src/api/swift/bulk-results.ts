/**
 * The reply of Swift's bulk operations (bulk delete, archive extraction): a result document in
 * plain text, JSON or XML as `Accept` asks (`Response Status`, `Response Body`, the counts, and
 * `Errors` as `[path, status]` pairs), Swift's keys and layout.
 *
 * Two phases. While the request body is read (the paths, the archive) nothing has been answered,
 * so a refusal there (bad archive, too many paths…) is a real 4xx whose body is the same document.
 * Once the body is read the reply starts at once as `200`, and while the work runs (10,000
 * deletions, an archive's commit) a space goes out every few seconds, as Swift does, so no proxy
 * or idle timeout cuts a long request; the document, its `Response Status` telling the outcome,
 * ends the body.
 */
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { ApiResponse } from '../http/reply.ts';

export type BulkFormat = 'text/plain' | 'application/json' | 'application/xml' | 'text/xml';
const FORMATS: readonly BulkFormat[] = ['text/plain', 'application/json', 'application/xml', 'text/xml'];

/** Swift's HTTP status lines, as they appear in `Response Status` and `Errors`. */
const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  406: 'Not Acceptable',
  409: 'Conflict',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};
export const statusLine = (status: number): string => `${status} ${REASONS[status] ?? 'Error'}`;

/** How often a space is sent while the work runs. */
const KEEPALIVE_MS = 5_000;

/**
 * The result format `Accept` asks for (Swift's `best_match` over its four types; no header: plain
 * text), or undefined when none is acceptable (Swift then reports `406` in a plain-text body).
 */
export function bulkFormat(req: IncomingMessage): BulkFormat | undefined {
  const accept = req.headers.accept;
  if (accept === undefined || accept.trim() === '') return 'text/plain';
  let best: { format: BulkFormat; q: number } | undefined;
  for (const part of accept.split(',')) {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!(q > 0)) continue;
    for (const format of FORMATS) {
      const [type] = format.split('/');
      const matches = range === format || range === '*/*' || range === `${type}/*`;
      if (matches && (!best || q > best.q)) best = { format, q };
    }
  }
  return best?.format;
}

export interface BulkResult {
  /** `Response Status` as a number. */
  status: number;
  /** `Response Body`: why the whole request failed, or empty. */
  body: string;
  /** The counts: `Number Deleted`/`Number Not Found`, or `Number Files Created`. */
  counts: Record<string, number>;
  /** `[quoted path, status line]` per path that failed. */
  errors: [string, string][];
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The document, in Swift's layout for each format (keys sorted as Swift sorts them). */
export function renderResult(format: BulkFormat | undefined, r: BulkResult, root: 'delete' | 'extract'): string {
  const dict: Record<string, string | number> = {
    'Response Status': statusLine(r.status),
    'Response Body': r.body,
    ...r.counts,
  };
  const keys = Object.keys(dict).sort();
  if (format === 'application/json') return JSON.stringify({ ...dict, Errors: r.errors });
  if (format === 'application/xml' || format === 'text/xml') {
    const lines = keys.map((k) => {
      const tag = k.replace(/ /g, '_').toLowerCase();
      return `<${tag}>${xmlEscape(String(dict[k]))}</${tag}>\n`;
    });
    const errors = r.errors.map(
      ([name, status]) => `<object><name>${xmlEscape(name)}</name><status>${xmlEscape(status)}</status></object>\n`,
    );
    return `<${root}>\n${lines.join('')}<errors>\n${errors.join('')}</errors>\n</${root}>\n`;
  }
  return `${keys.map((k) => `${k}: ${dict[k]}\n`).join('')}Errors:\n${r.errors.map(([n, s]) => `${n}, ${s}\n`).join('')}`;
}

/** A refusal before any work: the real status, the document as body. */
export function bulkRefusal(format: BulkFormat | undefined, r: BulkResult, root: 'delete' | 'extract'): ApiResponse {
  return {
    status: r.status,
    headers: { 'Content-Type': `${format ?? 'text/plain'}; charset=UTF-8` },
    body: renderResult(format, r, root),
  };
}

/** `200` at once, spaces while `work` runs, then its document. */
export function streamedResult(
  format: BulkFormat | undefined,
  work: () => Promise<BulkResult>,
  root: 'delete' | 'extract',
  onUnexpected: (err: unknown) => void,
): ApiResponse {
  const body = new PassThrough();
  let filler = format?.endsWith('/xml') ? '<?xml version="1.0" encoding="UTF-8"?>\n' : ' ';
  let separator = '';
  const timer = setInterval(() => {
    body.write(filler);
    filler = ' ';
    separator = '\r\n\r\n';
  }, KEEPALIVE_MS);
  work()
    .catch((err: unknown): BulkResult => {
      onUnexpected(err);
      return { status: 500, body: '', counts: {}, errors: [] };
    })
    .then((r) => {
      clearInterval(timer);
      body.end(separator + renderResult(format, r, root));
    });
  return { status: 200, headers: { 'Content-Type': `${format ?? 'text/plain'}; charset=UTF-8` }, body };
}

/** Python's `quote` of a path (the form Swift reports paths in): `/` and unreserved characters kept. */
export function quotePath(s: string | Buffer): string {
  let out = '';
  for (const b of Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_.~/-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
