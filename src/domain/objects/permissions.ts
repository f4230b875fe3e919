import { aclReads, aclWrites, NO_ACL } from './container-acl.ts';
import type { ObjectRecord } from './object-record.ts';

/**
 * Who may do what with an object: the one place the object store and the image API ask
 * (object-store.md §2, image-api.md §4.6). `user` is the caller's uuid (undefined: anonymous).
 * A grant entry names a user, `*` (every user) or a group of the owner (`<owner>:<group>`, its
 * members read with the object); the container's ACL (Swift `X-Container-Read`/`-Write`) is a
 * grant on the container's whole path, so it counts for each of its objects.
 */
type Target = Pick<ObjectRecord, 'account' | 'readGrants' | 'writeGrants' | 'publicToken' | 'access'>;

export const isOwner = (user: string | undefined, o: Pick<ObjectRecord, 'account'>): boolean =>
  user !== undefined && user === o.account;

/** One grant list names the user: himself, `*`, or a group he is a member of now. */
const names = (list: readonly string[], user: string, o: Target): boolean =>
  list.includes(user) || list.includes('*') || list.some((e) => o.access?.groups[e]?.includes(user) ?? false);

/** May write the container's objects through its write ACL (create, overwrite, delete). */
export const isContainerWriter = (user: string | undefined, o: Target): boolean =>
  aclWrites(user, o.access?.containerAcl ?? NO_ACL);

export const isWriteGrantee = (user: string | undefined, o: Target): boolean =>
  user !== undefined && (names(o.writeGrants, user, o) || isContainerWriter(user, o));

/** Read grantee: named (or `*`) in the read or the write list, or the container's read ACL — write implies read. */
export const isReadGrantee = (user: string | undefined, o: Target): boolean =>
  user !== undefined &&
  (names(o.readGrants, user, o) || isWriteGrantee(user, o) || aclReads(user, o.access?.containerAcl ?? NO_ACL));

export const isPublished = (o: Target): boolean => o.publicToken !== null;

/** May see (HEAD/GET/hashmap) the object: owner, grantee, or it is published. */
export const canRead = (user: string | undefined, o: Target): boolean =>
  isOwner(user, o) || isReadGrantee(user, o) || isPublished(o);

/** May write a new version of an existing object (content or meta): owner or write grantee. */
export const canWrite = (user: string | undefined, o: Target): boolean => isOwner(user, o) || isWriteGrantee(user, o);
