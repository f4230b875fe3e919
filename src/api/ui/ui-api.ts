/**
 * The web catalog at `/ui` (README, "Web catalog"): the page and its files, the login endpoint
 * that turns a password or a pasted token into a cookie session, and `/ui/api/…`, which hands the
 * request to one of the public APIs with the session's token. The page reaches images, objects
 * and identity only through those public APIs: this module adds no capability of its own.
 */
import type { Logger } from 'pino';
import { AuthenticationFailed, CredentialRejected, LoginThrottled } from '../../domain/identity/identity-errors.ts';
import { badRequest, notFound, methodNotAllowed, ServiceError, unauthorized } from '../../errors.ts';
import { parseJson, readSmallBody, mediaType, type ApiRequest } from '../http/api-request.ts';
import { errorResponse, json, type ApiResponse, type HeaderMap } from '../http/reply.ts';
import type { Api } from '../router.ts';
import { assets } from './static-assets.ts';
import { proxyToPublicApi } from './ui-proxy.ts';
import {
  checkCsrf,
  checkSameOrigin,
  clearedCookies,
  requireSession,
  sessionCookies,
  type UiSession,
} from './ui-session.ts';

/**
 * Every /ui response: scripts, styles, images and fetches from this origin only, no inline code,
 * no framing, no form posts elsewhere, no referrer (image ids stay on this site).
 */
const SECURITY_HEADERS: HeaderMap = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

const LOGIN_BODY_LIMIT = 16 * 1024;

async function handleUi(req: ApiRequest): Promise<ApiResponse> {
  const path = req.path;
  if (path === '/ui' || path === '/ui/') return page(req);
  if (path.startsWith('/ui/assets/')) return asset(req);
  if (path === '/ui/session') return session(req);
  if (path.startsWith('/ui/api/')) return proxyToPublicApi(req, '/ui/api'.length, 'api');
  if (path.startsWith('/ui/download/')) return download(req);
  throw notFound('Not found');
}

function onlyGet(req: ApiRequest): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(['GET', 'HEAD']);
}

function page(req: ApiRequest): ApiResponse {
  onlyGet(req);
  return {
    status: 200,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' },
    body: assets().page,
  };
}

function asset(req: ApiRequest): ApiResponse {
  onlyGet(req);
  const m = /^\/ui\/assets\/([0-9a-f]+)\/([A-Za-z0-9._-]+)$/.exec(req.path);
  const bundle = assets();
  const file = m && m[1] === bundle.build ? bundle.files.get(m[2]) : undefined;
  if (!file) throw notFound('No such file');
  return {
    status: 200,
    headers: { 'Content-Type': file.type, 'Cache-Control': 'public, max-age=31536000, immutable' },
    body: file.body,
  };
}

/** GET: who is logged in; POST: log in; DELETE: log out. */
async function session(req: ApiRequest): Promise<ApiResponse> {
  switch (req.method) {
    case 'GET':
    case 'HEAD':
      return whoAmI(req);
    case 'POST':
      return logIn(req);
    case 'DELETE':
      return logOut(req);
    default:
      throw methodNotAllowed(['GET', 'HEAD', 'POST', 'DELETE']);
  }
}

async function whoAmI(req: ApiRequest): Promise<ApiResponse> {
  const s = requireSession(req);
  checkCsrf(req, s);
  const caller = await req.services.tokens.resolve(s.secret).catch((err: unknown) => {
    if (err instanceof AuthenticationFailed) throw unauthorized('Session expired');
    throw err;
  });
  return json(200, {
    user: { id: caller.user.uuid, name: caller.user.name, admin: caller.user.admin },
    kind: s.kind,
    token_id: caller.tokenId,
    expires_at: new Date(caller.expiresAt / 1000).toISOString(),
    public_url: req.services.publicUrl(),
    region: req.services.settings.region,
  });
}

/**
 * `{"username", "password"}` (a Keystone v3 password login: a new token, revoked at logout) or
 * `{"token"}` (the same token; logout forgets it). JSON only: a cross-site HTML form cannot send
 * it, and a script on another origin would need a CORS preflight, which nothing here grants.
 */
async function logIn(req: ApiRequest): Promise<ApiResponse> {
  checkSameOrigin(req);
  if (mediaType(req.raw) !== 'application/json') throw badRequest('Send the login as application/json');
  const doc = parseJson(
    await readSmallBody(req.raw, LOGIN_BODY_LIMIT),
    'The body is not UTF-8',
    'The body is not valid JSON',
  );
  const credential = loginCredential(req, doc);
  try {
    const s = await req.services.authentication.login(credential, { kind: 'default' });
    const kind = credential.method === 'password' && s.secret !== credential.password ? 'minted' : 'pasted';
    const ui: UiSession = { secret: s.secret, kind };
    const maxAge = (s.expiresAt - Date.now() * 1000) / 1_000_000;
    req.log.info({ user: s.user.uuid, kind }, 'ui: logged in');
    return json(
      200,
      { user: { id: s.user.uuid, name: s.user.name } },
      { 'Set-Cookie': sessionCookies(req, ui, maxAge), 'Cache-Control': 'no-store' },
    );
  } catch (err) {
    return loginFailure(req.log, err);
  }
}

type LoginCredential = Parameters<ApiRequest['services']['authentication']['login']>[0];

function loginCredential(req: ApiRequest, doc: unknown): LoginCredential {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw badRequest('Expected a JSON object');
  const { username, password, token } = doc as Record<string, unknown>;
  if (typeof token === 'string' && token !== '') return { method: 'token', secret: token.trim() };
  if (typeof username === 'string' && username !== '' && typeof password === 'string' && password !== '') {
    return {
      method: 'password',
      user: { name: username, domain: { id: 'default' } },
      password,
      address: req.raw.socket.remoteAddress ?? 'unknown',
    };
  }
  throw badRequest('Give a user name and password, or a token');
}

function loginFailure(log: Logger, err: unknown): ApiResponse {
  if (err instanceof AuthenticationFailed) {
    log.info({ reason: err.reason }, 'ui: login refused');
    return errorResponse(unauthorized('Wrong user name, password or token'));
  }
  if (err instanceof LoginThrottled) {
    return json(
      429,
      { overLimit: { code: 429, message: 'Too many failed logins; try again later', details: '' } },
      { 'Retry-After': String(err.retryAfterSeconds) },
    );
  }
  if (err instanceof CredentialRejected) return errorResponse(badRequest(`Invalid ${err.field}`));
  throw err;
}

/** Revokes the token the login minted (a pasted one is only forgotten) and clears the cookies. */
async function logOut(req: ApiRequest): Promise<ApiResponse> {
  checkSameOrigin(req);
  const s = requireSession(req);
  checkCsrf(req, s);
  if (s.kind === 'minted') {
    const caller = await req.services.tokens.resolve(s.secret).catch(() => undefined);
    if (caller) await req.services.authentication.revoke(caller, s.secret);
  }
  return { status: 204, headers: { 'Set-Cookie': clearedCookies(req) } };
}

/**
 * A plain link (`<a href download>`) cannot add the CSRF header, so downloads have their own
 * read-only route: GET of one image's data, with the session cookie only (SameSite=Strict keeps
 * other sites from sending it), through the Image API v2 `file` endpoint.
 */
async function download(req: ApiRequest): Promise<ApiResponse> {
  onlyGet(req);
  const m = /^\/ui\/download\/([0-9a-fA-F-]{36})$/.exec(req.path);
  if (!m) throw notFound('Not found');
  const response = await proxyToPublicApi(req, 0, 'download', `/image/v2/images/${m[1]}/file`);
  if (response.status === 200 || response.status === 206)
    response.headers = { ...response.headers, 'Content-Disposition': `attachment; filename="${m[1]}"` };
  return response;
}

export const uiApi: Api = {
  name: 'ui',
  prefix: /^\/ui(\/|$)/,
  async handle(req) {
    let response: ApiResponse;
    try {
      response = await handleUi(req);
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      response = errorResponse(err);
    }
    response.headers = { ...SECURITY_HEADERS, ...response.headers };
    return response;
  },
};
