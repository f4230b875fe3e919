/**
 * Loads what the authorizer reads besides an object's own grants (ObjectRecord.access): its
 * container's ACL and, for grants naming groups (`<account>:<group>`), the groups' members as
 * they are now. Read at every object load, so a change to an ACL or a group applies to the next
 * request.
 */
import type { AccessRepository } from '../../storage/metadata/access-repository.ts';
import type { Db } from '../../storage/metadata/database.ts';
import { isGroupEntry } from './account-groups.ts';
import type { ObjectAccess, ObjectRecord } from './object-record.ts';

export async function loadAccess(repo: AccessRepository, obj: ObjectRecord, db: Db): Promise<ObjectAccess> {
  const containerAcl = await repo.aclOf(obj.containerId, db);
  const named = [...obj.readGrants, ...obj.writeGrants].filter(isGroupEntry);
  const groups: Record<string, readonly string[]> = {};
  if (named.length) {
    // Only the owner's own groups can be named (sharing-header.ts), so one account's groups do.
    const own = await repo.groupsOf(obj.account, db);
    for (const entry of named) {
      const name = entry.slice(entry.indexOf(':') + 1);
      groups[entry] = entry.startsWith(`${obj.account}:`) ? (own[name] ?? []) : [];
    }
  }
  return { containerAcl, groups };
}
