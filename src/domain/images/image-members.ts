/**
 * Image members (image-api.md §5.8–§5.12). Members are the read grants of the image's object
 * minus `*`, and `is_public` is `*` among them, so members and the object store's
 * sharing changes edit the same list. Member changes are the owner's alone and do not touch
 * the image record (they do not count as updates, §4.1).
 */
import type { Db, Trx } from '../../storage/metadata/database.ts';
import type { User, Users } from '../identity/users.ts';
import type { ObjectService } from '../objects/object-service.ts';
import { authorize } from '../authorization.ts';
import { readableImage } from './image-access.ts';
import { ImageRuleRefused, InvalidValue, NotFound } from '../errors.ts';
import { membersOf, visibilityOf, type MemberStatus } from './image-visibility.ts';
import { nowMicros } from '../time.ts';
import type { ImageEntry } from '../../storage/metadata/image-repository.ts';
import type { ImageRepository } from '../../storage/metadata/image-repository.ts';
import { MemberStatusRepository } from '../../storage/metadata/member-status-repository.ts';
import { canonicalUuid } from './image-values.ts';

/** One member of an image as Image API v2 shows it (a grant without a status row is accepted). */
export interface ImageMember {
  readonly imageId: string;
  readonly memberId: string;
  readonly status: MemberStatus;
  /** Microseconds; the image's creation for grants made outside v2. */
  readonly createdAt: number;
  readonly updatedAt: number;
}

export class ImageMembers {
  readonly #db: Db;
  readonly #queries: ImageRepository;
  readonly #statuses: MemberStatusRepository;
  readonly #objects: ObjectService;
  readonly #users: Users;

  constructor(db: Db, queries: ImageRepository, objects: ObjectService, users: Users) {
    this.#db = db;
    this.#queries = queries;
    this.#statuses = new MemberStatusRepository(db);
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
    await this.#changeReadGrants(entry.id, (current) =>
      current.includes('*') && !read.includes('*') ? [...read, '*'] : read,
    );
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

  // ---- Image API v2 (openstack.md §4.10, §5.4) ----------------------------------------------------

  /** The owner sees every member; a member sees himself. Only `shared` images have members. */
  async listV2(caller: User, id: string): Promise<ImageMember[]> {
    const entry = await this.#sharedImage(caller, id);
    const all = await this.#membersOf(entry);
    return caller.uuid === entry.account || caller.admin ? all : all.filter((m) => m.memberId === caller.uuid);
  }

  async showV2(caller: User, id: string, member: string): Promise<ImageMember> {
    const found = (await this.listV2(caller, id)).find((m) => m.memberId === member.toLowerCase());
    if (!found) throw new ImageRuleRefused('member-not-found', member);
    return found;
  }

  /** The owner adds a member (an existing user), who starts `pending`. */
  async addV2(caller: User, id: string, member: string): Promise<ImageMember> {
    const entry = await this.#sharedImage(caller, id);
    if (caller.uuid !== entry.account) throw new ImageRuleRefused('members-not-owner');
    const uuid = canonicalUuid(member);
    if (uuid === undefined || !(await this.#users.byUuid(uuid))) throw new InvalidValue('member', member);
    if (membersOf({ owner: entry.account, readGrants: entry.readGrants }).includes(uuid))
      throw new ImageRuleRefused('duplicate-member', uuid);
    const now = nowMicros();
    await this.#changeReadGrants(
      entry.id,
      (current) => (current.includes(uuid) ? current : [...current, uuid]),
      (trx) =>
        this.#statuses.put(trx, {
          image_id: entry.id,
          member: uuid,
          status: 'pending',
          created_at: now,
          updated_at: now,
        }),
    );
    return this.showV2(caller, id, uuid);
  }

  /** The member (only he) accepts, rejects or puts back to pending. */
  async setStatusV2(caller: User, id: string, member: string, status: MemberStatus): Promise<ImageMember> {
    const entry = await this.#sharedImage(caller, id);
    const current = (await this.#membersOf(entry)).find((m) => m.memberId === member.toLowerCase());
    if (!current) throw new ImageRuleRefused('member-not-found', member);
    if (current.memberId !== caller.uuid) throw new ImageRuleRefused('member-status-not-member');
    const now = nowMicros();
    await this.#db.transaction().execute((trx) =>
      this.#statuses.put(trx, {
        image_id: entry.id,
        member: current.memberId,
        status,
        created_at: current.createdAt,
        updated_at: now,
      }),
    );
    return this.showV2(caller, id, current.memberId);
  }

  /** The owner removes a member (grant and status). */
  async removeV2(caller: User, id: string, member: string): Promise<void> {
    const entry = await this.#sharedImage(caller, id);
    if (caller.uuid !== entry.account) throw new ImageRuleRefused('member-delete-not-owner');
    const uuid = member.toLowerCase();
    if (!membersOf({ owner: entry.account, readGrants: entry.readGrants }).includes(uuid))
      throw new ImageRuleRefused('member-not-found', member);
    await this.#changeReadGrants(entry.id, (current) => current.filter((g) => g !== uuid));
  }

  async #sharedImage(caller: User, id: string): Promise<ImageEntry> {
    const entry = await readableImage(this.#queries, caller, id);
    if (visibilityOf({ ...entry, owner: entry.account }) !== 'shared') throw new ImageRuleRefused('not-shared');
    return entry;
  }

  async #membersOf(entry: ImageEntry): Promise<ImageMember[]> {
    const rows = await this.#statuses.of(entry.id);
    const byMember = new Map(rows.map((r) => [r.member, r]));
    return membersOf({ owner: entry.account, readGrants: entry.readGrants }).map((m) => {
      const row = byMember.get(m);
      return {
        imageId: entry.id,
        memberId: m,
        status: (row?.status as MemberStatus | undefined) ?? 'accepted',
        createdAt: row ? Number(row.created_at) : entry.createdAt,
        updatedAt: row ? Number(row.updated_at) : entry.createdAt,
      };
    });
  }

  /** Rewrites the object's read grants from their current value, in one transaction; write grants stay. */
  async #changeReadGrants(
    id: string,
    change: (current: readonly string[]) => readonly string[],
    also?: (trx: Trx) => Promise<void>,
  ): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await this.#queries.lockObject(trx, id);
      const obj = await this.#objects.getByUuid(id, trx);
      if (!obj) throw new NotFound('image');
      const read = change(obj.readGrants);
      if (read.length !== obj.readGrants.length || read.some((g, i) => g !== obj.readGrants[i])) {
        await this.#objects.setGrants(obj.id, { read, write: obj.writeGrants }, trx);
      }
      // A member whose grant went loses his v2 status, so a later grant starts afresh.
      const gone = obj.readGrants.filter((g) => !read.includes(g));
      await this.#statuses.forget(trx, id, gone);
      await also?.(trx);
    });
  }
}
