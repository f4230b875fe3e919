import type { IssuedToken, TokenInfo, Caller } from '../../../domain/identity/tokens.ts';
import type { User } from '../../../domain/identity/users.ts';
import { parseJson, readSmallBody, type ApiRequest } from '../../http/api-request.ts';
import { json, type ApiResponse } from '../../http/reply.ts';
import { invalidInput, resourceNotFound } from './faults.ts';
import { keystoneTime, roles } from './token-view.ts';

/**
 * `/identity/v3/users/{user_id}/application_credentials[/{id}]` (README, "Your own tokens"): a
 * user's own tokens in Keystone's application-credential shape — `id` is the token_id, `name` its
 * note, `secret` the token, shown once in the reply that issues it. `openstack application
 * credential create|list|show|delete` and the web catalog's account page use it. The rules (whose
 * tokens, who may issue, how long) are the domain's (src/domain/identity/own-tokens.ts).
 *
 * Deviations, all refused with a 400 rather than silently dropped: no client-chosen secret, no
 * description (the name is the note), no access rules, no `unrestricted` credential, and roles,
 * when given, must include `member` (a token acts with all of its user's roles). Every listed
 * credential also carries `created_at`, which Keystone's does not.
 */
const BODY_LIMIT = 16 * 1024;

export async function listApplicationCredentials(req: ApiRequest, caller: Caller, userId: string) {
  const tokens = await req.services.ownTokens.list(caller, userId);
  const owner = await ownerOf(req, caller, userId);
  const name = req.query.get('name');
  const shown = name === undefined ? tokens : tokens.filter((t) => (t.note ?? '') === name);
  return json(200, {
    application_credentials: shown.map((t) => view(req, owner, t)),
    links: { self: `${req.services.publicUrl()}${req.path}`, next: null, previous: null },
  });
}

export async function showApplicationCredential(req: ApiRequest, caller: Caller, userId: string, id: string) {
  const token = await req.services.ownTokens.show(caller, userId, id);
  return json(200, { application_credential: view(req, await ownerOf(req, caller, userId), token) });
}

export async function revokeApplicationCredential(
  req: ApiRequest,
  caller: Caller,
  userId: string,
  id: string,
): Promise<ApiResponse> {
  await req.services.ownTokens.revoke(caller, userId, id);
  req.log.info({ tokenId: id, by: caller.tokenId }, 'keystone v3: token revoked by its user');
  return { status: 204 };
}

export async function issueApplicationCredential(req: ApiRequest, caller: Caller, userId: string) {
  const doc = parseJson(
    await readSmallBody(req.raw, BODY_LIMIT),
    'The request body is not UTF-8.',
    'The request body is not valid JSON.',
  );
  const { name, expiresAt } = parseIssueBody(doc);
  const issued = await req.services.ownTokens.issue(caller, userId, name, expiresAt);
  req.log.info({ tokenId: issued.tokenId, by: caller.tokenId }, 'keystone v3: token issued to its user');
  return json(201, {
    application_credential: { ...view(req, caller.user, issuedInfo(issued, name)), secret: issued.secret },
  });
}

async function ownerOf(req: ApiRequest, caller: Caller, userId: string): Promise<User> {
  if (userId === caller.user.uuid) return caller.user;
  const user = await req.services.users.byUuid(userId);
  if (!user) throw resourceNotFound(`Could not find user: ${userId}.`);
  return user;
}

function issuedInfo(t: IssuedToken, name: string): TokenInfo {
  return {
    tokenId: t.tokenId,
    userUuid: t.userUuid,
    userName: '',
    createdAt: t.issuedAt,
    expiresAt: t.expiresAt,
    revokedAt: null,
    note: name,
    state: 'active',
  };
}

function view(req: ApiRequest, owner: User, t: TokenInfo) {
  return {
    id: t.tokenId,
    name: t.note ?? '',
    description: null,
    project_id: owner.uuid,
    user_id: owner.uuid,
    system: null,
    roles: roles(owner),
    unrestricted: false,
    access_rules: [],
    expires_at: keystoneTime(t.expiresAt),
    created_at: keystoneTime(t.createdAt),
    links: {
      self: `${req.services.publicUrl()}/identity/v3/users/${owner.uuid}/application_credentials/${t.tokenId}`,
    },
  };
}

const FIELD = 'application_credential';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const absent = (v: unknown) => v === undefined || v === null;

/** `{"application_credential": {"name", "expires_at"?, …}}` → a name and an expiry in microseconds. */
function parseIssueBody(doc: unknown): { name: string; expiresAt: number | undefined } {
  if (!isObject(doc) || !isObject(doc[FIELD])) throw invalidInput(FIELD, 'an object is required');
  const c = doc[FIELD];
  if (typeof c.name !== 'string' || c.name.trim() === '')
    throw invalidInput(`${FIELD}/name`, 'a non-empty string is required');
  if (!absent(c.secret)) throw invalidInput(`${FIELD}/secret`, 'Plankton generates the secret; leave it out');
  if (!absent(c.description) && c.description !== '')
    throw invalidInput(`${FIELD}/description`, 'Plankton keeps no description; the name is the note');
  if (c.unrestricted === true)
    throw invalidInput(`${FIELD}/unrestricted`, 'a token issued here cannot issue tokens itself');
  if (!absent(c.access_rules) && !(Array.isArray(c.access_rules) && c.access_rules.length === 0))
    throw invalidInput(`${FIELD}/access_rules`, 'Plankton tokens have no access rules');
  if (!absent(c.roles)) {
    const ok =
      Array.isArray(c.roles) &&
      (c.roles.length === 0 || c.roles.some((r) => isObject(r) && (r.name === 'member' || r.id === 'member')));
    if (!ok) throw invalidInput(`${FIELD}/roles`, "a token acts with all of its user's roles: ask for member, or none");
  }
  return { name: c.name.trim(), expiresAt: absent(c.expires_at) ? undefined : expiryOf(c.expires_at) };
}

/** ISO 8601; without a zone, UTC (as Keystone reads it). */
function expiryOf(value: unknown): number {
  const invalid = invalidInput(`${FIELD}/expires_at`, 'an ISO 8601 date and time is required');
  if (typeof value !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$/.test(value))
    throw invalid;
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/.test(value);
  const ms = Date.parse(hasZone ? value : `${value}Z`);
  if (Number.isNaN(ms)) throw invalid;
  return ms * 1000;
}
