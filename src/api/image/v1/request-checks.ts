/**
 * The Glance v1 request checks of image-api.md §5.3 (steps 2–12) and §5.6 (steps 2–3) that need
 * nothing but the request itself. They run in the spec's order — the first failure is the answer,
 * worded as v1 words it — and turn decoded metadata into typed values; image-commands.ts turns
 * those into the domain's commands. Pure: no I/O.
 */
import { badRequest } from '../../../errors.ts';
import type { ImageAttributes } from '../../../domain/images/image-commands.ts';
import type { ObjectPath } from '../../../domain/images/image-model.ts';
import { MAX_PROPERTIES } from '../../../domain/images/image-service.ts';
import {
  canonicalUuid,
  codePoints,
  parseBoolean,
  parseChecksum,
  parseCount,
} from '../../../domain/images/image-values.ts';
import {
  externalSources,
  invalidChecksum,
  invalidImageName,
  invalidMetadata,
  invalidSize,
  tooManyProperties,
  uploadTooLarge,
} from './messages.ts';

export { MAX_PROPERTIES, tooManyProperties };

/** Image metadata as a request states it (§3.2), decoded but not yet checked. */
export interface ImageMetaInput {
  /** Normalised field name → value (`name` decoded, every other value as sent). */
  readonly fields: ReadonlyMap<string, string>;
  /** Normalised key → decoded value, in header order (a later header won). */
  readonly properties: ReadonlyMap<string, string>;
  /** A property header whose key is empty: rejected with the endpoint's field-set message. */
  readonly emptyPropertyKey: boolean;
  /** The object `fields.location` names, when that value parses (§3.5). */
  readonly locationPath?: ObjectPath;
  /** An external source was asked for (`x-glance-api-copy-from`). */
  readonly copyFrom: boolean;
}

/** What is known about a request body before reading it. */
export interface DataDeclaration {
  /** The request carries data (chunked, or a positive length). */
  readonly present: boolean;
  /** Media type of the body, lower-case, without parameters. */
  readonly mediaType?: string;
  readonly contentLength?: number;
}

export interface ImageLimits {
  readonly diskFormats: readonly string[];
  readonly containerFormats: readonly string[];
  readonly sizeCap: number;
}

export type CreateMode = 'register' | 'upload' | 'reserve';

export interface CreateRequest {
  readonly mode: CreateMode;
  readonly attributes: ImageAttributes & { readonly name: string };
  /** Non-empty properties only: a `POST` drops empty values. */
  readonly properties: Readonly<Record<string, string>>;
  readonly location?: ObjectPath;
  readonly id?: string;
  readonly size?: number;
  readonly checksum?: string;
  /** `x-image-meta-owner` as sent; only an admin's counts, and only for upload/reserve. */
  readonly owner?: string;
}

export interface UpdateRequest {
  readonly attributes: ImageAttributes;
  /** Properties to set (non-empty values). */
  readonly setProperties: Readonly<Record<string, string>>;
  /** Properties to delete (sent with an empty value). */
  readonly deleteProperties: readonly string[];
  readonly size?: number;
  readonly checksum?: string;
  /** `x-image-meta-status` as sent (must equal the current status). */
  readonly status?: string;
}

/** §4.7: Plankton's Pithos-metadata limits, kept with their messages. */
export const MAX_KEY_LENGTH = 93;
export const MAX_VALUE_LENGTH = 256;

const CREATE_FIELDS = new Set([
  'name',
  'location',
  'id',
  'store',
  'disk_format',
  'container_format',
  'size',
  'checksum',
  'is_public',
  'protected',
  'min_ram',
  'min_disk',
  'owner',
]);
const UPDATE_FIELDS = new Set([
  'name',
  'disk_format',
  'container_format',
  'is_public',
  'protected',
  'min_ram',
  'min_disk',
  'status',
  'owner',
  'size',
  'checksum',
]);

/** §5.3 steps 2–12, in order. */
export function checkCreateRequest(input: ImageMetaInput, data: DataDeclaration, limits: ImageLimits): CreateRequest {
  const f = input.fields;
  // 2–3
  if (input.emptyPropertyKey || [...f.keys()].some((k) => !CREATE_FIELDS.has(k)))
    throw badRequest('Invalid parameters');
  if (input.copyFrom) throw externalSources();
  // 4
  const name = f.get('name');
  if (name === undefined) throw badRequest("Image 'name' parameter is required");
  if (name === '') throw invalidImageName();
  // 5
  const hasLocation = f.has('location');
  if (hasLocation && data.present) throw badRequest("It's invalid to provide multiple image sources.");
  const mode: CreateMode = hasLocation ? 'register' : data.present ? 'upload' : 'reserve';
  // 6
  if (hasLocation && !input.locationPath) throw badRequest(`Invalid location '${f.get('location')}'`);
  // 7
  const rawId = f.get('id');
  const id = rawId === undefined ? undefined : canonicalUuid(rawId);
  if (rawId !== undefined && id === undefined) throw badRequest('Invalid image id');
  // 8
  const store = f.get('store');
  if (store !== undefined && store !== 'pithos')
    throw badRequest(`Invalid store '${store}'. Only 'pithos' store is supported`);
  // 9–10
  const values = checkValues(f, limits);
  // 11
  checkPropertyLimits(name, input.properties);
  const properties = Object.fromEntries([...input.properties].filter(([, v]) => v !== ''));
  if (Object.keys(properties).length > MAX_PROPERTIES) throw tooManyProperties();
  const declaredLength = mode === 'upload' ? data.contentLength : undefined;
  checkSizeCap(values.size, limits.sizeCap);
  checkSizeCap(declaredLength, limits.sizeCap);
  // 12
  if (mode === 'upload') checkUploadDeclaration(data, values.size);

  return {
    mode,
    attributes: { ...values.attributes, name },
    properties,
    location: hasLocation ? input.locationPath : undefined,
    id,
    size: values.size,
    checksum: values.checksum,
    owner: f.get('owner'),
  };
}

/** §5.6 steps 2–3, in order. */
export function checkUpdateRequest(input: ImageMetaInput, limits: ImageLimits): UpdateRequest {
  const f = input.fields;
  if (input.emptyPropertyKey || [...f.keys()].some((k) => !UPDATE_FIELDS.has(k))) throw invalidMetadata();
  if (input.copyFrom) throw externalSources();
  const name = f.get('name');
  if (name === '') throw invalidImageName();
  const values = checkValues(f, limits);
  checkPropertyLimits(name, input.properties);
  checkSizeCap(values.size, limits.sizeCap);
  const setProperties: Record<string, string> = {};
  const deleteProperties: string[] = [];
  for (const [k, v] of input.properties) {
    if (v === '') deleteProperties.push(k);
    else setProperties[k] = v;
  }
  return {
    attributes: { ...values.attributes, ...(name !== undefined ? { name } : {}) },
    setProperties,
    deleteProperties,
    size: values.size,
    checksum: values.checksum,
    status: f.get('status'),
  };
}

/**
 * §5.3 step 12 (also §5.6 step 6): the body must be declared as raw bytes, and a length given
 * twice must agree.
 */
export function checkUploadDeclaration(data: DataDeclaration, size: number | undefined): void {
  if (data.mediaType !== undefined && data.mediaType !== 'application/octet-stream') {
    throw badRequest('Content-Type must be application/octet-stream');
  }
  if (data.contentLength !== undefined && size !== undefined && data.contentLength !== size) throw invalidSize();
}

export function checkSizeCap(size: number | undefined, cap: number): void {
  if (size !== undefined && size > cap) throw badRequest(uploadTooLarge(cap));
}

/** Steps 9–10: formats, then the numbers and the checksum. */
function checkValues(f: ReadonlyMap<string, string>, limits: ImageLimits) {
  const diskFormat = f.get('disk_format');
  if (diskFormat !== undefined && !limits.diskFormats.includes(diskFormat))
    throw badRequest(`Invalid disk format '${diskFormat}'`);
  const containerFormat = f.get('container_format');
  if (containerFormat !== undefined && !limits.containerFormats.includes(containerFormat)) {
    throw badRequest(`Invalid container format '${containerFormat}'`);
  }
  const size = optional(f.get('size'), parseCount, invalidSize);
  const checksum = optional(f.get('checksum'), parseChecksum, invalidChecksum);
  const minRam = optional(f.get('min_ram'), parseCount, () => badRequest("Invalid 'min_ram' field"));
  const minDisk = optional(f.get('min_disk'), parseCount, () => badRequest("Invalid 'min_disk' field"));
  const isPublic = mapDefined(f.get('is_public'), parseBoolean);
  const isProtected = mapDefined(f.get('protected'), parseBoolean);
  const attributes: ImageAttributes = {
    ...(diskFormat !== undefined ? { diskFormat } : {}),
    ...(containerFormat !== undefined ? { containerFormat } : {}),
    ...(minRam !== undefined ? { minRam } : {}),
    ...(minDisk !== undefined ? { minDisk } : {}),
    ...(isProtected !== undefined ? { protected: isProtected } : {}),
    ...(isPublic !== undefined ? { isPublic } : {}),
  };
  return { attributes, size, checksum };
}

/** Step 11: key and value lengths (the count is checked where the final set is known). */
function checkPropertyLimits(name: string | undefined, properties: ReadonlyMap<string, string>): void {
  for (const key of properties.keys()) {
    if (codePoints(key) > MAX_KEY_LENGTH) throw badRequest('Metadata keys should be less than 111 characters');
  }
  const values = [...(name !== undefined ? [name] : []), ...properties.values()];
  if (values.some((v) => codePoints(v) > MAX_VALUE_LENGTH))
    throw badRequest('Metadata values should be less than 256 characters.');
}

function optional<T>(raw: string | undefined, parse: (s: string) => T | undefined, error: () => Error): T | undefined {
  if (raw === undefined) return undefined;
  const v = parse(raw);
  if (v === undefined) throw error();
  return v;
}

const mapDefined = <T>(raw: string | undefined, parse: (s: string) => T | undefined): T | undefined =>
  raw === undefined ? undefined : parse(raw);
