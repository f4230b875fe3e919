/**
 * The typed inputs of ImageService: what each protocol's adapter builds from its request once
 * the request's own checks (field lists, value syntax, check order, messages) are done. No HTTP
 * here: Glance v1 headers, and later Image API v2 JSON and PATCH documents, become these.
 */
import type { ObjectPath } from './image-model.ts';
import type { Visibility } from './image-visibility.ts';
import type { ImageApi } from './content-rules.ts';

/** The settable attributes of an image record; absent = not given. */
export interface ImageAttributes {
  readonly name?: string;
  readonly diskFormat?: string;
  readonly containerFormat?: string;
  readonly minRam?: number;
  readonly minDisk?: number;
  readonly protected?: boolean;
  readonly isPublic?: boolean;
  /** Image API v2 (openstack.md §5.3): hidden from lists; `*` means community; shared without members. */
  readonly osHidden?: boolean;
  readonly community?: boolean;
  readonly sharedFlag?: boolean;
}

/** A new image's attributes: the name is required, the rest take their defaults. */
export type NewImageAttributes = ImageAttributes & { readonly name: string };

/** Size and checksum the data must have (a checksum: 32 hex digits = MD5, 64 = object hash). */
export interface DeclaredData {
  readonly size?: number;
  readonly checksum?: string;
}

/** Register an existing object as an image (its id becomes the object's uuid). */
export interface RegisterImage extends DeclaredData {
  readonly location: ObjectPath;
  /** An id the caller asks for: accepted only when it is the object's uuid. */
  readonly id?: string;
  readonly attributes: NewImageAttributes;
  readonly properties: Readonly<Record<string, string>>;
  /** The API asking, for `PLANKTON_REQUIRE_FORMAT_MATCH` (absent: v2, the stricter). */
  readonly api?: ImageApi;
}

/** Reserve an image without data (status queued); data comes later with `upload`. */
export interface ReserveImage extends DeclaredData {
  readonly id?: string;
  /** Image API v2 tags (deduplicated by the adapter). */
  readonly tags?: readonly string[];
  /** Owner uuid: only an admin's choice counts. */
  readonly owner?: string;
  readonly attributes: NewImageAttributes;
  readonly properties: Readonly<Record<string, string>>;
}

/** The bytes of an upload and what is known of them before reading. */
export interface ImageUpload {
  /**
   * The bytes. A failure of the source itself (the client went away, a broken chunked encoding)
   * must surface as `DataInterrupted`, so that it is told apart from a storage failure: the
   * first keeps nothing, the second marks the image `error`.
   */
  readonly body: AsyncIterable<Buffer>;
  /** The length the sender announced, when it did (checked against the declared size and the cap). */
  readonly announcedLength?: number;
  /**
   * Glance v1's "empty data is no data": a body that ends after 0 bytes uploads nothing and the
   * image stays (or goes back to) queued, instead of becoming an empty available image.
   */
  readonly emptyIsNoData: boolean;
  /**
   * The API the data comes through, for `PLANKTON_REQUIRE_FORMAT_MATCH` (absent: v2, the
   * stricter). Whatever it says, the content is inspected and unsafe content refused.
   */
  readonly api?: ImageApi;
}

/** Reserve and upload in one step (status saving, then available). */
export interface CreateImageWithData extends ReserveImage {
  readonly data: ImageUpload;
}

/**
 * How an update changes the properties: `set` some and `remove` others, keeping the rest; with
 * `replaceAll` the properties become exactly `set`.
 */
export interface PropertyChange {
  readonly set: Readonly<Record<string, string>>;
  readonly remove: readonly string[];
  readonly replaceAll: boolean;
}

export interface UpdateImage extends DeclaredData {
  readonly attributes: ImageAttributes;
  readonly properties: PropertyChange;
  /** A status the caller states: only the current one is accepted (status moves by the rules alone). */
  readonly status?: string;
  /**
   * Data for a queued image, uploaded as part of this update (Glance v1 `PUT` with a body). The
   * metadata is applied with the data's commit.
   */
  readonly data?: ImageUpload;
  /**
   * The adapter's own checks of its data declaration, run where the rules know the image accepts
   * data, so that a refusal by the image (forbidden, not queued) comes first.
   */
  readonly checkData?: (update: UpdateImage) => void;
}

export const NO_PROPERTY_CHANGE: PropertyChange = Object.freeze({ set: {}, remove: [], replaceAll: false });

/**
 * A net change of an image (Image API v2 PATCH, planned by the adapter against the image as it is
 * inside the update's transaction, so the whole patch applies or nothing does). Null name or
 * formats clear them.
 */
export interface ImageChanges {
  readonly core: {
    readonly name?: string | null;
    readonly visibility?: Visibility;
    readonly protected?: boolean;
    readonly osHidden?: boolean;
    readonly minRam?: number;
    readonly minDisk?: number;
    readonly diskFormat?: string | null;
    readonly containerFormat?: string | null;
    readonly owner?: string | null;
  };
  /** The whole new tag list, when it changes. */
  readonly tags?: readonly string[];
  readonly setProperties: Readonly<Record<string, string>>;
  readonly removeProperties: readonly string[];
}

/** Visibility of a new image, as v2 create asks it (default `shared`). */
export function visibilityAttributes(v: Visibility): Pick<ImageAttributes, 'isPublic' | 'community' | 'sharedFlag'> {
  return { isPublic: v === 'public' || v === 'community', community: v === 'community', sharedFlag: v === 'shared' };
}
