/**
 * Swift's bulk delete: `POST` (or `DELETE`) `<account>?bulk-delete` with a `text/plain` body of
 * URL-encoded `/<container>/<object>` or `/<container>` paths, one a line, at most 10,000. Objects
 * go first, then containers (emptied by the same request). Each path is decided and removed as a
 * single `DELETE` of it would be (the one authorizer, `ObjectService.delete`, `Containers.delete`),
 * and reported: `Number Deleted`, `Number Not Found`, and per failed path its status in `Errors`.
 */
import { ServiceError } from '../../errors.ts';
import { authorize } from '../../domain/authorization.ts';
import { ContainerNotEmpty, DomainError, Forbidden, NotFound } from '../../domain/errors.ts';
import type { Caller } from '../../domain/identity/tokens.ts';
import type { ApiRequest } from '../http/api-request.ts';
import { percentDecode, utf8 } from '../http/percent.ts';
import type { ApiResponse } from '../http/reply.ts';
import { SWIFT_LIMITS } from '../object-store/dialect.ts';
import {
  bulkFormat,
  bulkRefusal,
  quotePath,
  statusLine,
  streamedResult,
  type BulkFormat,
  type BulkResult,
} from './bulk-results.ts';

export const MAX_DELETES_PER_REQUEST = 10_000;
export const MAX_FAILED_DELETES = 1_000;
/** Swift's longest path of a line (container + object + two slashes); a line twice that is refused. */
const MAX_PATH_LENGTH = SWIFT_LIMITS.max_object_name_length + SWIFT_LIMITS.max_container_name_length + 2;

export const isBulkDelete = (req: ApiRequest): boolean =>
  req.query.has('bulk-delete') && (req.method === 'POST' || req.method === 'DELETE');

class Refused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(body);
  }
}

/** A path as the request named it: the decoded text (undefined when not UTF-8), and the line's own form for reports. */
interface NamedPath {
  readonly text: string | undefined;
  /** The decoded bytes, reported percent-encoded as Swift reports them. */
  readonly bytes: Buffer;
}

export async function handleBulkDelete(req: ApiRequest, caller: Caller, account: string): Promise<ApiResponse> {
  const format = bulkFormat(req.raw);
  const refuse = (status: number, body: string) =>
    bulkRefusal(format, { status, body, counts: { 'Number Deleted': 0, 'Number Not Found': 0 }, errors: [] }, 'delete');
  if (!format) return refuse(406, 'The server has no response format the request accepts.');
  const type = req.raw.headers['content-type'];
  if (type && !type.startsWith('text/plain')) return refuse(406, 'Paths must be sent as text/plain.');
  if (req.raw.headers['content-length'] === undefined && req.raw.headers['transfer-encoding'] === undefined)
    return refuse(411, 'Length Required');
  let paths: NamedPath[];
  try {
    paths = await readPaths(req.raw);
  } catch (err) {
    if (err instanceof Refused) return refuse(err.status, err.body);
    throw err;
  }
  return streamedResult(
    format,
    () => deleteAll(req, caller, account, paths),
    'delete',
    (err) => req.log.error({ err }, 'unexpected error in bulk delete'),
  );
}

/** The body's lines, decoded; refuses more than 10,000 paths or an over-long line while reading. */
async function readPaths(body: AsyncIterable<Buffer>): Promise<NamedPath[]> {
  const out: NamedPath[] = [];
  let pending: Buffer = Buffer.alloc(0);
  const take = (line: Buffer) => {
    const trimmed = line.toString('latin1').trim();
    if (trimmed === '') return;
    const bytes = percentDecode(Buffer.from(trimmed, 'latin1'), false)!;
    const text = utf8(bytes);
    out.push({ text: text?.includes('\u0000') ? undefined : text, bytes });
    if (out.length > MAX_DELETES_PER_REQUEST)
      throw new Refused(413, `Maximum Bulk Deletes: ${MAX_DELETES_PER_REQUEST} per request`);
  };
  for await (const chunk of body) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let nl = pending.indexOf(0x0a);
    while (nl >= 0) {
      take(pending.subarray(0, nl));
      pending = pending.subarray(nl + 1);
      nl = pending.indexOf(0x0a);
    }
    if (pending.length > MAX_PATH_LENGTH * 2) throw new Refused(400, 'Invalid File Name');
  }
  take(pending);
  return out;
}

type Outcome = 'deleted' | 'notFound' | number;

async function deleteAll(req: ApiRequest, caller: Caller, account: string, paths: NamedPath[]): Promise<BulkResult> {
  const counts = { 'Number Deleted': 0, 'Number Not Found': 0 };
  const errors: [string, string][] = [];
  const isContainer = (p: NamedPath) => p.text !== undefined && !p.text.replace(/^\/+|\/+$/g, '').includes('/');
  // Objects first, then containers: a container listed with its objects is empty by its turn.
  const ordered = [...paths.filter((p) => !isContainer(p)), ...paths.filter(isContainer)];
  for (const p of ordered) {
    const outcome = p.text === undefined ? 412 : await deleteOne(req, caller, account, p.text);
    if (outcome === 'deleted') counts['Number Deleted']++;
    else if (outcome === 'notFound') counts['Number Not Found']++;
    else {
      errors.push([quotePath(p.bytes), statusLine(outcome)]);
      if (errors.length >= MAX_FAILED_DELETES)
        return { status: 400, body: 'Max delete failures exceeded', counts, errors };
    }
  }
  if (errors.length) return { status: 400, body: '', counts, errors };
  if (!counts['Number Deleted'] && !counts['Number Not Found'])
    return { status: 400, body: 'Invalid bulk delete.', counts, errors };
  return { status: 200, body: '', counts, errors };
}

/** One path, as its own `DELETE` would go. */
async function deleteOne(req: ApiRequest, caller: Caller, account: string, path: string): Promise<Outcome> {
  const name = path.replace(/^\/+/, '');
  const slash = name.indexOf('/');
  const container = slash < 0 ? name.replace(/\/+$/, '') : name.slice(0, slash);
  const object = slash < 0 ? '' : name.slice(slash + 1);
  if ([...container].length > SWIFT_LIMITS.max_container_name_length) return 400;
  if ([...object].length > SWIFT_LIMITS.max_object_name_length) return 400;
  const { containers, objects } = req.services;
  try {
    if (object === '') {
      if (caller.user.uuid !== account) return 403;
      const c = await containers.get(account, container);
      if (!c) return 'notFound';
      await containers.delete(c);
      return 'deleted';
    }
    const obj = await objects.get(account, container, object);
    if (!obj)
      return caller.user.uuid === account || (await maySeeContainer(req, caller, account, container))
        ? 'notFound'
        : 403;
    authorize(caller.user, 'read', { object: obj });
    authorize(caller.user, 'delete', { object: obj });
    return (await objects.delete(obj)) ? 'deleted' : 'notFound';
  } catch (err) {
    if (err instanceof ContainerNotEmpty) return 409;
    if (err instanceof NotFound) return caller.user.uuid === account ? 'notFound' : 403;
    if (err instanceof Forbidden) return 403;
    if (err instanceof ServiceError && err.status < 500) return err.status === 404 ? 'notFound' : err.status;
    if (err instanceof DomainError) return 400;
    throw err;
  }
}

/** Someone else's container: he may learn what is (not) in it only where he holds a grant there (as on a single DELETE). */
async function maySeeContainer(req: ApiRequest, caller: Caller, account: string, name: string): Promise<boolean> {
  const c = await req.services.containers.get(account, name);
  return !!c && (await req.services.containers.hasGrantsIn(caller.user.uuid, account, c.id));
}

export type { BulkFormat };
