import type { Caller } from '../../../domain/identity/tokens.ts';
import { AuthenticationFailed } from '../../../domain/identity/identity-errors.ts';
import { lastHeader, parseJson, readSmallBody, type ApiRequest } from '../../http/api-request.ts';
import { json, type ApiResponse } from '../../http/reply.ts';
import {
  issueApplicationCredential,
  listApplicationCredentials,
  revokeApplicationCredential,
  showApplicationCredential,
} from './application-credentials.ts';
import { parseAuthBody } from './auth-body.ts';
import { v3Catalog } from './catalog.ts';
import { versionDocument, versionsDocument } from './discovery.ts';
import { KeystoneFault, keystoneFault, resourceNotFound } from './faults.ts';
import { listDomains, listProjects, listUsers, ownProjects, showDomain, showProject, showUser } from './resources.ts';
import { tokenBody } from './token-view.ts';

/** Auth bodies are a few hundred bytes; 64 KiB leaves room for 10,000-character names and no more. */
const AUTH_BODY_LIMIT = 64 * 1024;

/** Paths this adapter serves: the discovery documents and everything under /identity/v3. */
export const IDENTITY_V3_PREFIX = /^\/identity(\/?$|\/v3(\/|$))/;

/** The Keystone v3 subset (openstack.md §2), every reply and fault in Keystone's shape. */
export async function handleIdentityV3(req: ApiRequest): Promise<ApiResponse> {
  try {
    return await route(req);
  } catch (err) {
    return keystoneFault(err, req.log, req.services.publicUrl());
  }
}

type Handler = (req: ApiRequest, params: string[]) => Promise<ApiResponse> | ApiResponse;
type Routes = Partial<Record<'GET' | 'POST' | 'DELETE', Handler>>;

const withCaller =
  (h: (req: ApiRequest, caller: Caller, params: string[]) => Promise<ApiResponse> | ApiResponse): Handler =>
  async (req, params) =>
    h(req, await callerOf(req), params);

const ROUTES: [RegExp, Routes][] = [
  [/^\/identity\/?$/, { GET: discovery }],
  [/^\/identity\/v3\/?$/, { GET: (req) => json(200, versionDocument(req.services.publicUrl())) }],
  [
    /^\/identity\/v3\/auth\/tokens\/?$/,
    { POST: issueToken, GET: withCaller(validateToken), DELETE: withCaller(revokeToken) },
  ],
  [/^\/identity\/v3\/auth\/projects\/?$/, { GET: withCaller((req, caller) => ownProjects(req, caller)) }],
  [/^\/identity\/v3\/auth\/catalog\/?$/, { GET: withCaller(catalogOf) }],
  [/^\/identity\/v3\/projects\/?$/, { GET: withCaller((req, caller) => listProjects(req, caller)) }],
  [/^\/identity\/v3\/projects\/([^/]+)\/?$/, { GET: withCaller((req, _c, [id]) => showProject(req, id)) }],
  [/^\/identity\/v3\/users\/?$/, { GET: withCaller((req, caller) => listUsers(req, caller)) }],
  [
    /^\/identity\/v3\/users\/([^/]+)\/application_credentials\/?$/,
    {
      GET: withCaller((req, caller, [user]) => listApplicationCredentials(req, caller, user)),
      POST: withCaller((req, caller, [user]) => issueApplicationCredential(req, caller, user)),
    },
  ],
  [
    /^\/identity\/v3\/users\/([^/]+)\/application_credentials\/([^/]+)\/?$/,
    {
      GET: withCaller((req, caller, [user, id]) => showApplicationCredential(req, caller, user, id)),
      DELETE: withCaller((req, caller, [user, id]) => revokeApplicationCredential(req, caller, user, id)),
    },
  ],
  [/^\/identity\/v3\/users\/([^/]+)\/?$/, { GET: withCaller((req, _c, [id]) => showUser(req, id)) }],
  [/^\/identity\/v3\/domains\/?$/, { GET: withCaller((req) => listDomains(req)) }],
  [/^\/identity\/v3\/domains\/([^/]+)\/?$/, { GET: withCaller((req, _c, [id]) => showDomain(req, id)) }],
];

async function route(req: ApiRequest): Promise<ApiResponse> {
  for (const [pattern, routes] of ROUTES) {
    const m = pattern.exec(req.path);
    if (!m) continue;
    // HEAD is GET without the body (send() drops it).
    const handler = routes[(req.method === 'HEAD' ? 'GET' : req.method) as keyof Routes];
    if (!handler) {
      const allow = Object.keys(routes).flatMap((k) => (k === 'GET' ? ['GET', 'HEAD'] : [k]));
      throw new KeystoneFault(405, `The method ${req.method} is not allowed for the requested URL.`, {
        Allow: allow.join(', '),
      });
    }
    return handler(req, m.slice(1).map(decodeSegment));
  }
  throw resourceNotFound();
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw resourceNotFound();
  }
}

function discovery(req: ApiRequest): ApiResponse {
  const P = req.services.publicUrl();
  return json(300, versionsDocument(P), { Location: `${P}/identity/v3/` });
}

/** The caller of a v3 request: its X-Auth-Token header (Keystone reads no query parameter). */
async function callerOf(req: ApiRequest): Promise<Caller> {
  const token = lastHeader(req.raw, 'x-auth-token');
  if (!token) throw new AuthenticationFailed('unknown-token');
  return req.services.tokens.resolve(token);
}

function subjectOf(req: ApiRequest): string {
  const subject = lastHeader(req.raw, 'x-subject-token');
  if (!subject) throw new KeystoneFault(400, 'The X-Subject-Token header is required.');
  return subject;
}

const subjectHeaders = (secret: string) => ({ 'X-Subject-Token': secret, Vary: 'X-Auth-Token' });

async function issueToken(req: ApiRequest): Promise<ApiResponse> {
  const body = await readSmallBody(req.raw, AUTH_BODY_LIMIT);
  const doc = parseJson(body, 'The request body is not UTF-8.', 'The request body is not valid JSON.');
  const { credential, scope } = parseAuthBody(doc, req.raw.socket.remoteAddress ?? 'unknown');
  const session = await req.services.authentication.login(credential, scope);
  return json(
    201,
    tokenBody(session, req.services.publicUrl(), req.services.settings.region, {
      catalog: !req.query.has('nocatalog'),
    }),
    subjectHeaders(session.secret),
  );
}

async function validateToken(req: ApiRequest, caller: Caller): Promise<ApiResponse> {
  const secret = subjectOf(req);
  const session = await req.services.authentication.inspect(caller, secret);
  const body = tokenBody(session, req.services.publicUrl(), req.services.settings.region, {
    catalog: !req.query.has('nocatalog'),
  });
  return json(200, body, subjectHeaders(secret));
}

async function revokeToken(req: ApiRequest, caller: Caller): Promise<ApiResponse> {
  await req.services.authentication.revoke(caller, subjectOf(req));
  return { status: 204 };
}

function catalogOf(req: ApiRequest, caller: Caller): ApiResponse {
  const catalog = v3Catalog(req.services.publicUrl(), req.services.settings.region, caller.user.uuid);
  return json(200, { catalog, links: { self: `${req.services.publicUrl()}${req.path}`, next: null, previous: null } });
}
