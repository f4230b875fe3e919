import { badRequest } from '../../errors.ts';
import { canonicalUuid, type Users } from '../../domain/identity/users.ts';
import type { Grants } from '../../domain/objects/object-service.ts';

/** The owner's groups, for entries that name one (`<owner-uuid>:<group>`). */
export interface GroupLookup {
  readonly owner: string;
  hasGroup(owner: string, name: string): Promise<boolean>;
}

/**
 * `X-Object-Sharing` (already percent-decoded) → grant lists (object-store.md §8.1). Entries are
 * `*`, existing users' uuids, or (with `groups`) `<owner-uuid>:<group>` naming one of the owner's
 * existing groups (Pithos's form; another account's group is refused); write implies read, so an
 * entry in both lists stays only in write.
 */
export async function parseSharing(value: string, users: Users, groups?: GroupLookup): Promise<Grants> {
  const text = value.replace(/ /g, '');
  const grants = { read: [] as string[], write: [] as string[] };
  if (text === '') return grants;
  for (const part of text.split(';')) {
    const kind = part.startsWith('read=') ? 'read' : part.startsWith('write=') ? 'write' : undefined;
    if (!kind) throw badRequest('Bad X-Object-Sharing header value: missing prefix');
    let entries = [
      ...new Set(
        part
          .slice(kind.length + 1)
          .split(',')
          .map((e) => e.toLowerCase())
          .filter(Boolean),
      ),
    ];
    if (entries.includes('*')) entries = ['*'];
    if (entries.length === 0) throw badRequest('Bad X-Object-Sharing header value: invalid length');
    const canonical: string[] = [];
    for (const entry of entries) {
      if (entry === '*') {
        canonical.push('*');
        continue;
      }
      const colon = entry.indexOf(':');
      if (colon >= 0 && groups && canonicalUuid(entry.slice(0, colon)) === groups.owner) {
        // Only the owner's own groups; another account's `uuid:group` stays an unknown account below.
        const owner = groups.owner;
        const name = entry.slice(colon + 1);
        if (name === '' || !(await groups.hasGroup(owner, name)))
          throw badRequest(`Bad X-Object-Sharing header value: unknown group: ${entry}`);
        canonical.push(`${owner}:${name}`);
        continue;
      }
      const uuid = canonicalUuid(entry);
      if (!uuid || !(await users.byUuid(uuid)))
        throw badRequest(`Bad X-Object-Sharing header value: unknown account: ${entry}`);
      canonical.push(uuid);
    }
    for (const e of canonical) if (!grants[kind].includes(e)) grants[kind].push(e);
  }
  grants.read = grants.read.filter((e) => !grants.write.includes(e));
  return grants;
}

/** Response form (object-store.md §8.2): `read=a,b; write=c`, or undefined without grants. */
export function renderSharing(read: readonly string[], write: readonly string[]): string | undefined {
  const parts = [];
  if (read.length) parts.push(`read=${read.join(',')}`);
  if (write.length) parts.push(`write=${write.join(',')}`);
  return parts.length ? parts.join('; ') : undefined;
}
