import type { Credential, DomainRef, ScopeRequest, UserRef } from '../../../domain/identity/authentication.ts';
import { DEFAULT_DOMAIN } from '../../../domain/identity/authentication.ts';
import { invalidInput, KeystoneFault } from './faults.ts';

/**
 * `POST /identity/v3/auth/tokens` body → one credential and a scope request (openstack.md §2.2).
 * Anything malformed is a 400 naming the field; whether the credential is right is the domain's
 * business. A missing domain next to a user or project name means the one domain Plankton has.
 */
export interface AuthRequest {
  readonly credential: Credential;
  readonly scope: ScopeRequest;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseAuthBody(doc: unknown, address: string): AuthRequest {
  if (!isObject(doc) || !isObject(doc.auth)) throw invalidInput('auth', 'an object is required');
  const { auth } = doc;
  if (!isObject(auth.identity)) throw invalidInput('identity', 'an object is required');
  const { identity } = auth;
  const methods = identity.methods;
  if (!Array.isArray(methods) || methods.length === 0 || methods.some((m) => typeof m !== 'string')) {
    throw invalidInput('identity/methods', 'a list with one authentication method is required');
  }
  if (methods.length > 1) throw new KeystoneFault(400, 'Only one authentication method per request is supported.');
  return { credential: credential(methods[0] as string, identity, address), scope: scope(auth.scope) };
}

function credential(method: string, identity: Obj, address: string): Credential {
  const body = identity[method];
  switch (method) {
    case 'token': {
      if (!isObject(body)) throw invalidInput('identity/token', 'an object is required');
      return { method, secret: text(body.id, 'identity/token/id') };
    }
    case 'password': {
      if (!isObject(body) || !isObject(body.user))
        throw invalidInput('identity/password/user', 'an object is required');
      const { user } = body;
      return {
        method,
        user: userRef(user, 'identity/password/user'),
        password: text(user.password, 'identity/password/user/password'),
        address,
      };
    }
    case 'application_credential': {
      if (!isObject(body)) throw invalidInput('identity/application_credential', 'an object is required');
      const secret = text(body.secret, 'identity/application_credential/secret');
      if (body.id === undefined) {
        // By name (with a user): Plankton's application credentials are tokens, which have no names.
        text(body.name, 'identity/application_credential/id');
        return { method, id: undefined, secret };
      }
      return { method, id: text(body.id, 'identity/application_credential/id'), secret };
    }
    default:
      throw new KeystoneFault(400, 'Unsupported authentication method; use token, password or application_credential.');
  }
}

function userRef(user: Obj, field: string): UserRef {
  if (user.id !== undefined) return { id: text(user.id, `${field}/id`) };
  if (user.name !== undefined)
    return { name: text(user.name, `${field}/name`), domain: domainRef(user.domain, `${field}/domain`) };
  throw invalidInput(field, 'an id, or a name and a domain, is required');
}

function domainRef(domain: unknown, field: string): DomainRef {
  if (domain === undefined) return { id: DEFAULT_DOMAIN.id };
  if (!isObject(domain)) throw invalidInput(field, 'an object is required');
  if (domain.id !== undefined) return { id: text(domain.id, `${field}/id`) };
  if (domain.name !== undefined) return { name: text(domain.name, `${field}/name`) };
  throw invalidInput(field, 'an id or a name is required');
}

function scope(value: unknown): ScopeRequest {
  if (value === undefined || value === null) return { kind: 'default' };
  if (value === 'unscoped') return { kind: 'unscoped' };
  if (!isObject(value)) throw invalidInput('scope', 'an object or "unscoped" is required');
  if (isObject(value.project)) {
    const p = value.project;
    if (p.id !== undefined) return { kind: 'project', project: { id: text(p.id, 'scope/project/id') } };
    if (p.name !== undefined) {
      return {
        kind: 'project',
        project: { name: text(p.name, 'scope/project/name'), domain: domainRef(p.domain, 'scope/project/domain') },
      };
    }
    throw invalidInput('scope/project', 'an id, or a name and a domain, is required');
  }
  if (value.domain !== undefined || value.system !== undefined || value['OS-TRUST:trust'] !== undefined)
    return { kind: 'other' };
  throw invalidInput('scope', 'a project is required');
}

function text(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw invalidInput(field, 'a non-empty string is required');
  return v;
}
