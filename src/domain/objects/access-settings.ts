/**
 * What an owner sets about who may use his things, besides object grants: container ACLs
 * (container-acl.ts) and account groups (account-groups.ts). Parsing names users through
 * `Users`, so only existing users are ever stored.
 */
import { NotFound } from '../errors.ts';
import type { Users } from '../identity/users.ts';
import { canonicalUuid } from '../identity/users.ts';
import { AccessRepository } from '../../storage/metadata/access-repository.ts';
import type { Db } from '../../storage/metadata/database.ts';
import { applyGroupChange, BadGroup, MAX_GROUP_MEMBERS, MAX_GROUP_NAME, type Groups } from './account-groups.ts';
import { parseAcl, type ContainerAcl } from './container-acl.ts';
import type { ContainerRecord } from './containers.ts';

/** A change to a container's ACLs: a list replaces that ACL ([] removes it); undefined keeps it. */
export interface AclChange {
  readonly read?: string;
  readonly write?: string;
}

export class AccessSettings {
  readonly #repo: AccessRepository;

  constructor(
    private readonly db: Db,
    private readonly users: Users,
  ) {
    this.#repo = new AccessRepository(db);
  }

  containerAcl(c: Pick<ContainerRecord, 'id'>): Promise<ContainerAcl> {
    return this.#repo.aclOf(c.id);
  }

  /** Parses both values first (a bad one changes nothing), then replaces what was given. */
  async parseAclChange(change: AclChange): Promise<{ read?: string[]; write?: string[] }> {
    const resolve = (ref: string) => this.#resolveUser(ref);
    return {
      read: change.read === undefined ? undefined : await parseAcl('read', change.read, resolve),
      write: change.write === undefined ? undefined : await parseAcl('write', change.write, resolve),
    };
  }

  async setContainerAcl(c: Pick<ContainerRecord, 'id'>, parsed: { read?: string[]; write?: string[] }): Promise<void> {
    if (parsed.read === undefined && parsed.write === undefined) return;
    await this.db.transaction().execute(async (trx) => {
      // Deleted meanwhile: its 404, not a foreign-key fault.
      const live = await trx.selectFrom('containers').select('id').where('id', '=', c.id).executeTakeFirst();
      if (!live) throw new NotFound('container');
      if (parsed.read !== undefined) await this.#repo.replaceAcl(c.id, 'read', parsed.read, trx);
      if (parsed.write !== undefined) await this.#repo.replaceAcl(c.id, 'write', parsed.write, trx);
    });
  }

  groups(account: string): Promise<Groups> {
    return this.#repo.groupsOf(account);
  }

  /** Does the account have a group of this name now? */
  async hasGroup(account: string, name: string): Promise<boolean> {
    return (await this.#repo.groupsOf(account))[name] !== undefined;
  }

  /**
   * Parses `X-Account-Group-<name>: <user>,<user>` values (name lower-cased, members uuids or
   * display names of existing users; empty value: no member, which removes the group).
   */
  async parseGroups(given: Readonly<Record<string, string>>): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const [rawName, value] of Object.entries(given)) {
      const name = rawName.toLowerCase();
      if (name === '' || [...name].length > MAX_GROUP_NAME) throw new BadGroup(`Invalid group name: ${rawName}`);
      if (/[^\x20-\x7e]/.test(value)) throw new BadGroup(`Bad X-Account-Group-${rawName} header value`);
      const members: string[] = [];
      for (const ref of value
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean)) {
        const uuid = await this.#resolveUser(ref);
        if (uuid === undefined)
          throw new BadGroup(`Bad X-Account-Group-${rawName} header value: unknown account: ${ref}`);
        if (!members.includes(uuid)) members.push(uuid);
      }
      if (members.length > MAX_GROUP_MEMBERS)
        throw new BadGroup(`Too many members in group ${name}; max ${MAX_GROUP_MEMBERS}`);
      out[name] = members;
    }
    return out;
  }

  /** Applies parsed groups: `replace` makes them the whole set, else they merge (see applyGroupChange). */
  async updateGroups(account: string, given: Readonly<Record<string, readonly string[]>>, replace: boolean) {
    await this.db.transaction().execute(async (trx) => {
      const current = await this.#repo.groupsOf(account, trx);
      await this.#repo.replaceGroups(account, applyGroupChange(current, given, replace), trx);
    });
  }

  async #resolveUser(ref: string): Promise<string | undefined> {
    const uuid = canonicalUuid(ref);
    if (uuid !== undefined && (await this.users.byUuid(uuid))) return uuid;
    return (await this.users.byName(ref))?.uuid;
  }
}
