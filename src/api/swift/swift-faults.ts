/**
 * How the Swift mount words failures: Swift's own bodies (an HTML snippet per status, as its proxy
 * answers them; plain text for a 400, whose message says what was wrong), never the Pithos fault
 * JSON. Domain errors are worded here; faults thrown by the shared handlers keep their status.
 */
import { ServiceError } from '../../errors.ts';
import { DomainError, ContainerNotEmpty, NotFound, QuotaExceeded, TooManyMetadataItems } from '../../domain/errors.ts';
import type { Logger } from 'pino';
import type { ApiResponse, HeaderMap } from '../http/reply.ts';
import { pithosFault } from '../object-store/faults.ts';

const PAGES: Record<number, [string, string]> = {
  401: ['Unauthorized', 'This server could not verify that you are authorized to access the document you requested.'],
  403: ['Forbidden', 'Access was denied to this resource.'],
  404: ['Not Found', 'The resource could not be found.'],
  405: ['Method Not Allowed', 'The method is not allowed for this resource.'],
  409: ['Conflict', 'There was a conflict when trying to complete your request.'],
  411: ['Length Required', 'Length Required'],
  412: ['Precondition Failed', 'A precondition for this request was not met.'],
  413: ['Request Entity Too Large', 'The body of your request was too large for this server.'],
  416: ['Requested Range Not Satisfiable', 'The Range requested is not available.'],
  422: ['Unprocessable Entity', 'Unable to process the contained instructions'],
  429: ['Too Many Requests', 'The server is rate limiting requests.'],
  500: ['Internal Error', 'The server has either erred or is incapable of performing the requested operation.'],
  501: ['Not Implemented', 'The server does not implement that request.'],
  503: ['Service Unavailable', 'The server is currently unavailable. Please try again at a later time.'],
};

export const HTML_TYPE = 'text/html; charset=UTF-8';
/** Swift's container_quotas and account_quotas body. */
const QUOTA_MESSAGE = 'Upload exceeds quota.';

/** A Swift error reply with this status; a 400 (and a 412 or 501 with a message) says why in plain text. */
export function swiftError(status: number, message?: string, headers: HeaderMap = {}): ApiResponse {
  const page = PAGES[status];
  if (message !== undefined && (status === 400 || status === 412 || status === 501 || !page)) {
    return { status, headers: { ...headers, 'Content-Type': 'text/plain; charset=UTF-8' }, body: message };
  }
  // The quota middlewares' 413 says why in its body, as Swift's does (still an HTML reply there).
  if (status === 413 && message !== undefined)
    return { status, headers: { ...headers, 'Content-Type': HTML_TYPE }, body: message };
  const [title, text] = page ?? ['Error', message ?? ''];
  return {
    status,
    headers: { ...headers, 'Content-Type': HTML_TYPE },
    body: `<html><h1>${title}</h1><p>${text}</p></html>`,
  };
}

/** Domain errors as Swift words them; the rest keep the status the shared handlers gave them. */
function toFault(err: DomainError): ServiceError {
  // The authorizer's "may not read" of an account or container (a copy's destination or source
  // elsewhere): Swift refuses what the caller may not use rather than hiding it.
  if (err instanceof NotFound && (err.entity === 'account' || err.entity === 'container'))
    return new ServiceError('forbidden', '');
  if (err instanceof TooManyMetadataItems)
    return new ServiceError('badRequest', `Too many metadata items; max ${err.limit}`);
  if (err instanceof ContainerNotEmpty) return new ServiceError('conflict', '');
  if (err instanceof QuotaExceeded) return new ServiceError('requestEntityTooLarge', QUOTA_MESSAGE);
  return pithosFault(err);
}

/** The reply to anything a Swift request threw. */
export function swiftFailure(log: Logger, err: unknown): ApiResponse {
  const fault = err instanceof DomainError ? toFault(err) : err;
  if (fault instanceof ServiceError) {
    // 400s carry their message; the other statuses Swift answers with its standard page.
    const withMessage =
      fault.status === 400 ||
      (fault.status === 412 && fault.message.startsWith('Maximum limit')) ||
      (fault.status === 413 && fault.message === QUOTA_MESSAGE);
    return swiftError(fault.status, withMessage ? fault.message : undefined, { ...fault.headers });
  }
  log.error({ err }, 'unexpected error');
  return swiftError(500);
}
