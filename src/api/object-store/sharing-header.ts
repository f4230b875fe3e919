import { badRequest } from '../../errors.ts';
import { canonicalUuid, type Users } from '../../domain/identity/users.ts';
import type { Grants } from '../../domain/objects/object-service.ts';

/**
 * `X-Object-Sharing` (already percent-decoded) → grant lists (object-store.md §8.1). Entries are
 * `*` or existing users' uuids; write implies read, so a user in both lists stays only in write.
 */
export async function parseSharing(value: string, users: Users): Promise<Grants> {
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
