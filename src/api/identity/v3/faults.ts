import type { Logger } from 'pino';
import { dependencyFault, ServiceError } from '../../../errors.ts';
import { DependencyUnavailable } from '../../../domain/errors.ts';
import {
  AuthenticationFailed,
  CredentialRejected,
  LoginThrottled,
  OwnTokenRefused,
  SubjectTokenNotFound,
} from '../../../domain/identity/identity-errors.ts';
import { json, type ApiResponse, type HeaderMap } from '../../http/reply.ts';

/**
 * Keystone's error shape, `{"error": {"code", "title", "message"}}`, for everything under
 * /identity/v3 and the discovery documents: keystoneauth reads `error.message` into the
 * exception clients print (openstack.md §2.2). The rest of Plankton keeps its own fault shape.
 */
const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Request Entity Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

/** One message for every refused credential or scope, so that user names cannot be probed. */
export const UNAUTHORIZED_MESSAGE = 'The request you have made requires authentication.';

/** A Keystone-shaped fault raised by the adapter itself (bad input, unknown path…). */
export class KeystoneFault extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: HeaderMap = {},
  ) {
    super(message);
  }
}

export const invalidInput = (field: string, why: string) =>
  new KeystoneFault(400, `Invalid input for field '${field}': ${why}`);
export const resourceNotFound = (what = 'The resource could not be found.') => new KeystoneFault(404, what);

export function keystoneError(status: number, message: string, headers: HeaderMap = {}): ApiResponse {
  return json(status, { error: { code: status, title: TITLES[status] ?? 'Error', message } }, headers);
}

const OWN_TOKEN_STATUS: Record<OwnTokenRefused['reason'], number> = {
  'other-user': 403,
  'password-session-required': 403,
  'no-such-token': 404,
  'bad-lifetime': 400,
  'bad-name': 400,
};

/** Maps whatever a v3 handler threw onto Keystone's reply; logs why a login failed, never with what. */
export function keystoneFault(err: unknown, log: Logger, publicUrl: string): ApiResponse {
  if (err instanceof KeystoneFault) return keystoneError(err.status, err.message, err.headers);
  if (err instanceof AuthenticationFailed) {
    log.info({ reason: err.reason }, 'keystone v3: authentication refused');
    return keystoneError(401, UNAUTHORIZED_MESSAGE, { 'WWW-Authenticate': `Keystone uri="${publicUrl}/identity"` });
  }
  if (err instanceof LoginThrottled) {
    log.warn({ by: err.by, retryAfter: err.retryAfterSeconds }, 'keystone v3: password logins throttled');
    return keystoneError(429, 'Too many failed authentication attempts; try again later.', {
      'Retry-After': String(err.retryAfterSeconds),
    });
  }
  if (err instanceof CredentialRejected)
    return keystoneError(400, `Invalid input for field '${err.field}': ${err.why}`);
  if (err instanceof SubjectTokenNotFound) return keystoneError(404, 'Could not find token.');
  if (err instanceof OwnTokenRefused) return keystoneError(OWN_TOKEN_STATUS[err.reason], err.message);
  // The database failed (down, full, read-only): 503 (507) with Retry-After, as every API words it.
  if (err instanceof DependencyUnavailable) {
    const fault = dependencyFault(err.dependency, err.problem);
    return keystoneError(fault.status, fault.message, { ...fault.headers });
  }
  // Shared HTTP helpers (body too large, not UTF-8) speak ServiceError: same status, Keystone's shape.
  if (err instanceof ServiceError && err.status < 500)
    return keystoneError(err.status, err.message, { ...err.headers });
  log.error({ err }, 'unexpected error');
  return keystoneError(500, 'An unexpected error prevented the server from fulfilling your request.');
}
