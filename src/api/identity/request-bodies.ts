/**
 * The JSON bodies of the Astakos-shaped identity API (identity.md §1, §2), as zod schemas with the
 * messages Astakos answers; identity-api.ts reads the bytes and decodes the JSON first.
 */
import { z } from 'zod';
import { badRequest } from '../../errors.ts';
import { validateBody } from '../http/json-body.ts';

/** `POST /identity/v2.0/tokens`: the secret, and the password form's fields to check against its owner. */
export function parseTokensBody(doc: unknown) {
  return validateBody(TOKENS_BODY, doc, (problem) => badRequest(problem.message));
}

/** `POST /account/v1.0/user_catalogs`: the two lists asked for (empty when absent). */
export function parseUserCatalogsBody(doc: unknown): { uuids: string[]; displaynames: string[] } {
  return validateBody(USER_CATALOGS_BODY, doc, (problem) => badRequest(problem.message));
}

const MISSING_CREDENTIALS = 'Malformed request: missing credentials';

/** A credential object counts when it has its key; anything else under its name is as if absent (as Astakos does). */
const credential = (key: string) =>
  z
    .looseObject({})
    .refine((c) => Object.hasOwn(c, key))
    .optional()
    .catch(undefined);

/**
 * `POST /identity/v2.0/tokens` (identity.md §1): `{"auth": {"token": {"id"}}}` or
 * `{"auth": {"passwordCredentials": {"username", "password"}}}` (the token as password), and an
 * optional `tenantName`; the token form wins when both are there. Other keys are ignored.
 */
const TOKENS_BODY = z
  .object(
    {
      auth: z.looseObject(
        { token: credential('id'), passwordCredentials: credential('password') },
        { error: MISSING_CREDENTIALS },
      ),
    },
    { error: MISSING_CREDENTIALS },
  )
  .transform(({ auth }, ctx) => {
    const byPassword = auth.token ? undefined : auth.passwordCredentials;
    const secret = auth.token ? auth.token.id : byPassword?.password;
    if (!auth.token && !byPassword) ctx.addIssue({ code: 'custom', message: MISSING_CREDENTIALS });
    else if (typeof secret !== 'string') ctx.addIssue({ code: 'custom', message: 'Malformed request: missing token' });
    return { secret: secret as string, byPassword, auth: auth as Record<string, unknown> };
  });

/** One list of `user_catalogs` (identity.md §2): absent or null is empty. */
const stringList = (key: 'uuids' | 'displaynames') =>
  z
    .array(z.string({ error: `Items in '${key}' must be strings` }), {
      error: (issue) => `Invalid ${key}: ${JSON.stringify(issue.input)}`,
    })
    .nullish()
    .transform((v) => v ?? []);

/** `POST /account/v1.0/user_catalogs`: `{"uuids": [...], "displaynames": [...]}`, other keys ignored. */
const USER_CATALOGS_BODY = z.object(
  { uuids: stringList('uuids'), displaynames: stringList('displaynames') },
  { error: 'Request body should be a json formatted dictionary' },
);
