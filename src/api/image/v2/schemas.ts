/**
 * The `/v2/schemas/image|images|member|members` documents (openstack.md §3.4). glanceclient
 * downloads `image` and builds a warlock model from it: it validates every value it sends on
 * create and update, and every create/update reply (§1 items 8, 9, 13). So the formats enums come
 * from the settings (`PLANKTON_DISK_FORMATS`, `PLANKTON_CONTAINER_FORMATS`) — with Glance's
 * defaults glanceclient would refuse `diskdump` and accept formats the server rejects.
 *
 * The same `image` schema is what the PATCH and create validators check values against
 * (schema-validation.ts), so the server and the client agree by construction.
 */

export interface V2FormatSettings {
  readonly diskFormats: readonly string[];
  readonly containerFormats: readonly string[];
}

/** A JSON Schema node, as much of it as these documents use. */
export interface SchemaNode {
  readonly type?: string | readonly string[];
  readonly enum?: readonly (string | null)[];
  readonly maxLength?: number;
  readonly minLength?: number;
  readonly pattern?: string;
  readonly items?: SchemaNode;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: SchemaNode | boolean;
  readonly readOnly?: boolean;
  readonly is_base?: boolean;
  readonly description?: string;
}

export interface ImageSchemaDocument {
  readonly name: 'image';
  readonly properties: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties: SchemaNode;
  readonly links: readonly { rel: string; href: string }[];
}

/** Glance's UUID pattern, verbatim in the schema (glanceclient validates `id` with it). */
export const UUID_PATTERN = '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$';

/** Every status a v2 image can show (§3.4, §5.1). */
export const V2_IMAGE_STATUSES = [
  'queued',
  'saving',
  'active',
  'killed',
  'deleted',
  'uploading',
  'importing',
  'pending_delete',
  'deactivated',
] as const;
export type V2ImageStatus = (typeof V2_IMAGE_STATUSES)[number];

export const V2_VISIBILITIES = ['community', 'public', 'private', 'shared'] as const;
export type V2Visibility = (typeof V2_VISIBILITIES)[number];

export const V2_MEMBER_STATUSES = ['pending', 'accepted', 'rejected'] as const;
export type V2MemberStatus = (typeof V2_MEMBER_STATUSES)[number];

const readOnly = (node: SchemaNode): SchemaNode => ({ ...node, readOnly: true });

/** The image schema's `properties` (§3.4), formats from the settings. Descriptions are ours. */
export function imageSchemaProperties(formats: V2FormatSettings): Record<string, SchemaNode> {
  return {
    id: { type: 'string', description: 'An identifier for the image', pattern: UUID_PATTERN },
    name: { type: ['null', 'string'], description: 'Descriptive name for the image', maxLength: 255 },
    status: readOnly({ type: 'string', description: 'Status of the image', enum: [...V2_IMAGE_STATUSES] }),
    visibility: { type: 'string', description: 'Scope of image accessibility', enum: [...V2_VISIBILITIES] },
    protected: { type: 'boolean', description: 'If true, the image cannot be deleted.' },
    os_hidden: { type: 'boolean', description: 'If true, the image is left out of default image lists.' },
    checksum: readOnly({ type: ['null', 'string'], description: 'MD5 of the image data.', maxLength: 32 }),
    os_hash_algo: readOnly({ type: ['null', 'string'], description: 'Algorithm of os_hash_value', maxLength: 64 }),
    os_hash_value: readOnly({
      type: ['null', 'string'],
      description: 'Hex digest of the image data with os_hash_algo',
      maxLength: 128,
    }),
    owner: { type: ['null', 'string'], description: 'Owner (project id) of the image', maxLength: 255 },
    size: readOnly({ type: ['null', 'integer'], description: 'Size of the image data in bytes' }),
    virtual_size: readOnly({ type: ['null', 'integer'], description: 'Virtual size of the disk in bytes' }),
    container_format: {
      type: ['null', 'string'],
      description: 'Format of the container',
      enum: [null, ...formats.containerFormats],
    },
    disk_format: { type: ['null', 'string'], description: 'Format of the disk', enum: [null, ...formats.diskFormats] },
    created_at: readOnly({ type: 'string', description: 'Date and time the image was registered' }),
    updated_at: readOnly({ type: 'string', description: 'Date and time of the last change to the image' }),
    tags: { type: 'array', description: 'Strings attached to the image', items: { type: 'string', maxLength: 255 } },
    direct_url: readOnly({ type: 'string', description: 'Where the image data lives in the object store' }),
    min_ram: { type: 'integer', description: 'RAM (MB) needed to boot the image' },
    min_disk: { type: 'integer', description: 'Disk space (GB) needed to boot the image' },
    self: readOnly({ type: 'string', description: 'The image URL' }),
    file: readOnly({ type: 'string', description: 'The image data URL' }),
    stores: readOnly({ type: 'string', description: 'Stores holding the image data' }),
    schema: readOnly({ type: 'string', description: 'The image schema URL' }),
    locations: {
      type: 'array',
      description: 'Locations of the image data',
      items: {
        type: 'object',
        required: ['url', 'metadata'],
        properties: {
          url: { type: 'string', maxLength: 255 },
          metadata: { type: 'object' },
          validation_data: {
            type: 'object',
            description: 'Hashes of the data at this location',
            required: ['os_hash_algo', 'os_hash_value'],
            properties: {
              checksum: { type: 'string', minLength: 32, maxLength: 32 },
              os_hash_algo: { type: 'string', maxLength: 64 },
              os_hash_value: { type: 'string', maxLength: 128 },
            },
          },
        },
      },
    },
    // Well-known properties: described, but not base attributes (`is_base: false`), so
    // glanceclient patches them with `add`, not `replace` (§3.4).
    kernel_id: {
      type: ['null', 'string'],
      pattern: UUID_PATTERN,
      description: 'ID of the kernel image',
      is_base: false,
    },
    ramdisk_id: {
      type: ['null', 'string'],
      pattern: UUID_PATTERN,
      description: 'ID of the ramdisk image',
      is_base: false,
    },
    instance_uuid: { type: 'string', description: 'Server this image was made from', is_base: false },
    architecture: { type: 'string', description: 'CPU architecture the image needs', is_base: false },
    os_distro: { type: 'string', description: 'Operating system distribution', is_base: false },
    os_version: { type: 'string', description: 'Operating system version', is_base: false },
    description: { type: 'string', description: 'A description of the image', is_base: false },
    cinder_encryption_key_id: { type: 'string', description: 'Key of an encrypted volume image', is_base: false },
    cinder_encryption_key_deletion_policy: {
      type: 'string',
      enum: ['on_image_deletion', 'do_not_delete'],
      description: 'Whether the key goes with the image',
      is_base: false,
    },
  };
}

/** `GET /v2/schemas/image`: Glance's permissive schema (custom properties are strings). */
export function imageSchema(formats: V2FormatSettings): ImageSchemaDocument {
  return {
    name: 'image',
    properties: imageSchemaProperties(formats),
    additionalProperties: { type: 'string' },
    links: [
      { rel: 'self', href: '{self}' },
      { rel: 'enclosure', href: '{file}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}

/** `GET /v2/schemas/images`: the collection schema around `image`. */
export function imagesSchema(formats: V2FormatSettings) {
  return {
    name: 'images',
    properties: {
      images: { type: 'array', items: imageSchema(formats) },
      first: { type: 'string' },
      next: { type: 'string' },
      schema: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}

/** `GET /v2/schemas/member` (§3.4). */
export function memberSchema() {
  return {
    name: 'member',
    additionalProperties: false,
    properties: {
      member_id: { type: 'string', description: 'The member (project id)' },
      image_id: { type: 'string', description: 'The image', pattern: UUID_PATTERN },
      created_at: { type: 'string', description: 'Date and time the member was added' },
      updated_at: { type: 'string', description: 'Date and time of the last change to the member' },
      status: { type: 'string', description: 'The status of this member', enum: [...V2_MEMBER_STATUSES] },
      schema: { readOnly: true, type: 'string' },
    },
  };
}

/** `GET /v2/schemas/members`: the same collection wrapper as `images` (Glance's CollectionSchema). */
export function membersSchema() {
  return {
    name: 'members',
    properties: {
      members: { type: 'array', items: memberSchema() },
      first: { type: 'string' },
      next: { type: 'string' },
      schema: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}

/** The schema routes that exist; anything else under `/v2/schemas/` is 404 (§3.4). */
export const SCHEMA_NAMES = ['image', 'images', 'member', 'members'] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];

/** The document for `/v2/schemas/<name>`, or undefined (→ 404, e.g. `metadefs/namespace`, `tasks`). */
export function schemaDocument(name: string, formats: V2FormatSettings): object | undefined {
  switch (name) {
    case 'image':
      return imageSchema(formats);
    case 'images':
      return imagesSchema(formats);
    case 'member':
      return memberSchema();
    case 'members':
      return membersSchema();
    default:
      return undefined;
  }
}
