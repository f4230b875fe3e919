/**
 * The rules of a `web-download` import's source (openstack.md §4.9, Decision 5): an HTTP(S) GET
 * that may only reach what the operator's allow-list names. Fetching arbitrary URLs on a user's
 * behalf is a server-side request forgery risk, so:
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
 *
 * This module holds the rules and declares the port (WebFetcher); the fetching itself (DNS
 * lookup, pinned connection, redirects, streaming) is a driver, storage/web/web-fetcher.ts, which
 * asks these rules about every hop and every address.
 */
import net from 'node:net';
import { ImageRuleRefused } from '../errors.ts';

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

/** One URL the allow-list admits, and whether an entry names its host (then any address of it may be reached). */
export interface WebHop {
  readonly url: URL;
  readonly named: boolean;
}

/**
 * Checks a URL (the first one, or a redirect's target) against the allow-list; throws the
 * refusal, else says whether its host is named.
 */
export function admitWebUri(uri: string, policy: WebDownloadPolicy): WebHop {
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
  return { url, named };
}

/** Checks a URL against the allow-list before anything is fetched (the import request's 400). */
export function checkWebUri(uri: string, policy: WebDownloadPolicy): URL {
  return admitWebUri(uri, policy).url;
}

/**
 * The refusal for what a host name resolved to, or undefined when the connection may go to the
 * first address: every address must be public unless the hop's host is named.
 */
export function resolvedAddressRefusal(
  hop: WebHop,
  hostname: string,
  addresses: readonly string[],
): ImageRuleRefused | undefined {
  const bad = hop.named ? undefined : addresses.find((a) => isNonPublicAddress(a));
  if (bad !== undefined) return refused(`${hostname} resolves to ${bad}, which is not public`);
  if (addresses.length === 0) return refused(`${hostname} has no address`);
  return undefined;
}

/**
 * The port to the web (driver: storage/web/web-fetcher.ts). `open` fetches `uri` and yields the
 * body of its final answer: every hop, the first and each redirect's target (at most
 * MAX_REDIRECTS), passes `admitWebUri`, and its connection goes only to an address that
 * `resolvedAddressRefusal` accepts, the one that was checked. A body longer than
 * `policy.maxBytes` is refused as it streams (DataTooLarge); a connection idle past
 * `policy.idleTimeoutMs`, an answer that is no success or a cut transfer is
 * ImageRuleRefused('import-failed').
 */
export interface WebFetcher {
  open(uri: string, policy: WebDownloadPolicy): Promise<AsyncIterable<Buffer>>;
}
