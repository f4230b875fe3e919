import type { GrantRow } from '../../storage/metadata/grant-repository.ts';
import type { ObjectRow } from '../../storage/metadata/schema.ts';
import { unpackHashmap } from '../hashing.ts';
import { parseManifestColumn, type Manifest } from './manifests.ts';
import type { ContainerAcl } from './container-acl.ts';

/** One live object (its current version), as the domain sees it. */
export interface ObjectRecord {
  readonly id: number;
  readonly containerId: number;
  readonly account: string;
  readonly container: string;
  readonly name: string;
  readonly uuid: string;
  readonly version: number;
  readonly versionTs: number;
  readonly size: number;
  readonly hashes: readonly string[];
  readonly objectHash: string;
  /** MD5 of the data when the server saw the whole stream (raw PUT, image upload), else null. */
  readonly md5: string | null;
  readonly contentType: string;
  readonly contentEncoding: string | null;
  readonly contentDisposition: string | null;
  readonly meta: Readonly<Record<string, string>>;
  readonly modifiedBy: string;
  readonly publicToken: string | null;
  /** User uuids or `*`, in grant order. */
  readonly readGrants: readonly string[];
  readonly writeGrants: readonly string[];
  /** A large object's manifest (manifests.ts); null for a plain object. */
  readonly manifest: Manifest | null;
  /**
   * What else the authorizer reads (loaded with the object, never listed): its container's ACL
   * and the members of the groups its grants name. Absent on listing entries.
   */
  readonly access?: ObjectAccess;
  /** When it expires (microseconds; X-Delete-At), null: never. */
  readonly deleteAt: number | null;
}

export interface ObjectAccess {
  readonly containerAcl: ContainerAcl;
  /** `<account>:<group>` grant entries → the group's members now. */
  readonly groups: Readonly<Record<string, readonly string[]>>;
}

export type { GrantRow };

export function toObjectRecord(row: ObjectRow, container: string, grants: readonly GrantRow[]): ObjectRecord {
  return {
    id: row.id,
    containerId: row.container_id,
    account: row.account,
    container,
    name: row.name,
    uuid: row.uuid,
    version: row.version,
    versionTs: row.version_ts,
    size: row.size,
    hashes: unpackHashmap(row.hashmap),
    objectHash: row.object_hash,
    md5: row.md5,
    contentType: row.content_type,
    contentEncoding: row.content_encoding,
    contentDisposition: row.content_disposition,
    meta: JSON.parse(row.meta),
    modifiedBy: row.modified_by,
    publicToken: row.public_token,
    readGrants: grants.filter((g) => g.kind === 'read').map((g) => g.grantee),
    writeGrants: grants.filter((g) => g.kind === 'write').map((g) => g.grantee),
    manifest: parseManifestColumn(row.manifest),
    deleteAt: row.delete_at === null || row.delete_at === undefined ? null : Number(row.delete_at),
  };
}

/** The ETag of a version: its MD5 when known, else the object hash (object-store.md §6). */
export const etagOf = (o: Pick<ObjectRecord, 'md5' | 'objectHash'>): string => o.md5 ?? o.objectHash;
