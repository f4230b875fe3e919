/**
 * What an image is, as the domain sees it (image-api.md §4.1): an image record joined with the
 * object it describes. Everything derived (owner, size, checksum, is_public, updated_at) is
 * computed here from the stored facts, so the API layer only formats.
 */
import { etagOf } from '../objects/object-record.ts';

/**
 * `deactivated` (Image API v2 actions): data download refused to non-admins, everything else as
 * `available`. `uploading` (data staged for an import, not yet the image's) and `importing` (an
 * import is writing the image's data): Image API v2's interoperable import (openstack.md §4.9).
 */
export const IMAGE_STATUSES = [
  'queued',
  'saving',
  'available',
  'error',
  'deactivated',
  'uploading',
  'importing',
] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];
export const isImageStatus = (s: string): s is ImageStatus => (IMAGE_STATUSES as readonly string[]).includes(s);

/** `location`: registered from an existing object; `upload`: its data came through the image API. */
export type ImageOrigin = 'location' | 'upload';

/** Where an image's object lives. */
export interface ObjectPath {
  readonly account: string;
  readonly container: string;
  readonly name: string;
}

/** The fields of an image record, as stored and as rendered. */
export interface ImageRecordFields {
  readonly id: string;
  readonly name: string;
  readonly diskFormat: string;
  readonly containerFormat: string;
  readonly status: ImageStatus;
  readonly origin: ImageOrigin;
  readonly minRam: number;
  readonly minDisk: number;
  readonly protected: boolean;
  /** Microseconds since the epoch. */
  readonly createdAt: number;
  /** Declared at reservation, verified at upload; `queued` images only. */
  readonly declaredSize: number | null;
  readonly declaredChecksum: string | null;
  /** Image API v2: left out of lists unless asked for. */
  readonly osHidden: boolean;
  /** With `*` granted: v2 `community` rather than `public` (openstack.md §5.3). */
  readonly community: boolean;
  /** Without `*` and without members: v2 `shared` rather than `private`. */
  readonly sharedFlag: boolean;
  readonly virtualSize: number | null;
  /** `sha512` and its hex, once an upload computed it. */
  readonly osHashAlgo: string | null;
  readonly osHashValue: string | null;
  /** Image API v2 tags, in the order they were added. */
  readonly tags: readonly string[];
}

/** One image as every endpoint renders it. */
export interface ImageView extends ImageRecordFields {
  /** max(record change, object version timestamp), microseconds. */
  readonly updatedAt: number;
  /** The object (its account is the owner). */
  readonly object: ObjectPath;
  readonly owner: string;
  readonly size: number;
  readonly checksum: string;
  /** The object's ETag (object-store.md §6): its MD5 when known, else its object hash. */
  readonly etag: string;
  readonly isPublic: boolean;
  /** The object's read grants (`*` and members, the owner included for v1-made images). */
  readonly readGrants: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
}

/** The stored facts one image is computed from (a row of image-queries.ts). */
export interface ImageFacts extends ImageRecordFields {
  readonly recordUpdatedAt: number;
  readonly object: ObjectPath;
  readonly objectVersionTs: number;
  readonly size: number;
  readonly objectHash: string;
  readonly md5: string | null;
  readonly isPublic: boolean;
  readonly readGrants: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
}

/** The facts a v1 list page shows of an image (image-api.md §6.2), as its repository reads them. */
export type ImageListFacts = Pick<
  ImageFacts,
  | 'id'
  | 'name'
  | 'diskFormat'
  | 'containerFormat'
  | 'status'
  | 'origin'
  | 'minRam'
  | 'minDisk'
  | 'protected'
  | 'createdAt'
  | 'recordUpdatedAt'
  | 'virtualSize'
  | 'object'
  | 'objectVersionTs'
  | 'size'
  | 'objectHash'
  | 'md5'
  | 'isPublic'
  | 'properties'
>;

/**
 * One image of a v1 list (the detail and summary objects of §6.2): the part of `ImageView` they
 * render, so a page does not read or build what it never shows (grants, tags, v2 fields).
 */
export type ImageListItem = Pick<
  ImageView,
  | 'id'
  | 'name'
  | 'diskFormat'
  | 'containerFormat'
  | 'status'
  | 'minRam'
  | 'minDisk'
  | 'protected'
  | 'createdAt'
  | 'updatedAt'
  | 'virtualSize'
  | 'object'
  | 'owner'
  | 'size'
  | 'checksum'
  | 'isPublic'
  | 'properties'
>;

/** The list item of a page's row: derived fields computed as `toImageView` does. */
export function toImageListItem(f: ImageListFacts): ImageListItem {
  return {
    id: f.id,
    name: f.name,
    diskFormat: f.diskFormat,
    containerFormat: f.containerFormat,
    status: f.status,
    minRam: f.minRam,
    minDisk: f.minDisk,
    protected: f.protected,
    createdAt: f.createdAt,
    updatedAt: Math.max(f.recordUpdatedAt, f.objectVersionTs),
    virtualSize: f.virtualSize,
    object: f.object,
    owner: f.object.account,
    size: f.size,
    checksum: imageChecksum(f),
    isPublic: f.isPublic,
    properties: f.properties,
  };
}

/** §4.3: no checksum until the data is there; then the object hash, or the MD5 for uploads when known. */
export function imageChecksum(f: Pick<ImageFacts, 'status' | 'origin' | 'md5' | 'objectHash'>): string {
  if (f.status !== 'available' && f.status !== 'deactivated') return '';
  if (f.origin === 'upload' && f.md5) return f.md5;
  return f.objectHash;
}

export function toImageView(f: ImageFacts): ImageView {
  return {
    id: f.id,
    name: f.name,
    diskFormat: f.diskFormat,
    containerFormat: f.containerFormat,
    status: f.status,
    origin: f.origin,
    minRam: f.minRam,
    minDisk: f.minDisk,
    protected: f.protected,
    createdAt: f.createdAt,
    updatedAt: Math.max(f.recordUpdatedAt, f.objectVersionTs),
    declaredSize: f.declaredSize,
    declaredChecksum: f.declaredChecksum,
    osHidden: f.osHidden,
    community: f.community,
    sharedFlag: f.sharedFlag,
    virtualSize: f.virtualSize,
    osHashAlgo: f.osHashAlgo,
    osHashValue: f.osHashValue,
    tags: f.tags,
    readGrants: f.readGrants,
    object: f.object,
    owner: f.object.account,
    size: f.size,
    checksum: imageChecksum(f),
    etag: etagOf(f),
    isPublic: f.isPublic,
    properties: f.properties,
  };
}
