import { createHash } from 'node:crypto';
import { DEFAULT_DOMAIN, type Session } from '../../../domain/identity/authentication.ts';
import type { User } from '../../../domain/identity/users.ts';
import { isoMicros } from '../../../domain/time.ts';
import { v3Catalog } from './catalog.ts';

/** `2026-12-03T06:35:14.000000Z`: what keystoneauth and gophercloud (RFC 3339) both parse. */
export const keystoneTime = (us: number) => isoMicros(us).replace('+00:00', 'Z');

const domain = () => ({ id: DEFAULT_DOMAIN.id, name: DEFAULT_DOMAIN.name });

/** A stable, non-secret audit id per token (22 characters, as Keystone's). */
const auditId = (tokenId: string) =>
  createHash('sha256').update(`audit:${tokenId}`).digest().subarray(0, 16).toString('base64url');

/** Keystone's default role names; `admin` for Plankton admins (informational to clients). */
export const roles = (user: User) => [
  { id: 'member', name: 'member' },
  { id: 'reader', name: 'reader' },
  ...(user.admin ? [{ id: 'admin', name: 'admin' }] : []),
];

/** The `{"token": …}` body of the POST and GET replies (openstack.md §2.2). */
export function tokenBody(s: Session, publicUrl: string, region: string, opts: { catalog: boolean }) {
  const token: Record<string, unknown> = {
    methods: [s.method],
    user: { id: s.user.uuid, name: s.user.name, domain: domain(), password_expires_at: null },
    audit_ids: [auditId(s.tokenId)],
    expires_at: keystoneTime(s.expiresAt),
    issued_at: keystoneTime(s.issuedAt),
  };
  if (s.project) {
    token.project = { id: s.project.uuid, name: s.project.name, domain: domain() };
    token.is_domain = false;
    token.roles = roles(s.user);
    if (opts.catalog) token.catalog = v3Catalog(publicUrl, region, s.project.uuid);
  }
  return { token };
}
