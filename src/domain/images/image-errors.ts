/**
 * Image API messages used in more than one place (image-api.md §7). Clients match on status
 * codes; the messages marked "relied on" in the spec are matched by tests, so keep them verbatim.
 */
import { badRequest, conflict, forbidden, notFound } from '../../errors.ts';

export const imageNotFound = () => notFound('Image not found');
export const invalidSize = () => badRequest("Invalid 'size' field");
export const invalidChecksum = () => badRequest('Invalid checksum field');
export const invalidImageName = () => badRequest('Invalid image name');
export const invalidMetadata = () => badRequest('Invalid metadata');
export const externalSources = () => badRequest('External sources are not supported');
export const imageBeingSaved = () => conflict('Image is being saved');
export const cannotUpload = () => conflict('Cannot upload to an unqueued image');
export const notOwnerOfMembers = () => forbidden('Only the image owner may change members');
export const invalidMemberId = (value: string) => badRequest(`Invalid member id '${value}'`);
export const unknownMember = (uuid: string) => badRequest(`Unknown member '${uuid}'`);
export const uploadTooLarge = (cap: number) => `Denying attempt to upload image larger than ${cap} bytes.`;
