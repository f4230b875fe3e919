/**
 * How the object store (Pithos) words domain errors: status, fault name and message
 * (object-store.md, Errors). The public download endpoint answers in the same terms.
 */
import {
  badRequest,
  conflict,
  dependencyFault,
  forbidden,
  notFound,
  ServiceError,
  serviceUnavailable,
} from '../../errors.ts';
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
  InvalidValue,
  NotFound,
  QuotaExceeded,
  TooManyMetadataItems,
  UploadBlocksRemoved,
  type DomainError,
  type Entity,
} from '../../domain/errors.ts';
import { contentRefused } from '../image/content-messages.ts';
import { largeObjectFault } from './large-objects.ts';
import { BadAcl } from '../../domain/objects/container-acl.ts';
import { BadGroup } from '../../domain/objects/account-groups.ts';

const NOT_FOUND: Record<Entity, string> = {
  account: 'Account does not exist',
  container: 'Container does not exist',
  object: 'Object does not exist',
  image: 'Object does not exist',
  'image-data': 'Object does not exist',
};

/** A streamed upload that lost a block to gc before its commit (nothing stored): send it again. */
export const UPLOAD_RETRY_MESSAGE =
  'The upload was not stored because a concurrent cleanup removed its data; send it again';

export function pithosFault(err: DomainError): ServiceError {
  const largeObject = largeObjectFault(err);
  if (largeObject) return largeObject;
  if (err instanceof DependencyUnavailable) return dependencyFault(err.dependency, err.problem);
  if (err instanceof NotFound) return notFound(NOT_FOUND[err.entity]);
  if (err instanceof BadAcl || err instanceof BadGroup) return badRequest(err.detail);
  if (err instanceof Forbidden) return forbidden();
  if (err instanceof ContainerNotEmpty) return conflict('Container is not empty');
  if (err instanceof QuotaExceeded) {
    return new ServiceError(
      'requestEntityTooLarge',
      `Quota error: ${err.scope === 'account' ? 'Account' : 'Container'} quota exceeded: limit: ${err.limit}, usage: ${err.usage}`,
    );
  }
  if (err instanceof TooManyMetadataItems)
    return badRequest('Pithos+ resources cannot have more than 32 metadata items per domain');
  if (err instanceof ImageBeingSaved) return conflict('Image is being saved');
  if (err instanceof ImageNotQueued) return conflict('Image is not queued');
  // The object is a registered image, and the image inspector refuses the new content.
  if (err instanceof ImageContentRefused) return conflict(contentRefused(err));
  if (err instanceof AlreadyExists) return conflict(`Object '${err.id}' already exists`);
  if (err instanceof DataTooLarge) return badRequest('Maximum size is reached');
  if (err instanceof DataInterrupted) return badRequest('Bad request');
  if (err instanceof InvalidValue) return badRequest(`Invalid ${err.field}`);
  if (err instanceof UploadBlocksRemoved) return serviceUnavailable(UPLOAD_RETRY_MESSAGE);
  return badRequest('Bad request');
}
