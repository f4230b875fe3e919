/**
 * The body of `PUT …/members` (image-api.md §5.9). Its checks come before the image lookup, in
 * this order, so even an unknown image id answers them.
 */
import type { IncomingMessage } from 'node:http';
import { badRequest } from '../../../errors.ts';
import { canonicalUuid } from '../../../domain/images/image-values.ts';
import { invalidMemberId } from './messages.ts';
import { mediaType, parseJson, readSmallBody } from '../../http/api-request.ts';

const JSON_BODY_LIMIT = 1024 * 1024;

/** Reads and checks the body; returns member ids, canonical UUIDs or `*`, as given (duplicates kept). */
export async function readMembershipsBody(req: IncomingMessage): Promise<string[]> {
  const contentType = req.headers['content-type'];
  if (contentType === undefined) throw badRequest('Missing Content-Type header field');
  if (mediaType(req) !== 'application/json') throw badRequest(`Unsupported Content-type: '${contentType}'`);
  const body = await readSmallBody(req, JSON_BODY_LIMIT);
  return parseMemberships(
    parseJson(body, 'Could not decode request as UTF-8 string', 'Could not decode request body as JSON'),
  );
}

/** The document checks of §5.9, from "not a JSON object" on. */
export function parseMemberships(doc: unknown): string[] {
  const memberships = isObject(doc) ? doc.memberships : undefined;
  if (memberships === undefined || memberships === null)
    throw badRequest("Malformed request. Missing attribute 'memberships'.");
  if (!Array.isArray(memberships)) throw badRequest("Malformed request. Invalid 'memberships' field");
  if (memberships.some((m) => !isObject(m))) throw badRequest("Invalid 'memberships' field");
  const ids = memberships.map((m: Record<string, unknown>) => m.member_id);
  if (ids.some((id) => id === undefined || id === null))
    throw badRequest("Malformed request. Missing attribute 'member_id'.");
  return ids.map((id) => {
    if (typeof id !== 'string') throw invalidMemberId(JSON.stringify(id));
    if (id === '*') return id;
    const uuid = canonicalUuid(id);
    if (uuid === undefined) throw invalidMemberId(id);
    return uuid;
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
