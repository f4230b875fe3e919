/**
 * Copy or move of a whole prefix (Pithos: `delimiter` with `X-Copy-From`, `X-Move-From`, `COPY`,
 * `MOVE`): the named object is copied as usual, and so is every object whose name starts with
 * `<source><delimiter>` (or `<source>` when it already ends with the delimiter), to the same rest
 * of the name under `<destination><delimiter>`. Those keep their own content type, encoding,
 * disposition and meta (the request's headers apply to the named object only, as in Pithos);
 * grants and public tokens are never copied, a move keeps them. Only the objects the caller may
 * read are taken (a move: those he may delete); the destination must be his own account. One
 * transaction through the object service's copy path: all of it or nothing.
 */
import { badRequest, forbidden } from '../../errors.ts';
import { authorize } from '../../domain/authorization.ts';
import type { Caller } from '../../domain/identity/tokens.ts';
import type { ContainerRecord } from '../../domain/objects/containers.ts';
import type { ObjectRecord } from '../../domain/objects/object-record.ts';
import type { Attributes, WriteOptions } from '../../domain/objects/object-service.ts';
import type { ApiRequest } from '../http/api-request.ts';

/** Most objects one prefix copy or move takes along (Pithos's listing limit). */
export const MAX_PREFIX_OBJECTS = 10_000;
const MAX_NAME = 1024;

export async function copyWithPrefix(
  req: ApiRequest,
  caller: Caller,
  source: ObjectRecord,
  dest: ContainerRecord,
  destName: string,
  attrs: Attributes,
  opts: WriteOptions & { readonly move: boolean },
  delimiter: string,
): Promise<ObjectRecord> {
  const { objects, containers } = req.services;
  const me = caller.user.uuid;
  if (dest.account !== me) throw forbidden();
  const prefix = source.name.endsWith(delimiter) ? source.name : source.name + delimiter;
  const destPrefix = destName.endsWith(delimiter) ? destName : destName + delimiter;
  const from = await containers.get(source.account, source.container);
  const entries = from
    ? await objects.list(from, {
        prefix,
        appendDelimiter: false,
        limit: MAX_PREFIX_OBJECTS + 1,
        viewer: source.account === me ? undefined : me,
      })
    : [];
  const under = entries.flatMap((e) => (e.object && e.object.name !== source.name ? [e.object] : []));
  if (under.length > MAX_PREFIX_OBJECTS)
    throw badRequest(`Copying or moving by prefix takes at most ${MAX_PREFIX_OBJECTS} objects`);
  const own = { modifiedBy: opts.modifiedBy, move: opts.move };
  const items = [{ source, destName, attrs, opts }];
  for (const obj of under) {
    if (opts.move) authorize(caller.user, 'move', { object: obj });
    const name = destPrefix + obj.name.slice(prefix.length);
    if ([...name].length > MAX_NAME) throw badRequest('Object name too large.');
    items.push({
      source: obj,
      destName: name,
      attrs: {
        contentType: obj.contentType,
        contentEncoding: obj.contentEncoding,
        contentDisposition: obj.contentDisposition,
        meta: obj.meta,
      },
      opts: own,
    });
  }
  const [main] = await objects.copyMany(items, dest);
  return main;
}
