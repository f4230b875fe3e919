/**
 * The small v2 request bodies: add member, set member status (openstack.md §4.10) and import
 * (§4.9), with Glance's 400 messages; plus the `GET /v2/info/import` document.
 */
import { v2Error } from './faults.ts';
import { isJsonObject, parseJsonBody } from './json-body.ts';
import { pythonRepr } from './schema-validation.ts';
import { V2_MEMBER_STATUSES, type V2MemberStatus } from './schemas.ts';

const bad = (message: string) => v2Error('badRequest', message);

/** Glance tests `if not member_id`: Python's falsy JSON values. */
const isPythonFalsy = (v: unknown) =>
  v === '' ||
  v === null ||
  v === false ||
  v === 0 ||
  (Array.isArray(v) && v.length === 0) ||
  (isJsonObject(v) && Object.keys(v).length === 0);

/** `POST …/members` `{"member": "<project id>"}` → the member id. */
export function parseMemberCreate(body: string | Uint8Array | undefined): string {
  const parsed = parseJsonBody(body);
  if (!isJsonObject(parsed) || !Object.hasOwn(parsed, 'member')) throw bad('Member to be added not specified');
  const member = parsed.member;
  if (isPythonFalsy(member)) throw bad("Member can't be empty");
  if (typeof member !== 'string')
    throw v2Error('schemaViolation', 'member', `${pythonRepr(member)} is not of type 'string'`);
  return member;
}

/** `PUT …/members/{m}` `{"status": s}` (openstackclient also sends `member`, ignored) → the status. */
export function parseMemberStatus(body: string | Uint8Array | undefined): V2MemberStatus {
  const parsed = parseJsonBody(body);
  if (!isJsonObject(parsed) || !Object.hasOwn(parsed, 'status')) throw bad('Status not specified');
  const status = parsed.status;
  if (typeof status !== 'string' || !(V2_MEMBER_STATUSES as readonly string[]).includes(status)) {
    throw bad('Incorrect request: Status must be "pending", "accepted" or "rejected".');
  }
  return status as V2MemberStatus;
}

/** An import request, protocol-neutral. */
export type V2ImportRequest =
  | { readonly method: 'glance-direct' }
  | { readonly method: 'web-download'; readonly uri: string };

/**
 * `POST …/import` `{"method": {"name": M, "uri": …}, "stores", "all_stores", "all_stores_must_succeed"}`.
 * `enabledMethods` are the ones this site offers (`glance-direct`, and `web-download` when its
 * allow-list is set); any other name is `Unknown import method name`. gophercloud always sends an
 * empty `uri`: ignored unless the method is `web-download`.
 */
export function parseImportRequest(
  body: string | Uint8Array | undefined,
  enabledMethods: readonly string[],
): V2ImportRequest {
  const parsed = parseJsonBody(body);
  if (!isJsonObject(parsed) || !Object.hasOwn(parsed, 'method')) throw bad("Import request requires a 'method' field.");
  const method = parsed.method;
  if (!isJsonObject(method) || !Object.hasOwn(method, 'name')) throw bad("Import request requires a 'name' field.");
  const name = method.name;
  if (typeof name !== 'string' || !enabledMethods.includes(name)) {
    throw v2Error('unknownImportMethod', typeof name === 'string' ? name : pythonRepr(name));
  }
  const mustSucceed = parsed.all_stores_must_succeed ?? true;
  if (typeof mustSucceed !== 'boolean') throw bad("'all_stores_must_succeed' must be boolean value only");
  if (typeof (parsed.all_stores ?? false) !== 'boolean') throw bad("'all_stores' must be boolean value only");
  // One store: "not all stores must succeed" cannot mean anything (§4.9).
  if (!mustSucceed) throw bad("'all_stores_must_succeed' may be false only with multiple stores");
  if (name === 'glance-direct') return { method: 'glance-direct' };
  if (name === 'web-download') {
    if (typeof method.uri !== 'string' || method.uri === '') throw bad("Import request requires a 'uri' field.");
    return { method: 'web-download', uri: method.uri };
  }
  throw v2Error('unknownImportMethod', name);
}

/** `GET /v2/info/import` (§4.9): glanceclient checks the chosen method against `value`. */
export function importInfoDocument(enabledMethods: readonly string[]) {
  return { 'import-methods': { description: 'Import methods available.', type: 'array', value: [...enabledMethods] } };
}
