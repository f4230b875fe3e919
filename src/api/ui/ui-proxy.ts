/**
 * `/ui/api/<public path>`: the page's calls, answered by the public API that owns the path, as
 * if the client had sent the session's token in `X-Auth-Token` (README, "Web catalog", why the
 * cookie is accepted here and nowhere else). The request is the same stream, so uploads and
 * downloads flow through untouched; the API's own faults module words its errors.
 */
import { badRequest, forbidden } from '../../errors.ts';
import { apiRequest, lastHeader, type ApiRequest } from '../http/api-request.ts';
import { failureResponse, type ApiResponse } from '../http/reply.ts';
import { checkCsrf, checkSameOrigin, requireSession } from './ui-session.ts';

/** The public APIs the page may reach. Nothing else (health, public links, the rest of v1) is proxied. */
const ALLOWED_PREFIXES = ['/image/v2/', '/identity/v3/', '/object-store/v1/', '/account/v1.0/'];

/**
 * The one Image API v1 call the page makes: registering an existing object as an image (`POST
 * /image/v1/images` with `X-Image-Meta-Location`, image-api.md §5.3), which v2 offers users no way to do.
 */
function isV1Register(req: ApiRequest, path: string): boolean {
  return (
    req.method === 'POST' &&
    /^\/image\/v1\/images\/?$/.test(path) &&
    lastHeader(req.raw, 'x-image-meta-location') !== undefined
  );
}

/**
 * `mode` 'api': every method, with the CSRF header and same-origin checks; 'download': a GET the
 * caller already checked, with the cookie alone. `target` overrides the path taken from the URL.
 */
export async function proxyToPublicApi(
  req: ApiRequest,
  strip: number,
  mode: 'api' | 'download',
  target?: string,
): Promise<ApiResponse> {
  const session = requireSession(req);
  if (mode === 'api') {
    checkSameOrigin(req);
    checkCsrf(req, session);
  }
  const path = target ?? req.path.slice(strip);
  if (!ALLOWED_PREFIXES.some((p) => path.startsWith(p)) && !(mode === 'api' && isV1Register(req, path)))
    throw forbidden('Not reachable from the web catalog');
  // Never a token in a URL: the session is the only credential here.
  if ([...req.query.keys()].some((k) => k.toLowerCase() === 'x-auth-token'))
    throw badRequest('No token in the query, please');

  const { findApi } = await import('../router.ts'); // lazily: router.ts lists this API
  const api = findApi(path);
  if (!api) throw forbidden('Not reachable from the web catalog');

  const raw = req.raw;
  const originalUrl = raw.url;
  raw.url = req.rawQuery && mode === 'api' ? `${path}?${req.rawQuery}` : path;
  const headers: string[] = [];
  for (let i = 0; i < raw.rawHeaders.length; i += 2) {
    const name = raw.rawHeaders[i].toLowerCase();
    if (name !== 'x-auth-token' && name !== 'cookie') headers.push(raw.rawHeaders[i], raw.rawHeaders[i + 1]);
  }
  headers.push('X-Auth-Token', session.secret);
  raw.rawHeaders = headers;
  raw.headers['x-auth-token'] = session.secret;
  delete raw.headers.cookie;

  const inner = apiRequest(raw, req.id, req.log, req.services);
  let response: ApiResponse;
  try {
    response = await api.handle(inner);
  } catch (err) {
    response = failureResponse(req.log, err, api.faults, api.faultNames);
  } finally {
    // The access log names what the browser asked for.
    raw.url = originalUrl;
  }
  if (api.commonHeaders) response.headers = { ...api.commonHeaders, ...response.headers };
  return response;
}
