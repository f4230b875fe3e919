/**
 * The `first`, `next` and `schema` links of `GET /v2/images` (openstack.md §4.3, §1 item 7).
 *
 * They are relative to the image API root and begin exactly with `/v2/images`: glanceclient
 * requests `endpoint + next`, openstacksdk drops everything up to the second `/` and resolves the
 * rest against `<P>/image/v2/`, gophercloud joins it onto the unversioned base. Anything else
 * (`/image/v2/…`, absolute URLs) breaks one of them.
 *
 * `first` is the request's own query without `marker`; `next` (only when the page is full) is the
 * same plus `marker=<last id>` at the end — glanceclient follows it verbatim. Unlike Glance, which
 * builds the query from a dict and so keeps only the last of repeated keys, every `tag=`,
 * `sort_key=`, `sort_dir=` is kept: following `next` must not widen the filter.
 */

export const IMAGES_PATH = '/v2/images';
export const IMAGES_SCHEMA_PATH = '/v2/schemas/images';

export interface ListLinks {
  readonly first: string;
  readonly next?: string;
  readonly schema: string;
}

/**
 * Percent-encodes like Python's `urllib.parse.quote_plus` (what Glance's `urlencode` uses):
 * letters, digits and `_.-~` stay, a space becomes `+`, every other UTF-8 byte is `%XX`.
 */
export function formEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.~-]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const encodePairs = (pairs: readonly (readonly [string, string])[]) =>
  pairs.map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`).join('&');

/**
 * Links for one page. `query` is the request's raw query string (with or without `?`) or its
 * parsed pairs; `nextMarker` is the id of the page's last image when the page is full.
 */
export function listLinks(query: string | URLSearchParams, nextMarker?: string): ListLinks {
  const params = typeof query === 'string' ? new URLSearchParams(query.replace(/^\?/, '')) : query;
  const kept = [...params].filter(([k]) => k !== 'marker');
  const first = kept.length > 0 ? `${IMAGES_PATH}?${encodePairs(kept)}` : IMAGES_PATH;
  const links: ListLinks = { first, schema: IMAGES_SCHEMA_PATH };
  if (nextMarker === undefined) return links;
  return { ...links, next: `${IMAGES_PATH}?${encodePairs([...kept, ['marker', nextMarker]])}` };
}

/**
 * Whether a page gets a `next` link: Glance adds it iff the database returned exactly `limit`
 * rows and the page is not empty (§4.3). Returns the marker to use, or undefined.
 */
export function nextMarkerOf(pageIds: readonly string[], limit: number): string | undefined {
  return pageIds.length > 0 && pageIds.length === limit ? pageIds[pageIds.length - 1] : undefined;
}
