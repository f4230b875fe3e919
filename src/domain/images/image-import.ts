/**
 * Interoperable import's shared terms (openstack.md §4.9): where `glance-direct` keeps staged data,
 * the one store an import targets, and the conversion step's port.
 *
 * Staged data is an ordinary object, written by the ordinary upload pipeline, in an account that
 * belongs to no user (a user's account is its UUID; this name is not one), so no listing, sharing
 * or token ever reaches it. It is named by the image id and deleted when the import ends (either
 * way), when a stage fails, and when the image is deleted; its blocks are then unreferenced unless
 * the image's own version shares them, and `plankton gc` reclaims them like any other.
 */

/** The account holding staged data: not a UUID, so no user's. */
export const STAGING_ACCOUNT = 'plankton-staging';
export const STAGING_CONTAINER = 'glance-direct';

/** The one store of this site, as `os_glance_importing_to_stores` / `os_glance_failed_import` name it. */
export const IMPORT_STORE = 'default';

/** The converted data of an import, and how to release what it holds (temporary files). */
export interface ConvertedData {
  readonly body: AsyncIterable<Buffer>;
  /** The format of `body`: the image's new `disk_format`. */
  readonly diskFormat: string;
  readonly cleanup: () => Promise<void>;
}

/**
 * Converts an import's data before it becomes the image's (image-conversion.ts: `qemu-img
 * convert`). Refuses unsafe or unreadable content with a DomainError.
 */
export interface ImportConverter {
  convert(
    data: AsyncIterable<Buffer>,
    image: { readonly diskFormat: string; readonly maxBytes: number },
  ): Promise<ConvertedData>;
}
