/**
 * `PATCH /v2/images/{id}` bodies (openstack.md §4.5), in two pure steps:
 *
 * 1. `parseImagePatch(contentType, body, formats)` — needs no image: the media type (415), the
 *    body and pointer syntax (400), read-only and reserved attributes (403), each value against
 *    the image schema (400). Glance's checks, Glance's order, Glance's messages.
 * 2. `planImageChanges(patch, target, caller)` — needs the image as it is: replays the operations
 *    on a copy to get the 409s (property missing, v2.0 `add` of something present) and the 403s
 *    (removing a base attribute, formats after `queued`, owner by a non-admin), then returns the
 *    net change set the domain `update` command takes.
 *
 * Atomic: every operation is checked before anything is returned, so a patch is applied whole or
 * not at all. The domain should run step 2 against the record it updates (compare-and-set).
 */
import { v2Error, PATCH_MEDIA_TYPES } from './faults.ts';
import {
  checkCustomProperty,
  checkIntParameter,
  isBaseAttribute as isBase,
  isReadOnlyAttribute,
  isReservedKey,
  MAX_PROPERTIES,
  MAX_TAGS,
  type BaseAttribute,
} from './image-attributes.ts';
import { isJsonObject, parseJsonBody } from './json-body.ts';
import { pythonRepr, schemaFailure } from './schema-validation.ts';
import { imageSchema, type V2FormatSettings, type V2ImageStatus, type V2Visibility } from './schemas.ts';

/** JSON Schema draft of the patch format: 4 for v2.0 (`{"replace": "/name"}`), 10 for v2.1 (RFC 6902). */
export type PatchDraft = 4 | 10;
export type PatchOp = 'add' | 'remove' | 'replace';

/** One checked operation; `path` is the attribute or property name, decoded. */
export interface PatchOperation {
  readonly op: PatchOp;
  readonly path: string;
  /** Absent for `remove`. */
  readonly value?: unknown;
}

export interface ParsedPatch {
  readonly draft: PatchDraft;
  readonly operations: readonly PatchOperation[];
}

const SUPPORTED_OPS: readonly PatchOp[] = ['add', 'remove', 'replace'];

const bad = (message: string) => v2Error('badRequest', message);

/** The draft a `Content-Type` names (parameters ignored), or a 415 with `Accept-Patch`. */
export function patchDraftOf(contentType: string | undefined): PatchDraft {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType === PATCH_MEDIA_TYPES[1]) return 10;
  if (mediaType === PATCH_MEDIA_TYPES[0]) return 4;
  throw v2Error('unsupportedPatchType');
}

/** Step 1: media type, body, operations, pointers, values. Throws the first `V2Error`. */
export function parseImagePatch(
  contentType: string | undefined,
  body: string | Uint8Array | undefined,
  formats: V2FormatSettings,
): ParsedPatch {
  const draft = patchDraftOf(contentType);
  const changes = parseJsonBody(body);
  if (!Array.isArray(changes)) throw bad('Request body must be a JSON array of operation objects.');
  const schema = imageSchema(formats);
  const operations: PatchOperation[] = [];
  for (const raw of changes) {
    if (!isJsonObject(raw)) throw bad('Operations must be JSON objects.');
    const [op, pointer] = draft === 10 ? operationD10(raw) : operationD4(raw);
    const path = decodePointer(pointer);
    validateDepth(op, path);
    const root = path[0];
    if (op === 'remove') {
      checkRoot(root);
      operations.push({ op, path: root });
      continue;
    }
    if (!Object.hasOwn(raw, 'value')) throw bad(`Operation "${op}" requires a member named "value".`);
    const value = raw.value;
    checkRoot(root);
    checkValue(root, value, schema);
    operations.push({ op, path: root, value });
  }
  for (const o of operations) {
    if (o.path === 'locations') throw v2Error('locationsInvisible', o.op === 'replace' ? 'update' : o.op);
  }
  return { draft, operations };
}

/** Python's `str()` of a JSON value, as Glance's `%s` prints it. */
const pyStr = (v: unknown) => (typeof v === 'string' ? v : pythonRepr(v));

function operationD10(raw: Record<string, unknown>): [PatchOp, unknown] {
  const op = raw.op;
  const available = SUPPORTED_OPS.join(', ');
  if (op === undefined || op === null) {
    throw bad(`Unable to find \`op\` in JSON Schema change. It must be one of the following: ${available}.`);
  }
  if (!SUPPORTED_OPS.includes(op as PatchOp)) {
    throw bad(`Invalid operation: \`${pyStr(op)}\`. It must be one of the following: ${available}.`);
  }
  if (!Object.hasOwn(raw, 'path')) throw bad("Unable to find 'path' in JSON Schema change");
  return [op as PatchOp, raw.path];
}

function operationD4(raw: Record<string, unknown>): [PatchOp, unknown] {
  const present = SUPPORTED_OPS.filter((k) => Object.hasOwn(raw, k));
  if (present.length > 1)
    throw bad('Operation objects must contain only one member named "add", "remove", or "replace".');
  if (present.length === 0)
    throw bad('Operation objects must contain exactly one member named "add", "remove", or "replace".');
  return [present[0], raw[present[0]]];
}

/** Glance's restricted JSON pointer: checked as a whole, then split, unescaped and trimmed. */
function decodePointer(pointer: unknown): string[] {
  const p = pyStr(pointer);
  if (typeof pointer !== 'string' || !p.startsWith('/')) throw bad(`Pointer \`${p}\` does not start with "/".`);
  if (/\/\s*?\//.test(p.slice(1))) throw bad(`Pointer \`${p}\` contains adjacent "/".`);
  if (p.length > 1 && p.endsWith('/')) throw bad(`Pointer \`${p}\` end with "/".`);
  if (p.slice(1).trim() === '/') throw bad(`Pointer \`${p}\` does not contains valid token.`);
  if (/~[^01]/.test(p) || p.endsWith('~'))
    throw bad(`Pointer \`${p}\` contains "~" not part of a recognized escape sequence.`);
  return p
    .replace(/^\/+/, '')
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~').trim());
}

/** Depth 1 everywhere (so `/tags/-` is refused), except Glance's `/locations/N` for add and remove. */
function validateDepth(op: PatchOp, path: string[]): void {
  const depth = path[0] === 'locations' && op !== 'replace' ? 2 : 1;
  if (path.length !== depth || path[0] === '')
    throw bad(`Invalid JSON pointer for this resource: '/${path.join('/')}'`);
}

function checkRoot(root: string): void {
  if (isReadOnlyAttribute(root)) throw v2Error('readOnlyAttribute', root);
  if (isReservedKey(root)) throw v2Error('reservedAttribute', root);
}

/** The value as `{<root>: value}` against the image schema (§4.5), plus the checks Glance's domain makes. */
function checkValue(root: string, value: unknown, schema: ReturnType<typeof imageSchema>): void {
  if (root === 'locations') return; // refused as a whole once all operations parse
  const node = schema.properties[root] ?? schema.additionalProperties;
  const failure = schemaFailure(value, node);
  if (failure) throw v2Error('schemaViolation', 'image', failure);
  if (isBase(root)) {
    if ((root === 'min_ram' || root === 'min_disk') && typeof value === 'number') checkIntParameter(root, value);
    return;
  }
  // Custom properties are strings, always (§1 item 9), even those the schema lets be null.
  checkCustomProperty(root, value);
}

// ------------------------------------------------------------------------------------------------
// Step 2: against the image.

/** What planning needs to know about the image being patched. */
export interface PatchTarget {
  readonly status: V2ImageStatus;
  readonly diskFormat: string | null;
  readonly containerFormat: string | null;
  readonly owner: string | null;
  readonly tags: readonly string[];
  /** Custom properties, keys verbatim. */
  readonly properties: Readonly<Record<string, string>>;
}

export interface PatchCaller {
  readonly isAdmin: boolean;
}

/** New values of the base attributes the patch touched (protocol-neutral names). */
export interface CoreChanges {
  readonly name?: string | null;
  readonly visibility?: V2Visibility;
  readonly protected?: boolean;
  readonly osHidden?: boolean;
  readonly minRam?: number;
  readonly minDisk?: number;
  readonly diskFormat?: string | null;
  readonly containerFormat?: string | null;
  readonly owner?: string | null;
}

/** The net effect of a patch: what the domain `update` command applies, in one transaction. */
export interface ImageChangeSet {
  readonly core: CoreChanges;
  /** The whole new tag list (deduplicated, first occurrence kept), when the patch set `/tags`. */
  readonly tags?: readonly string[];
  /** Properties added or changed, final values. */
  readonly setProperties: Readonly<Record<string, string>>;
  /** Properties the image has and the patch removed. */
  readonly removeProperties: readonly string[];
}

const CORE_NAMES = {
  name: 'name',
  visibility: 'visibility',
  protected: 'protected',
  os_hidden: 'osHidden',
  min_ram: 'minRam',
  min_disk: 'minDisk',
  disk_format: 'diskFormat',
  container_format: 'containerFormat',
  owner: 'owner',
} as const satisfies Record<Exclude<BaseAttribute, 'tags'>, keyof CoreChanges>;

/** Formats may change while these hold (§4.5). */
const FORMAT_STATUSES: readonly V2ImageStatus[] = ['queued', 'importing'];

/** Step 2: replays the operations on a copy of `target`; throws the first `V2Error`. */
export function planImageChanges(patch: ParsedPatch, target: PatchTarget, caller: PatchCaller): ImageChangeSet {
  const core: Record<string, unknown> = {};
  let tags: string[] | undefined;
  const properties = new Map(Object.entries(target.properties));

  for (const { op, path, value } of patch.operations) {
    if (op === 'remove') {
      if (isBase(path)) throw v2Error('propertyNotRemovable', path);
      if (!properties.delete(path)) throw v2Error('propertyDoesNotExist', path);
      continue;
    }
    if (isBase(path)) {
      // In v2.0 an attribute always "exists": `add` is only for new properties.
      if (op === 'add' && patch.draft === 4) throw v2Error('propertyAlreadyPresent', path);
      if (path === 'owner' && !caller.isAdmin) throw v2Error('ownerNotAdmin');
      if (path === 'tags') {
        tags = [...new Set(value as string[])];
        continue;
      }
      if (path === 'disk_format' || path === 'container_format') {
        const current = path === 'disk_format' ? target.diskFormat : target.containerFormat;
        if (value !== current && !FORMAT_STATUSES.includes(target.status)) throw v2Error('formatNotQueued', path);
      }
      core[CORE_NAMES[path]] = value;
      continue;
    }
    if (properties.has(path)) {
      if (op === 'add' && patch.draft === 4) throw v2Error('propertyAlreadyPresent', path);
    } else if (op === 'replace') {
      throw v2Error('propertyDoesNotExist', path);
    }
    properties.set(path, value as string);
  }

  const before = Object.keys(target.properties).length;
  if (properties.size > MAX_PROPERTIES && properties.size > before)
    throw v2Error('tooManyProperties', properties.size, MAX_PROPERTIES);
  if (tags && tags.length > MAX_TAGS && tags.length > target.tags.length)
    throw v2Error('tooManyTags', tags.length, MAX_TAGS);

  // fromEntries makes own keys even of `__proto__`: a property may be called anything.
  const setProperties: Record<string, string> = Object.fromEntries(
    [...properties].filter(([k, v]) => !Object.hasOwn(target.properties, k) || target.properties[k] !== v),
  );
  const removeProperties = Object.keys(target.properties).filter((k) => !properties.has(k));
  return { core: core as CoreChanges, ...(tags ? { tags } : {}), setProperties, removeProperties };
}
