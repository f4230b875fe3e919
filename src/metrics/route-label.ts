import { matchImageRoute } from '../api/image/v1/image-routes.ts';
import { matchV2Route } from '../api/image/v2/routes.ts';

/**
 * The `route` label of a request: a template, never the raw path, so the number of series stays
 * small whatever names, ids and tokens clients send. The image APIs name their routes in their
 * route tables; the object store is known by depth (account, container, object); the identity
 * APIs keep their literal segments and turn anything else into `{id}`. A path no route knows is
 * `unmatched`.
 */
export function routeLabel(api: string | undefined, path: string): string {
  switch (api) {
    case undefined:
      return 'unmatched';
    case 'health':
      return 'healthz';
    case 'metrics':
      return 'metrics';
    case 'image':
      return matchImageRoute(path)?.route ?? 'unmatched';
    case 'image-v2':
      // Its table matches the path below `/image/v2`.
      return path.startsWith('/image/v2')
        ? (matchV2Route(path.slice('/image/v2'.length))?.name ?? 'unmatched')
        : 'unmatched';
    case 'object-store':
      return OBJECT_STORE_DEPTH[Math.min(segments(path).length - 2, 3)] ?? 'unmatched';
    case 'public':
      return 'published-object';
    default:
      return literalTemplate(path);
  }
}

/** `/object-store/v1/<account>/<container>/<object…>`: segments after the two of the prefix. */
const OBJECT_STORE_DEPTH = ['root', 'account', 'container', 'object'];

const IDENTITY_LITERALS = new Set([
  'identity',
  'v2.0',
  'v3',
  'tokens',
  'auth',
  'projects',
  'catalog',
  'users',
  'domains',
  'default',
  'account',
  'v1.0',
  'user_catalogs',
]);
/** Deeper paths than this are folded into one label (nothing real is that deep). */
const MAX_TEMPLATE_SEGMENTS = 5;

function literalTemplate(path: string): string {
  const parts = segments(path);
  if (parts.length > MAX_TEMPLATE_SEGMENTS) return 'unmatched';
  return `/${parts.map((s) => (IDENTITY_LITERALS.has(s) ? s : '{id}')).join('/')}`;
}

const segments = (path: string): string[] => path.split('/').filter((s) => s !== '');
