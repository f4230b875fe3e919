/**
 * The v2 route table (openstack.md §4.1): path under `/image/v2` → route name, parameters and the
 * methods it allows. Wrong method on a known path → 405 with `Allow` (Glance's `allowed_methods`,
 * no implicit HEAD); an unknown path → 404. Every path under `/images/` that is not a route is
 * `No image found with ID <id>` (§1 item 12: openstacksdk's `find_image(name)` GETs
 * `/v2/images/<name>` — names may contain `/` — and falls back to `?name=` only on a 404).
 *
 * Order for a request, as in v1 (image-api.md §1): route (404) → method (405) → token (401) →
 * handler. So a non-UUID id still routes here; the handler answers its 404 after authentication.
 */
import { v2Error } from './faults.ts';

export type V2RouteName =
  | 'versions'
  | 'schema'
  | 'importInfo'
  | 'images'
  | 'image'
  | 'imageFile'
  | 'imageStage'
  | 'imageImport'
  | 'members'
  | 'member'
  | 'tag'
  | 'deactivate'
  | 'reactivate';

export interface V2RouteMatch {
  readonly name: V2RouteName;
  /** Methods the route answers; the handler table has exactly these. */
  readonly allow: readonly string[];
  /** Image id (decoded, as given: the handler checks it names a readable image). */
  readonly imageId?: string;
  readonly memberId?: string;
  readonly tag?: string;
  /** `image`, `images`, `member`, `members` for the schema route. */
  readonly schemaName?: string;
}

const ALLOW: Record<V2RouteName, readonly string[]> = {
  versions: ['GET'],
  schema: ['GET'],
  importInfo: ['GET'],
  images: ['GET', 'POST'],
  image: ['GET', 'PATCH', 'DELETE'],
  imageFile: ['GET', 'PUT'],
  imageStage: ['PUT'],
  imageImport: ['POST'],
  members: ['GET', 'POST'],
  member: ['GET', 'PUT', 'DELETE'],
  tag: ['PUT', 'DELETE'],
  deactivate: ['POST'],
  reactivate: ['POST'],
};

const SCHEMAS = new Set(['image', 'images', 'member', 'members']);

/** Sub-resources of one image, by their segment(s) after the id. */
function imageSubroute(rest: readonly string[]): Omit<V2RouteMatch, 'allow' | 'imageId'> | undefined {
  const [a, b, ...more] = rest;
  if (more.length > 0) return undefined;
  if (a === undefined) return { name: 'image' };
  if (b === undefined) {
    if (a === 'file') return { name: 'imageFile' };
    if (a === 'stage') return { name: 'imageStage' };
    if (a === 'import') return { name: 'imageImport' };
    if (a === 'members') return { name: 'members' };
    return undefined;
  }
  if (a === 'members') return { name: 'member', memberId: b };
  if (a === 'tags') return { name: 'tag', tag: b };
  if (a === 'actions' && b === 'deactivate') return { name: 'deactivate' };
  if (a === 'actions' && b === 'reactivate') return { name: 'reactivate' };
  return undefined;
}

/** Matches a path relative to `/image/v2` (`''`, `/`, `/images/…`; no query string), or undefined. */
export function matchV2Route(path: string): V2RouteMatch | undefined {
  if (path === '' || path === '/') return { name: 'versions', allow: ALLOW.versions };
  const raw = path.startsWith('/') ? path.slice(1) : path;
  const segments = decodeSegments(raw.endsWith('/') ? raw.slice(0, -1) : raw);
  if (!segments) return undefined;
  const [head, ...rest] = segments;
  let match: Omit<V2RouteMatch, 'allow'> | undefined;
  if (head === 'images') {
    if (rest.length === 0) match = { name: 'images' };
    else if (rest[0] !== '') {
      const sub = imageSubroute(rest.slice(1));
      if (sub) match = { ...sub, imageId: rest[0] };
    }
  } else if (head === 'schemas' && rest.length === 1 && SCHEMAS.has(rest[0])) {
    match = { name: 'schema', schemaName: rest[0] };
  } else if (head === 'info' && rest.length === 1 && rest[0] === 'import') {
    match = { name: 'importInfo' };
  }
  if (!match || [match.memberId, match.tag].includes('')) return undefined;
  return { ...match, allow: ALLOW[match.name] };
}

/**
 * Route and method in one step: the match, or the 404/405 `V2Error` to answer. The 404 for a
 * path under `/images/` names the whole rest of the path as the id, as Glance's would.
 */
export function resolveV2Route(method: string, path: string): V2RouteMatch {
  const match = matchV2Route(path);
  if (!match) {
    const rest = /^\/?images\/(.+)$/.exec(path)?.[1];
    if (rest !== undefined) throw v2Error('imageNotFound', decodeSegments(rest.replace(/\/$/, ''))?.join('/') ?? rest);
    throw v2Error('notFound');
  }
  if (!match.allow.includes(method)) throw v2Error('methodNotAllowed', match.allow);
  return match;
}

/** Percent-decodes each segment; undefined when one is not valid UTF-8 percent-encoding. */
function decodeSegments(raw: string): string[] | undefined {
  try {
    return raw.split('/').map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a path id can name an image at all (anything else is the same 404 as an unknown one). */
export const isImageId = (id: string): boolean => UUID.test(id);
