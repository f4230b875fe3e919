import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * Tables of the metadata database, one code path for SQLite and PostgreSQL.
 * Conventions: times are integers of microseconds since the epoch; booleans are 0/1 integers;
 * maps (meta, properties) are JSON text; names compare by code point (COLLATE "C" on PostgreSQL).
 */
export interface UsersTable {
  uuid: string;
  display_name: string;
  admin: number;
  active: number;
  created_at: number;
}

export interface TokensTable {
  token_id: string;
  user_uuid: string;
  /** sha256 hex of the secret; the secret itself is never stored. */
  hash: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  note: string | null;
  /** 1 for the short-lived tokens a Keystone v3 password login mints (purged once expired). */
  minted: Generated<number>;
}

/** A user's password as `scrypt$N$r$p$salt$hash` (base64url); the password itself is never stored. */
export interface UserPasswordsTable {
  user_uuid: string;
  hash: string;
  updated_at: number;
}

/** One failed password attempt, under a throttle key (`user:…` or `address:…`). */
export interface LoginFailuresTable {
  id: Generated<number>;
  key: string;
  failed_at: number;
}

export interface AccountsTable {
  uuid: string;
  meta: string;
  modified_at: number;
  /** Most bytes the account's objects may hold, 0: no limit; set by an admin (migration 011). */
  quota: ColumnType<number, number | undefined, number>;
}

export interface ContainersTable {
  id: Generated<number>;
  account: string;
  name: string;
  quota: number;
  versioning: string;
  project: string;
  meta: string;
  created_at: number;
  modified_at: number;
  /** Swift's `X-Versions-Location` / `X-History-Location` container name (migration 010), or null. */
  versions_location: ColumnType<string | null, string | null | undefined, string | null>;
  /** `stack` (X-Versions-Location) or `history` (X-History-Location), with versions_location. */
  versions_mode: ColumnType<string | null, string | null | undefined, string | null>;
  /**
   * Live object rows, their bytes and latest version time, kept exact by the object repository's
   * writes in the same transaction (migration 011); expired rows count until they are reaped.
   */
  object_count: ColumnType<number, number | undefined, number>;
  bytes_used: ColumnType<number, number | undefined, number>;
  objects_latest: ColumnType<number, number | undefined, number>;
}

/** One row per live object: the current version (replaced ones go to object_history when kept). */
export interface ObjectsTable {
  id: Generated<number>;
  container_id: number;
  account: string;
  name: string;
  uuid: string;
  version: number;
  version_ts: number;
  size: number;
  /** Block hashes, 64 hex characters each, concatenated in order. */
  hashmap: string;
  object_hash: string;
  md5: string | null;
  content_type: string;
  content_encoding: string | null;
  content_disposition: string | null;
  meta: string;
  modified_by: string;
  public_token: string | null;
  /** Large objects (migration 009): the version's manifest as JSON (domain/objects/manifests.ts), null for a plain object. */
  manifest: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the object expires (microseconds; X-Delete-At), null: never (migration 011). */
  delete_at: ColumnType<number | null, number | null | undefined, number | null>;
}

/** A replaced version kept by a container with `versioning` `auto` (migration 010). */
export interface ObjectHistoryTable {
  id: Generated<number>;
  container_id: number;
  account: string;
  name: string;
  uuid: string;
  version: number;
  version_ts: number;
  /** When it stopped being the live version of its path. */
  superseded_ts: number;
  /** 1 when a delete or a move away ended the object at this path (not a newer version). */
  deleted: number;
  size: number;
  hashmap: string;
  object_hash: string;
  md5: string | null;
  content_type: string;
  content_encoding: string | null;
  content_disposition: string | null;
  meta: string;
  modified_by: string;
  /** The kept version's manifest (as `objects.manifest`), null for a plain object. */
  manifest: string | null;
}

/** Read and write grants of an object, in grant order; grantee is a user uuid or `*`. */
export interface GrantsTable {
  object_id: number;
  kind: 'read' | 'write';
  grantee: string;
  position: number;
}

/**
 * A container's ACL entries (migration 008), in order per kind: a user uuid, `*` (any user),
 * `.r:<referrer rule>` or `.rlistings` (read only).
 */
export interface ContainerAclsTable {
  container_id: number;
  kind: 'read' | 'write';
  entry: string;
  position: number;
}

/** Members (user uuids, in order) of an account's named groups (migration 008). */
export interface AccountGroupsTable {
  account: string;
  name: string;
  member: string;
  position: number;
}

export interface ImagesTable {
  /** = the object's uuid */
  id: string;
  owner: string;
  name: string;
  disk_format: string;
  container_format: string;
  status: string;
  origin: string;
  min_ram: number;
  min_disk: number;
  protected: number;
  created_at: number;
  updated_at: number;
  declared_size: number | null;
  declared_checksum: string | null;
  os_hidden: ColumnType<number, number | undefined, number>;
  community: ColumnType<number, number | undefined, number>;
  shared: ColumnType<number, number | undefined, number>;
  virtual_size: number | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  /** While `saving`/`importing`: until when the process running it holds it (µs); else null. */
  lease_until: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface ImageTagsTable {
  image_id: string;
  tag: string;
  position: number;
}

export interface ImageMemberStatusTable {
  image_id: string;
  member: string;
  status: string;
  created_at: number;
  updated_at: number;
}

export interface ImagePropertiesTable {
  image_id: string;
  key: string;
  value: string;
}

/** Server-wide counters (object version ids). */
export interface CountersTable {
  name: string;
  value: number;
}

/** The last result of each maintenance command (migration 014). */
export interface MaintenanceRunsTable {
  kind: string;
  finished_at: number;
  /** JSON object of counts. */
  summary: string;
}

export interface Database {
  users: UsersTable;
  tokens: TokensTable;
  user_passwords: UserPasswordsTable;
  login_failures: LoginFailuresTable;
  accounts: AccountsTable;
  containers: ContainersTable;
  objects: ObjectsTable;
  object_history: ObjectHistoryTable;
  grants: GrantsTable;
  container_acls: ContainerAclsTable;
  account_groups: AccountGroupsTable;
  images: ImagesTable;
  image_properties: ImagePropertiesTable;
  image_tags: ImageTagsTable;
  image_member_status: ImageMemberStatusTable;
  counters: CountersTable;
  maintenance_runs: MaintenanceRunsTable;
}

export type UserRow = Selectable<UsersTable>;
export type TokenRow = Selectable<TokensTable>;
export type ContainerRow = Selectable<ContainersTable>;
export type ObjectRow = Selectable<ObjectsTable>;
export type ObjectHistoryRow = Selectable<ObjectHistoryTable>;
export type NewObjectRow = Insertable<ObjectsTable>;
export type ImageRow = Selectable<ImagesTable>;
