/**
 * The first rule of every per-image endpoint (image-api.md §4.6): a caller who cannot read an
 * image gets exactly the NotFound of an unknown or malformed id, so private images stay secret.
 */
import type { User } from '../identity/users.ts';
import { authorize } from '../authorization.ts';
import { NotFound } from '../errors.ts';
import type { ImageEntry, ImageRepository } from '../../storage/metadata/image-repository.ts';
import { canonicalUuid } from './image-values.ts';

/** The image `id` names, if the caller may read it; else NotFound. */
export async function readableImage(queries: ImageRepository, caller: User, id: string): Promise<ImageEntry> {
  const uuid = canonicalUuid(id);
  const entry = uuid === undefined ? undefined : await queries.find(uuid);
  if (!entry) throw new NotFound('image');
  authorize(caller, 'read', { image: entry });
  return entry;
}
