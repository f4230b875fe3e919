/**
 * The source of a `web-download` import (openstack.md §4.9, Decision 5): an HTTP(S) GET that may
 * only reach what the operator's allow-list names. Fetching arbitrary URLs on a user's behalf is
 * a server-side request forgery risk, so:
 *
 * - the URL must match an allow-list entry: a URL prefix (`https://images.example.org/pub/`), a
 *   host (`images.example.org`, `192.0.2.7`, `[2001:db8::7]`, optionally `:port`), or `*` (any
 *   public host);
 * - every address the host resolves to must be public (not loopback, private, link-local, CGNAT,
 *   unique-local, multicast, unspecified…) unless an entry names that host itself (`*` never
 *   does); the connection goes to the address that was checked (no second lookup to rebind);
 * - redirects are followed by hand, each hop checked like the first (at most MAX_REDIRECTS);
 * - the body is size-capped as it streams, and the connection gives up when idle.
 *
 * Refusals are ImageRuleRefused('import-uri-refused'); a failing transfer is 'import-failed'.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { LookupFunction } from 'node:net';
import { DataTooLarge, ImageRuleRefused } from '../errors.ts';

export const MAX_REDIRECTS = 5;

export interface WebDownloadPolicy {
  /** Allow-list entries (see above); empty: web-download is off. */
  readonly allow: readonly string[];
  /** Largest body accepted, bytes. */
  readonly maxBytes: number;
  /** A connection with no byte moving this long is abandoned, ms. */
  readonly idleTimeoutMs: number;
}

type AllowEntry =
  | { readonly kind: 'any' }
  | { readonly kind: 'prefix'; readonly prefix: string; readonly host: string }
  | { readonly kind: 'host'; readonly host: string; readonly port?: string };

const refused = (why: string) => new ImageRuleRefused('import-uri-refused', why);

/** Parses one allow-list entry; a string is the reason it is not one. */
export function parseAllowEntry(entry: string): AllowEntry | string {
  const e = entry.trim();
  if (e === '*') return { kind: 'any' };
  if (e.includes('://')) {
    let u: URL;
    try {
      u = new URL(e);
    } catch {
      return `"${e}" is not a URL`;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return `"${e}" is not an http(s) URL`;
    return { kind: 'prefix', prefix: u.href, host: hostOf(u) };
  }
  if (e === '' || /[\s/@?#]/.test(e)) return `"${e}" is not a host name or address`;
  let u: URL;
  try {
    u = new URL(`http://${e}/`);
  } catch {
    return `"${e}" is not a host name or address`;
  }
  return { kind: 'host', host: hostOf(u), ...(u.port ? { port: u.port } : {}) };
}

/** The host of a URL without IPv6 brackets, lower case. */
const hostOf = (u: URL) => u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
const portOf = (u: URL) => u.port || (u.protocol === 'https:' ? '443' : '80');

/**
 * Checks an allow-list (by the entries' syntax) once, at start-up; returns the reason for the
 * first bad entry, or undefined.
 */
export function allowListProblem(entries: readonly string[]): string | undefined {
  for (const e of entries) {
    const parsed = parseAllowEntry(e);
    if (typeof parsed === 'string') return parsed;
  }
  return undefined;
}

/** Whether an address may be reached only when the allow-list names its host. */
export function isNonPublicAddress(address: string): boolean {
  if (net.isIPv4(address)) {
    const [a, b] = address.split('.').map(Number);
    return (
      a === 0 || // this network
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b < 128) || // CGNAT
      (a === 169 && b === 254) || // link-local
      (a === 172 && b >= 16 && b < 32) ||
      (a === 192 && b === 168) ||
      (a === 192 && b === 0) || // IETF protocol assignments, 192.0.0.0/24 and documentation 192.0.2.0/24 alike
      (a === 198 && (b === 18 || b === 19)) || // benchmarking
      a >= 224 // multicast, reserved, broadcast
    );
  }
  if (net.isIPv6(address)) {
    const a = address.toLowerCase();
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
    if (mapped) return isNonPublicAddress(mapped[1]);
    if (a === '::' || a === '::1') return true;
    const first = Number.parseInt(a.split(':')[0] || '0', 16);
    return (
      (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
      (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
      (first & 0xffc0) === 0xfec0 || // site-local (deprecated)
      (first & 0xff00) === 0xff00 || // multicast
      a.startsWith('64:ff9b:') || // NAT64 may reach anything
      a.startsWith('2001:db8:') ||
      /^::(\d|[0-9a-f]{1,4}:)/.test(a) // other IPv4-compatible / embedded forms
    );
  }
  return true;
}

/** What the allow-list says of one URL: refused (throws), or allowed and whether its host is named. */
function admit(url: URL, entries: readonly AllowEntry[]): { named: boolean } {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refused(`scheme ${url.protocol} is not allowed`);
  if (url.username || url.password) throw refused('credentials in the URL are not allowed');
  const host = hostOf(url);
  let any = false;
  for (const e of entries) {
    if (e.kind === 'any') any = true;
    else if (e.kind === 'prefix' && url.href.startsWith(e.prefix)) return { named: true };
    else if (e.kind === 'host' && e.host === host && (e.port === undefined || e.port === portOf(url)))
      return { named: true };
  }
  if (any) return { named: false };
  throw refused(`${url.protocol}//${url.host} is not in the web-download allow-list`);
}

/** Checks a URL against the allow-list before anything is fetched (the import request's 400). */
export function checkWebUri(uri: string, policy: WebDownloadPolicy): URL {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw refused('not a URL');
  }
  const entries = policy.allow.map(parseAllowEntry).filter((e): e is AllowEntry => typeof e !== 'string');
  const { named } = admit(url, entries);
  const host = hostOf(url);
  if (net.isIP(host) && !named && isNonPublicAddress(host)) throw refused(`address ${host} is not public`);
  return url;
}

/** A DNS lookup that fails unless every address is public (or the host is named): the connection uses it. */
function checkedLookup(named: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { all: true, verbatim: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const bad = named ? undefined : addresses.find((a) => isNonPublicAddress(a.address));
      if (bad) return callback(refused(`${hostname} resolves to ${bad.address}, which is not public`), '', 0);
      if (addresses.length === 0) return callback(refused(`${hostname} has no address`), '', 0);
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** One GET, no redirect followed; the response (the caller checks its status). */
function get(url: URL, named: boolean, idleTimeoutMs: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    // agent: false, a fresh connection each time: a pooled keep-alive socket would skip the checked lookup.
    const req = client.get(url, {
      agent: false,
      lookup: checkedLookup(named),
      headers: { 'User-Agent': 'plankton-web-download' },
    });
    req.setTimeout(idleTimeoutMs, () =>
      req.destroy(new ImageRuleRefused('import-failed', 'the server stopped answering')),
    );
    req.once('response', resolve);
    req.once('error', reject);
  });
}

/**
 * Opens the body of `uri`: follows up to MAX_REDIRECTS redirects, each hop checked, and streams
 * the final 200's body, refusing it past `maxBytes`.
 */
export async function openWebSource(uri: string, policy: WebDownloadPolicy): Promise<AsyncIterable<Buffer>> {
  const entries = policy.allow.map(parseAllowEntry).filter((e): e is AllowEntry => typeof e !== 'string');
  let url = checkWebUri(uri, policy);
  for (let hop = 0; ; hop++) {
    const { named } = admit(url, entries);
    const res = await get(url, named, policy.idleTimeoutMs);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location !== undefined) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new ImageRuleRefused('import-failed', 'too many redirects');
      url = checkWebUri(new URL(res.headers.location, url).href, policy);
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new ImageRuleRefused('import-failed', `the server answered ${status}`);
    }
    const length = Number(res.headers['content-length']);
    if (Number.isFinite(length) && length > policy.maxBytes) {
      res.destroy();
      throw new DataTooLarge(policy.maxBytes, true);
    }
    return capped(res, policy.maxBytes);
  }
}

async function* capped(res: http.IncomingMessage, maxBytes: number): AsyncGenerator<Buffer> {
  let seen = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      seen += chunk.length;
      if (seen > maxBytes) throw new DataTooLarge(maxBytes);
      yield chunk;
    }
  } finally {
    res.destroy();
  }
  if (!res.complete) throw new ImageRuleRefused('import-failed', 'the transfer was cut off');
}
