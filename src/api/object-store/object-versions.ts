/**
 * The object store's reads of the history (versions.ts): `?version=list`, `?version=<id>`,
 * `until=<epoch seconds>` on object reads and listings, `X-Source-Version` on copies, and the
 * purge `DELETE …?until=` (object-store.md §6). Both mounts; Swift's versioned writes are in
 * src/api/swift/versioned-writes.ts.
 *
 * Pithos's rules kept here: a version list needs `format=json|xml` (text: 400); an unknown,
 * malformed or deleted version is `404 "Version does not exist"`; versions of a deleted object
 * stay readable (by the owner: the grants went with the object); `until` is read as Pithos reads
 * it, a non-negative integer, anything else being ignored (kamaki's `container purge` sends a
 * decimal and means a plain delete); only the owner browses the past of a container or account.
 */
import { badRequest, forbidden, notFound } from '../../errors.ts';
import { authorize } from '../../domain/authorization.ts';
import type { Caller } from '../../domain/identity/tokens.ts';
import type { ContainerRecord } from '../../domain/objects/containers.ts';
import type { ObjectRecord } from '../../domain/objects/object-record.ts';
import { epochSeconds6 } from '../../domain/time.ts';
import type { ApiRequest } from '../http/api-request.ts';
import { JSON_TYPE, type ApiResponse } from '../http/reply.ts';
import { listingFormat } from './listing-format.ts';
import { lastHeader } from '../http/api-request.ts';

const VERSION_MISSING = 'Version does not exist';

/** `until` in µs (the end of that second included), or undefined when absent or not a non-negative integer. */
export function readUntil(query: ReadonlyMap<string, string>): number | undefined {
  const v = query.get('until');
  if (v === undefined || !/^\d{1,15}$/.test(v.trim())) return undefined;
  return Number(v.trim()) * 1_000_000 + 999_999;
}

/** Only the owner reads the past of his account or containers (Pithos: "Browsing other account's history"). */
export function ownerOnlyHistory(caller: Caller, account: string): void {
  if (caller.user.uuid !== account) throw forbidden("Browsing other account's history is not allowed");
}

/** The container of a history read; missing → the usual 404. */
async function requireContainer(req: ApiRequest, account: string, name: string): Promise<ContainerRecord> {
  const c = await req.services.containers.get(account, name);
  if (!c) throw notFound('Container does not exist');
  return c;
}

/**
 * Who may read a path's versions: its owner, or whoever may read its live object (a deleted
 * object's grants went with it, so then only the owner).
 */
async function authorizeHistory(req: ApiRequest, caller: Caller, c: ContainerRecord, name: string): Promise<void> {
  if (caller.user.uuid === c.account) return;
  const live = await req.services.objects.get(c.account, c.name, name);
  if (!live) throw notFound('Object does not exist');
  authorize(caller.user, 'read', { object: live });
}

/** `GET …/<object>?version=list`: `{"versions": [[id, epoch seconds], …]}` or Pithos's XML. */
export async function versionList(
  req: ApiRequest,
  caller: Caller,
  account: string,
  container: string,
  name: string,
): Promise<ApiResponse> {
  const format = listingFormat(req.raw, req.query);
  if (format === 'plain') throw badRequest('No format specified for version list.');
  const c = await requireContainer(req, account, container);
  await authorizeHistory(req, caller, c, name);
  const versions = await req.services.versions.list(c, name);
  if (!versions) throw notFound('Object does not exist');
  if (format === 'json') {
    // Written by hand: the timestamps keep their six decimals, as Pithos prints them.
    const items = versions.map((v) => `[${v.version}, ${epochSeconds6(v.versionTs)}]`).join(', ');
    const body = Buffer.from(`{"versions": [${items}]}`);
    return { status: 200, headers: { 'Content-Type': JSON_TYPE, 'Content-Length': body.length }, body };
  }
  const xml = [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<object name="${xmlAttr(name)}">`,
    ...versions.map((v) => `<version timestamp="${epochSeconds6(v.versionTs)}">${v.version}</version>`),
    '</object>',
  ].join('');
  const body = Buffer.from(xml);
  return {
    status: 200,
    headers: { 'Content-Type': 'application/xml; charset=UTF-8', 'Content-Length': body.length },
    body,
  };
}

const xmlAttr = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[ch]!);

/** A version id as given: decimal digits, else it names no version. */
const parseVersionId = (v: string): number | undefined => (/^\d{1,15}$/.test(v.trim()) ? Number(v.trim()) : undefined);

/** The object `?version=<id>` names (HEAD/GET), kept or live; 404 "Version does not exist" otherwise. */
export async function versionedObject(
  req: ApiRequest,
  caller: Caller,
  account: string,
  container: string,
  name: string,
  version: string,
): Promise<ObjectRecord> {
  const c = await requireContainer(req, account, container);
  await authorizeHistory(req, caller, c, name);
  const id = parseVersionId(version);
  const found = id === undefined ? undefined : await req.services.versions.get(c, name, id);
  if (!found) throw notFound(VERSION_MISSING);
  return found;
}

/** The object as it was at `until` (HEAD/GET …?until=): owner only; none then → 404. */
export async function objectAsOf(
  req: ApiRequest,
  caller: Caller,
  account: string,
  container: string,
  name: string,
  until: number,
): Promise<ObjectRecord> {
  ownerOnlyHistory(caller, account);
  const c = await requireContainer(req, account, container);
  const found = await req.services.versions.asOf(c, name, until);
  if (!found) throw notFound('Object does not exist');
  return found;
}

/**
 * The source of a copy with `X-Source-Version` (a restore): that version of the source path, kept
 * or live, even when the object was deleted since. Undefined without the header. The copy
 * re-reads it under the commit lock (`reload`).
 */
export async function sourceVersion(
  req: ApiRequest,
  caller: Caller,
  account: string,
  container: string,
  name: string,
): Promise<
  | {
      record: ObjectRecord;
      reload: (db: Parameters<ApiRequest['services']['versions']['get']>[3]) => Promise<ObjectRecord | undefined>;
    }
  | undefined
> {
  const given = lastHeader(req.raw, 'x-source-version');
  if (given === undefined) return undefined;
  const c = await requireContainer(req, account, container);
  await authorizeHistory(req, caller, c, name);
  const id = parseVersionId(given);
  const record = id === undefined ? undefined : await req.services.versions.get(c, name, id);
  if (!record || id === undefined) throw notFound(VERSION_MISSING);
  return { record, reload: (db) => req.services.versions.get(c, name, id, db) };
}

/**
 * `DELETE …/<container>[/<object>]?until=`: purges the kept versions made up to then; live ones
 * stay (the object handler deletes a live object first, as its plain DELETE). 204; with
 * `mustPurge`, 404 when the path had nothing to purge (no object and no history).
 */
export async function purgeHistory(
  req: ApiRequest,
  caller: Caller,
  account: string,
  container: string,
  until: number,
  name?: string,
  mustPurge = false,
): Promise<ApiResponse> {
  ownerOnlyHistory(caller, account);
  const c = await requireContainer(req, account, container);
  const purged = await req.services.versions.purge(c, until, name);
  if (mustPurge && purged === 0) throw notFound('Object does not exist');
  return { status: 204 };
}
