import { randomUUID } from 'node:crypto';
import type { IdentityRepository } from '../../storage/metadata/identity-repository.ts';
import type { UserRow } from '../../storage/metadata/schema.ts';
import { nowMicros } from '../time.ts';

export interface User {
  readonly uuid: string;
  readonly name: string;
  readonly admin: boolean;
  readonly active: boolean;
  readonly createdAt: number;
}

export class UserError extends Error {}

export const toUser = (r: UserRow): User => ({
  uuid: r.uuid,
  name: r.display_name,
  admin: r.admin === 1,
  active: r.active === 1,
  createdAt: r.created_at,
});

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Canonical lower-case hyphenated form of a UUID written in any spelling, or undefined. */
export function canonicalUuid(text: string): string | undefined {
  if (CANONICAL_UUID.test(text)) return text; // already canonical (every id Plankton hands out)
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function validateDisplayName(name: string): void {
  if (name.length === 0) throw new UserError('a display name cannot be empty');
  if ([...name].length > 255) throw new UserError('a display name has at most 255 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name))
    throw new UserError('a display name cannot contain control characters');
}

/** True when `name` passes validateDisplayName and is well-formed UTF-16. */
function couldBeDisplayName(name: string): boolean {
  if (name.length === 0 || name.length > 1024 || Buffer.from(name, 'utf8').toString('utf8') !== name) return false;
  try {
    validateDisplayName(name);
    return true;
  } catch {
    return false;
  }
}

/** Users (= accounts of the object store). Users are never deleted, only disabled. */
export class Users {
  constructor(private readonly repo: IdentityRepository) {}

  async create(name: string, opts: { admin?: boolean; uuid?: string } = {}): Promise<User> {
    validateDisplayName(name);
    let uuid: string = randomUUID();
    if (opts.uuid !== undefined) {
      const c = canonicalUuid(opts.uuid);
      if (!c || !UUID_RE.test(opts.uuid)) throw new UserError(`"${opts.uuid}" is not a UUID`);
      uuid = c;
    }
    if (await this.byName(name)) throw new UserError(`a user named "${name}" already exists`);
    if (await this.byUuid(uuid)) throw new UserError(`a user with uuid ${uuid} already exists`);
    const row: UserRow = { uuid, display_name: name, admin: opts.admin ? 1 : 0, active: 1, created_at: nowMicros() };
    await this.repo.insertUser(row);
    return toUser(row);
  }

  async byUuid(uuid: string): Promise<User | undefined> {
    const c = canonicalUuid(uuid);
    if (!c) return undefined;
    const r = await this.repo.userByUuid(c);
    return r && toUser(r);
  }

  async byName(name: string): Promise<User | undefined> {
    // A name no user can have is not looked up: PostgreSQL refuses NUL and unpaired surrogates.
    if (!couldBeDisplayName(name)) return undefined;
    const r = await this.repo.userByName(name);
    return r && toUser(r);
  }

  /** A user named by UUID or exact display name (the CLI's `<user>`). */
  async find(ref: string): Promise<User> {
    const user = (await this.byUuid(ref)) ?? (await this.byName(ref));
    if (!user) throw new UserError(`no user "${ref}" (give a UUID or an exact display name; see "plankton user list")`);
    return user;
  }

  async list(): Promise<User[]> {
    return (await this.repo.listUsers()).map(toUser);
  }

  async anyAdmin(): Promise<boolean> {
    return this.repo.anyAdmin();
  }

  /** Display names of the given canonical uuids that exist. */
  async namesOf(uuids: readonly string[]): Promise<Map<string, string>> {
    if (uuids.length === 0) return new Map();
    const rows = await this.repo.namesOf(uuids);
    return new Map(rows.map((r) => [r.uuid, r.display_name]));
  }

  async uuidsOf(names: readonly string[]): Promise<Map<string, string>> {
    if (names.length === 0) return new Map();
    const rows = await this.repo.uuidsOf(names);
    return new Map(rows.map((r) => [r.display_name, r.uuid]));
  }

  async rename(ref: string, name: string): Promise<User> {
    validateDisplayName(name);
    const user = await this.find(ref);
    const other = await this.byName(name);
    if (other && other.uuid !== user.uuid) throw new UserError(`a user named "${name}" already exists`);
    await this.repo.renameUser(user.uuid, name);
    return { ...user, name };
  }

  async setFlag(ref: string, flag: 'admin' | 'active', on: boolean): Promise<User> {
    const user = await this.find(ref);
    await this.repo.setUserFlag(user.uuid, flag, on);
    return { ...user, [flag]: on };
  }
}
