/**
 * The one authorizer: who may do what to an object or an image (object-store.md §2,
 * image-api.md §4.6, docs/authorization.md). Every API asks here; none decides a permission
 * itself.
 *
 * Rules, from the grants of the object (an image's members are its object's read grants, its
 * `is_public` the read grant `*`):
 * - read: the owner, a read or write grantee, anyone once the object is published; for an image
 *   also an admin;
 * - write (new content or metadata of something that exists): the owner or a write grantee;
 * - share, publish, move, upload (image data): the owner; delete: the owner, or a user in the
 *   container's write ACL;
 * - register (an object as an image): the owner of the object, or an admin;
 * - an account or a container: its owner does everything; a user granted something inside (or
 *   named in a container's ACL) may read it (see it, list what is shared with him).
 * Grants name users, `*`, or the owner's groups (resolved now); a container's ACL is a grant on
 * each of its objects (objects/permissions.ts, objects/container-acl.ts).
 * A caller who may not read the target is told it does not exist (NotFound), so private things
 * stay secret; one who may read it but lacks the right gets Forbidden.
 */
import { Forbidden, NotFound, type Entity, type ForbiddenReason } from './errors.ts';
import { canRead, canWrite, isContainerWriter, isOwner } from './objects/permissions.ts';
import type { ObjectRecord } from './objects/object-record.ts';

export type Action = 'read' | 'write' | 'share' | 'publish' | 'delete' | 'move' | 'upload' | 'register';

/** Who asks: a user (anonymous callers never reach a rule that needs one). */
export interface Principal {
  readonly uuid: string;
  readonly admin: boolean;
}

/** What the rules look at: the account it lives in and its grants. */
type Grants = Pick<ObjectRecord, 'account' | 'readGrants' | 'writeGrants' | 'publicToken' | 'access'>;

/** An account or container: its owner, and whether it holds something shared with the caller. */
interface Place {
  readonly account: string;
  readonly sharesWithCaller: boolean;
}

export type Target =
  | { readonly object: Grants }
  | { readonly image: Grants }
  | { readonly container: Place }
  | { readonly account: Place };

/** True when `caller` may do `action` to `target`. */
export function permits(caller: Principal, action: Action, target: Target): boolean {
  if ('container' in target || 'account' in target) {
    // Accounts and containers: only their owner changes them; a grantee of something inside may look.
    const place = 'container' in target ? target.container : target.account;
    return caller.uuid === place.account || (action === 'read' && place.sharesWithCaller);
  }
  const isImage = 'image' in target;
  const g = isImage ? target.image : target.object;
  switch (action) {
    case 'read':
      return canRead(caller.uuid, g) || (isImage && caller.admin);
    case 'write':
      return canWrite(caller.uuid, g);
    case 'register':
      return isOwner(caller.uuid, g) || caller.admin;
    case 'delete':
      // A container's write ACL also deletes its objects (Swift); an object's own write grant does not.
      return isOwner(caller.uuid, g) || (!isImage && isContainerWriter(caller.uuid, g));
    default: // share, publish, move, upload
      return isOwner(caller.uuid, g);
  }
}

/**
 * Throws unless `caller` may do `action` to `target`: NotFound when he may not even read it
 * (someone allowed to do the action may always see the target), else Forbidden with the reason
 * the APIs word.
 */
export function authorize(caller: Principal, action: Action, target: Target): void {
  if (permits(caller, action, target)) return;
  const isImage = 'image' in target;
  if (!permits(caller, 'read', target)) throw new NotFound(entityOf(target));
  throw new Forbidden(reasonFor(action, isImage));
}

function entityOf(target: Target): Entity {
  if ('image' in target) return 'image';
  if ('container' in target) return 'container';
  if ('account' in target) return 'account';
  return 'object';
}

/** The image API tells its refusals apart; the object store says "not allowed" to all. */
function reasonFor(action: Action, isImage: boolean): ForbiddenReason {
  if (action === 'register') return 'register-not-owner';
  if (!isImage) return 'not-allowed';
  const reasons: Partial<Record<Action, ForbiddenReason>> = {
    write: 'modify-image',
    publish: 'change-visibility',
    share: 'members-not-owner',
    delete: 'unregister-not-owner',
    upload: 'upload-not-owner',
  };
  return reasons[action] ?? 'not-allowed';
}
