/**
 * How Image API v2 words domain errors (openstack.md Appendix A): the one place a domain refusal
 * becomes a v2 fault. `id` is the image id of the request path, for the messages that name it.
 */
import {
  AlreadyExists,
  DataInterrupted,
  DataTooLarge,
  DependencyUnavailable,
  Forbidden,
  ImageBeingSaved,
  ImageContentRefused,
  ImageNotQueued,
  ImageRuleRefused,
  InvalidValue,
  NotFound,
  QuotaExceeded,
  TooManyMetadataItems,
  UploadBlocksRemoved,
  type DomainError,
} from '../../../domain/errors.ts';
import { dependencyFault } from '../../../errors.ts';
import { v2Error, type V2Error } from './faults.ts';
import { contentRefused } from '../content-messages.ts';

export function v2FaultOf(err: DomainError, ctx: { imageId?: string; status?: string; staging?: boolean }): V2Error {
  const id = ctx.imageId ?? '';
  if (err instanceof DependencyUnavailable) {
    const fault = dependencyFault(err.dependency, err.problem);
    return v2Error(fault.status === 507 ? 'storageFull' : 'dependencyUnavailable', fault.message);
  }
  if (err instanceof NotFound) return v2Error('imageNotFound', id);
  if (err instanceof Forbidden) {
    if (err.reason === 'image-protected') return v2Error('imageProtected', id);
    if (err.reason === 'members-not-owner') return v2Error('memberCreateNotOwner');
    if (err.reason === 'change-visibility')
      return v2Error('forbidden', 'Only the image owner may change its visibility.');
    if (err.reason === 'upload-not-owner') return v2Error('forbidden', 'Only the image owner may upload data.');
    if (err.reason === 'unregister-not-owner')
      return v2Error('forbidden', 'Only the image owner may delete the image.');
    return v2Error('forbidden', 'You are not permitted to modify this image.');
  }
  if (err instanceof InvalidValue) {
    if (err.field === 'marker') return v2Error('markerNotFound', err.value ?? '');
    if (err.field === 'text')
      return v2Error('badRequest', 'Image names, properties and tags may not contain the NUL character.');
    if (err.field === 'member' || err.field === 'member-id')
      return v2Error('badRequest', `Member ${err.value ?? ''} is not a known project.`);
    return v2Error('badRequest', `Invalid ${err.field}`);
  }
  if (err instanceof AlreadyExists) return v2Error('conflict', `Image with identifier ${err.id} already exists!`);
  if (err instanceof ImageBeingSaved) return v2Error('imageBusy');
  if (err instanceof ImageNotQueued)
    return v2Error(ctx.staging ? 'stageNotQueued' : 'uploadNotQueued', ctx.status ?? 'active');
  if (err instanceof DataTooLarge)
    return v2Error('overLimit', `Image exceeds the storage quota: the limit is ${err.limit} bytes.`);
  if (err instanceof QuotaExceeded)
    return v2Error(
      'overLimit',
      `${err.scope === 'account' ? 'Account' : 'Container'} quota exceeded: limit ${err.limit}, usage ${err.usage}`,
    );
  if (err instanceof TooManyMetadataItems)
    return v2Error('overLimit', `The limit has been exceeded: at most ${err.limit} items.`);
  if (err instanceof DataInterrupted) return v2Error('badRequest', 'The image data stream was interrupted.');
  if (err instanceof ImageRuleRefused) return ruleFault(err, id);
  // Glance 2025.1 answers refused content with 415 (openstack.md §7.2); the same words as v1's 400.
  if (err instanceof ImageContentRefused) return v2Error('badImageData', contentRefused(err));
  if (err instanceof UploadBlocksRemoved) return v2Error('uploadRetry');
  return v2Error('badRequest', 'Bad request');
}

function ruleFault(err: ImageRuleRefused, id: string): V2Error {
  const detail = err.detail ?? '';
  switch (err.rule) {
    case 'private-with-members':
      return v2Error('privateWithMembers');
    case 'not-shared':
      return v2Error('notSharedImage');
    case 'members-not-owner':
      return v2Error('memberCreateNotOwner');
    case 'member-delete-not-owner':
      return v2Error('memberDeleteNotOwner');
    case 'member-status-not-member':
      return v2Error('memberStatusNotOwner');
    case 'duplicate-member':
      return v2Error('duplicateMember', detail, id);
    case 'member-not-found':
      return v2Error('memberNotFound', detail, id);
    case 'tag-not-found':
      return v2Error('tagNotFound', detail);
    case 'formats-required':
      return v2Error('formatsRequired');
    case 'deactivate-status':
      return v2Error('deactivateNotAllowed', v2StatusName(detail));
    case 'reactivate-status':
      return v2Error('reactivateNotAllowed', v2StatusName(detail));
    case 'image-deactivated':
      return v2Error('imageDeactivated');
    case 'owner-change':
      return v2Error('forbidden', 'Moving an image to another owner is not supported.');
    // Interoperable import (§4.9): Glance's messages.
    case 'import-not-staged':
      return v2Error('conflict', "Image needs to be staged before 'glance-direct' method can be used");
    case 'import-status':
      return detail === 'available' || detail === 'deactivated'
        ? v2Error('conflict', `Image with status ${v2StatusName(detail)} cannot be target for import`)
        : v2Error('conflict', `Image needs to be in 'queued' state to use 'web-download' method`);
    case 'import-format-missing':
      return v2Error('conflict', `'${detail}' needs to be set before import`);
    case 'import-uri-refused':
      return v2Error('badRequest', `URI for web-download does not pass filtering: ${detail}`);
    case 'import-failed':
      return v2Error('badRequest', `Image import failed: ${detail}`);
  }
}

/** Stored status → v2 name. */
export function v2StatusName(status: string): string {
  return status === 'available' ? 'active' : status === 'error' ? 'killed' : status;
}
