import { notImplemented } from '../../errors.ts';
import { authorize } from '../../domain/authorization.ts';
import type { Caller } from '../../domain/identity/tokens.ts';
import { httpDate, isoMicros } from '../../domain/time.ts';
import type { ApiRequest } from '../http/api-request.ts';
import { checkConditions } from '../http/conditional.ts';
import type { ApiResponse, HeaderMap } from '../http/reply.ts';
import { PITHOS, type Dialect } from './dialect.ts';
import { isTrue, listingFormat, listingLimit, listingResponse } from './listing-format.ts';
import { hasHeaderPrefix, readMeta } from './request-headers.ts';
import { metaHeaders } from './response-headers.ts';
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
    if (hasHeaderPrefix(req.raw, 'x-account-group-')) throw notImplemented('Account groups are not supported');
    const meta = readMeta(req.raw, 'Account', dialect.meta);
    const quota = readAccountQuota(req.raw, meta, caller.user.admin);
    if (quota !== undefined) await req.services.objects.quotas.setAccountQuota(account, quota);
    await containers.updateAccountMeta(account, {
      meta,
      replace: dialect.metaPostReplaces('Account', req.query),
      maxItems: dialect.meta.maxItems,
    });
    return { status: dialect.postStatus };
  }
  if (req.query.has('until')) throw notImplemented('Listing or reading past versions (until) is not supported');
  const info = await containers.account(account);
  const quota = owner ? await req.services.objects.quotas.accountQuota(account) : 0;
  const headers: HeaderMap = { 'Last-Modified': httpDate(info.lastModified) };
  if (owner) {
    Object.assign(headers, {
      'X-Account-Container-Count': info.containers,
      'X-Account-Object-Count': info.count,
      'X-Account-Bytes-Used': info.bytes,
      'X-Account-Policy-Quota': String(quota),
      ...metaHeaders('Account', info.meta),
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
    reverse: isTrue(req.query.get('reverse')),
    limit: listingLimit(req.query, dialect),
    viewer: owner ? undefined : caller.user.uuid,
    shared: req.query.has('shared'),
    published,
  });
  const entries = list.map((c) =>
    !dialect.richListings
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
    list.map((c) => c.name),
    entries,
    headers,
  );
}
