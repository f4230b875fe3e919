import { badRequest, endpointNotFound, methodNotAllowed } from '../../errors.ts';
import type { Caller } from '../../domain/identity/tokens.ts';
import { percentDecode, utf8 } from '../http/percent.ts';
import type { ApiRequest } from '../http/api-request.ts';
import { authenticate } from '../http/auth.ts';
import type { ApiResponse } from '../http/reply.ts';
import { handleAccount, handleTopLevel } from './account-handlers.ts';
import { handleContainer } from './container-handlers.ts';
import { PITHOS, type Dialect } from './dialect.ts';
import { handleObject } from './object-handlers.ts';
import { checkHeaderOctets } from './request-headers.ts';
import { encodeResponseHeaders } from './response-headers.ts';

const BASE = '/object-store/v1';

const ALLOW = {
  top: ['GET'],
  account: ['HEAD', 'GET', 'POST'],
  container: ['HEAD', 'GET', 'PUT', 'POST', 'DELETE'],
  object: ['HEAD', 'GET', 'PUT', 'POST', 'DELETE', 'COPY', 'MOVE'],
} as const;

export type StoreTarget =
  | { level: 'account'; account: string }
  | { level: 'container'; account: string; container: string }
  | { level: 'object'; account: string; container: string; object: string };

type Target = { level: 'top' } | StoreTarget;

/**
 * `<account>[/<container>[/<object>]]` (the path after a mount's base, still percent-encoded),
 * decoded but not yet validated; undefined when the account is empty.
 */
export function parseStorePath(encoded: string): { target: StoreTarget; badPath: boolean } | undefined {
  const bytes = percentDecode(Buffer.from(encoded, 'latin1'), false)!;
  const text = utf8(bytes);
  const rest = text ?? bytes.toString('latin1');
  const a = rest.indexOf('/');
  const account = a < 0 ? rest : rest.slice(0, a);
  if (account === '') return undefined;
  const afterAccount = a < 0 ? '' : rest.slice(a + 1);
  let target: StoreTarget;
  if (afterAccount === '') {
    target = { level: 'account', account };
  } else {
    const c = afterAccount.indexOf('/');
    const container = c < 0 ? afterAccount : afterAccount.slice(0, c);
    const object = c < 0 ? '' : afterAccount.slice(c + 1);
    if (container === '') return undefined;
    target =
      object === '' ? { level: 'container', account, container } : { level: 'object', account, container, object };
  }
  return { target, badPath: text === undefined || rest.includes('\u0000') };
}

/** `/object-store/v1[/<account>[/<container>[/<object>]]]` (object-store.md §1.1). */
function parsePath(path: string): { target: Target; badPath: boolean } {
  if (path === BASE || path === `${BASE}/`) return { target: { level: 'top' }, badPath: false };
  if (!path.startsWith(`${BASE}/`)) throw endpointNotFound();
  const parsed = parseStorePath(path.slice(BASE.length + 1));
  if (!parsed) throw endpointNotFound();
  return parsed;
}

/** The object store: route → method (405) → token (401) → names and headers → handler. */
export async function handleObjectStore(req: ApiRequest): Promise<ApiResponse> {
  const { target, badPath } = parsePath(req.path);
  if (!(ALLOW[target.level] as readonly string[]).includes(req.method)) throw methodNotAllowed(ALLOW[target.level]);
  const caller = await authenticate(req);
  if (badPath) throw badRequest('Bad character in path');
  checkHeaderOctets(req.raw);
  const response =
    target.level === 'top' ? await handleTopLevel(req, caller) : await handleStoreTarget(req, caller, target, PITHOS);
  return { ...response, headers: encodeResponseHeaders(response.headers) };
}

/** An account, container or object request, once routed and authenticated, in either dialect. */
export function handleStoreTarget(
  req: ApiRequest,
  caller: Caller,
  target: StoreTarget,
  dialect: Dialect,
): Promise<ApiResponse> {
  switch (target.level) {
    case 'account':
      return handleAccount(req, caller, target.account, dialect);
    case 'container':
      checkContainerName(target.container);
      return handleContainer(req, caller, target.account, target.container, dialect);
    case 'object':
      checkContainerName(target.container);
      if ([...target.object].length > 1024) throw badRequest('Object name too large.');
      return handleObject(req, caller, target.account, target.container, target.object, dialect);
  }
}

function checkContainerName(name: string): void {
  if ([...name].length > 256) throw badRequest('Container name too large');
}
