/** What an image list asks for (image-api.md §5.2), once its parameters are valid. */
export const SORT_KEYS = [
  'id',
  'name',
  'status',
  'size',
  'disk_format',
  'container_format',
  'created_at',
  'updated_at',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

export interface ImageListQuery {
  readonly sortKey: SortKey;
  readonly sortDir: SortDir;
  /** `is_public=none`: no visibility filter; for an admin also every image instead of his listed set. */
  readonly publicNone: boolean;
  readonly isPublic?: boolean;
  readonly sizeMin?: number;
  readonly sizeMax?: number;
  readonly minRam?: number;
  readonly minDisk?: number;
  readonly protected?: boolean;
  /** Microseconds; `updated_at` strictly later. */
  readonly changesSince?: number;
  readonly limit?: number;
  /** Canonical image id to start after. */
  readonly marker?: string;
  readonly name?: string;
  readonly diskFormat?: string;
  readonly containerFormat?: string;
  /** Lower-cased. */
  readonly status?: string;
  /** Normalised key → exact value. */
  readonly properties: Readonly<Record<string, string>>;
}

/** Equality, or membership (`in:a,b`). */
export type MatchFilter =
  | { readonly op: 'eq'; readonly value: string }
  | { readonly op: 'in'; readonly values: readonly string[] };
export type TimeFilter = { readonly op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte'; readonly at: number };

/**
 * What an Image API v2 list asks for (openstack.md §4.3), protocol-neutral. Status values are v2
 * names (`active`, `killed`); the repository maps them onto stored statuses.
 */
export interface ImageCatalogQuery {
  /** Page size, the default and the cap already applied. */
  readonly limit: number;
  /** Id of the last image of the previous page; must name a visible image. */
  readonly marker?: string;
  /** Tie-breakers included (the adapter appends `created_at`, `id`). */
  readonly sort: readonly { readonly key: SortKey; readonly dir: SortDir }[];
  /** `all` = every visibility; absent = the default set (community only if owned). */
  readonly visibility?: 'public' | 'community' | 'shared' | 'private' | 'all';
  /** Which shared-with-me images count (default `accepted`). */
  readonly memberStatus: 'pending' | 'accepted' | 'rejected' | 'all';
  /** Hidden images are listed only with `os_hidden=true`, and then only they are. */
  readonly osHidden: boolean;
  readonly protected?: boolean;
  readonly id?: MatchFilter;
  readonly name?: MatchFilter;
  /** Plankton's `name=contains:…`: the name contains this text, ignoring (at least ASCII) case. */
  readonly nameContains?: string;
  /** v2 status names (`active`, not v1's `available`). */
  readonly status?: MatchFilter;
  readonly containerFormat?: MatchFilter;
  readonly diskFormat?: MatchFilter;
  readonly createdAt?: TimeFilter;
  readonly updatedAt?: TimeFilter;
  /** Inclusive bounds on `size`. */
  readonly sizeMin?: number;
  readonly sizeMax?: number;
  /** The image must carry every one of these tags. */
  readonly tags: readonly string[];
  readonly owner?: string;
  readonly checksum?: string;
  readonly osHashValue?: string;
  /** Any other key: custom property equality, key verbatim (`os_distro=ubuntu`). */
  readonly properties: Readonly<Record<string, string>>;
}
