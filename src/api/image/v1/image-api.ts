/**
 * The image API (image-api.md): route (E17) → method (405) → token (401, not for E0) → handler.
 * Errors are rendered here rather than by the dispatcher because a `HEAD` reply of this API carries
 * no `Content-Type` at all (§2: glanceclient parses any reply labelled JSON).
 */
import { endpointNotFound, methodNotAllowed } from '../../../errors.ts';
import type { ApiRequest } from '../../http/api-request.ts';
import { authenticate } from '../../http/auth.ts';
import { failureResponse, json, type ApiResponse, type FaultNames, type HeaderMap } from '../../http/reply.ts';
import { imageV1Fault } from './faults.ts';
import type { Api } from '../../router.ts';
import {
  addMember,
  createImage,
  getImageData,
  headImage,
  listDetails,
  listMembers,
  listSharedImages,
  listSummaries,
  removeMember,
  replaceMembers,
  unregisterImage,
  updateImage,
  type ImageHandler,
} from './image-handlers.ts';
import { matchImageRoute, type RouteName } from './image-routes.ts';
import { imageVersionsDocument } from '../v2/versions.ts';

/** 413 is `overLimit` in this API (spec/README.md, Errors). */
const FAULT_NAMES: FaultNames = { requestEntityTooLarge: 'overLimit' };

/** Every reply, errors included (§2): image metadata differs per token, so no cache may keep it. */
const COMMON_HEADERS = { 'Cache-Control': 'no-cache, no-store, must-revalidate, max-age=0', Vary: 'X-Auth-Token' };

const HANDLERS: Record<Exclude<RouteName, 'versions'>, Record<string, ImageHandler>> = {
  images: { GET: listSummaries, POST: createImage },
  detail: { GET: listDetails },
  image: { HEAD: headImage, GET: getImageData, PUT: updateImage, DELETE: unregisterImage },
  members: { GET: listMembers, PUT: replaceMembers },
  member: { PUT: addMember, DELETE: removeMember },
  sharedImages: { GET: listSharedImages },
};

async function route(req: ApiRequest): Promise<ApiResponse> {
  const match = matchImageRoute(req.path);
  if (!match) throw endpointNotFound();
  req.routeLabel = match.route;
  if (!match.allow.includes(req.method)) throw methodNotAllowed(match.allow);
  // v2 serves, so the document lists it beside v1.0 and v1 (openstack.md §3.1, Decision 7).
  if (match.route === 'versions') return json(200, imageVersionsDocument(req.services.publicUrl()));
  const { user } = await authenticate(req);
  return HANDLERS[match.route][req.method](req, user, match);
}

async function handleImage(req: ApiRequest): Promise<ApiResponse> {
  let response: ApiResponse;
  try {
    response = await route(req);
  } catch (err) {
    response = failureResponse(req.log, err, imageV1Fault, FAULT_NAMES);
  }
  if (req.method !== 'HEAD') return response;
  return { status: response.status, headers: withoutContentType(response.headers ?? {}) };
}

/** The headers minus `Content-Type` (any case); the same object when there is none (a `HEAD`'s usual case). */
function withoutContentType(headers: HeaderMap): HeaderMap {
  let found = false;
  for (const name in headers) if (name.length === 12 && name.toLowerCase() === 'content-type') found = true;
  if (!found) return headers;
  const rest: HeaderMap = {};
  for (const name in headers) if (name.toLowerCase() !== 'content-type') rest[name] = headers[name];
  return rest;
}

export const imageApi: Api = {
  name: 'image',
  prefix: /^\/image(\/|$)/,
  handle: handleImage,
  faultNames: FAULT_NAMES,
  faults: imageV1Fault,
  commonHeaders: COMMON_HEADERS,
};
