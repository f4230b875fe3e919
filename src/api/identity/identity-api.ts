import { badRequest, endpointNotFound, methodNotAllowed, unauthorized } from '../../errors.ts';
import { isoMicros } from '../../domain/time.ts';
import { canonicalUuid } from '../../domain/identity/users.ts';
import { readSmallBody, mediaType, parseJson, type ApiRequest } from '../http/api-request.ts';
import { authenticate, callerOf } from '../http/auth.ts';
import { json, type ApiResponse } from '../http/reply.ts';
import { serviceCatalog } from './service-catalog.ts';

const JSON_BODY_LIMIT = 1024 * 1024;

/** `/identity/…`: the tokens endpoint (identity.md §1). */
export async function handleIdentity(req: ApiRequest): Promise<ApiResponse> {
  if (!/^\/identity\/v2\.0\/tokens\/?$/.test(req.path)) throw endpointNotFound();
  if (req.method !== 'POST') throw methodNotAllowed(['POST']);
  const body = await readSmallBody(req.raw, JSON_BODY_LIMIT);
  const catalog = serviceCatalog(req.services.publicUrl());
  if (body.length === 0) return json(200, { access: { serviceCatalog: catalog } });

  const contentType = req.raw.headers['content-type'];
  if (contentType === undefined) throw badRequest('Missing Content-Type header field');
  if (mediaType(req.raw) !== 'application/json') throw badRequest(`Unsupported Content-type: '${contentType}'`);
  const doc = parseJson(body, 'Could not decode request as UTF-8 string', 'Could not decode request body as JSON');

  const auth = isObject(doc) && isObject(doc.auth) ? doc.auth : undefined;
  const byToken = auth && isObject(auth.token) && 'id' in auth.token ? auth.token : undefined;
  const byPassword =
    auth && isObject(auth.passwordCredentials) && 'password' in auth.passwordCredentials
      ? auth.passwordCredentials
      : undefined;
  if (!auth || (!byToken && !byPassword)) throw badRequest('Malformed request: missing credentials');
  const secret = byToken ? byToken.id : byPassword!.password;
  if (typeof secret !== 'string') throw badRequest('Malformed request: missing token');

  const caller = await callerOf(req.services.tokens, secret);
  const { user } = caller;
  if (!byToken && byPassword && byPassword.username !== user.uuid) throw unauthorized('Invalid credentials');
  if ('tenantName' in auth && auth.tenantName !== user.uuid) throw badRequest('Not conforming tenantName');

  const roles = [{ id: '1', name: 'default' }, ...(user.admin ? [{ id: '2', name: 'admin' }] : [])];
  return json(200, {
    access: {
      token: { id: secret, expires: isoMicros(caller.expiresAt), tenant: { id: user.uuid, name: user.name } },
      user: { id: user.uuid, name: user.name, roles, roles_links: [], projects: [] },
      serviceCatalog: catalog,
    },
  });
}

/** `/account/…`: uuid ⇄ display name (identity.md §2). */
export async function handleAccount(req: ApiRequest): Promise<ApiResponse> {
  if (!/^\/account\/v1\.0\/user_catalogs\/?$/.test(req.path)) throw endpointNotFound();
  if (req.method !== 'POST') throw methodNotAllowed(['POST']);
  await authenticate(req);
  const body = await readSmallBody(req.raw, JSON_BODY_LIMIT);
  const notJson = 'Request body should be json formatted.';
  const doc = parseJson(body, notJson, notJson);
  if (!isObject(doc)) throw badRequest('Request body should be a json formatted dictionary');
  const uuids = stringList(doc, 'uuids');
  const names = stringList(doc, 'displaynames');

  const { users } = req.services;
  const canonical = uuids.map((u) => canonicalUuid(u) ?? u);
  const known = await users.namesOf(canonical);
  const uuidCatalog: Record<string, string> = {};
  uuids.forEach((asked, i) => {
    uuidCatalog[asked] = known.get(canonical[i]) ?? asked;
  });
  const displaynameCatalog = Object.fromEntries(await users.uuidsOf(names));
  return json(200, { uuid_catalog: uuidCatalog, displayname_catalog: displaynameCatalog });
}

function stringList(doc: Record<string, unknown>, key: 'uuids' | 'displaynames'): string[] {
  const v = doc[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badRequest(`Invalid ${key}: ${JSON.stringify(v)}`);
  if (v.some((x) => typeof x !== 'string')) throw badRequest(`Items in '${key}' must be strings`);
  return v as string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
