/**
 * Container ACLs: Swift's `X-Container-Read` / `X-Container-Write`, stored once (table
 * `container_acls`) and read by the one authorizer (permissions.ts) beside the object grants.
 * A container ACL is a grant on the container's whole path: a user in the read ACL reads (and
 * lists) every object of the container, one in the write ACL also creates, overwrites and deletes
 * them (never the container itself, its metadata or its ACLs).
 *
 * Stored entries, in the order given:
 * - read and write: a user uuid, or `*` (any authenticated user, as `*` in `X-Object-Sharing`);
 * - read only: `.r:<rule>` (referrer rule: `*`, `host`, `.domain`, `-` before either denies) and
 *   `.rlistings` (anonymous callers allowed by the referrer rules may also list).
 */
import { DomainError } from '../errors.ts';

export interface ContainerAcl {
  readonly read: readonly string[];
  readonly write: readonly string[];
}

export const NO_ACL: ContainerAcl = Object.freeze({ read: [], write: [] });

/** An ACL string that Swift would refuse (the Swift mount answers 400 with this text). */
export class BadAcl extends DomainError {
  constructor(readonly detail: string) {
    super(detail);
  }
}

/** Resolves a user named in an ACL (uuid or exact display name) to his uuid; undefined when unknown. */
export type UserResolver = (ref: string) => Promise<string | undefined>;

/** Longest ACL header value accepted (Swift's container metadata value limit is 256; ACLs get more). */
export const MAX_ACL_LENGTH = 8192;

const REFERRER_DESIGNATORS = ['.r:', '.ref:', '.referer:', '.referrer:'];

/**
 * Parses an `X-Container-Read` (`kind` read) or `X-Container-Write` value strictly: elements are
 * comma-separated, spaces around them ignored, empty ones skipped (as Swift does); anything Swift
 * refuses, an unknown user or a character outside printable ASCII is a BadAcl.
 * Users: `<uuid|name>`, `*`, or keystone's `<project>:<user>` where a project is a user's own account
 * (`*:<u>`, `<u>:*`, `<u>:<u>`; `*:*` is `*`).
 */
export async function parseAcl(kind: 'read' | 'write', value: string, resolve: UserResolver): Promise<string[]> {
  const header = kind === 'read' ? 'X-Container-Read' : 'X-Container-Write';
  if (value.length > MAX_ACL_LENGTH) throw new BadAcl(`${header} too long; max ${MAX_ACL_LENGTH}`);
  if (/[^\x20-\x7e]/.test(value)) throw new BadAcl(`Invalid character in ${header}`);
  const out: string[] = [];
  const add = (e: string) => {
    if (!out.includes(e)) out.push(e);
  };
  for (const raw of value.split(',')) {
    const element = raw.trim();
    if (element === '') continue;
    if (element.startsWith('.')) {
      if (kind === 'write') throw new BadAcl(`Referrers not allowed in write ACL: '${element}'`);
      if (element === '.rlistings') {
        add('.rlistings');
        continue;
      }
      const designator = REFERRER_DESIGNATORS.find((d) => element.startsWith(d));
      if (!designator) throw new BadAcl(`Unknown designator '${element.split(':')[0]}' in ACL: '${value}'`);
      const rule = element.slice(designator.length).trim();
      if (rule === '' || rule === '-')
        throw new BadAcl(`No host/domain value after referrer designation in ACL: '${value}'`);
      const host = rule.startsWith('-') ? rule.slice(1) : rule;
      // `*`, a host name, or a `.domain`; no other punctuation (a URL, a port, a path: junk).
      if (
        !(
          host === '*' ||
          /^\.?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(host)
        )
      )
        throw new BadAcl(`Invalid referrer '${rule}' in ACL: '${value}'`);
      add(`.r:${rule.toLowerCase()}`);
      continue;
    }
    add(await userEntry(element, value, resolve));
  }
  return out;
}

async function userEntry(element: string, value: string, resolve: UserResolver): Promise<string> {
  const parts = element.split(':');
  if (parts.length > 2 || parts.some((p) => p === '')) throw new BadAcl(`Invalid user '${element}' in ACL: '${value}'`);
  const named = parts.filter((p) => p !== '*');
  if (named.length === 0) return '*';
  const uuids = new Set<string>();
  for (const ref of named) {
    const uuid = await resolve(ref);
    if (uuid === undefined) throw new BadAcl(`Unknown user '${ref}' in ACL: '${value}'`);
    uuids.add(uuid);
  }
  // `<project>:<user>`: here every user's project is his own account, so both must name one user.
  if (uuids.size !== 1) throw new BadAcl(`Invalid user '${element}' in ACL: '${value}'`);
  return [...uuids][0];
}

/** The header value of a stored list (entries joined by `,`), undefined when empty. */
export const renderAcl = (entries: readonly string[]): string | undefined =>
  entries.length ? entries.join(',') : undefined;

const userEntries = (entries: readonly string[]) => entries.filter((e) => !e.startsWith('.'));

/** The authenticated user may read every object of the container (and list it). */
export const aclReads = (user: string | undefined, acl: ContainerAcl): boolean =>
  user !== undefined && (holds(userEntries(acl.read), user) || aclWrites(user, acl));

/** The authenticated user may create, overwrite and delete the container's objects. */
export const aclWrites = (user: string | undefined, acl: ContainerAcl): boolean =>
  user !== undefined && holds(acl.write, user);

const holds = (entries: readonly string[], user: string) => entries.includes(user) || entries.includes('*');

/**
 * Swift's referrer rules: the `.r:` entries in order, the last one matching the host of
 * `referer` (`unknown` when there is none) decides; `-` denies. No rule matching: refused.
 */
export function referrerAllowed(acl: ContainerAcl, referer: string | undefined): boolean {
  const host = refererHost(referer);
  let allowed = false;
  for (const e of acl.read) {
    if (!e.startsWith('.r:')) continue;
    const rule = e.slice(3);
    const deny = rule.startsWith('-');
    const pattern = deny ? rule.slice(1) : rule;
    const matches = pattern === '*' || pattern === host || (pattern.startsWith('.') && host.endsWith(pattern));
    if (matches) allowed = !deny;
  }
  return allowed;
}

function refererHost(referer: string | undefined): string {
  if (!referer) return 'unknown';
  try {
    return new URL(referer).hostname.toLowerCase() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Anyone (a request without a token) may read an object of the container. */
export const anonymousReads = (acl: ContainerAcl, referer: string | undefined): boolean =>
  referrerAllowed(acl, referer);

/** Anyone may list the container (and see its HEAD): `.rlistings` and an allowed referrer. */
export const anonymousLists = (acl: ContainerAcl, referer: string | undefined): boolean =>
  acl.read.includes('.rlistings') && referrerAllowed(acl, referer);
