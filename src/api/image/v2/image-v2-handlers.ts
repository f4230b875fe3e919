/**
 * One handler per Image API v2 route (openstack.md §4): parse with the pure wire modules, call the
 * image domain, render. Routing, the token and error rendering are in image-v2-api.ts.
 */
import { serveData } from '../../http/serve-data.ts';
import { hasBody, mediaType, readSmallBody, type ApiRequest } from '../../http/api-request.ts';
import { json, type ApiResponse } from '../../http/reply.ts';
import { DataInterrupted } from '../../../domain/errors.ts';
import type { User } from '../../../domain/identity/users.ts';
import type { ImageView } from '../../../domain/images/image-model.ts';
import { visibilityAttributes } from '../../../domain/images/image-commands.ts';
import type { ImageMember } from '../../../domain/images/image-members.ts';
import { visibilityOf } from '../../../domain/images/image-visibility.ts';
import { isMd5 } from '../../../domain/images/image-values.ts';
import { renderLocation } from '../v1/image-metadata-headers.ts';
import { v2StatusName } from './domain-faults.ts';
import { v2Error } from './faults.ts';
import { createdHeaders, parseImageCreate } from './image-create.ts';
import { parseImagePatch, planImageChanges, type PatchTarget } from './image-patch.ts';
import { renderV2Image, renderV2Member, renderV2Members, type V2ImageSource } from './image-view.ts';
import { listLinks, nextMarkerOf } from './links.ts';
import { parseListQuery } from './list-query.ts';
import { importInfoDocument, parseImportRequest, parseMemberCreate, parseMemberStatus } from './request-bodies.ts';
import type { V2RouteMatch } from './routes.ts';
import { schemaDocument, type V2ImageStatus, type V2MemberStatus } from './schemas.ts';

export type V2Handler = (req: ApiRequest, caller: User, route: V2RouteMatch) => Promise<ApiResponse>;

/** JSON bodies of this API are small documents. */
const JSON_BODY_LIMIT = 1 << 20;

const noContent = (): ApiResponse => ({ status: 204 });
const formatsOf = (req: ApiRequest) => ({
  diskFormats: req.services.settings.diskFormats,
  containerFormats: req.services.settings.containerFormats,
});
const hasData = (status: string) => status === 'available' || status === 'deactivated';

/** The domain's image in v2 terms (§3.3): `''` name and formats are null, checksum only an MD5. */
export function v2Source(view: ImageView): V2ImageSource {
  const data = hasData(view.status);
  return {
    id: view.id,
    name: view.name === '' ? null : view.name,
    status: v2StatusName(view.status) as V2ImageStatus,
    visibility: visibilityOf({
      owner: view.owner,
      readGrants: view.readGrants,
      community: view.community,
      sharedFlag: view.sharedFlag,
    }),
    protected: view.protected,
    osHidden: view.osHidden,
    checksum: data && isMd5(view.checksum) ? view.checksum : null,
    osHashAlgo: view.osHashAlgo,
    osHashValue: view.osHashValue,
    size: data ? view.size : null,
    virtualSize: view.virtualSize,
    diskFormat: view.diskFormat === '' ? null : view.diskFormat,
    containerFormat: view.containerFormat === '' ? null : view.containerFormat,
    minRam: view.minRam,
    minDisk: view.minDisk,
    owner: view.owner,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    tags: view.tags,
    properties: view.properties,
  };
}

const imageReply = (status: number, view: ImageView, headers: Record<string, string> = {}) =>
  json(status, renderV2Image(v2Source(view)), headers);

const memberReply = (m: ImageMember) =>
  json(
    200,
    renderV2Member({
      imageId: m.imageId,
      memberId: m.memberId,
      status: m.status as V2MemberStatus,
      createdAt: m.createdAt,
      updatedAt: m.updatedAt,
    }),
  );

async function jsonBody(req: ApiRequest): Promise<Buffer | undefined> {
  if (!hasBody(req.raw)) return undefined;
  const body = await readSmallBody(req.raw, JSON_BODY_LIMIT);
  return body.length ? body : undefined;
}

export const getSchema: V2Handler = async (req, _caller, route) =>
  json(200, schemaDocument(route.schemaName!, formatsOf(req)));

export const getImportInfo: V2Handler = async (req) => json(200, importInfoDocument(req.services.images.importMethods));

/** §4.9: octet-stream staged for a glance-direct import; the image is `uploading` afterwards. */
export const stageData: V2Handler = async (req, caller, route) => {
  if (mediaType(req.raw) !== 'application/octet-stream') throw v2Error('unsupportedUploadType');
  await req.services.images.stage(caller, route.imageId!, uploadOf(req));
  return noContent();
};

/**
 * §4.9: 202 with no body. glance-direct runs inside the request (the image is active, or queued
 * with `os_glance_failed_import`, when the 202 or the fault comes); web-download in the background.
 */
export const importImage: V2Handler = async (req, caller, route) => {
  const { images } = req.services;
  const request = parseImportRequest(await jsonBody(req), images.importMethods);
  if (request.method === 'glance-direct') await images.importStaged(caller, route.imageId!);
  else await images.importFromWeb(caller, route.imageId!, request.uri);
  return { status: 202 };
};

/** §4.3 */
export const listImages: V2Handler = async (req, caller) => {
  const filter = parseListQuery(req.rawQuery);
  const images = await req.services.images.catalog(caller, filter);
  const links = listLinks(
    req.rawQuery,
    nextMarkerOf(
      images.map((i) => i.id),
      filter.limit,
    ),
  );
  return json(200, { images: images.map((i) => renderV2Image(v2Source(i))), ...links });
};

/** §4.2: a queued record and its placeholder object. */
export const createImage: V2Handler = async (req, caller) => {
  const input = parseImageCreate(await jsonBody(req), formatsOf(req), {
    projectId: caller.uuid,
    isAdmin: caller.admin,
  });
  const view = await req.services.images.reserve(caller, {
    ...(input.id !== undefined ? { id: input.id } : {}),
    owner: input.owner,
    tags: input.tags,
    attributes: {
      name: input.name ?? '',
      diskFormat: input.diskFormat ?? '',
      containerFormat: input.containerFormat ?? '',
      minRam: input.minRam,
      minDisk: input.minDisk,
      protected: input.protected,
      osHidden: input.osHidden,
      ...visibilityAttributes(input.visibility),
    },
    properties: input.properties,
  });
  return imageReply(201, view, createdHeaders(req.services.publicUrl(), view.id, req.services.images.importMethods));
};

/**
 * The owner also sees where the data lives in the object store (`direct_url`, openstack.md §4.4
 * [P]: `pithos://<account>/<container>/<object>`); nobody else does (Glance hides it by default:
 * it names the owner's containers), and lists never carry it.
 */
export const showImage: V2Handler = async (req, caller, route) => {
  const view = await req.services.images.show(caller, route.imageId!);
  const ownerOnly = view.owner === caller.uuid ? { directUrl: renderLocation(view.object) } : {};
  return json(200, renderV2Image({ ...v2Source(view), ...ownerOnly }));
};

/** §4.5: parsed before the image is read; planned against the image under its lock. */
export const patchImage: V2Handler = async (req, caller, route) => {
  const patch = parseImagePatch(req.raw.headers['content-type'], await jsonBody(req), formatsOf(req));
  const view = await req.services.images.patch(caller, route.imageId!, (current) =>
    planImageChanges(patch, patchTarget(current), { isAdmin: caller.admin }),
  );
  return imageReply(200, view);
};

function patchTarget(view: ImageView): PatchTarget {
  const s = v2Source(view);
  return {
    status: s.status,
    diskFormat: s.diskFormat,
    containerFormat: s.containerFormat,
    owner: s.owner,
    tags: s.tags,
    properties: s.properties,
  };
}

/** §4.6 */
export const deleteImage: V2Handler = async (req, caller, route) => {
  await req.services.images.deleteWithData(caller, route.imageId!);
  return noContent();
};

/** §4.7: octet-stream into a queued image; an empty body leaves it queued and still answers 204. */
export const uploadFile: V2Handler = async (req, caller, route) => {
  if (mediaType(req.raw) !== 'application/octet-stream') throw v2Error('unsupportedUploadType');
  await req.services.images.uploadV2(caller, route.imageId!, uploadOf(req));
  return noContent();
};

/** A request body as image data: empty data is no data. */
function uploadOf(req: ApiRequest) {
  const length = req.raw.headers['content-length'];
  const chunked = req.raw.headers['transfer-encoding'] !== undefined;
  return {
    body: interruptible(req.raw),
    ...(length !== undefined && !chunked ? { announcedLength: Number(length) } : {}),
    emptyIsNoData: true,
    api: 'v2' as const,
  };
}

/** §4.8: 200 with Content-MD5, 204 without data, 206 for a Range (serve-data.ts). */
export const downloadFile: V2Handler = async (req, caller, route) => {
  const { images } = req.services;
  const source = await images.dataSource(caller, route.imageId!);
  if (!source) return noContent();
  const { image, object } = source;
  return serveData(req.raw, {
    size: object.size,
    etag: image.etag,
    lastModified: object.versionTs,
    headers: { 'Content-Type': 'application/octet-stream', ...(object.md5 ? { 'Content-MD5': object.md5 } : {}) },
    open: (start, end) => images.openData(source, start, end),
  });
};

export const putTag: V2Handler = async (req, caller, route) => {
  if (route.tag!.length > 255) throw v2Error('badRequest', 'Tag is too long (more than 255 characters).');
  await req.services.images.addTag(caller, route.imageId!, route.tag!);
  return noContent();
};

export const deleteTag: V2Handler = async (req, caller, route) => {
  await req.services.images.removeTag(caller, route.imageId!, route.tag!);
  return noContent();
};

export const deactivateImage: V2Handler = async (req, caller, route) => {
  await req.services.images.deactivate(caller, route.imageId!);
  return noContent();
};

export const reactivateImage: V2Handler = async (req, caller, route) => {
  await req.services.images.reactivate(caller, route.imageId!);
  return noContent();
};

/** §4.10 */
export const listMembers: V2Handler = async (req, caller, route) => {
  const members = await req.services.images.members.listV2(caller, route.imageId!);
  return json(200, renderV2Members(members.map((m) => ({ ...m, status: m.status as V2MemberStatus }))));
};

export const addMember: V2Handler = async (req, caller, route) => {
  const member = parseMemberCreate(await jsonBody(req));
  return memberReply(await req.services.images.members.addV2(caller, route.imageId!, member));
};

export const showMember: V2Handler = async (req, caller, route) =>
  memberReply(await req.services.images.members.showV2(caller, route.imageId!, route.memberId!));

export const updateMember: V2Handler = async (req, caller, route) => {
  const status = parseMemberStatus(await jsonBody(req));
  return memberReply(await req.services.images.members.setStatusV2(caller, route.imageId!, route.memberId!, status));
};

export const removeMember: V2Handler = async (req, caller, route) => {
  await req.services.images.members.removeV2(caller, route.imageId!, route.memberId!);
  return noContent();
};

/** A failure of the request stream itself is the client's (nothing kept, no `killed`). */
async function* interruptible(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of source) yield chunk;
  } catch (err) {
    throw new DataInterrupted(err);
  }
}
