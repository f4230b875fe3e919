/**
 * Glance v1 messages used in more than one place (image-api.md §7): by the request checks and
 * by the faults module. Clients match on status codes; the messages marked "relied on" in the
 * spec are matched by tests, so keep them verbatim.
 */
import { badRequest, conflict, notFound } from '../../../errors.ts';

export const imageNotFound = () => notFound('Image not found');
export const invalidSize = () => badRequest("Invalid 'size' field");
export const invalidChecksum = () => badRequest('Invalid checksum field');
export const invalidImageName = () => badRequest('Invalid image name');
export const invalidMetadata = () => badRequest('Invalid metadata');
export const externalSources = () => badRequest('External sources are not supported');
export const imageBeingSaved = () => conflict('Image is being saved');
export const invalidMemberId = (value: string) => badRequest(`Invalid member id '${value}'`);
export const tooManyProperties = () =>
  badRequest('Pithos+ resources cannot have more than 32 metadata items per domain');
export const uploadTooLarge = (cap: number) => `Denying attempt to upload image larger than ${cap} bytes.`;
