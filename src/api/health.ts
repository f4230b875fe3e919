import { methodNotAllowed } from '../errors.ts';
import type { ApiRequest } from './http/api-request.ts';
import { json, type ApiResponse } from './http/reply.ts';

/** `GET /healthz`: 200 when the metadata database and the block store answer, else 503. */
export async function handleHealth(req: ApiRequest): Promise<ApiResponse> {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(['GET', 'HEAD']);
  const { metadata, blocks } = req.services;
  const [db, store] = await Promise.all([metadata.healthy(), blocks.healthy()]);
  return db && store ? json(200, { status: 'ok' }) : json(503, { status: 'unavailable' });
}
