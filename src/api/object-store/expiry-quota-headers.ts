/**
 * Request headers of expiry and quotas (issue 19 item 8), one reading for both mounts: Swift's
 * names, values and 400 texts.
 */
import type { IncomingMessage } from 'node:http';
import { badRequest, forbidden } from '../../errors.ts';
import { QUOTA_BYTES_META, QUOTA_COUNT_META } from '../../domain/objects/quotas.ts';
import { hasHeader } from './request-headers.ts';
import { lastHeader } from '../http/api-request.ts';

const SECOND = 1_000_000;
const INTEGER = /^\s*\d+\s*$/;

/**
 * The expiry a write asks for, in microseconds: `X-Delete-After` (seconds from now; wins, as in
 * Swift, where it becomes an `X-Delete-At`) or `X-Delete-At` (epoch seconds); null for
 * `X-Remove-Delete-At` (or an empty `X-Delete-At`); undefined when none of them is given. A time
 * not in the future, a negative or non-integer value → 400.
 */
export function readExpiry(req: IncomingMessage, now: number = Date.now() * 1000): number | null | undefined {
  const after = lastHeader(req, 'x-delete-after');
  if (after !== undefined) {
    if (/^\s*-\d+\s*$/.test(after)) throw badRequest('X-Delete-After in past');
    if (!INTEGER.test(after) || !Number.isSafeInteger(Number(after))) throw badRequest('Non-integer X-Delete-After');
    return checkFuture(Math.ceil(now / SECOND) + Number(after), now, 'Non-integer X-Delete-After');
  }
  const at = lastHeader(req, 'x-delete-at');
  if (at !== undefined && at.trim() !== '') {
    if (!INTEGER.test(at) || !Number.isSafeInteger(Number(at))) throw badRequest('Non-integer X-Delete-At');
    return checkFuture(Number(at), now, 'Non-integer X-Delete-At');
  }
  if (at !== undefined || hasHeader(req, 'x-remove-delete-at')) return null;
  return undefined;
}

/** The time in microseconds, refused when past or beyond what the database column holds exactly. */
function checkFuture(seconds: number, now: number, tooLarge: string): number {
  const micros = seconds * SECOND;
  if (!Number.isSafeInteger(micros)) throw badRequest(tooLarge);
  if (micros <= now) throw badRequest('X-Delete-At in past');
  return micros;
}

/** Swift container_quotas' meta: a non-negative integer, or empty (removes it); Swift's 400 texts otherwise. */
export function checkContainerQuotaMeta(meta: Readonly<Record<string, string>>): void {
  const check = (key: string, message: string) => {
    const v = meta[key];
    if (v !== undefined && v !== '' && !(/^\d+$/.test(v) && Number.isSafeInteger(Number(v)))) throw badRequest(message);
  };
  check(QUOTA_BYTES_META, 'Invalid bytes quota.');
  check(QUOTA_COUNT_META, 'Invalid count quota.');
}

/**
 * An account quota change in an account POST: Swift's `X-Account-Meta-Quota-Bytes` (or its
 * `X-Remove-…`), Pithos's `X-Account-Policy-Quota`. Only an admin may set it (Swift's
 * account_quotas: 403 for anyone else); the value is the quota, not meta, so it is taken out of
 * `meta`. Returns the new quota in bytes (0: none), or undefined when the request sets none.
 */
export function readAccountQuota(
  req: IncomingMessage,
  meta: Record<string, string>,
  isAdmin: boolean,
): number | undefined {
  const policy = lastHeader(req, 'x-account-policy-quota');
  const metaValue = meta[QUOTA_BYTES_META];
  if (policy === undefined && metaValue === undefined) return undefined;
  delete meta[QUOTA_BYTES_META];
  if (!isAdmin) throw forbidden();
  const value = (policy ?? metaValue).trim();
  if (value === '') return 0;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw badRequest('Invalid bytes quota.');
  return Number(value);
}
