/**
 * Image API v2 at `/image/v2` (openstack.md §3–§4): route (404) → method (405) → token (401) →
 * handler; every failure rendered here as a v2 fault (JSON body), domain errors worded once by
 * domain-faults.ts.
 */
import type { ApiRequest } from '../../http/api-request.ts';
import { authenticate } from '../../http/auth.ts';
import { errorResponse, json, unexpectedError, type ApiResponse } from '../../http/reply.ts';
import { ServiceError } from '../../../errors.ts';
import { DependencyUnavailable, DomainError } from '../../../domain/errors.ts';
import type { Api } from '../../router.ts';
import { v2FaultOf, v2StatusName } from './domain-faults.ts';
import { V2Error, v2Error, v2ErrorResponse } from './faults.ts';
import * as h from './image-v2-handlers.ts';
import { resolveV2Route, type V2RouteMatch, type V2RouteName } from './routes.ts';
import { imageVersionsDocument } from './versions.ts';

const HANDLERS: Record<Exclude<V2RouteName, 'versions'>, Record<string, h.V2Handler>> = {
  schema: { GET: h.getSchema },
  importInfo: { GET: h.getImportInfo },
  images: { GET: h.listImages, POST: h.createImage },
  image: { GET: h.showImage, PATCH: h.patchImage, DELETE: h.deleteImage },
  imageFile: { GET: h.downloadFile, PUT: h.uploadFile },
  imageStage: { PUT: h.stageData },
  imageImport: { POST: h.importImage },
  members: { GET: h.listMembers, POST: h.addMember },
  member: { GET: h.showMember, PUT: h.updateMember, DELETE: h.removeMember },
  tag: { PUT: h.putTag, DELETE: h.deleteTag },
  deactivate: { POST: h.deactivateImage },
  reactivate: { POST: h.reactivateImage },
};

const COMMON_HEADERS = { 'Cache-Control': 'no-cache, no-store, must-revalidate, max-age=0', Vary: 'X-Auth-Token' };

async function handleImageV2(req: ApiRequest): Promise<ApiResponse> {
  let route: V2RouteMatch | undefined;
  try {
    route = resolveV2Route(req.method, req.path.slice('/image/v2'.length));
    req.routeLabel = route.name;
    if (route.name === 'versions') return json(200, imageVersionsDocument(req.services.publicUrl()));
    const { user } = await authenticate(req);
    return await HANDLERS[route.name][req.method](req, user, route);
  } catch (err) {
    return failure(req, err, route);
  }
}

async function failure(req: ApiRequest, err: unknown, route: V2RouteMatch | undefined): Promise<ApiResponse> {
  let fault = err;
  if (err instanceof DomainError) {
    // The upload and stage conflicts name the image's status (§4.7 step 2, §4.9).
    // (Not when the database is what failed: it would fail again.)
    const uploads = route?.name === 'imageFile' || route?.name === 'imageStage';
    const status =
      uploads && route?.imageId && !(err instanceof DependencyUnavailable)
        ? await currentStatus(req, route.imageId).catch(() => undefined)
        : undefined;
    fault = v2FaultOf(err, { imageId: route?.imageId, status, staging: route?.name === 'imageStage' });
  }
  // The shared data server (serve-data.ts) words its 416 for the object store; v2 words it from its table.
  if (fault instanceof ServiceError && fault.kind === 'rangeNotSatisfiable')
    fault = v2Error('rangeNotSatisfiable', Number(fault.headers['Content-Range']?.split('/')[1]));
  if (fault instanceof V2Error) return v2ErrorResponse(fault) as ApiResponse;
  if (fault instanceof ServiceError)
    return errorResponse(fault, { requestEntityTooLarge: 'overLimit', itemNotFound: 'itemNotFound' });
  return unexpectedError(req.log, fault);
}

async function currentStatus(req: ApiRequest, id: string): Promise<string | undefined> {
  const entry = await req.services.images.statusOf(id);
  return entry === undefined ? undefined : v2StatusName(entry);
}

export const imageV2Api: Api = {
  name: 'image-v2',
  prefix: /^\/image\/v2(\/|$)/,
  handle: handleImageV2,
  commonHeaders: COMMON_HEADERS,
};
