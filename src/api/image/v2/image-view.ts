/**
 * The v2 image object and member object (openstack.md §3.3, §4.10), rendered from plain local
 * interfaces the domain's views are mapped onto. Every key Glance always sends is present, `null`
 * where unknown; custom properties are top-level strings and there is never a `properties` object
 * (§1 item 9); `checksum` is an MD5 or null (§1 item 8); times are `YYYY-MM-DDTHH:MM:SSZ` (§1
 * item 10); links are relative to the image API root (`/v2/images/<id>`); `locations` is omitted.
 */
import { imageSchemaProperties, type V2ImageStatus, type V2MemberStatus, type V2Visibility } from './schemas.ts';

/** What the v2 image object is made of. Times are microseconds since the epoch (the domain's unit). */
export interface V2ImageSource {
  readonly id: string;
  /** v2 allows no name (Glance does). */
  readonly name: string | null;
  /** Already in v2 terms (`active`, `killed`…; see `v2StatusOfV1`). */
  readonly status: V2ImageStatus;
  /** Derived from the object's grants by the domain (§5.3). */
  readonly visibility: V2Visibility;
  readonly protected: boolean;
  readonly osHidden: boolean;
  /** MD5 hex of the data, or null — never the object hash. */
  readonly checksum: string | null;
  /** `sha512` and its hex, or both null when unknown. */
  readonly osHashAlgo: string | null;
  readonly osHashValue: string | null;
  /** Null while there is no data (`queued`, `uploading`). */
  readonly size: number | null;
  readonly virtualSize: number | null;
  readonly diskFormat: string | null;
  readonly containerFormat: string | null;
  readonly minRam: number;
  readonly minDisk: number;
  /** Project id = user UUID. */
  readonly owner: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly tags: readonly string[];
  /** Custom properties, keys and values verbatim. */
  readonly properties: Readonly<Record<string, string>>;
  /** Optional `pithos://<account>/<container>/<object>` (§3.3 [P]). */
  readonly directUrl?: string;
}

/** The v2 image object as JSON. */
export type V2Image = Record<string, unknown>;

/** v1 status → v2 status (§3.3): `available` is `active`, `error` is `killed`. */
export function v2StatusOfV1(status: 'queued' | 'saving' | 'available' | 'error'): V2ImageStatus {
  return status === 'available' ? 'active' : status === 'error' ? 'killed' : status;
}

/** Glance's `isotime`: UTC, seconds, `Z`, no fraction. */
export function v2Timestamp(micros: number): string {
  return new Date(Math.floor(micros / 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Keys a custom property may not shadow: every schema property that is a base attribute (a v1
 * property called `size` or `locations` must not break the schema glanceclient validates with).
 * The well-known `is_base: false` ones (`os_distro`, `description`…) are properties and stay.
 */
const SHADOWED = new Set(
  Object.entries(imageSchemaProperties({ diskFormats: [], containerFormats: [] }))
    .filter(([, node]) => node.is_base !== false)
    .map(([key]) => key),
);

export const imageHref = (id: string) => `/v2/images/${id}`;

export function renderV2Image(src: V2ImageSource): V2Image {
  const view: V2Image = Object.fromEntries(Object.entries(src.properties).filter(([k]) => !SHADOWED.has(k)));
  Object.assign(view, {
    name: src.name,
    disk_format: src.diskFormat,
    container_format: src.containerFormat,
    visibility: src.visibility,
    size: src.size,
    virtual_size: src.virtualSize,
    status: src.status,
    checksum: src.checksum,
    protected: src.protected,
    min_ram: src.minRam,
    min_disk: src.minDisk,
    owner: src.owner,
    os_hidden: src.osHidden,
    os_hash_algo: src.osHashAlgo,
    os_hash_value: src.osHashValue,
    id: src.id,
    created_at: v2Timestamp(src.createdAt),
    updated_at: v2Timestamp(src.updatedAt),
    tags: [...src.tags],
  });
  if (src.directUrl !== undefined) view.direct_url = src.directUrl;
  view.self = imageHref(src.id);
  view.file = `${imageHref(src.id)}/file`;
  view.schema = '/v2/schemas/image';
  return view;
}

/** `GET /v2/images` body: the page plus the links of links.ts. */
export function renderV2ImageList(
  images: readonly V2ImageSource[],
  links: { first: string; next?: string; schema: string },
) {
  return { images: images.map(renderV2Image), ...links };
}

export interface V2MemberSource {
  readonly imageId: string;
  /** Project id = user UUID. */
  readonly memberId: string;
  readonly status: V2MemberStatus;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export function renderV2Member(m: V2MemberSource) {
  return {
    member_id: m.memberId,
    image_id: m.imageId,
    status: m.status,
    created_at: v2Timestamp(m.createdAt),
    updated_at: v2Timestamp(m.updatedAt),
    schema: '/v2/schemas/member',
  };
}

export function renderV2Members(members: readonly V2MemberSource[]) {
  return { members: members.map(renderV2Member), schema: '/v2/schemas/members' };
}
