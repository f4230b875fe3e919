/**
 * The catalogue of wire faults: a ServiceError names a fault kind (its HTTP status) and the message
 * clients see. API adapters throw them for bad requests and build them from domain errors in their
 * faults module (src/domain/errors.ts holds those, with data and no wording); src/api/http/reply.ts
 * renders them.
 */
import type { Dependency, DependencyProblem } from './domain/errors.ts';

export const FAULTS = {
  badRequest: 400,
  unauthorized: 401,
  forbidden: 403,
  itemNotFound: 404,
  notAllowed: 405,
  requestTimeout: 408,
  conflict: 409,
  lengthRequired: 411,
  preconditionFailed: 412,
  requestEntityTooLarge: 413,
  rangeNotSatisfiable: 416,
  unprocessableEntity: 422,
  internalServerError: 500,
  notImplemented: 501,
  serviceUnavailable: 503,
  insufficientStorage: 507,
} as const;

export type FaultKind = keyof typeof FAULTS;

export class ServiceError extends Error {
  readonly status: number;
  /** Extra response headers that belong to the error (`Allow`, `Content-Range`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly kind: FaultKind,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = FAULTS[kind];
    this.headers = headers;
  }
}

export const badRequest = (message: string) => new ServiceError('badRequest', message);
export const unauthorized = (message: string) => new ServiceError('unauthorized', message);
export const forbidden = (message = 'Not allowed') => new ServiceError('forbidden', message);
export const notFound = (message: string) => new ServiceError('itemNotFound', message);
export const conflict = (message: string) => new ServiceError('conflict', message);
export const tooLarge = (message: string) => new ServiceError('requestEntityTooLarge', message);
export const notImplemented = (message: string) => new ServiceError('notImplemented', message);
export const methodNotAllowed = (allow: readonly string[]) =>
  new ServiceError('notAllowed', 'Method not allowed', { Allow: allow.join(', ') });
/** Seconds a client told to come back (`503`: too many uploads, an upload that lost a block to gc) waits. */
export const RETRY_AFTER_SECONDS = 5;
/** `503` with `Retry-After`: the request did nothing and may be sent again as it is. */
export const serviceUnavailable = (message: string) =>
  new ServiceError('serviceUnavailable', message, { 'Retry-After': String(RETRY_AFTER_SECONDS) });

/**
 * The fault for a dependency that failed (a DependencyUnavailable from the domain), worded the
 * same by every API that uses the common fault shape: 507 when the block store is full, else 503
 * with Retry-After. Messages name the dependency, never its address or the driver's error.
 */
export function dependencyFault(dependency: Dependency, problem: DependencyProblem): ServiceError {
  const what = dependency === 'database' ? 'The metadata database' : 'The block store';
  if (problem === 'full') return new ServiceError('insufficientStorage', `${what} is full`);
  const why =
    problem === 'timeout' ? 'did not answer in time' : problem === 'read-only' ? 'is read-only' : 'is unavailable';
  return new ServiceError('serviceUnavailable', `${what} ${why}, retry later`, {
    'Retry-After': String(RETRY_AFTER_SECONDS),
  });
}

export const endpointNotFound = () => badRequest('API endpoint not found');

/** An error thrown by the command line: printed as one line, exit status 1 (or 2 for usage). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
