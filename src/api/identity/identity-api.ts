import { badRequest, endpointNotFound, methodNotAllowed, unauthorized } from '../../errors.ts';
import { isoMicros } from '../../domain/time.ts';
import { canonicalUuid } from '../../domain/identity/users.ts';
import { readSmallBody, mediaType, parseJson, type ApiRequest } from '../http/api-request.ts';
import { JSON_BODY_LIMIT } from '../http/json-body.ts';
import { authenticate, callerOf } from '../http/auth.ts';
import { json, type ApiResponse } from '../http/reply.ts';
import { parseTokensBody, parseUserCatalogsBody } from './request-bodies.ts';
import { serviceCatalog } from './service-catalog.ts';

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

  const { secret, byPassword, auth } = parseTokensBody(doc);

  const caller = await callerOf(req.services.tokens, secret);
  const { user } = caller;
  if (byPassword && byPassword.username !== user.uuid) throw unauthorized('Invalid credentials');
  if (Object.hasOwn(auth, 'tenantName') && auth.tenantName !== user.uuid) throw badRequest('Not conforming tenantName');

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
  const { uuids, displaynames: names } = parseUserCatalogsBody(doc);

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
