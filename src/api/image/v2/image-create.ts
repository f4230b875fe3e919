/**
 * `POST /v2/images` bodies (openstack.md §4.2), checked in Glance's order and turned into a
 * protocol-neutral create input with Glance's defaults (visibility `shared`, not protected, not
 * hidden, min_ram/min_disk 0, formats and name may be null). What needs the database (a client
 * chosen id already used → 409) is the domain's.
 *
 *  1. no body / not JSON → 400;
 *  2. `direct_url, self, file, schema, stores` → 403 `Attribute '<k>' is read-only.`;
 *  3. every value against the image schema → 400 (jsonschema sentence);
 *  4. custom key over 255 characters → 400; reserved key (`location, deleted, deleted_at, os_glance*`,
 *     and `locations`, which Plankton never takes) → 403 `Attribute '<k>' is reserved.`;
 *  5. read-only base attributes (`created_at, updated_at, status, checksum, os_hash_algo,
 *     os_hash_value, size, virtual_size`) → 403 `Attribute '<k>' is read-only.`;
 *  6. `owner` other than the caller's project, caller not admin → 403.
 */
import { v2Error } from './faults.ts';
import {
  checkCustomProperty,
  checkIntParameter,
  isBaseAttribute,
  isReservedKey,
  MAX_PROPERTIES,
  MAX_TAGS,
} from './image-attributes.ts';
import { isJsonObject, parseJsonBody } from './json-body.ts';
import { pythonRepr, schemaFailure } from './schema-validation.ts';
import { imageSchema, type V2FormatSettings, type V2Visibility } from './schemas.ts';

/** What the domain's v2 create command takes. */
export interface V2CreateInput {
  /** A client-chosen id (lower-cased UUID), when given. */
  readonly id?: string;
  readonly name: string | null;
  readonly visibility: V2Visibility;
  readonly protected: boolean;
  readonly osHidden: boolean;
  readonly minRam: number;
  readonly minDisk: number;
  readonly diskFormat: string | null;
  readonly containerFormat: string | null;
  /** The owner project; the caller's own unless an admin chose another. */
  readonly owner: string;
  /** Deduplicated, first occurrence kept. */
  readonly tags: readonly string[];
  /** Custom properties, keys and values verbatim. */
  readonly properties: Readonly<Record<string, string>>;
}

export interface CreateCaller {
  /** The caller's project id (= user UUID). */
  readonly projectId: string;
  readonly isAdmin: boolean;
}

/** Rejected before the schema (Glance's `_disallowed_properties`). */
const DISALLOWED = ['direct_url', 'self', 'file', 'schema', 'stores'];
/** Read-only base attributes, refused after the schema (Glance's `ImageFactory`). */
const READ_ONLY_ON_CREATE = [
  'created_at',
  'updated_at',
  'status',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'size',
  'virtual_size',
];
/** Keys the schema describes that are neither base attributes nor properties here. */
const NOT_PROPERTIES = new Set(['id', 'locations', ...DISALLOWED, ...READ_ONLY_ON_CREATE]);

export function parseImageCreate(
  body: string | Uint8Array | undefined,
  formats: V2FormatSettings,
  caller: CreateCaller,
): V2CreateInput {
  const parsed = parseJsonBody(body);
  const schema = imageSchema(formats);
  if (!isJsonObject(parsed)) throw v2Error('schemaViolation', 'image', `${pythonRepr(parsed)} is not of type 'object'`);
  const entries = Object.entries(parsed);

  for (const key of DISALLOWED) if (Object.hasOwn(parsed, key)) throw v2Error('readOnlyAttribute', key);
  for (const [key, value] of entries) {
    const failure = schemaFailure(value, schema.properties[key] ?? schema.additionalProperties);
    if (failure) throw v2Error('schemaViolation', 'image', failure);
  }
  const properties: [string, string][] = [];
  for (const [key, value] of entries) {
    if (isBaseAttribute(key) || NOT_PROPERTIES.has(key)) continue;
    checkCustomProperty(key, value);
    if (isReservedKey(key)) throw v2Error('reservedAttribute', key);
    properties.push([key, value as string]);
  }
  if (Object.hasOwn(parsed, 'locations')) throw v2Error('reservedAttribute', 'locations');
  for (const key of READ_ONLY_ON_CREATE) if (Object.hasOwn(parsed, key)) throw v2Error('readOnlyAttribute', key);
  for (const key of ['min_ram', 'min_disk'] as const)
    if (typeof parsed[key] === 'number') checkIntParameter(key, parsed[key]);

  const owner = parsed.owner ?? caller.projectId;
  if (owner !== caller.projectId && !caller.isAdmin) {
    throw v2Error('forbidden', `You are not permitted to create images owned by '${pyStr(owner)}'.`);
  }
  if (owner === null) throw v2Error('badRequest', 'An image must have an owner.');
  const tags = [...new Set((parsed.tags as string[] | undefined) ?? [])];
  if (tags.length > MAX_TAGS) throw v2Error('tooManyTags', tags.length, MAX_TAGS);
  if (properties.length > MAX_PROPERTIES) throw v2Error('tooManyProperties', properties.length, MAX_PROPERTIES);

  const input: V2CreateInput = {
    name: (parsed.name as string | null | undefined) ?? null,
    visibility: (parsed.visibility as V2Visibility | undefined) ?? 'shared',
    protected: (parsed.protected as boolean | undefined) ?? false,
    osHidden: (parsed.os_hidden as boolean | undefined) ?? false,
    minRam: (parsed.min_ram as number | undefined) ?? 0,
    minDisk: (parsed.min_disk as number | undefined) ?? 0,
    diskFormat: (parsed.disk_format as string | null | undefined) ?? null,
    containerFormat: (parsed.container_format as string | null | undefined) ?? null,
    owner: owner as string,
    tags,
    // fromEntries makes own keys even of `__proto__`: a property may be called anything.
    properties: Object.fromEntries(properties),
  };
  return typeof parsed.id === 'string' ? { ...input, id: parsed.id.toLowerCase() } : input;
}

const pyStr = (v: unknown) => (typeof v === 'string' ? v : pythonRepr(v));

/** Headers of the 201 (§4.2): absolute `Location`, and the import methods when import is offered. */
export function createdHeaders(
  publicUrl: string,
  id: string,
  importMethods: readonly string[],
): Record<string, string> {
  const headers: Record<string, string> = { Location: `${publicUrl.replace(/\/+$/, '')}/image/v2/images/${id}` };
  // RFC 7230: no empty header field, so none at all when import is off (Glance does the same).
  if (importMethods.length > 0) headers['OpenStack-image-import-methods'] = importMethods.join(',');
  return headers;
}
