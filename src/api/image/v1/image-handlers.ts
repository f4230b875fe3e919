/**
 * One handler per endpoint of image-api.md §5: read the request, call the image service, render.
 * Routing, 405, the token and error rendering happen before and after, in image-api.ts.
 */
import type { IncomingMessage } from 'node:http';
import { serveData } from '../../http/serve-data.ts';
import { hasBody, mediaType, type ApiRequest } from '../../http/api-request.ts';
import { json, type ApiResponse } from '../../http/reply.ts';
import { DataInterrupted, NotFound } from '../../../domain/errors.ts';
import type { User } from '../../../domain/identity/users.ts';
import type { ImageUpload, UpdateImage } from '../../../domain/images/image-commands.ts';
import type { ImageView } from '../../../domain/images/image-model.ts';
import { readImageHeaders } from './image-metadata-headers.ts';
import { imageDetail, imageHeaders, imageSummary } from './image-rendering.ts';
import { parseListParameters } from './list-parameters.ts';
import { readMembershipsBody } from './members-body.ts';
import {
  checkCreateRequest,
  checkUpdateRequest,
  checkUploadDeclaration,
  type DataDeclaration,
  type ImageLimits,
} from './request-checks.ts';
import type { RouteMatch } from './image-routes.ts';

export type ImageHandler = (req: ApiRequest, caller: User, route: RouteMatch) => Promise<ApiResponse>;

const noContent = (): ApiResponse => ({ status: 204 });

/** E3/E7 reply: the image in headers (kamaki reads those) and as `{"image": …}` (glanceclient reads that). */
const imageReply = (image: ImageView): ApiResponse => json(200, { image: imageDetail(image) }, imageHeaders(image));

/**
 * E1/E2 body (§5.2): a bare array on `v1.0`, as Plankton answered and kamaki 0.16 iterates it;
 * `{"images": …}` on `v1`, where glanceclient reads `body["images"]`.
 */
const listReply = (route: RouteMatch, items: object[]): ApiResponse =>
  json(200, route.version === 'v1.0' ? items : { images: items });

/** E1 */
export const listSummaries: ImageHandler = async (req, caller, route) => {
  const images = await req.services.images.list(caller, parseListParameters(req.query));
  return listReply(route, images.map(imageSummary));
};

/** E2 */
export const listDetails: ImageHandler = async (req, caller, route) => {
  const images = await req.services.images.list(caller, parseListParameters(req.query));
  return listReply(route, images.map(imageDetail));
};

/** E3: register, upload or reserve, depending on the location header and the body (decided here, §5.3 step 5). */
export const createImage: ImageHandler = async (req, caller) => {
  const meta = readImageHeaders(req.raw.rawHeaders);
  const declaration = dataDeclaration(req.raw);
  const r = checkCreateRequest(meta, declaration, limitsOf(req));
  const { images } = req.services;
  const common = { attributes: r.attributes, properties: r.properties, id: r.id, size: r.size, checksum: r.checksum };
  switch (r.mode) {
    case 'register':
      return imageReply(await images.register(caller, { ...common, location: r.location!, api: 'v1' }));
    case 'reserve':
      return imageReply(await images.reserve(caller, { ...common, owner: r.owner }));
    case 'upload':
      return imageReply(
        await images.createWithData(caller, {
          ...common,
          owner: r.owner,
          data: imageUpload(req.raw, declaration, r.size),
        }),
      );
  }
};

/** E5: metadata in headers; no body and no Content-Type (§2). */
export const headImage: ImageHandler = async (req, caller, route) => {
  const image = await req.services.images.show(caller, route.id!);
  const headers = imageHeaders(image);
  if (image.status === 'available') headers.ETag = image.etag;
  return { status: 200, headers };
};

/** E6: the data, with preconditions and a single range as the object store serves them (object-store.md §11). */
export const getImageData: ImageHandler = async (req, caller, route) => {
  const { images } = req.services;
  const source = await images.dataSource(caller, route.id!);
  if (!source) throw new NotFound('image-data');
  const { image, object } = source;
  return serveData(req.raw, {
    size: object.size,
    etag: image.etag,
    lastModified: object.versionTs,
    headers: {
      ...imageHeaders(image, { checksum: 'md5-only' }),
      // glanceclient streams the body only for exactly this type.
      'Content-Type': 'application/octet-stream',
      ETag: image.etag,
    },
    open: (start, end) => images.openData(source, start, end),
  });
};

/** E7: metadata, and data when the body carries some (§5.6). */
export const updateImage: ImageHandler = async (req, caller, route) => {
  const meta = readImageHeaders(req.raw.rawHeaders);
  const r = checkUpdateRequest(meta, limitsOf(req));
  const declaration = dataDeclaration(req.raw);
  const command: UpdateImage = {
    attributes: r.attributes,
    size: r.size,
    checksum: r.checksum,
    status: r.status,
    properties: { set: r.setProperties, remove: r.deleteProperties, replaceAll: meta.purgeProps },
    ...(declaration.present
      ? {
          data: imageUpload(req.raw, declaration, r.size),
          checkData: () => checkUploadDeclaration(declaration, r.size),
        }
      : {}),
  };
  return imageReply(await req.services.images.update(caller, route.id!, command));
};

/** E8 */
export const unregisterImage: ImageHandler = async (req, caller, route) => {
  await req.services.images.unregister(caller, route.id!);
  return noContent();
};

/** E10 */
export const listMembers: ImageHandler = async (req, caller, route) => {
  const members = await req.services.images.members.list(caller, route.id!);
  return json(200, { members: members.map((member_id) => ({ member_id, can_share: false })) });
};

/** E11: the body is checked before the image is looked up (§5.9). */
export const replaceMembers: ImageHandler = async (req, caller, route) => {
  const members = await readMembershipsBody(req.raw);
  await req.services.images.members.replace(caller, route.id!, members);
  return noContent();
};

/** E13: the body (glanceclient sends `{"member": {"can_share": false}}`) is ignored. */
export const addMember: ImageHandler = async (req, caller, route) => {
  await discard(req.raw);
  await req.services.images.members.add(caller, route.id!, route.member!);
  return noContent();
};

/** E14 */
export const removeMember: ImageHandler = async (req, caller, route) => {
  await req.services.images.members.remove(caller, route.id!, route.member!);
  return noContent();
};

/** E16 */
export const listSharedImages: ImageHandler = async (req, caller, route) => {
  const ids = await req.services.images.members.sharedWith(caller, route.member!);
  return json(200, { shared_images: ids.map((image_id) => ({ image_id, can_share: false })) });
};

const limitsOf = (req: ApiRequest): ImageLimits => {
  const s = req.services.settings;
  return { diskFormats: s.diskFormats, containerFormats: s.containerFormats, sizeCap: s.imageSizeCap };
};

/** What the request says about its body before it is read: present, type, length. */
function dataDeclaration(raw: IncomingMessage): DataDeclaration {
  const chunked = raw.headers['transfer-encoding'] !== undefined;
  const length = raw.headers['content-length'];
  return {
    present: hasBody(raw),
    mediaType: mediaType(raw),
    ...(length !== undefined && !chunked ? { contentLength: Number(length) } : {}),
  };
}

/**
 * The request body as image data. v1's "empty data is no data" holds unless this very request
 * declared a size other than 0.
 */
function imageUpload(
  raw: IncomingMessage,
  declaration: DataDeclaration,
  sizeInRequest: number | undefined,
): ImageUpload {
  return {
    body: interruptible(raw),
    announcedLength: declaration.contentLength,
    emptyIsNoData: !sizeInRequest,
    api: 'v1',
  };
}

/**
 * The body, with a failure of the request stream itself (client gone, broken chunking) turned
 * into DataInterrupted. A consumer that stops early (a storage failure) ends this generator
 * through `return`, which is not caught here, so the two stay apart.
 */
async function* interruptible(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of source) yield chunk;
  } catch (err) {
    throw new DataInterrupted(err);
  }
}

/** Reads an ignored body to its end without keeping it, so the connection can serve the next request. */
async function discard(raw: IncomingMessage): Promise<void> {
  if (!hasBody(raw)) return;
  for await (const _ of raw as AsyncIterable<Buffer>) {
    /* dropped */
  }
}
