import { parseMetaFilter } from './meta-filter-param.ts';
import { isEmptyFilter } from '../../domain/objects/meta-filter.ts';
import { notFound, tooLarge } from '../../errors.ts';
import { authorize, type Target } from '../../domain/authorization.ts';
import type { Caller } from '../../domain/identity/tokens.ts';
import { BLOCK_HASH, BLOCK_SIZE } from '../../domain/hashing.ts';
import type { ContainerRecord } from '../../domain/objects/containers.ts';
import { httpDate } from '../../domain/time.ts';
import { hasBody, readSmallBody, type ApiRequest } from '../http/api-request.ts';
import { checkConditions } from '../http/conditional.ts';
import { json, type ApiResponse, type HeaderMap } from '../http/reply.ts';
import { PITHOS, type Dialect } from './dialect.ts';
import {
  isTrue,
  listingFormat,
  listingLimit,
  listingResponse,
  objectEntry,
  swiftObjectEntry,
} from './listing-format.ts';
import { contentMediaType, readMeta, readPolicy } from './request-headers.ts';
import { metaHeaders } from './response-headers.ts';
import { ownerOnlyHistory, purgeHistory, readUntil } from './object-versions.ts';
import { aclHeaders, hasAclChange, readAclChange } from './access-headers.ts';
import { aclReads } from '../../domain/objects/container-acl.ts';
import { checkContainerQuotaMeta } from './expiry-quota-headers.ts';

/** `/object-store/v1/<account>/<container>` (object-store.md §5). */
export async function handleContainer(
  req: ApiRequest,
  caller: Caller,
  account: string,
  name: string,
  dialect: Dialect = PITHOS,
): Promise<ApiResponse> {
  const { containers } = req.services;
  const owner = caller.user.uuid === account;
  const c = await containers.get(account, name);
  // A non-owner sees a container only through grants on objects in it or its ACL; otherwise it does not exist for him.
  const target = {
    container: {
      account,
      sharesWithCaller: !owner && !!c && (await containers.hasGrantsIn(caller.user.uuid, account, c.id)),
    },
  };
  authorize(caller.user, req.method === 'HEAD' || req.method === 'GET' ? 'read' : 'write', target);
  // ACLs are checked whole before anything is written: a bad one changes nothing.
  const aclChange = req.method === 'PUT' || req.method === 'POST' ? readAclChange(req.raw) : {};
  const acl = hasAclChange(aclChange) ? await req.services.access.parseAclChange(aclChange) : undefined;
  if (req.method === 'PUT') {
    const meta = readMeta(req.raw, 'Container', dialect.meta);
    checkContainerQuotaMeta(meta);
    const created = await containers.put(
      account,
      name,
      { ...readPolicy(req.raw), ...dialect.readVersioning(req.raw) },
      meta,
      dialect.meta.maxItems,
      dialect.newContainerPolicy,
    );
    if (acl) await req.services.access.setContainerAcl(await containers.require(account, name), acl);
    return { status: created ? 201 : 202 };
  }
  if (!c) throw notFound('Container does not exist');
  switch (req.method) {
    case 'POST': {
      // Meta first: a refused meta change leaves the ACLs as they were too.
      const posted = await postContainer(req, c, dialect);
      if (acl) await req.services.access.setContainerAcl(c, acl);
      return posted;
    }
    case 'DELETE': {
      const until = readUntil(req.query);
      return until === undefined ? deleteContainer(req, c) : purgeHistory(req, caller, account, name, until);
    }
    default:
      return readContainer(req, caller, c, owner, target, dialect);
  }
}

async function readContainer(
  req: ApiRequest,
  caller: Caller,
  c: ContainerRecord,
  owner: boolean,
  target: Target,
  dialect: Dialect,
): Promise<ApiResponse> {
  const { containers, objects } = req.services;
  const until = readUntil(req.query);
  if (until !== undefined) ownerOnlyHistory(caller, c.account);
  let stats = await containers.stats(c);
  const headers: HeaderMap = {
    'Last-Modified': httpDate(stats.lastModified),
    'X-Container-Block-Size': BLOCK_SIZE,
    'X-Container-Block-Hash': BLOCK_HASH,
  };
  if (until !== undefined) {
    // As Pithos: counts as of then, the latest change up to then; Last-Modified stays the overall one.
    const past = (await req.services.versions.totalsAsOf([c.id], until)).get(c.id);
    stats = { ...stats, count: past?.count ?? 0, bytes: past?.bytes ?? 0 };
    headers['X-Container-Until-Timestamp'] = httpDate(past?.latest ?? 0);
  }
  if (owner) {
    const objectMeta = dialect.containerObjectMeta
      ? { 'X-Container-Object-Meta': (await containers.objectMetaKeys(c)).join(',') }
      : {};
    Object.assign(headers, {
      'X-Container-Object-Count': stats.count,
      'X-Container-Bytes-Used': stats.bytes,
      ...objectMeta,
      'X-Container-Policy-Quota': String(c.quota),
      'X-Container-Policy-Versioning': c.versioning,
      'X-Container-Policy-Project': c.project,
      ...dialect.versioningHeaders(c),
      ...metaHeaders('Container', c.meta),
      ...aclHeaders(await req.services.access.containerAcl(c)),
    });
  }
  const notModified = checkConditions(
    req.raw,
    { exists: true, lastModified: stats.lastModified },
    { matchHeaders: false },
  );
  if (notModified) return notModified;
  if (req.method === 'HEAD') return { status: 204, headers };

  // Pithos's meta filter; Swift ignores parameters it does not know.
  const metaParam = dialect.name === 'pithos' ? req.query.get('meta') : undefined;
  const metaFilter = metaParam ? parseMetaFilter(metaParam) : undefined;
  const format = listingFormat(req.raw, req.query);
  const published = req.query.has('public');
  // What is published is the business of whoever may publish.
  if (published) authorize(caller.user, 'publish', target);
  const path = req.query.get('path');
  const entries = await objects.list(c, {
    prefix: path ?? req.query.get('prefix'),
    delimiter: req.query.get('delimiter') || undefined,
    pathMode: path !== undefined,
    appendDelimiter: dialect.appendDelimiterToPrefix,
    marker: req.query.get('marker'),
    endMarker: req.query.get('end_marker'),
    reverse: isTrue(req.query.get('reverse')),
    limit: listingLimit(req.query, dialect),
    // The container's read ACL is a grant on all of it: such a reader lists everything.
    viewer:
      owner || aclReads(caller.user.uuid, await req.services.access.containerAcl(c)) ? undefined : caller.user.uuid,
    shared: req.query.has('shared'),
    published,
    metaFilter: metaFilter && !isEmptyFilter(metaFilter) ? metaFilter : undefined,
    until,
  });
  const publicUrl = req.services.publicUrl();
  const names = entries.map((e) => e.subdir ?? e.object!.name);
  const docs = entries.map((e) =>
    e.subdir !== undefined
      ? { subdir: e.subdir }
      : dialect.richListings
        ? objectEntry(e.object!, caller.user.uuid, publicUrl)
        : swiftObjectEntry(e.object!, dialect),
  );
  return listingResponse(format, { level: 'container', name: c.name }, names, docs, headers);
}

/** Meta, policy, and kamaki's block upload (object-store.md §5.4). */
async function postContainer(req: ApiRequest, c: ContainerRecord, dialect: Dialect): Promise<ApiResponse> {
  const { containers, objects } = req.services;
  const meta = readMeta(req.raw, 'Container', dialect.meta);
  checkContainerQuotaMeta(meta);
  const policy = { ...readPolicy(req.raw), ...dialect.readVersioning(req.raw) };
  const isBlockUpload = contentMediaType(req.raw) === 'application/octet-stream' && hasBody(req.raw);
  const declared = Number(req.raw.headers['content-length'] ?? 0);
  if (isBlockUpload && declared > BLOCK_SIZE) throw tooLarge(`Block size exceeds ${BLOCK_SIZE} bytes`);
  const replace = dialect.metaPostReplaces('Container', req.query);
  if (Object.keys(meta).length || Object.keys(policy).length || replace) {
    const change = Object.keys(meta).length || replace ? { meta, replace, maxItems: dialect.meta.maxItems } : undefined;
    await containers.update(c, change, policy);
  }
  if (!isBlockUpload) return { status: dialect.postStatus };
  const block = await readSmallBody(req.raw, BLOCK_SIZE, () => tooLarge(`Block size exceeds ${BLOCK_SIZE} bytes`));
  if (block.length === 0) return json(202, []);
  const hash = await objects.storeBlock(block);
  return json(202, [hash]);
}

async function deleteContainer(req: ApiRequest, c: ContainerRecord): Promise<ApiResponse> {
  const { containers, objects } = req.services;
  if (req.query.has('delimiter')) {
    await objects.deleteByPrefix(c, '');
    return { status: 204 };
  }
  await containers.delete(c);
  return { status: 204 };
}
