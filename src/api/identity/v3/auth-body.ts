import { z } from 'zod';
import type { Credential, DomainRef, ScopeRequest, UserRef } from '../../../domain/identity/authentication.ts';
import { DEFAULT_DOMAIN } from '../../../domain/identity/authentication.ts';
import { validateBody } from '../../http/json-body.ts';
import { KeystoneFault } from './faults.ts';

/**
 * `POST /identity/v3/auth/tokens` body → one credential and a scope request (openstack.md §2.2),
 * as zod schemas. Anything malformed is a 400 naming the field (Keystone's `Invalid input for
 * field '<path>': <why>`); whether the credential is right is the domain's business. A missing
 * domain next to a user or project name means the one domain Plankton has. Unknown keys are
 * ignored, as Keystone's schema allows them.
 */
export interface AuthRequest {
  readonly credential: Credential;
  readonly scope: ScopeRequest;
}

export function parseAuthBody(doc: unknown, address: string): AuthRequest {
  const { identity, scope } = validateBody(AUTH_BODY, doc, (problem) => new KeystoneFault(400, problem.message)).auth;
  const { credential } = identity;
  return { credential: credential.method === 'password' ? { ...credential, address } : credential, scope };
}

const invalid = (field: string, why: string) => `Invalid input for field '${field}': ${why}`;
const object = <S extends z.core.$ZodLooseShape>(field: string, shape: S) =>
  z.looseObject(shape, { error: invalid(field, 'an object is required') });
const text = (field: string) => {
  const error = invalid(field, 'a non-empty string is required');
  return z.string({ error }).min(1, { error });
};

/**
 * `{"id"}` or `{"name"}` (an id wins, and then the name is not looked at); `byName` checks what a
 * name comes with (a domain).
 */
function idOrName<T>(field: string, why: string, byName: (value: Record<string, unknown>, ctx: z.RefinementCtx) => T) {
  return object(field, {}).transform((value, ctx): { id: string } | T => {
    if (value.id !== undefined) return { id: checked(text(`${field}/id`), value.id, ctx) };
    if (value.name !== undefined) return byName(value, ctx);
    ctx.addIssue({ code: 'custom', message: invalid(field, why) });
    return z.NEVER;
  });
}

/** Runs `schema` on a part chosen at run time, reporting its first problem as this one's. */
function checked<S extends z.ZodType>(schema: S, value: unknown, ctx: z.RefinementCtx): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  ctx.addIssue({ code: 'custom', message: result.error.issues[0].message });
  return z.NEVER;
}

/** A domain: absent means Plankton's one domain. */
const domainRef = (field: string): z.ZodType<DomainRef> =>
  idOrName(field, 'an id or a name is required', (d, ctx) => ({ name: checked(text(`${field}/name`), d.name, ctx) }))
    .optional()
    .transform((d) => d ?? { id: DEFAULT_DOMAIN.id });

const nameInDomain = (field: string) => (value: Record<string, unknown>, ctx: z.RefinementCtx) => ({
  name: checked(text(`${field}/name`), value.name, ctx),
  domain: checked(domainRef(`${field}/domain`), value.domain, ctx),
});

const USER = 'identity/password/user';
const userRef: z.ZodType<UserRef> = idOrName(USER, 'an id, or a name and a domain, is required', nameInDomain(USER));

/** Each method's object under `identity`, keyed by the method's name. */
const METHOD_BODIES = {
  token: object('identity/token', { id: text('identity/token/id') }).transform(
    (t): Credential => ({ method: 'token', secret: t.id }),
  ),
  password: object(USER, { user: object(USER, {}) }).transform((p, ctx) => ({
    method: 'password' as const,
    user: checked(userRef, p.user, ctx),
    password: checked(text(`${USER}/password`), p.user.password, ctx),
    address: '',
  })),
  application_credential: object('identity/application_credential', {
    secret: text('identity/application_credential/secret'),
  }).transform((a, ctx): Credential => {
    if (a.id === undefined) {
      // By name (with a user): Plankton's application credentials are tokens, which have no names.
      checked(text('identity/application_credential/id'), a.name, ctx);
      return { method: 'application_credential', id: undefined, secret: a.secret };
    }
    return {
      method: 'application_credential',
      id: checked(text('identity/application_credential/id'), a.id, ctx),
      secret: a.secret,
    };
  }),
};

const ONE_METHOD = invalid('identity/methods', 'a list with one authentication method is required');
const IDENTITY = object('identity', {
  methods: z
    .array(z.string({ error: ONE_METHOD }), { error: ONE_METHOD })
    .min(1, { error: ONE_METHOD })
    .max(1, { error: 'Only one authentication method per request is supported.' }),
}).transform((identity, ctx) => {
  const method = identity.methods[0];
  if (!Object.hasOwn(METHOD_BODIES, method)) {
    ctx.addIssue({
      code: 'custom',
      message: 'Unsupported authentication method; use token, password or application_credential.',
    });
    return z.NEVER;
  }
  const schema: z.ZodType<Credential> = METHOD_BODIES[method as keyof typeof METHOD_BODIES];
  return { credential: checked(schema, identity[method], ctx) };
});

const PROJECT = 'scope/project';
const SCOPE = z
  .unknown()
  .optional()
  .transform((value, ctx): ScopeRequest => {
    if (value === undefined || value === null) return { kind: 'default' };
    if (value === 'unscoped') return { kind: 'unscoped' };
    const scope = checked(
      z.looseObject({}, { error: invalid('scope', 'an object or "unscoped" is required') }),
      value,
      ctx,
    );
    if (typeof scope.project === 'object' && scope.project !== null && !Array.isArray(scope.project)) {
      const project = checked(
        idOrName(PROJECT, 'an id, or a name and a domain, is required', nameInDomain(PROJECT)),
        scope.project,
        ctx,
      );
      return { kind: 'project', project };
    }
    if (scope.domain !== undefined || scope.system !== undefined || scope['OS-TRUST:trust'] !== undefined)
      return { kind: 'other' };
    ctx.addIssue({ code: 'custom', message: invalid('scope', 'a project is required') });
    return z.NEVER;
  });

/** `{"auth": {"identity": {"methods": [m], m: {…}}, "scope": …}}`. */
const AUTH_BODY = object('auth', {
  auth: object('auth', { identity: IDENTITY, scope: SCOPE }),
});
