/**
 * Helpers for the object-store suites: an HTTP client that sends paths, methods and header bytes
 * exactly as given (no URL normalisation, so `..` stays a name), fault assertions, and views of
 * the data dir (block files, temp files).
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { TestServer, TestUser } from './test-server.ts';

export const O = '/object-store/v1';
export const BLOCK = 4 * 1024 * 1024;
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
export const JSON_TYPE = 'application/json; charset=UTF-8';
export const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const HTTP_DATE = /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/;
export const ISO_MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/;

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
export const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

export interface Reply {
  readonly status: number;
  /** Lower-case names; a repeated header is joined by Node's rules. */
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: Buffer;
  text(): string;
  json(): any;
  header(name: string): string | undefined;
}

export interface CallOptions {
  readonly token?: string;
  /** Values are sent as latin1 bytes; arrays send the header several times. */
  readonly headers?: Record<string, string | number | string[]>;
  readonly body?: Buffer | string;
  /** Send the body with Transfer-Encoding: chunked, in pieces of this size. */
  readonly chunked?: number;
}

/**
 * One request. The path goes on the request line as given. Like Python's http.client (kamaki,
 * swiftclient), a bodiless PUT/POST/COPY/MOVE carries `Content-Length: 0`.
 */
export function call(
  s: TestServer | string,
  method: string,
  pathAndQuery: string,
  opts: CallOptions = {},
): Promise<Reply> {
  const base = new URL(typeof s === 'string' ? s : s.url);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k] = Array.isArray(v) ? v : String(v);
  if (opts.token !== undefined) headers['X-Auth-Token'] = opts.token;
  const body = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body);
  if (opts.chunked) headers['Transfer-Encoding'] = 'chunked';
  else if (body !== undefined) headers['Content-Length'] = String(body.length);
  else if (
    !['GET', 'HEAD', 'DELETE'].includes(method) &&
    !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length')
  )
    headers['Content-Length'] = '0';
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: base.hostname, port: base.port, method, path: pathAndQuery, headers, agent: false, setHost: true },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const data = Buffer.concat(chunks);
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: data,
            text: () => data.toString('utf8'),
            json: () => JSON.parse(data.toString('utf8')),
            header: (name) => {
              const v = res.headers[name.toLowerCase()];
              return Array.isArray(v) ? v.join(', ') : v;
            },
          });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined && opts.chunked) {
      for (let off = 0; off < body.length; off += opts.chunked) req.write(body.subarray(off, off + opts.chunked));
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** Percent-encodes a name the way kamaki quotes a path: UTF-8, `/` kept. */
export const q = (name: string): string => name.split('/').map(encodeURIComponent).join('/');

/** Path of an account, container or object (segments quoted as clients do). */
export function p(account: string, container?: string, object?: string, query = ''): string {
  let out = `${O}/${account}`;
  if (container !== undefined) out += `/${encodeURIComponent(container)}`;
  if (object !== undefined) out += `/${q(object)}`;
  return out + (query ? (query.startsWith('?') ? query : `?${query}`) : '');
}

/** Asserts the common fault body (spec/README.md "Errors") and returns it. */
export function assertFault(r: Reply, status: number, message?: string | RegExp, name?: string): void {
  const names: Record<number, string> = {
    400: 'badRequest',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'itemNotFound',
    405: 'notAllowed',
    409: 'conflict',
    411: 'lengthRequired',
    412: 'preconditionFailed',
    413: 'requestEntityTooLarge',
    416: 'rangeNotSatisfiable',
    422: 'unprocessableEntity',
    501: 'notImplemented',
  };
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.body.toString('utf8').slice(0, 300)}`);
  assert.equal(r.header('content-type'), JSON_TYPE);
  const doc = r.json();
  const faultName = name ?? names[status];
  assert.deepEqual(Object.keys(doc), [faultName]);
  assert.equal(doc[faultName].code, status);
  assert.equal(doc[faultName].details, '');
  if (typeof message === 'string') assert.equal(doc[faultName].message, message);
  else if (message) assert.match(doc[faultName].message, message);
}

/** One user's view of the object store. */
export class Store {
  constructor(
    readonly s: TestServer,
    readonly user: TestUser,
  ) {}

  get uuid(): string {
    return this.user.uuid;
  }

  /** A request as this user; `target` is a path below `/object-store/v1/<own uuid>` or an absolute path. */
  req(method: string, target: string, opts: CallOptions = {}): Promise<Reply> {
    const full = target.startsWith('/') ? target : `${O}/${this.uuid}/${target}`;
    return call(this.s, method, full, { token: this.user.token, ...opts });
  }

  async putContainer(name: string, headers: CallOptions['headers'] = {}): Promise<Reply> {
    const r = await this.req('PUT', p(this.uuid, name), { headers });
    assert.ok(r.status === 201 || r.status === 202, `container PUT ${name}: ${r.status} ${r.text()}`);
    return r;
  }

  async put(
    container: string,
    name: string,
    data: Buffer | string,
    headers: CallOptions['headers'] = {},
  ): Promise<Reply> {
    const r = await this.req('PUT', p(this.uuid, container, name), { body: data, headers });
    assert.equal(r.status, 201, `PUT ${container}/${name}: ${r.status} ${r.text()}`);
    return r;
  }

  /**
   * kamaki's upload (clients.md §5): hashmap PUT → 409 list → one block POST per missing hash →
   * PUT again → 201. Returns the final reply and the hashes the server asked for.
   */
  async hashmapUpload(
    container: string,
    name: string,
    data: Buffer,
    headers: CallOptions['headers'] = {},
    account = this.uuid,
  ): Promise<{ reply: Reply; missing: string[] }> {
    const blocks = splitBlocks(data);
    const hashes = blocks.map(blockHashOf);
    const body = JSON.stringify({ hashes, bytes: data.length });
    const url = p(account, container, name, 'hashmap=True&format=json');
    const hdrs = { 'Content-Type': 'application/octet-stream', ...headers };
    const first = await this.req('PUT', url, { body, headers: hdrs });
    if (first.status === 201) return { reply: first, missing: [] };
    assert.equal(first.status, 409, `hashmap PUT ${name}: ${first.status} ${first.text()}`);
    assert.equal(first.header('content-type'), JSON_TYPE);
    const missing = first.json() as string[];
    assert.ok(Array.isArray(missing) && missing.length > 0);
    assert.equal(new Set(missing).size, missing.length, 'each missing hash once');
    for (const h of missing) {
      const i = hashes.indexOf(h);
      assert.ok(i >= 0, `server asked for a hash not in the hashmap: ${h}`);
      const r = await this.req('POST', p(account, container, undefined, 'update&format=json'), {
        body: blocks[i],
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(r.status, 202, r.text());
      assert.deepEqual(r.json(), [h]);
    }
    const reply = await this.req('PUT', url, { body, headers: hdrs });
    return { reply, missing };
  }
}

export function splitBlocks(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += BLOCK) out.push(data.subarray(off, off + BLOCK));
  return out;
}

/** spec/hashing.md §3, written out again here so the tests do not trust the code under test. */
export function blockHashOf(block: Buffer): string {
  let end = block.length;
  while (end > 0 && block[end - 1] === 0) end--;
  return sha256(block.subarray(0, end));
}

/** The hashmap spec/hashing.md gives these bytes: one hash per 4 MiB block; an empty object has the empty block's. */
export function hashmapOf(data: Buffer): string[] {
  return data.length ? splitBlocks(data).map(blockHashOf) : [EMPTY_SHA256];
}

/** A file part of `multipartForm`: form field name, file name, its Content-Type, its bytes. */
export type FormFile = readonly [field: string, filename: string, type: string, data: Buffer];

/** A `multipart/form-data` body (as a browser sends it): the text fields, then the files, then the end. */
export function multipartForm(
  boundary: string,
  fields: Iterable<readonly [string, string]>,
  files: Iterable<FormFile>,
): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields)
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  for (const [field, filename, type, data] of files) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`,
      ),
      data,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}

/** Deterministic pseudo-random bytes: AES-128-CTR keystream keyed by the seed (fast, no trailing NULs to speak of). */
export function bytesOf(seed: string, length: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  const out = Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
  if (length > 0 && out[length - 1] === 0) out[length - 1] = 1;
  return out;
}

/** Every block file of a local block store: `<dataDir>/blocks/??/??/<hash>`. */
export function blockFiles(dataDir: string): string[] {
  const root = path.join(dataDir, 'blocks');
  const out: string[] = [];
  const list = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d) : []);
  for (const a of list(root).filter((n) => /^[0-9a-f]{2}$/.test(n))) {
    for (const b of list(path.join(root, a)).filter((n) => /^[0-9a-f]{2}$/.test(n))) {
      for (const f of list(path.join(root, a, b))) out.push(f);
    }
  }
  return out.sort();
}

export function tmpFiles(dataDir: string): string[] {
  const d = path.join(dataDir, 'blocks', '.tmp');
  return fs.existsSync(d) ? fs.readdirSync(d) : [];
}

/**
 * Polls `check` until it returns true or `ms` pass. It returns as soon as the check holds, so the
 * limit is generous: only a check that never holds waits it out, and a loaded machine does not.
 */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 60_000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** spec/hashing.md §6: the object hash over a stored hashmap (independent of src/). */
export function merkle(hashes: readonly string[]): string {
  if (hashes.length === 0) return EMPTY_SHA256;
  if (hashes.length === 1) return hashes[0];
  let level: Buffer[] = hashes.map((h) => Buffer.from(h, 'hex'));
  let width = 1;
  while (width < level.length) width *= 2;
  while (level.length < width) level.push(Buffer.alloc(32));
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(
        createHash('sha256')
          .update(Buffer.concat([level[i], level[i + 1]]))
          .digest(),
      );
    level = next;
  }
  return level[0].toString('hex');
}

/** An upload whose body the test sends in two parts, with whatever it likes in between. */
export function twoPartUpload(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  parts: [Buffer, Buffer],
): { sendRest(): void; reply: Promise<{ status: number; body: string }> } {
  const base = new URL(url);
  const req = http.request({
    host: base.hostname,
    port: base.port,
    method,
    path,
    headers: { ...headers, 'Content-Length': String(parts[0].length + parts[1].length) },
  });
  const reply = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
  });
  req.write(parts[0]);
  return { sendRest: () => req.end(parts[1]), reply };
}
