/**
 * Pithos form uploads (Pithos's `object_write_form`): `POST` of `multipart/form-data` to an object
 * path writes the file of the form's `X-Object-Data` field as the object's new content (created or
 * overwritten, like a raw PUT without meta: the file part's type is the content type, meta are
 * dropped, grants and the public token are kept). Parsed by busboy as it arrives and streamed
 * into blocks like any upload: never buffered, capped by `PLANKTON_OBJECT_MAX_UPLOAD`. Reply `201`
 * with `ETag` and `X-Object-Version`, the body the MD5 (Pithos's checksum). Other fields and files
 * are read and ignored.
 */
import busboy from 'busboy';
import { badRequest } from '../../errors.ts';
import { DataTooLarge } from '../../domain/errors.ts';
import type { Caller } from '../../domain/identity/tokens.ts';
import type { ContainerRecord } from '../../domain/objects/containers.ts';
import { etagOf, type ObjectRecord } from '../../domain/objects/object-record.ts';
import type { ApiRequest } from '../http/api-request.ts';
import type { ApiResponse } from '../http/reply.ts';

export const FORM_FILE_FIELD = 'X-Object-Data';
/** Bounds on what else a form may carry (its fields are ignored). */
const FORM_LIMITS = { fields: 100, fieldSize: 64 * 1024, files: 10, parts: 200, headerPairs: 100 };

export async function postForm(
  req: ApiRequest,
  caller: Caller,
  dest: { readonly container: ContainerRecord },
  name: string,
): Promise<ApiResponse> {
  const raw = req.raw;
  const max = req.services.settings.objectMaxUpload;
  let parser: busboy.Busboy;
  try {
    // One byte over the cap reaches the block writer, which refuses it (busboy would cut it silently).
    parser = busboy({ headers: raw.headers, limits: { ...FORM_LIMITS, fileSize: max + 1 } });
  } catch {
    throw badRequest('Invalid form data');
  }
  const obj = await new Promise<ObjectRecord>((resolve, reject) => {
    let upload: Promise<ObjectRecord> | undefined;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      // Stop parsing; the rest of the body is read and dropped by the server.
      raw.unpipe(parser);
      raw.resume();
      reject(err);
    };
    parser.on('file', (field, stream, info) => {
      // A form cut short errors its open file stream too: handled here, whoever else reads it.
      stream.on('error', () => fail(badRequest('Invalid form data')));
      if (field !== FORM_FILE_FIELD || upload || failed) {
        stream.resume();
        return;
      }
      upload = req.services.objects.upload(
        stream,
        dest.container,
        name,
        {
          contentType: info.mimeType || 'application/octet-stream',
          contentEncoding: null,
          contentDisposition: null,
          meta: {},
        },
        { modifiedBy: caller.user.uuid, maxBytes: max, onTooLarge: () => new DataTooLarge(max) },
      );
      upload.catch((err) => {
        stream.resume();
        fail(err);
      });
    });
    parser.on('error', () => fail(badRequest('Invalid form data')));
    parser.on('close', () => {
      if (!upload) fail(badRequest(`Missing ${FORM_FILE_FIELD} field`));
      else upload.then(resolve, fail);
    });
    raw.on('error', () => fail(badRequest('Bad request')));
    raw.pipe(parser);
  });
  const etag = etagOf(obj);
  return {
    status: 201,
    headers: { ETag: etag, 'X-Object-Version': obj.version, 'Content-Type': 'text/plain; charset=UTF-8' },
    body: Buffer.from(obj.md5 ?? ''),
  };
}

export const isFormUpload = (mediaType: string | undefined): boolean => mediaType === 'multipart/form-data';
