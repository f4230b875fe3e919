/**
 * How the object store (Pithos) words domain errors: status, fault name and message
 * (object-store.md, Errors). The public download endpoint answers in the same terms.
 */
import { badRequest, conflict, dependencyFault, forbidden, notFound, ServiceError } from '../../errors.ts';
import {
  AlreadyExists,
  ContainerNotEmpty,
  DataInterrupted,
  DataTooLarge,
  DependencyUnavailable,
  Forbidden,
  ImageBeingSaved,
  ImageNotQueued,
  InvalidValue,
  NotFound,
  QuotaExceeded,
  TooManyMetadataItems,
  type DomainError,
  type Entity,
} from '../../domain/errors.ts';

const NOT_FOUND: Record<Entity, string> = {
  account: 'Account does not exist',
  container: 'Container does not exist',
  object: 'Object does not exist',
  image: 'Object does not exist',
  'image-data': 'Object does not exist',
};

export function pithosFault(err: DomainError): ServiceError {
  if (err instanceof DependencyUnavailable) return dependencyFault(err.dependency, err.problem);
  if (err instanceof NotFound) return notFound(NOT_FOUND[err.entity]);
  if (err instanceof Forbidden) return forbidden();
  if (err instanceof ContainerNotEmpty) return conflict('Container is not empty');
  if (err instanceof QuotaExceeded) {
    return new ServiceError(
      'requestEntityTooLarge',
      `Quota error: Container quota exceeded: limit: ${err.limit}, usage: ${err.usage}`,
    );
  }
  if (err instanceof TooManyMetadataItems)
    return badRequest('Pithos+ resources cannot have more than 32 metadata items per domain');
  if (err instanceof ImageBeingSaved) return conflict('Image is being saved');
  if (err instanceof ImageNotQueued) return conflict('Image is not queued');
  if (err instanceof AlreadyExists) return conflict(`Object '${err.id}' already exists`);
  if (err instanceof DataTooLarge) return badRequest('Maximum size is reached');
  if (err instanceof DataInterrupted) return badRequest('Bad request');
  if (err instanceof InvalidValue) return badRequest(`Invalid ${err.field}`);
  return badRequest('Bad request');
}
