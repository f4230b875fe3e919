/**
 * How Glance v1 / Plankton words domain errors (image-api.md §7): status and exact message. The
 * fault name and the headers every reply carries are added by image-api.ts.
 */
import {
  badRequest,
  conflict,
  dependencyFault,
  forbidden,
  notFound,
  ServiceError,
  serviceUnavailable,
} from '../../../errors.ts';
import {
  AlreadyExists,
  ContainerNotEmpty,
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
  type Entity,
  type ForbiddenReason,
  type InvalidField,
} from '../../../domain/errors.ts';
import { contentRefused } from '../content-messages.ts';
import {
  imageBeingSaved,
  imageNotFound,
  invalidChecksum,
  invalidMemberId,
  invalidMetadata,
  invalidSize,
  tooManyProperties,
  uploadTooLarge,
} from './messages.ts';
import { largeObjectFault } from '../../object-store/large-objects.ts';

const NOT_FOUND: Record<Entity, () => ServiceError> = {
  account: () => notFound('Account does not exist'),
  container: () => notFound('Container does not exist'),
  object: () => notFound('Object does not exist'),
  image: imageNotFound,
  'image-data': () => notFound('Image data is not available'),
};

const FORBIDDEN: Record<ForbiddenReason, string> = {
  'not-allowed': 'Not allowed',
  'register-not-owner': 'Only the owner of the file may register it',
  'upload-not-owner': 'Only the image owner may upload data',
  'modify-image': 'Not allowed to modify this image',
  'change-visibility': 'Only the image owner may change is_public',
  'modify-status': "Forbidden to modify 'status' of image.",
  'unregister-not-owner': 'Only the image owner may unregister the image',
  'image-protected': 'Image is protected',
  'members-not-owner': 'Only the image owner may change members',
};

const INVALID: Record<InvalidField, (value: string | undefined) => ServiceError> = {
  size: invalidSize,
  checksum: invalidChecksum,
  owner: (v) => badRequest(`Invalid owner '${v}'`),
  member: (v) => badRequest(`Unknown member '${v}'`),
  'member-id': (v) => invalidMemberId(v ?? ''),
  marker: () => badRequest('Invalid marker. Image could not be found.'),
  'image-id': () => badRequest('Setting the image ID is not supported'),
  metadata: invalidMetadata,
  text: () => badRequest('Image names, properties and tags may not contain the NUL character'),
};

/** An upload that lost a block to gc before its commit: the image is as before the request. */
const UPLOAD_RETRY_MESSAGE =
  'The image data was not stored because a concurrent cleanup removed part of it; upload it again';

export function imageV1Fault(err: DomainError): ServiceError {
  // Registering a large object whose segments cannot be read now (a segment gone, a loop).
  const largeObject = largeObjectFault(err);
  if (largeObject) return largeObject;
  if (err instanceof DependencyUnavailable) return dependencyFault(err.dependency, err.problem);
  if (err instanceof NotFound) return NOT_FOUND[err.entity]();
  if (err instanceof Forbidden) return forbidden(FORBIDDEN[err.reason]);
  if (err instanceof InvalidValue) return INVALID[err.field](err.value);
  if (err instanceof AlreadyExists) {
    return conflict(
      err.entity === 'image' ? `An image with id '${err.id}' already exists` : `Object '${err.id}' already exists`,
    );
  }
  if (err instanceof ImageBeingSaved) return imageBeingSaved();
  if (err instanceof ImageNotQueued) return conflict('Cannot upload to an unqueued image');
  // Announced (a declared size or length): refused up front with 400; running over while streaming: 413.
  if (err instanceof DataTooLarge)
    return err.announced
      ? badRequest(uploadTooLarge(err.limit))
      : new ServiceError('requestEntityTooLarge', uploadTooLarge(err.limit));
  if (err instanceof QuotaExceeded) {
    return new ServiceError(
      'requestEntityTooLarge',
      `Quota error: ${err.scope === 'account' ? 'Account' : 'Container'} quota exceeded: limit: ${err.limit}, usage: ${err.usage}`,
    );
  }
  if (err instanceof TooManyMetadataItems) return tooManyProperties();
  if (err instanceof DataInterrupted) return badRequest('Bad request');
  if (err instanceof ImageContentRefused) return badRequest(contentRefused(err));
  if (err instanceof ContainerNotEmpty) return conflict('Container is not empty');
  if (err instanceof UploadBlocksRemoved) return serviceUnavailable(UPLOAD_RETRY_MESSAGE);
  // Only this Image API v2 rule reaches v1 (a deactivated image's data).
  if (err instanceof ImageRuleRefused && err.rule === 'image-deactivated') {
    return forbidden('The requested image has been deactivated. Image data download is forbidden.');
  }
  return badRequest('Bad request');
}
