/**
 * What the v2 image attributes are, shared by the create and PATCH validators (openstack.md §3.3,
 * §4.2, §4.5): base attributes versus custom properties, read-only and reserved keys, Glance's
 * limits, and the checks Glance's domain adds to the schema.
 */
import { v2Error } from './faults.ts';
import { pythonRepr } from './schema-validation.ts';

/** Glance's limits (`image_property_quota`, `image_tag_quota`, `image_member_quota`, §3.3). */
export const MAX_PROPERTIES = 128;
export const MAX_TAGS = 128;
export const MAX_MEMBERS = 128;
/** The database columns of min_ram/min_disk are 32-bit. */
export const MAX_INT32 = 2 ** 31 - 1;

/** Attributes the image itself has (Glance: `hasattr(image, …)`); everything else is a custom property. */
export const BASE_ATTRIBUTES = [
  'name',
  'visibility',
  'protected',
  'os_hidden',
  'min_ram',
  'min_disk',
  'disk_format',
  'container_format',
  'owner',
  'tags',
] as const;
export type BaseAttribute = (typeof BASE_ATTRIBUTES)[number];
export const isBaseAttribute = (k: string): k is BaseAttribute => (BASE_ATTRIBUTES as readonly string[]).includes(k);

/** Read-only roots of a PATCH (Glance's `_readonly_properties`, plus `stores`, read-only in the schema). */
export const READ_ONLY_ATTRIBUTES = [
  'created_at',
  'updated_at',
  'status',
  'checksum',
  'size',
  'virtual_size',
  'direct_url',
  'self',
  'file',
  'schema',
  'id',
  'os_hash_algo',
  'os_hash_value',
  'stores',
] as const;
export const isReadOnlyAttribute = (k: string) => (READ_ONLY_ATTRIBUTES as readonly string[]).includes(k);

/** Reserved keys (`location, deleted, deleted_at`) and the `os_glance` namespace (§3.3). */
export const isReservedKey = (k: string) =>
  k === 'location' || k === 'deleted' || k === 'deleted_at' || k.startsWith('os_glance');

/** Glance's domain checks on min_ram/min_disk (the schema only says "integer"). */
export function checkIntParameter(param: string, value: number): void {
  if (value < 0)
    throw v2Error('badRequest', `Invalid value '${value}' for parameter '${param}': Cannot be a negative value`);
  if (value > MAX_INT32) throw v2Error('badRequest', `'${param}' value out of range, must not exceed ${MAX_INT32}.`);
}

/** A custom property: a string value (§1 item 9) and a key of at most 255 characters. */
export function checkCustomProperty(key: string, value: unknown): void {
  if (typeof value !== 'string')
    throw v2Error('schemaViolation', 'image', `${pythonRepr(value)} is not of type 'string'`);
  if ([...key].length > 255) throw v2Error('badRequest', 'Custom property should not be greater than 255 characters.');
}
