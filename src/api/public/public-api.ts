import { methodNotAllowed, notFound } from '../../errors.ts';
import { etagOf } from '../../domain/objects/object-record.ts';
import { httpDate } from '../../domain/time.ts';
import type { ApiRequest } from '../http/api-request.ts';
import type { ApiResponse, HeaderMap } from '../http/reply.ts';
import { serveObject } from '../object-store/object-handlers.ts';
import { encodeResponseHeaders } from '../object-store/response-headers.ts';

/** `GET`/`HEAD /public/<token>`: anonymous download of a published object (object-store.md §8.4). */
export async function handlePublic(req: ApiRequest): Promise<ApiResponse> {
  const m = /^\/public\/([0-9A-Za-z]{16})\/?$/.exec(req.path);
  if (!m) throw notFound('Object does not exist');
  if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(['HEAD', 'GET']);
  const obj = await req.services.objects.getByPublicToken(m[1]);
  if (!obj) throw notFound('Object does not exist');
  const headers: HeaderMap = {
    ETag: etagOf(obj),
    'Content-Length': obj.size,
    'Content-Type': obj.contentType,
    'Last-Modified': httpDate(obj.versionTs),
  };
  if (obj.contentEncoding) headers['Content-Encoding'] = obj.contentEncoding;
  if (obj.contentDisposition) headers['Content-Disposition'] = obj.contentDisposition;
  const response = await serveObject(req, obj, headers);
  return { ...response, headers: encodeResponseHeaders(response.headers) };
}
