/**
 * The route table of image-api.md §1. Paths are matched on the percent-decoded path, anchored at
 * both ends; no trailing-slash redirects, no HEAD answered from GET. Anything under `/image` that
 * matches no row is E17.
 */
import { percentDecode, octets, utf8 } from '../../http/percent.ts';

export type RouteName = 'versions' | 'images' | 'detail' | 'image' | 'members' | 'member' | 'sharedImages';

/**
 * Which prefix a request used: `v1.0` (Plankton, kamaki) or `v1` (Glance v1, glanceclient). Both
 * reach the same handlers; only the list bodies differ (§5.2).
 */
export type ApiVersion = 'v1.0' | 'v1';

export interface RouteMatch {
  readonly route: RouteName;
  /** Methods this path answers, for the 405 `Allow` header. */
  readonly allow: readonly string[];
  /** Absent only for the versions document, which has no prefix. */
  readonly version?: ApiVersion;
  readonly id?: string;
  readonly member?: string;
}

const V = '/image/(?<version>v1(?:\\.0)?)';
const ID = '(?<id>[A-Za-z0-9_-]+)';
const MEMBER = '(?<member>[A-Za-z0-9@._-]+)';

/** First match wins: `detail` must come before `{id}`, which it also matches. */
const ROUTES: readonly { route: RouteName; pattern: RegExp; allow: readonly string[] }[] = [
  { route: 'versions', pattern: /^\/image(?:\/|\/\.json|\/versions\/?)?$/, allow: ['GET'] },
  { route: 'images', pattern: new RegExp(`^${V}/images/?$`), allow: ['GET', 'POST'] },
  { route: 'detail', pattern: new RegExp(`^${V}/images/detail$`), allow: ['GET'] },
  { route: 'image', pattern: new RegExp(`^${V}/images/${ID}$`), allow: ['GET', 'HEAD', 'PUT', 'DELETE'] },
  { route: 'members', pattern: new RegExp(`^${V}/images/${ID}/members$`), allow: ['GET', 'PUT'] },
  { route: 'member', pattern: new RegExp(`^${V}/images/${ID}/members/${MEMBER}$`), allow: ['DELETE', 'PUT'] },
  { route: 'sharedImages', pattern: new RegExp(`^${V}/shared-images/${MEMBER}$`), allow: ['GET'] },
];

const PLAIN_PATH = /^[\x21-\x24\x26-\x7e]*$/;

function decoded(rawPath: string): string | undefined {
  const bytes = percentDecode(octets(rawPath), false);
  return bytes && utf8(bytes);
}

/** The route of a raw (still percent-encoded) request path, or undefined for E17. */
export function matchImageRoute(rawPath: string): RouteMatch | undefined {
  // Printable ASCII without `%` is its own decoding: no buffers on the hot path.
  const path = PLAIN_PATH.test(rawPath) ? rawPath : decoded(rawPath);
  if (path === undefined) return undefined;
  for (const { route, pattern, allow } of ROUTES) {
    const m = pattern.exec(path);
    if (!m) continue;
    const { version, id, member } = m.groups ?? {};
    return {
      route,
      allow,
      ...(version !== undefined ? { version: version as ApiVersion } : {}),
      ...(id !== undefined ? { id } : {}),
      ...(member !== undefined ? { member } : {}),
    };
  }
  return undefined;
}
