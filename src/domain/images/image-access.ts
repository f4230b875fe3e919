/**
 * The first rule of every per-image endpoint (image-api.md §4.6): a caller who cannot read an
 * image gets exactly the 404 of an unknown or malformed id, so private images stay secret.
 */
import type { User } from '../identity/users.ts';
import { canRead } from '../objects/permissions.ts';
import { imageNotFound } from './image-errors.ts';
import type { ImageEntry, ImageQueries } from './image-queries.ts';
import { canonicalUuid } from './image-values.ts';

/** Can read: owner, read or write grantee, published object, or admin. */
export const canReadImage = (caller: User, entry: ImageEntry): boolean => caller.admin || canRead(caller.uuid, entry);

/** The image `id` names, if the caller may read it; else 404 "Image not found". */
export async function readableImage(queries: ImageQueries, caller: User, id: string): Promise<ImageEntry> {
  const uuid = canonicalUuid(id);
  const entry = uuid === undefined ? undefined : await queries.find(uuid);
  if (!entry || !canReadImage(caller, entry)) throw imageNotFound();
  return entry;
}
