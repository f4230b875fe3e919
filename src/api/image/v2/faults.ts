/**
 * Every error the Image API v2 answers (openstack.md Appendix A), as one table from a named kind to
 * status, fault name, message and headers. The v2 parsers throw `V2Error`s; the lead maps domain
 * errors onto these kinds; `v2ErrorResponse` renders any of them in one place.
 *
 * Body shape (openstack.md §3.2 "errors", README.md "Errors"): `{"<fault>": {"code", "message",
 * "details": ""}}`. glanceclient joins the inner `message`s, openstacksdk reads the nested
 * `message`, gophercloud looks at the status only (§1 item 14).
 */

import { RETRY_AFTER_SECONDS } from '../../../errors.ts';

/** The JSON type of every v2 JSON reply (clients test `startswith('application/json')`, §3.2). */
export const V2_JSON_TYPE = 'application/json; charset=UTF-8';

/** The two json-patch media types PATCH accepts (§4.5), in the order Glance lists them in `Accept-Patch`. */
export const PATCH_MEDIA_TYPES = [
  'application/openstack-images-v2.0-json-patch',
  'application/openstack-images-v2.1-json-patch',
] as const;

interface FaultSpec {
  readonly status: number;
  readonly fault: string;
  // biome-ignore lint/suspicious/noExplicitAny: each fault's wording takes its own arguments; v2Error's overloads type the calls
  readonly message: (...args: any[]) => string;
  // biome-ignore lint/suspicious/noExplicitAny: as for message
  readonly headers?: (...args: any[]) => Record<string, string>;
}

/**
 * The table. Fault names are Plankton's (README.md "Errors"; the image API says `overLimit` for
 * 413); 415 and 410, which no other Plankton API answers, take the names OpenStack's compute
 * faults use (`badMediaType`) and a plain `gone`.
 */
export const V2_FAULTS = {
  // 400 badRequest
  /** Anything the parsers reject with a Glance message of their own (§4.3, §4.5, §4.10). */
  badRequest: { status: 400, fault: 'badRequest', message: (message: string) => message },
  /** A value the image schema refuses (§4.2 step 3, §4.5); `reason` is the jsonschema sentence. */
  schemaViolation: {
    status: 400,
    fault: 'badRequest',
    message: (schema: string, reason: string) => `Provided object does not match schema '${schema}': ${reason}`,
  },
  bodyExpected: { status: 400, fault: 'badRequest', message: () => 'Body expected in request.' },
  malformedJson: { status: 400, fault: 'badRequest', message: () => 'Malformed JSON in request body.' },
  /** Upload before both formats are set (§4.7 step 4). */
  formatsRequired: {
    status: 400,
    fault: 'badRequest',
    message: () => 'Properties disk_format, container_format must be set prior to saving data.',
  },
  /** Import method absent from the enabled list (§4.9). */
  unknownImportMethod: {
    status: 400,
    fault: 'badRequest',
    message: (method: string) => `Unknown import method name '${method}'.`,
  },
  /** `marker` that names no visible image (§4.3: Glance answers 400, not 404). */
  markerNotFound: { status: 400, fault: 'badRequest', message: (id: string) => `No image found with ID ${id}` },

  // 401 unauthorized (identity.md §4 messages)
  unauthorized: { status: 401, fault: 'unauthorized', message: (message: string) => message },

  // 403 forbidden
  forbidden: { status: 403, fault: 'forbidden', message: (message = 'Not allowed') => message },
  readOnlyAttribute: { status: 403, fault: 'forbidden', message: (key: string) => `Attribute '${key}' is read-only.` },
  reservedAttribute: { status: 403, fault: 'forbidden', message: (key: string) => `Attribute '${key}' is reserved.` },
  propertyNotRemovable: {
    status: 403,
    fault: 'forbidden',
    message: (key: string) => `Property ${key} may not be removed.`,
  },
  /** `disk_format`/`container_format` changed after `queued` (§4.5). */
  formatNotQueued: {
    status: 403,
    fault: 'forbidden',
    message: (attribute: string) => `Attribute ${attribute} can be only replaced for a queued image.`,
  },
  ownerNotAdmin: { status: 403, fault: 'forbidden', message: () => "Owner can't be updated by non admin." },
  /** `/locations` in a PATCH: Plankton never shows locations (§3.3), as Glance with `show_multiple_locations` off. */
  locationsInvisible: {
    status: 403,
    fault: 'forbidden',
    message: (verb: 'add' | 'remove' | 'update') => `It's not allowed to ${verb} locations if locations are invisible.`,
  },
  imageProtected: {
    status: 403,
    fault: 'forbidden',
    message: (id: string) => `Image ${id} is protected and cannot be deleted.`,
  },
  notSharedImage: { status: 403, fault: 'forbidden', message: () => 'Only shared images have members.' },
  /** The owner setting a member status (§4.10). */
  memberStatusNotOwner: {
    status: 403,
    fault: 'forbidden',
    message: () => "You are not permitted to modify 'status' on this image member.",
  },
  memberCreateNotOwner: {
    status: 403,
    fault: 'forbidden',
    message: () => 'You are not permitted to create image members for the image.',
  },
  memberDeleteNotOwner: { status: 403, fault: 'forbidden', message: () => 'You cannot delete image member.' },
  /** Data of a deactivated image, caller not admin (§4.8). */
  imageDeactivated: {
    status: 403,
    fault: 'forbidden',
    message: () => 'The requested image has been deactivated. Image data download is forbidden.',
  },
  deactivateNotAllowed: {
    status: 403,
    fault: 'forbidden',
    message: (status: string) => `Not allowed to deactivate image in status '${status}'`,
  },
  reactivateNotAllowed: {
    status: 403,
    fault: 'forbidden',
    message: (status: string) => `Not allowed to reactivate image in status '${status}'`,
  },

  // 404 itemNotFound
  /** Unknown, unreadable, non-UUID or extra-segment image path: one reply for all (§1 item 12, §3.2 "ids"). */
  imageNotFound: { status: 404, fault: 'itemNotFound', message: (id: string) => `No image found with ID ${id}` },
  memberNotFound: {
    status: 404,
    fault: 'itemNotFound',
    message: (member: string, image: string) => `${member} not found in the member list of the image ${image}.`,
  },
  tagNotFound: { status: 404, fault: 'itemNotFound', message: (tag: string) => `Tag ${tag} not found.` },
  /** Any other unknown path under /image/v2 (metadefs and tasks schemas, /info/stores: §3.4, §4.1). */
  notFound: { status: 404, fault: 'itemNotFound', message: (message = 'Not Found') => message },

  // 405 notAllowed
  methodNotAllowed: {
    status: 405,
    fault: 'notAllowed',
    message: (_allow: readonly string[]) => 'Method not allowed',
    headers: (allow: readonly string[]) => ({ Allow: allow.join(', ') }),
  },

  // 409 conflict
  conflict: { status: 409, fault: 'conflict', message: (message: string) => message },
  propertyDoesNotExist: { status: 409, fault: 'conflict', message: (key: string) => `Property ${key} does not exist.` },
  /** v2.0 (draft 4) `add` on something that exists (§4.5). */
  propertyAlreadyPresent: {
    status: 409,
    fault: 'conflict',
    message: (key: string) => `Property ${key} already present.`,
  },
  /** Upload to an image that is not `queued` (§4.7 step 2). */
  uploadNotQueued: {
    status: 409,
    fault: 'conflict',
    message: (status: string) => `Image status transition from ${status} to saving is not allowed`,
  },
  /** Stage into an image that is not `queued` (§4.9). */
  stageNotQueued: {
    status: 409,
    fault: 'conflict',
    message: (status: string) => `Image status transition from ${status} to uploading is not allowed`,
  },
  duplicateMember: {
    status: 409,
    fault: 'conflict',
    message: (member: string, image: string) => `Member ${member} is duplicated for image ${image}`,
  },
  /** Decision 3: `visibility=private` while members exist. */
  privateWithMembers: {
    status: 409,
    fault: 'conflict',
    message: () => 'Image has members: remove the members first to make it private.',
  },
  imageBusy: { status: 409, fault: 'conflict', message: () => 'Image is being saved' },

  // 410
  /** Image deleted while its data was being uploaded (§4.7 step 6). */
  imageGone: {
    status: 410,
    fault: 'gone',
    message: (id: string) =>
      `Image ${id} could not be found after upload. The image may have been deleted during the upload.`,
  },

  // 413 overLimit
  overLimit: { status: 413, fault: 'overLimit', message: (message: string) => message },
  tooManyProperties: {
    status: 413,
    fault: 'overLimit',
    message: (attempted: number, maximum: number) =>
      `The limit has been exceeded on the number of allowed image properties. Attempted: ${attempted}, Maximum: ${maximum}`,
  },
  tooManyTags: {
    status: 413,
    fault: 'overLimit',
    message: (attempted: number, maximum: number) =>
      `The limit has been exceeded on the number of allowed image tags. Attempted: ${attempted}, Maximum: ${maximum}`,
  },
  tooManyMembers: {
    status: 413,
    fault: 'overLimit',
    message: (attempted: number, maximum: number) =>
      `The limit has been exceeded on the number of allowed image members for this image. Attempted: ${attempted}, Maximum: ${maximum}`,
  },

  // 415 badMediaType
  /** PATCH with a media type other than the two json-patch ones (§4.5). */
  unsupportedPatchType: {
    status: 415,
    fault: 'badMediaType',
    message: () => 'Unsupported Content-Type',
    headers: () => ({ 'Accept-Patch': PATCH_MEDIA_TYPES.join(', ') }),
  },
  /** PUT file/stage not `application/octet-stream` (§4.7 step 1). */
  unsupportedUploadType: { status: 415, fault: 'badMediaType', message: () => 'Unsupported Content-Type' },
  /** Format mismatch or failed safety check (§7.3), e.g. `Image failed safety checks: backing_file`. */
  badImageData: { status: 415, fault: 'badMediaType', message: (message: string) => message },

  // 416
  rangeNotSatisfiable: {
    status: 416,
    fault: 'rangeNotSatisfiable',
    message: (_size: number) => 'Requested range not satisfiable',
    headers: (size: number) => ({ 'Content-Range': `bytes */${size}` }),
  },

  // 503
  /** An upload that lost a block to gc before its commit (nothing stored, the image still queued): retryable. */
  uploadRetry: {
    status: 503,
    fault: 'serviceUnavailable',
    message: () => 'The image data was not stored because a concurrent cleanup removed part of it; upload it again.',
    headers: () => ({ 'Retry-After': String(RETRY_AFTER_SECONDS) }),
  },
  // 503 / 507: a dependency failed (DependencyUnavailable; src/errors.ts dependencyFault words it the same)
  dependencyUnavailable: {
    status: 503,
    fault: 'serviceUnavailable',
    message: (message: string) => message,
    headers: () => ({ 'Retry-After': String(RETRY_AFTER_SECONDS) }),
  },
  storageFull: { status: 507, fault: 'insufficientStorage', message: (message: string) => message },

  // 500
  internal: { status: 500, fault: 'internalServerError', message: () => 'Unexpected error' },
} as const satisfies Record<string, FaultSpec>;

export type V2FaultKind = keyof typeof V2_FAULTS;
export type V2FaultArgs<K extends V2FaultKind> = Parameters<(typeof V2_FAULTS)[K]['message']>;

/** An error of the v2 wire layer: a kind of the table, its arguments, and what they render to. */
export class V2Error extends Error {
  readonly status: number;
  readonly fault: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly kind: V2FaultKind,
    message: string,
    status: number,
    fault: string,
    headers: Record<string, string>,
  ) {
    super(message);
    this.status = status;
    this.fault = fault;
    this.headers = headers;
  }
}

/** `v2Error('imageNotFound', id)`: the typed way to make one. */
export function v2Error<K extends V2FaultKind>(kind: K, ...args: V2FaultArgs<K>): V2Error {
  const spec: FaultSpec = V2_FAULTS[kind];
  return new V2Error(kind, spec.message(...args), spec.status, spec.fault, spec.headers?.(...args) ?? {});
}

/** What the handler writes: structurally an `ApiResponse` of src/api/http/reply.ts. */
export interface V2ErrorReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: {
    readonly [fault: string]: { readonly code: number; readonly message: string; readonly details: '' };
  };
}

/** Renders a v2 error: JSON fault body, its own headers (`Allow`, `Accept-Patch`, `Content-Range`). */
export function v2ErrorResponse(err: V2Error): V2ErrorReply {
  return {
    status: err.status,
    headers: { 'Content-Type': V2_JSON_TYPE, ...err.headers },
    body: { [err.fault]: { code: err.status, message: err.message, details: '' } },
  };
}
