/**
 * Image API v2 visibility and member status, derived from the object's read grants (openstack.md
 * §5.3, §5.4): `*` granted is `public` (or `community` with the flag); otherwise members (read
 * grantees other than the owner) or the shared flag make it `shared`, else `private`. A grant
 * without a status row counts as accepted, so grants made through v1 or the object store work.
 */
export type Visibility = 'public' | 'community' | 'shared' | 'private';
export type MemberStatus = 'pending' | 'accepted' | 'rejected';

export interface VisibilityFacts {
  readonly owner: string;
  readonly readGrants: readonly string[];
  readonly community: boolean;
  readonly sharedFlag: boolean;
}

/** Read grantees that are members: not `*`, not the owner (v1 lists the owner as a member). */
export const membersOf = (f: Pick<VisibilityFacts, 'owner' | 'readGrants'>): string[] =>
  f.readGrants.filter((g) => g !== '*' && g !== f.owner);

export function visibilityOf(f: VisibilityFacts): Visibility {
  if (f.readGrants.includes('*')) return f.community ? 'community' : 'public';
  return membersOf(f).length > 0 || f.sharedFlag ? 'shared' : 'private';
}
