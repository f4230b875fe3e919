/**
 * The small v2 request bodies: add member, set member status (openstack.md §4.10) and import
 * (§4.9), with Glance's 400 messages; plus the `GET /v2/info/import` document.
 */
import { z } from 'zod';
import { isJsonObject, validateBody, type BodyProblem } from '../../http/json-body.ts';
import { v2Error, type V2Error } from './faults.ts';
import { parseJsonBody } from './json-body.ts';
import { pythonRepr } from './schema-validation.ts';
import { V2_MEMBER_STATUSES, type V2MemberStatus } from './schemas.ts';

/**
 * Each body's checks are a zod schema whose messages are Glance's; a problem that is not a plain
 * 400 with its message names its v2 fault kind in `params` (`schemaViolation`, `unknownImportMethod`).
 */
type V2Problem =
  | { readonly kind: 'schemaViolation'; readonly schema: string; readonly reason: string }
  | { readonly kind: 'unknownImportMethod'; readonly name: string };

function v2BodyFault(problem: BodyProblem): V2Error {
  const p = problem.params as V2Problem | undefined;
  if (p?.kind === 'schemaViolation') return v2Error('schemaViolation', p.schema, p.reason);
  if (p?.kind === 'unknownImportMethod') return v2Error('unknownImportMethod', p.name);
  return v2Error('badRequest', problem.message);
}

const fail = (ctx: z.RefinementCtx, message: string, params?: V2Problem): never => {
  ctx.addIssue({ code: 'custom', message, params });
  return z.NEVER as never;
};

/** A JSON object that has `key` (any value): else `message`. */
const objectWith = (key: string, message: string) =>
  z.looseObject({}, { error: message }).refine((o) => Object.hasOwn(o, key), { error: message });

/** Glance tests `if not member_id`: Python's falsy JSON values. */
const isPythonFalsy = (v: unknown) =>
  v === '' ||
  v === null ||
  v === false ||
  v === 0 ||
  (Array.isArray(v) && v.length === 0) ||
  (isJsonObject(v) && Object.keys(v).length === 0);

/** `{"member": "<project id>"}`; other keys ignored. */
export const MEMBER_CREATE_BODY = objectWith('member', 'Member to be added not specified').transform((body, ctx) => {
  const member = body.member;
  if (isPythonFalsy(member)) return fail(ctx, "Member can't be empty");
  if (typeof member !== 'string') {
    const reason = `${pythonRepr(member)} is not of type 'string'`;
    return fail(ctx, reason, { kind: 'schemaViolation', schema: 'member', reason });
  }
  return member;
});

/** `{"status": s}`; openstackclient also sends `member`, ignored like any other key. */
export const MEMBER_STATUS_BODY = objectWith('status', 'Status not specified').pipe(
  z.looseObject({
    status: z.enum(V2_MEMBER_STATUSES, {
      error: 'Incorrect request: Status must be "pending", "accepted" or "rejected".',
    }),
  }),
);

/** `POST …/members` `{"member": "<project id>"}` → the member id. */
export function parseMemberCreate(body: string | Uint8Array | undefined): string {
  return validateBody(MEMBER_CREATE_BODY, parseJsonBody(body), v2BodyFault);
}

/** `PUT …/members/{m}` `{"status": s}` (openstackclient also sends `member`, ignored) → the status. */
export function parseMemberStatus(body: string | Uint8Array | undefined): V2MemberStatus {
  return validateBody(MEMBER_STATUS_BODY, parseJsonBody(body), v2BodyFault).status;
}

/** An import request, protocol-neutral. */
export type V2ImportRequest =
  | { readonly method: 'glance-direct' }
  | { readonly method: 'web-download'; readonly uri: string };

/** A boolean flag of the import body, with its default. */
const importFlag = (name: string, fallback: boolean) =>
  z
    .boolean({ error: `'${name}' must be boolean value only` })
    .nullish()
    .transform((v) => v ?? fallback);

/**
 * The import body for the methods this site offers (`glance-direct`, and `web-download` when its
 * allow-list is set): `{"method": {"name": M, "uri": …}, "stores", "all_stores",
 * "all_stores_must_succeed"}`, checked in Glance's order (method, then the flags).
 */
export const importBody = (enabledMethods: readonly string[]) =>
  objectWith('method', "Import request requires a 'method' field.")
    .pipe(
      z.looseObject({
        method: objectWith('name', "Import request requires a 'name' field.").transform((method, ctx) => {
          const name = method.name;
          if (typeof name !== 'string' || !enabledMethods.includes(name)) {
            const shown = typeof name === 'string' ? name : pythonRepr(name);
            return fail(ctx, `Unknown import method name '${shown}'.`, { kind: 'unknownImportMethod', name: shown });
          }
          return { name, uri: method.uri };
        }),
        all_stores_must_succeed: importFlag('all_stores_must_succeed', true),
        all_stores: importFlag('all_stores', false),
      }),
    )
    .transform((body, ctx): V2ImportRequest => {
      // One store: "not all stores must succeed" cannot mean anything (§4.9).
      if (!body.all_stores_must_succeed)
        return fail(ctx, "'all_stores_must_succeed' may be false only with multiple stores");
      const { name, uri } = body.method;
      if (name === 'web-download') {
        if (typeof uri !== 'string' || uri === '') return fail(ctx, "Import request requires a 'uri' field.");
        return { method: 'web-download', uri };
      }
      if (name === 'glance-direct') return { method: 'glance-direct' };
      return fail(ctx, `Unknown import method name '${name}'.`, { kind: 'unknownImportMethod', name });
    });

/**
 * `POST …/import` (§4.9). gophercloud always sends an empty `uri`: ignored unless the method is
 * `web-download`.
 */
export function parseImportRequest(
  body: string | Uint8Array | undefined,
  enabledMethods: readonly string[],
): V2ImportRequest {
  return validateBody(importBody(enabledMethods), parseJsonBody(body), v2BodyFault);
}

/** `GET /v2/info/import` (§4.9): glanceclient checks the chosen method against `value`. */
export function importInfoDocument(enabledMethods: readonly string[]) {
  return { 'import-methods': { description: 'Import methods available.', type: 'array', value: [...enabledMethods] } };
}
