/**
 * Swift's TempURL on the Swift mount: `GET`, `HEAD` or `PUT` of one object (or of any object
 * under a `temp_url_prefix`) without a token, signed with a key the account or the container
 * holds in its meta (`Temp-URL-Key`, `Temp-URL-Key-2`). The request then acts as the account's
 * owner, on that path only: the query is reduced to the signed parameters, and a `PUT` may not
 * name another object (copy, move, manifest) or change grants or publishing. See README.md.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { badRequest } from '../../errors.ts';
import type { Caller } from '../../domain/identity/tokens.ts';
import { matchingKey, parseSignature, signingKeys } from '../../domain/objects/signed-requests.ts';
import type { ApiRequest } from '../http/api-request.ts';
import { percentDecode, utf8 } from '../http/percent.ts';
import type { ApiResponse, HeaderMap } from '../http/reply.ts';
import { SWIFT } from '../object-store/dialect.ts';
import { handleStoreTarget, type StoreTarget } from '../object-store/object-store-api.ts';
import { checkHeaderOctets } from '../object-store/request-headers.ts';
import { encodeResponseHeaders } from '../object-store/response-headers.ts';
import { SWIFT_BASE } from './v1-auth.ts';

/** Methods a temporary URL may be signed for (Swift also has POST and DELETE; not offered here). */
export const TEMP_URL_METHODS = ['GET', 'HEAD', 'PUT'] as const;

/**
 * Headers a temporary `PUT` may not carry: each would reach beyond the signed path (a copy or
 * move reads another object, a manifest names others) or beyond writing content (grants, publishing).
 */
const DISALLOWED_PUT_HEADERS = [
  'x-object-manifest',
  'x-symlink-target',
  'x-copy-from',
  'x-move-from',
  'x-object-sharing',
  'x-object-public',
];

/** Swift's tempurl defaults: reply meta is hidden from the link's holder except `X-Object-Meta-Public-*`. */
export const OUTGOING_REMOVE = ['x-object-meta-*'];
export const OUTGOING_ALLOW = ['x-object-meta-public-*'];
/** Plankton's own reply headers that are the owner's business (grants, publishing, who changed it). */
const PRIVATE_REPLY_HEADERS = new Set(['x-object-sharing', 'x-object-public', 'x-object-modified-by']);

/** Is this a temporary-URL request (either signed parameter present)? */
export const isTempUrlRequest = (req: ApiRequest): boolean =>
  req.query.has('temp_url_sig') || req.query.has('temp_url_expires');

/** Swift's refusal of a bad, forged or expired link: the same 401 whatever was wrong. */
export function tempUrlInvalid(method: string): ApiResponse {
  return {
    status: 401,
    headers: { 'Content-Type': 'text/plain; charset=UTF-8', 'Www-Authenticate': 'Swift realm="unknown"' },
    body: method === 'HEAD' ? undefined : '401 Unauthorized: Temp URL invalid\n',
  };
}

/** `temp_url_expires`: epoch seconds or `YYYY-MM-DDThh:mm:ssZ`; undefined when neither. */
export function parseExpires(value: string): number | undefined {
  if (/^\d{1,12}$/.test(value)) return Number(value);
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
  }
  return undefined;
}

/** Does the client's address fall in `temp_url_ip_range` (one address or a CIDR block)? */
function inRange(range: string, address: string | undefined): boolean {
  if (!address) return false;
  const ip = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  const slash = range.indexOf('/');
  const base = slash < 0 ? range : range.slice(0, slash);
  const family = isIPv4(base) ? 'ipv4' : isIPv6(base) ? 'ipv6' : undefined;
  if (!family) return false;
  const bits = slash < 0 ? (family === 'ipv4' ? 32 : 128) : Number(range.slice(slash + 1));
  if (!Number.isInteger(bits) || bits < 0 || bits > (family === 'ipv4' ? 32 : 128) || !/^\d+$/.test(String(bits)))
    return false;
  const list = new BlockList();
  list.addSubnet(base, bits, family);
  return list.check(ip, isIPv4(ip) ? 'ipv4' : 'ipv6');
}

/** The decoded request path without its `/swift` mount: `/v1/AUTH_<uuid>/<container>/<object>`. */
function signedPaths(req: ApiRequest): string[] | undefined {
  const text = utf8(percentDecode(Buffer.from(req.path, 'latin1'), false)!);
  if (text === undefined || !text.startsWith(`${SWIFT_BASE}/`)) return undefined;
  // Signed over Swift's own path (`swift tempurl … /v1/AUTH_…`), or over the whole path of this mount.
  return [text.slice(SWIFT_BASE.length - '/v1'.length), text];
}

/** Serves a temporary-URL request, or answers its 401 / 400. */
export async function handleTempUrl(req: ApiRequest, target: StoreTarget): Promise<ApiResponse> {
  const invalid = () => tempUrlInvalid(req.method);
  const sig = req.query.get('temp_url_sig');
  const expiresText = req.query.get('temp_url_expires');
  if (!sig || !expiresText) return invalid();
  if (target.level !== 'object' || !(TEMP_URL_METHODS as readonly string[]).includes(req.method)) return invalid();
  const signature = parseSignature(sig);
  const expires = parseExpires(expiresText);
  if (!signature || expires === undefined || expires < Date.now() / 1000) return invalid();
  const ipRange = req.query.get('temp_url_ip_range');
  if (ipRange !== undefined && !inRange(ipRange, req.raw.socket.remoteAddress)) return invalid();
  const prefix = req.query.get('temp_url_prefix');
  if (prefix !== undefined && !target.object.startsWith(prefix)) return invalid();

  const { users, containers } = req.services;
  const owner = await users.byUuid(target.account);
  if (!owner || owner.uuid !== target.account || !owner.active) return invalid();
  const container = await containers.get(target.account, target.container);
  const keys = [...signingKeys(await containers.accountMeta(target.account)), ...signingKeys(container?.meta ?? {})];
  const paths = signedPaths(req);
  if (!keys.length || !paths) return invalid();
  const scoped = paths.map((p) =>
    prefix === undefined ? p : `prefix:${p.slice(0, p.length - target.object.length)}${prefix}`,
  );
  // A GET or PUT link also allows HEAD (Swift's rule).
  const methods = req.method === 'HEAD' ? ['HEAD', 'GET', 'PUT'] : [req.method];
  const messages = methods.flatMap((m) =>
    scoped.map((p) => `${ipRange !== undefined ? `ip=${ipRange}\n` : ''}${m}\n${expires}\n${p}`),
  );
  if (matchingKey(signature, keys, messages) < 0) return invalid();

  if (req.method === 'PUT') {
    const present = DISALLOWED_PUT_HEADERS.find((h) => req.raw.headers[h] !== undefined);
    if (present) throw badRequest(`The header '${titleCase(present)}' is not allowed in this tempurl`);
  }
  checkHeaderOctets(req.raw);
  const caller: Caller = {
    user: owner,
    tokenId: 'tempurl',
    expiresAt: expires * 1_000_000,
    issuedAt: Date.now() * 1000,
    // A signed link proves no password: it may not issue tokens.
    minted: false,
  };
  // The signed path only: none of the object API's query switches (hashmap, versions, manifests…).
  // (`log` named: the shell's request makes its logger on first use, a getter a spread would not copy.)
  const scopedReq: ApiRequest = { ...req, log: req.log, query: new Map() };
  const response = await handleStoreTarget(scopedReq, caller, target, SWIFT);
  const headers = cleanOutgoing(encodeResponseHeaders(response.headers) ?? {});
  if (req.method !== 'PUT' && response.status >= 200 && response.status < 300) {
    const filename = req.query.get('filename');
    const inline = req.query.has('inline');
    const existing = Object.keys(headers).find((k) => k.toLowerCase() === 'content-disposition');
    const stored = existing === undefined ? undefined : String(headers[existing]);
    if (existing !== undefined) delete headers[existing];
    headers['Content-Disposition'] = disposition(target.object, filename, inline, stored);
  }
  return { ...response, headers };
}

const titleCase = (h: string) => h.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());

function cleanOutgoing(headers: HeaderMap): HeaderMap {
  const out: HeaderMap = {};
  for (const [k, v] of Object.entries(headers)) {
    const lower = k.toLowerCase();
    if (PRIVATE_REPLY_HEADERS.has(lower)) continue;
    if (lower.startsWith('x-object-meta-') && !lower.startsWith('x-object-meta-public-')) continue;
    out[k] = v;
  }
  return out;
}

/** Python's `quote` (unreserved characters and `safe` kept, every other UTF-8 byte percent-encoded). */
function pyQuote(s: string, safe: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_.~-]/.test(c) || safe.includes(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The reply's `Content-Disposition` (Swift's rules): `inline` (with the filename if given), else
 * an attachment named `filename`, else the object's own disposition, else an attachment named
 * after the object's last path segment. The name is percent-encoded (RFC 6266 `filename*` too),
 * so no quote, CR or LF of a name can break the header.
 */
export function disposition(
  objectName: string,
  filename: string | undefined,
  inline: boolean,
  stored?: string,
): string {
  const format = (type: string, name: string) =>
    `${type}; filename="${pyQuote(name, ' /')}"; filename*=UTF-8''${pyQuote(name, '/')}`;
  if (inline) return filename ? format('inline', filename) : 'inline';
  if (filename) return format('attachment', filename);
  if (stored) return stored.replace(/\n/g, '%0A');
  const trimmed = objectName.replace(/\/+$/, '');
  return format('attachment', trimmed.slice(trimmed.lastIndexOf('/') + 1));
}
