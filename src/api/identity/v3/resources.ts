import { DEFAULT_DOMAIN } from '../../../domain/identity/authentication.ts';
import type { Caller } from '../../../domain/identity/tokens.ts';
import type { User } from '../../../domain/identity/users.ts';
import type { ApiRequest } from '../../http/api-request.ts';
import { json, type ApiResponse } from '../../http/reply.ts';
import { KeystoneFault, resourceNotFound } from './faults.ts';

/**
 * Read-only look-ups the image commands make (openstack.md §2.4): projects (= users' accounts),
 * users and the one domain. Any authenticated caller may resolve a project or user by id or by
 * exact name (the same facts `user_catalogs` already gives); listing everyone is for admins.
 */
const v3 = (req: ApiRequest) => `${req.services.publicUrl()}/identity/v3`;

const projectView = (req: ApiRequest, u: User) => ({
  id: u.uuid,
  name: u.name,
  domain_id: DEFAULT_DOMAIN.id,
  enabled: u.active,
  is_domain: false,
  parent_id: DEFAULT_DOMAIN.id,
  description: '',
  tags: [],
  options: {},
  links: { self: `${v3(req)}/projects/${u.uuid}` },
});

const userView = (req: ApiRequest, u: User) => ({
  id: u.uuid,
  name: u.name,
  domain_id: DEFAULT_DOMAIN.id,
  enabled: u.active,
  password_expires_at: null,
  options: {},
  links: { self: `${v3(req)}/users/${u.uuid}` },
});

const domainView = (req: ApiRequest) => ({
  id: DEFAULT_DOMAIN.id,
  name: DEFAULT_DOMAIN.name,
  description: 'The one domain of Plankton',
  enabled: true,
  tags: [],
  options: {},
  links: { self: `${v3(req)}/domains/${DEFAULT_DOMAIN.id}` },
});

const collection = (req: ApiRequest, key: string, items: unknown[]) =>
  json(200, { [key]: items, links: { self: `${req.services.publicUrl()}${req.path}`, next: null, previous: null } });

/** Users matching the `name` (and `domain_id`) filters; everyone only for admins. */
async function matching(req: ApiRequest, caller: Caller): Promise<User[]> {
  const domainId = req.query.get('domain_id');
  if (domainId !== undefined && domainId !== DEFAULT_DOMAIN.id) return [];
  const name = req.query.get('name');
  if (name !== undefined) {
    const u = await req.services.users.byName(name);
    return u ? [u] : [];
  }
  if (!caller.user.admin)
    throw new KeystoneFault(403, 'You are not authorized to list every project or user; filter by name.');
  return req.services.users.list();
}

export async function listProjects(req: ApiRequest, caller: Caller): Promise<ApiResponse> {
  return collection(
    req,
    'projects',
    (await matching(req, caller)).map((u) => projectView(req, u)),
  );
}

export async function showProject(req: ApiRequest, id: string): Promise<ApiResponse> {
  const u = await req.services.users.byUuid(id);
  if (!u) throw resourceNotFound(`Could not find project: ${id}.`);
  return json(200, { project: projectView(req, u) });
}

/** `GET /v3/auth/projects`: the projects the caller's token may be scoped to (its own). */
export const ownProjects = (req: ApiRequest, caller: Caller): ApiResponse =>
  collection(req, 'projects', [projectView(req, caller.user)]);

export async function listUsers(req: ApiRequest, caller: Caller): Promise<ApiResponse> {
  return collection(
    req,
    'users',
    (await matching(req, caller)).map((u) => userView(req, u)),
  );
}

export async function showUser(req: ApiRequest, id: string): Promise<ApiResponse> {
  const u = await req.services.users.byUuid(id);
  if (!u) throw resourceNotFound(`Could not find user: ${id}.`);
  return json(200, { user: userView(req, u) });
}

export function listDomains(req: ApiRequest): ApiResponse {
  const name = req.query.get('name');
  const match = name === undefined || name.toLowerCase() === DEFAULT_DOMAIN.name.toLowerCase();
  return collection(req, 'domains', match ? [domainView(req)] : []);
}

export function showDomain(req: ApiRequest, id: string): ApiResponse {
  if (id !== DEFAULT_DOMAIN.id) throw resourceNotFound(`Could not find domain: ${id}.`);
  return json(200, { domain: domainView(req) });
}
