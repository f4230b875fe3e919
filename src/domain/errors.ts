/**
 * What the domain reports when a rule says no. Each error carries data, never an HTTP status,
 * header or wire message: every API words them in its own faults module
 * (`src/api/<protocol>/faults.ts`), so one rule can answer Pithos, Glance v1 and later v2 clients
 * each in their own terms.
 */

/** Base of every rule violation; anything else that escapes the domain is a server fault. */
export abstract class DomainError extends Error {
  override get name(): string {
    return this.constructor.name;
  }
}

/** Things the domain looks up by name or id. */
export type Entity = 'account' | 'container' | 'object' | 'image' | 'image-data';

/** The entity does not exist, or the caller may not know that it does (a private image). */
export class NotFound extends DomainError {
  constructor(readonly entity: Entity) {
    super(`${entity} not found`);
  }
}

/**
 * Why the caller may not do what he asked. `not-allowed` is the plain "no" of the object store;
 * the others are the image rules that clients are told apart.
 */
export type ForbiddenReason =
  | 'not-allowed'
  | 'register-not-owner'
  | 'upload-not-owner'
  | 'modify-image'
  | 'change-visibility'
  | 'modify-status'
  | 'unregister-not-owner'
  | 'image-protected'
  | 'members-not-owner';

export class Forbidden extends DomainError {
  constructor(readonly reason: ForbiddenReason = 'not-allowed') {
    super(`forbidden: ${reason}`);
  }
}

/**
 * A value the rules refuse. `size`/`checksum`: the data does not match what was declared (or the
 * declaration comes too late); `owner`, `member`: no such user (`value` says which);
 * `member-id`: not a user id at all; `marker`: not in the caller's list; `image-id`: an id that
 * cannot be chosen here;
 * `metadata`: declared data values on an image that is not queued;
 * `text`: an image name, property or tag with a NUL character (image-values.ts `hasNul`).
 */
export type InvalidField =
  | 'size'
  | 'checksum'
  | 'owner'
  | 'member'
  | 'member-id'
  | 'marker'
  | 'image-id'
  | 'metadata'
  | 'text';

export class InvalidValue extends DomainError {
  constructor(
    readonly field: InvalidField,
    readonly value?: string,
  ) {
    super(`invalid ${field}${value === undefined ? '' : `: ${value}`}`);
  }
}

/** A name or id is taken (`name` as the caller would write it: an image id, `container/object`). */
export class AlreadyExists extends DomainError {
  constructor(
    readonly entity: 'image' | 'object',
    readonly id: string,
  ) {
    super(`${entity} ${id} already exists`);
  }
}

/** The image's data is being saved: no other change of its status, nor a move, until it ends. */
export class ImageBeingSaved extends DomainError {
  constructor() {
    super('image is being saved');
  }
}

/** Data may only go into a queued image. */
export class ImageNotQueued extends DomainError {
  constructor() {
    super('image is not queued');
  }
}

export class ContainerNotEmpty extends DomainError {
  constructor() {
    super('container is not empty');
  }
}

/** A write would take a container past its quota (bytes). */
export class QuotaExceeded extends DomainError {
  constructor(
    readonly limit: number,
    readonly usage: number,
    /** Whose quota: a container's (bytes or object count) or the account's. */
    readonly scope: 'container' | 'account' = 'container',
  ) {
    super(`${scope} quota exceeded: limit ${limit}, usage ${usage}`);
  }
}

/**
 * More data than the limit (bytes) allows for this kind of upload. `announced`: the sender said
 * so before sending (a declared size or length), rather than the data running over.
 */
export class DataTooLarge extends DomainError {
  constructor(
    readonly limit: number,
    readonly announced = false,
  ) {
    super(`data larger than ${limit} bytes`);
  }
}

/** A resource (object, container, account, image) would carry more metadata items than allowed. */
export class TooManyMetadataItems extends DomainError {
  constructor(readonly limit: number) {
    super(`more than ${limit} metadata items`);
  }
}

/**
 * The source of an upload failed (the client went away, a broken chunked encoding). The client's
 * doing, not the server's: nothing is kept and the image does not go to `error`.
 */
export class DataInterrupted extends DomainError {
  constructor(cause: unknown) {
    super('the data stream was interrupted', { cause });
  }
}

/**
 * A block an upload had stored was removed (by `plankton gc`, between the upload's block writes and
 * its commit; gc.ts says why that can happen) before the version was committed. Nothing was
 * committed; sending the same data again succeeds, so every API answers it as retryable.
 * `blocks`: the hashes that were gone under the commit lock.
 */
export class UploadBlocksRemoved extends DomainError {
  constructor(readonly blocks: readonly string[]) {
    super(`${blocks.length} block(s) of the upload were removed before its commit`);
  }
}

/**
 * Image API v2 rules (openstack.md §4.6–§4.11, §5.3, §5.4) that v1 never meets; each API words
 * them (v1 falls back to a plain refusal).
 */
export type ImageRule =
  /** `private` while member grants exist: Plankton keeps no dormant grants (Decision 3). */
  | 'private-with-members'
  /** Member calls on an image whose visibility is not `shared`. */
  | 'not-shared'
  /** Only the owner adds or removes members. */
  | 'members-not-owner'
  | 'member-delete-not-owner'
  /** Only the member changes his own status. */
  | 'member-status-not-member'
  | 'duplicate-member'
  | 'member-not-found'
  | 'tag-not-found'
  /** Data needs both formats set first. */
  | 'formats-required'
  | 'deactivate-status'
  | 'reactivate-status'
  /** Data of a deactivated image, caller not admin. */
  | 'image-deactivated'
  /** Moving an image to another owner is not offered. */
  | 'owner-change'
  /** Interoperable import (openstack.md §4.9): glance-direct without staged data. */
  | 'import-not-staged'
  /** An import method used on an image in a status it does not start from (detail: the status). */
  | 'import-status'
  /** An import needs the format named in detail (`disk_format`, `container_format`) set first. */
  | 'import-format-missing'
  /** A web-download URL refused by the import filters (detail: why). */
  | 'import-uri-refused'
  /** The import's data could not be made into the image's (detail: why); the image is queued again. */
  | 'import-failed';

export class ImageRuleRefused extends DomainError {
  constructor(
    readonly rule: ImageRule,
    readonly detail?: string,
  ) {
    super(`image rule: ${rule}${detail === undefined ? '' : ` (${detail})`}`);
  }
}

/**
 * The image's content was inspected and refused (openstack.md §7): `unsafe` — a hypervisor
 * opening it could read host files or misread it (`failures` says why, by check name);
 * `format-mismatch` — the content is `detected`, not the `declared` disk_format.
 */
export class ImageContentRefused extends DomainError {
  constructor(
    readonly reason: 'unsafe' | 'format-mismatch',
    readonly declared: string,
    readonly detected: string,
    readonly failures: readonly { readonly check: string; readonly message: string }[] = [],
  ) {
    super(
      reason === 'unsafe'
        ? `image failed safety checks: ${failures.map((f) => f.check).join(', ')}`
        : `image disk_format ${declared} does not match its content ${detected}`,
    );
  }
}

/** A dependency the service stores into: the metadata database or the block store. */
export type Dependency = 'database' | 'blocks';
/**
 * What went wrong with it: `unavailable` (refused, reset, an error answer), `timeout` (no answer
 * within PLANKTON_BLOCKS_TIMEOUT / PLANKTON_DATABASE_TIMEOUT), `full` (no space left: the caller
 * may retry once space is freed), `read-only` (the store refuses writes).
 */
export type DependencyProblem = 'unavailable' | 'timeout' | 'full' | 'read-only';

/**
 * A dependency failed: not the caller's fault and not a bug, the request may succeed later
 * without any change on either side. The storage ports throw it (guarded-block-store.ts,
 * guarded-pool.ts); every API answers 503 with Retry-After (507 when the store is full). Like the
 * other domain errors it commits nothing: an image whose upload meets it goes back to `queued`,
 * not to `error`, so the same upload can be retried once the dependency is back.
 */
export class DependencyUnavailable extends DomainError {
  constructor(
    readonly dependency: Dependency,
    readonly problem: DependencyProblem,
    cause?: unknown,
  ) {
    super(`${dependency} ${problem}`, { cause });
  }
}
