/**
 * Image members (image-api.md §5.8–§5.12). Members are the read grants of the image's object
 * minus `*`, and `is_public` is `*` among them, so members and the object store's
 * sharing changes edit the same list. Member changes are the owner's alone and do not touch
 * the image record (they do not count as updates, §4.1).
 */
import type { Db } from '../../storage/metadata/database.ts';
import type { User, Users } from '../identity/users.ts';
import type { ObjectService } from '../objects/object-service.ts';
import { authorize } from '../authorization.ts';
import { readableImage } from './image-access.ts';
import { InvalidValue, NotFound } from '../errors.ts';
import type { ImageRepository } from '../../storage/metadata/image-repository.ts';
import { canonicalUuid } from './image-values.ts';

export class ImageMembers {
  readonly #db: Db;
  readonly #queries: ImageRepository;
  readonly #objects: ObjectService;
  readonly #users: Users;

  constructor(db: Db, queries: ImageRepository, objects: ObjectService, users: Users) {
    this.#db = db;
    this.#queries = queries;
    this.#objects = objects;
    this.#users = users;
  }

  /** E10: in grant order; a new image lists its owner. */
  async list(caller: User, id: string): Promise<string[]> {
    const entry = await readableImage(this.#queries, caller, id);
    return entry.readGrants.filter((g) => g !== '*');
  }

  /** E11: read grants := the given members (`*` kept if given or if the image was public). */
  async replace(caller: User, id: string, members: readonly string[]): Promise<void> {
    const entry = await readableImage(this.#queries, caller, id);
    authorize(caller, 'share', { image: entry });
    const read = [...new Set(members)];
    const uuids = read.filter((m) => m !== '*');
    const known = await this.#users.namesOf(uuids);
    const unknown = uuids.find((u) => !known.has(u));
    if (unknown !== undefined) throw new InvalidValue('member', unknown);
    await this.#changeReadGrants(entry.id, (current) => (current.includes('*') && !read.includes('*') ? [...read, '*'] : read));
  }

  /** E13: adding a member twice changes nothing. */
  async add(caller: User, id: string, member: string): Promise<void> {
    const entry = await readableImage(this.#queries, caller, id);
    const uuid = canonicalUuid(member);
    if (uuid === undefined) throw new InvalidValue('member-id', member);
    authorize(caller, 'share', { image: entry });
    if (!(await this.#users.byUuid(uuid))) throw new InvalidValue('member', uuid);
    await this.#changeReadGrants(entry.id, (current) => (current.includes(uuid) ? current : [...current, uuid]));
  }

  /** E14: removing an absent member, or the owner himself, is allowed. */
  async remove(caller: User, id: string, member: string): Promise<void> {
    const entry = await readableImage(this.#queries, caller, id);
    const uuid = canonicalUuid(member);
    if (uuid === undefined) throw new InvalidValue('member-id', member);
    authorize(caller, 'share', { image: entry });
    await this.#changeReadGrants(entry.id, (current) => current.filter((g) => g !== uuid));
  }

  /** E16 (§5.12): ids of the caller's listed images shared with `member`, never an error. */
  async sharedWith(caller: User, member: string): Promise<string[]> {
    return this.#queries.sharedWith(caller.uuid, canonicalUuid(member) ?? member);
  }

  /** Rewrites the object's read grants from their current value, in one transaction; write grants stay. */
  async #changeReadGrants(id: string, change: (current: readonly string[]) => readonly string[]): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await this.#queries.lockObject(trx, id);
      const obj = await this.#objects.getByUuid(id, trx);
      if (!obj) throw new NotFound('image');
      const read = change(obj.readGrants);
      if (read.length !== obj.readGrants.length || read.some((g, i) => g !== obj.readGrants[i])) {
        await this.#objects.setGrants(obj.id, { read, write: obj.writeGrants }, trx);
      }
    });
  }
}
