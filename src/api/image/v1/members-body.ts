/**
 * The body of `PUT …/members` (image-api.md §5.9). Its checks come before the image lookup, in
 * this order, so even an unknown image id answers them.
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { badRequest } from '../../../errors.ts';
import { canonicalUuid } from '../../../domain/images/image-values.ts';
import { invalidMemberId } from './messages.ts';
import { mediaType, parseJson, readSmallBody } from '../../http/api-request.ts';
import { JSON_BODY_LIMIT, validateBody } from '../../http/json-body.ts';

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

/** The document checks of §5.9, from "not a JSON object" on, in its order (each stage waits for the one before). */
export function parseMemberships(doc: unknown): string[] {
  return validateBody(MEMBERSHIPS_BODY, doc, (problem) => badRequest(problem.message));
}

const MISSING_MEMBERSHIPS = "Malformed request. Missing attribute 'memberships'.";

/** One `member_id`: `*`, or a user id in any case (canonical UUID out); anything else is refused with what was given. */
function memberId(id: unknown, ctx: z.RefinementCtx): string {
  if (id === '*') return id;
  const uuid = typeof id === 'string' ? canonicalUuid(id) : undefined;
  if (uuid !== undefined) return uuid;
  ctx.addIssue({ code: 'custom', message: invalidMemberId(typeof id === 'string' ? id : JSON.stringify(id)).message });
  return '';
}

/** `{"memberships": [{"member_id": …, "can_share": …}, …]}`; other keys are ignored, as Plankton did. */
const MEMBERSHIPS_BODY = z
  .object(
    {
      memberships: z
        .array(z.unknown(), {
          error: (issue) =>
            issue.input === undefined || issue.input === null
              ? MISSING_MEMBERSHIPS
              : "Malformed request. Invalid 'memberships' field",
        })
        .pipe(z.array(z.looseObject({}, { error: "Invalid 'memberships' field" })))
        .pipe(
          z.array(
            z.looseObject({
              member_id: z.unknown().refine((id) => id !== undefined && id !== null, {
                error: "Malformed request. Missing attribute 'member_id'.",
              }),
            }),
          ),
        )
        // The first bad id is the answer (later ones would add issues after it).
        .transform((memberships, ctx) => memberships.map((m) => memberId(m.member_id, ctx))),
    },
    { error: MISSING_MEMBERSHIPS },
  )
  .transform((body) => body.memberships);
