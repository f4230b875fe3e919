/**
 * The image versions document (openstack.md §3.1, extending image-api.md §5.1 E0), answered with
 * `200` at `/image`, `/image/`, `/image/versions` and, for clients configured with a versioned
 * endpoint, `/image/v2` and `/image/v2/`.
 *
 * It keeps the v1.0 and v1 entries (kamaki, glanceclient v1) and adds exactly Glance Zed's
 * single-store list: `v2.15` CURRENT, then `v2.9`, `v2.7` … `v2.0` SUPPORTED, all pointing at
 * `<P>/image/v2/`. keystoneauth and openstacksdk pick the highest v2.x and use its `self` href as
 * the base; glanceclient looks for any id starting with `v2`; gophercloud ≥ 2.8 wants every id
 * `v<N>[.<M>]` and every status CURRENT/STABLE/SUPPORTED/DEPRECATED. `v2.12` (image tasks) is left
 * out on purpose: glanceclient's `has_version('v2.12')` would then ask for tasks we don't serve.
 *
 * Wired: v1 answers it at `/image`, `/image/`, `/image/versions`, v2 at `/image/v2` (issue 12).
 */

/** The paths (under the image prefix) that answer this document. */
export const VERSIONS_PATHS = ['/image', '/image/', '/image/versions', '/image/v2', '/image/v2/'] as const;

/** Zed's v2 ids after v2.15, newest first (§3.1). */
const SUPPORTED_V2 = ['v2.9', 'v2.7', 'v2.6', 'v2.5', 'v2.4', 'v2.3', 'v2.2', 'v2.1', 'v2.0'] as const;

export interface VersionEntry {
  readonly id: string;
  readonly status: 'CURRENT' | 'SUPPORTED';
  readonly links: readonly { readonly rel: 'self'; readonly href: string }[];
  readonly media_types?: readonly { readonly base: string; readonly type: string }[];
}

/** `{"versions": [...]}` with hrefs under `publicUrl` (no trailing slash: `http://host:port`). */
export function imageVersionsDocument(publicUrl: string): { versions: VersionEntry[] } {
  const base = publicUrl.replace(/\/+$/, '');
  // v1 entries exactly as E0 renders them today (Plankton's compute media type, kept verbatim).
  const v1 = (id: string): VersionEntry => ({
    id,
    status: 'CURRENT',
    links: [{ rel: 'self', href: `${base}/image/${id}/` }],
    media_types: [{ base: 'application/json', type: 'application/vnd.openstack.compute.v2+json' }],
  });
  // Glance gives every v2 entry the same href (§3.1).
  const v2 = (id: string, status: 'CURRENT' | 'SUPPORTED'): VersionEntry => ({
    id,
    status,
    links: [{ rel: 'self', href: `${base}/image/v2/` }],
  });
  return {
    versions: [v2('v2.15', 'CURRENT'), ...SUPPORTED_V2.map((id) => v2(id, 'SUPPORTED')), v1('v1.0'), v1('v1')],
  };
}
