/** What an image list asks for (image-api.md §5.2), once its parameters are valid. */
export const SORT_KEYS = ['id', 'name', 'status', 'size', 'disk_format', 'container_format', 'created_at', 'updated_at'] as const;
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
