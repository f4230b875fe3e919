import { authorize } from '../../domain/authorization.ts';
import type { Caller } from '../../domain/identity/tokens.ts';
import { httpDate, isoMicros } from '../../domain/time.ts';
import type { ApiRequest } from '../http/api-request.ts';
import { checkConditions } from '../http/conditional.ts';
import type { ApiResponse, HeaderMap } from '../http/reply.ts';
import { PITHOS, type Dialect } from './dialect.ts';
import { isTrue, listingFormat, listingLimit, listingResponse } from './listing-format.ts';
import { readMeta } from './request-headers.ts';
import { groupHeaders, readGroupHeaders } from './access-headers.ts';
import { metaHeaders } from './response-headers.ts';
import { ownerOnlyHistory, readUntil } from './object-versions.ts';
import { readAccountQuota } from './expiry-quota-headers.ts';

/** `GET /object-store/v1`: accounts that share something with the caller (object-store.md §3). */
export async function handleTopLevel(req: ApiRequest, caller: Caller): Promise<ApiResponse> {
  const format = listingFormat(req.raw, req.query);
  const limit = listingLimit(req.query);
  const accounts =
    limit === 0
      ? []
      : await req.services.containers.sharingAccounts(caller.user.uuid, { marker: req.query.get('marker'), limit });
  return listingResponse(
    format,
    { level: 'account', name: '' },
    accounts.map((a) => a.name),
    accounts.map((a) => ({ name: a.name, last_modified: isoMicros(a.lastModified) })),
    {},
  );
}

/** `/object-store/v1/<account>`: HEAD, GET (container listing), POST (account meta). */
export async function handleAccount(
  req: ApiRequest,
  caller: Caller,
  account: string,
  dialect: Dialect = PITHOS,
): Promise<ApiResponse> {
  const { containers, users } = req.services;
  const owner = caller.user.uuid === account;
  const shares =
    !owner &&
    (await users.byUuid(account))?.uuid === account &&
    (await containers.hasGrantsIn(caller.user.uuid, account));
  const target = { account: { account, sharesWithCaller: shares } };
  authorize(caller.user, 'read', target);
  if (req.method === 'POST') {
    authorize(caller.user, 'write', target);
    const replace = dialect.metaPostReplaces('Account', req.query);
    const meta = readMeta(req.raw, 'Account', dialect.meta);
    const quota = readAccountQuota(req.raw, meta, caller.user.admin);
    // Groups (Pithos): touched only when some are given; checked whole before anything is written.
    const givenGroups = readGroupHeaders(req.raw);
    const groups = givenGroups && (await req.services.access.parseGroups(givenGroups));
    if (quota !== undefined) await req.services.objects.quotas.setAccountQuota(account, quota);
    await containers.updateAccountMeta(account, { meta, replace, maxItems: dialect.meta.maxItems });
    if (groups) await req.services.access.updateGroups(account, groups, replace);
    return { status: dialect.postStatus };
  }
  const until = readUntil(req.query);
  if (until !== undefined) ownerOnlyHistory(caller, account);
  let info = await containers.account(account);
  const quota = owner ? await req.services.objects.quotas.accountQuota(account) : 0;
  const headers: HeaderMap = { 'Last-Modified': httpDate(info.lastModified) };
  if (until !== undefined) {
    // As Pithos: objects and bytes as of then (containers are today's), the latest change up to then.
    const past = [...(await req.services.versions.totalsAsOf(await containers.idsOf(account), until)).values()];
    info = {
      ...info,
      count: past.reduce((n, t) => n + t.count, 0),
      bytes: past.reduce((n, t) => n + t.bytes, 0),
    };
    headers['X-Account-Until-Timestamp'] = httpDate(past.reduce((m, t) => Math.max(m, t.latest), 0));
  }
  if (owner) {
    Object.assign(headers, {
      'X-Account-Container-Count': info.containers,
      'X-Account-Object-Count': info.count,
      'X-Account-Bytes-Used': info.bytes,
      'X-Account-Policy-Quota': String(quota),
      ...metaHeaders('Account', info.meta),
      ...groupHeaders(await req.services.access.groups(account)),
      // Swift's account_quotas shows the quota as account meta.
      ...(dialect.name === 'swift' && quota > 0 ? { 'X-Account-Meta-Quota-Bytes': String(quota) } : {}),
    });
  }
  const notModified = checkConditions(
    req.raw,
    { exists: true, lastModified: info.lastModified },
    { matchHeaders: false },
  );
  if (notModified) return notModified;
  if (req.method === 'HEAD') return { status: 204, headers };

  const format = listingFormat(req.raw, req.query);
  const published = req.query.has('public');
  // What is published is the business of whoever may publish.
  if (published) authorize(caller.user, 'publish', target);
  const list = await containers.list(account, {
    marker: req.query.get('marker'),
    endMarker: req.query.get('end_marker'),
    prefix: req.query.get('prefix'),
    delimiter: req.query.get('delimiter') || undefined,
    reverse: isTrue(req.query.get('reverse')),
    limit: listingLimit(req.query, dialect),
    viewer: owner ? undefined : caller.user.uuid,
    shared: req.query.has('shared'),
    published,
  });
  const pastTotals =
    until === undefined
      ? undefined
      : await req.services.versions.totalsAsOf(
          list.flatMap((c) => ('id' in c ? [c.id] : [])),
          until,
        );
  if (pastTotals)
    for (const [i, c] of list.entries())
      if ('id' in c)
        list[i] = { ...c, count: pastTotals.get(c.id)?.count ?? 0, bytes: pastTotals.get(c.id)?.bytes ?? 0 };
  const entries = list.map((c) =>
    'subdir' in c
      ? { subdir: c.subdir }
      : !dialect.richListings
        ? { name: c.name, count: c.count, bytes: c.bytes, last_modified: dialect.listingTime(c.lastModified) }
        : owner
          ? {
              name: c.name,
              count: c.count,
              bytes: c.bytes,
              last_modified: isoMicros(c.lastModified),
              x_container_policy: { quota: String(c.quota), versioning: c.versioning, project: c.project },
            }
          : { name: c.name, last_modified: isoMicros(c.lastModified) },
  );
  return listingResponse(
    format,
    { level: 'account', name: dialect.accountName(account) },
    list.map((c) => ('subdir' in c ? c.subdir : c.name)),
    entries,
    headers,
  );
}
