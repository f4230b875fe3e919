/**
 * Container ACL and account group headers, both mounts:
 * - `X-Container-Read` / `X-Container-Write` on container PUT/POST set that ACL (an empty value
 *   removes it), `X-Remove-Container-Read` / `-Write` (any value) remove it; shown to the owner on
 *   container HEAD/GET.
 * - `X-Account-Group-<name>: <user>,<user>` on account POST; shown to the owner on account HEAD/GET.
 * Values are taken as sent (Swift does not percent-decode ACLs); parsing is the domain's.
 */
import type { IncomingMessage } from 'node:http';
import type { Groups } from '../../domain/objects/account-groups.ts';
import type { AclChange } from '../../domain/objects/access-settings.ts';
import { renderAcl, type ContainerAcl } from '../../domain/objects/container-acl.ts';
import { lastHeader } from '../http/api-request.ts';
import type { HeaderMap } from '../http/reply.ts';

export function readAclChange(req: IncomingMessage): AclChange {
  const one = (kind: 'read' | 'write') => {
    if (lastHeader(req, `x-remove-container-${kind}`) !== undefined) return '';
    return lastHeader(req, `x-container-${kind}`);
  };
  return { read: one('read'), write: one('write') };
}

export const hasAclChange = (c: AclChange): boolean => c.read !== undefined || c.write !== undefined;

export function aclHeaders(acl: ContainerAcl): HeaderMap {
  const headers: HeaderMap = {};
  const read = renderAcl(acl.read);
  const write = renderAcl(acl.write);
  if (read !== undefined) headers['X-Container-Read'] = read;
  if (write !== undefined) headers['X-Container-Write'] = write;
  return headers;
}

const GROUP_PREFIX = 'x-account-group-';

/** The `X-Account-Group-*` headers of a request (name without the prefix → value), undefined when none. */
export function readGroupHeaders(req: IncomingMessage): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let any = false;
  for (const name of Object.keys(req.headers)) {
    if (!name.startsWith(GROUP_PREFIX)) continue;
    any = true;
    out[name.slice(GROUP_PREFIX.length)] = lastHeader(req, name) ?? '';
  }
  return any ? out : undefined;
}

export function groupHeaders(groups: Groups): HeaderMap {
  const headers: HeaderMap = {};
  for (const [name, members] of Object.entries(groups))
    headers[`X-Account-Group-${capitalize(name)}`] = members.join(',');
  return headers;
}

/** Header-style capitals (`my-team` → `My-Team`), as the meta headers are shown. */
const capitalize = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
