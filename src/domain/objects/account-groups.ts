/**
 * Pithos account groups (`X-Account-Group-<name>: <uuid>,<uuid>` on account POST): named lists of
 * users that the account's owner names in `X-Object-Sharing` as `<owner-uuid>:<group>`. A grant
 * to a group is stored as that entry and resolved by the authorizer on every request (the members
 * are read with the object), so a member removed from a group loses access at once.
 */
import { DomainError } from '../errors.ts';

/** Group name → member uuids, in the order given. */
export type Groups = Readonly<Record<string, readonly string[]>>;

/** A group header Pithos would refuse (400 with this text). */
export class BadGroup extends DomainError {
  constructor(readonly detail: string) {
    super(detail);
  }
}

export const MAX_GROUPS = 64;
export const MAX_GROUP_MEMBERS = 256;
/** Pithos's limit on a group name. */
export const MAX_GROUP_NAME = 256;

/** A grant entry naming a group: `<account uuid>:<group>`. */
export const groupEntry = (account: string, group: string): string => `${account}:${group}`;
export const isGroupEntry = (entry: string): boolean => entry.includes(':');

/**
 * The groups a POST asks for (names lower-case: header names carry no case) → the account's new
 * groups. `replace` (a Pithos POST without `?update`): the given groups become the whole set;
 * else they are merged, each replacing its namesake. A group given with no member is removed.
 */
export function applyGroupChange(
  current: Groups,
  given: Readonly<Record<string, readonly string[]>>,
  replace: boolean,
): Record<string, string[]> {
  const next: Record<string, string[]> = replace
    ? {}
    : Object.fromEntries(Object.entries(current).map(([k, v]) => [k, [...v]]));
  for (const [name, members] of Object.entries(given)) {
    if (members.length === 0) delete next[name];
    else next[name] = [...members];
  }
  if (Object.keys(next).length > MAX_GROUPS) throw new BadGroup(`Too many groups; max ${MAX_GROUPS}`);
  return next;
}
