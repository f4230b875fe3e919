import type { ObjectRecord } from './object-record.ts';

/**
 * Who may do what with an object: the one place the object store and the image API ask
 * (object-store.md §2, image-api.md §4.6). `user` is the caller's uuid (undefined: anonymous).
 */
type Target = Pick<ObjectRecord, 'account' | 'readGrants' | 'writeGrants' | 'publicToken'>;

export const isOwner = (user: string | undefined, o: Pick<ObjectRecord, 'account'>): boolean =>
  user !== undefined && user === o.account;

export const isWriteGrantee = (user: string | undefined, o: Target): boolean =>
  user !== undefined && (o.writeGrants.includes(user) || o.writeGrants.includes('*'));

/** Read grantee: named (or `*`) in the read or the write list — write implies read. */
export const isReadGrantee = (user: string | undefined, o: Target): boolean =>
  user !== undefined && (o.readGrants.includes(user) || o.readGrants.includes('*') || isWriteGrantee(user, o));

export const isPublished = (o: Target): boolean => o.publicToken !== null;

/** May see (HEAD/GET/hashmap) the object: owner, grantee, or it is published. */
export const canRead = (user: string | undefined, o: Target): boolean =>
  isOwner(user, o) || isReadGrantee(user, o) || isPublished(o);

/** May write a new version of an existing object (content or meta): owner or write grantee. */
export const canWrite = (user: string | undefined, o: Target): boolean => isOwner(user, o) || isWriteGrantee(user, o);
