/**
 * Swift's FormPost on the Swift mount: a browser `POST`s a `multipart/form-data` form to
 * `<account>/<container>[/<prefix>]` without a token; the form's hidden fields (`redirect`,
 * `max_file_size`, `max_file_count`, `expires`, `signature`) are signed with a key of the account
 * or the container (`Temp-URL-Key`, `Temp-URL-Key-2`), and each file becomes the object
 * `<prefix><filename>`, written as the account's owner.
 *
 * The form is parsed as it streams (busboy); each file's bytes go to blocks as they arrive, capped
 * at `max_file_size`. The objects are committed together at the end, in one transaction through
 * the object service's write path: a refused signature, a file too big, one file too many, a
 * broken form or a failed commit writes nothing. Replies are Swift's: `201` (or `303` to
 * `redirect` with `status` and `message`), `400`/`401` with `FormPost: …` in plain text.
 */
import busboy from 'busboy';
import type { Readable } from 'node:stream';
import { DataTooLarge } from '../../domain/errors.ts';
import type { Content } from '../../domain/objects/object-service.ts';
import { matchingKey, parseSignature, signingKeys } from '../../domain/objects/signed-requests.ts';
import type { ApiRequest } from '../http/api-request.ts';
import { percentDecode, utf8 } from '../http/percent.ts';
import type { ApiResponse } from '../http/reply.ts';
import { SWIFT_LIMITS } from '../object-store/dialect.ts';
import type { StoreTarget } from '../object-store/object-store-api.ts';
import { swiftFailure } from './swift-faults.ts';
import { SWIFT_BASE } from './v1-auth.ts';

/** Swift reads at most this much of a form field. */
const MAX_VALUE_LENGTH = 4096;
/** Files one form may carry whatever `max_file_count` says (they are committed together). */
export const MAX_FORM_FILES = 1_000;
const MAX_FORM_FIELDS = 100;

/** A FormPost: a `POST` of `multipart/form-data` with a boundary, to a container or below. */
export function isFormPost(req: ApiRequest): boolean {
  if (req.method !== 'POST') return false;
  const type = req.raw.headers['content-type'] ?? '';
  return /^\s*multipart\/form-data\s*;/i.test(type) && /boundary=/i.test(type);
}

/** FormInvalid (400) or FormUnauthorized (401) of Swift: the whole request fails with this text. */
class FormRefused extends Error {
  constructor(
    readonly status: 400 | 401,
    message: string,
  ) {
    super(message);
  }
}
/** The form's own outcome (a file too many, no file): answered like a success, through `redirect`. */
class FormOutcome extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const plain = (status: number, body: string): ApiResponse => ({
  status,
  headers: { 'Content-Type': 'text/plain; charset=UTF-8' },
  body,
});
const titled = (s: string) => s.replace(/\b([a-z])/g, (c) => c.toUpperCase());
const REASON: Record<number, string> = {
  201: 'Created',
  400: 'Bad Request',
  404: 'Not Found',
  413: 'Request Entity Too Large',
};

interface StagedFile {
  readonly name: string;
  readonly content: Content;
  readonly contentType: string;
  readonly contentEncoding: string | null;
}

export async function handleFormPost(req: ApiRequest, target: StoreTarget): Promise<ApiResponse> {
  if (target.level === 'account') return plain(401, 'FormPost: Invalid Signature');
  const fields: Record<string, string> = {};
  let outcome: { status: number; message: string } = { status: 0, message: '' };
  try {
    const files = await readForm(req, target, fields);
    if (files.length === 0) throw new FormOutcome(400, 'no files to process');
    const owner = (await req.services.users.byUuid(target.account))!;
    const container = await req.services.containers.get(target.account, target.container);
    if (!container) throw new FormOutcome(404, '');
    await req.services.objects.commitAll(
      files.map((f) => ({
        container: async () => container,
        name: f.name,
        content: f.content,
        attrs: { contentType: f.contentType, contentEncoding: f.contentEncoding, contentDisposition: null, meta: {} },
      })),
      { modifiedBy: owner.uuid },
    );
    outcome = { status: 201, message: '' };
  } catch (err) {
    if (err instanceof FormRefused)
      return err.status === 401
        ? plain(401, `FormPost: ${titled(err.message)}`)
        : plain(400, `FormPost: ${err.message}`);
    if (err instanceof FormOutcome) outcome = { status: err.status, message: err.message };
    else {
      // A commit refused (quota, an image's content…): nothing was written; Swift's status for it.
      const reply = swiftFailure(req.log, err);
      if (reply.status >= 500) return reply;
      outcome = {
        status: reply.status,
        message: typeof reply.body === 'string' && reply.status === 400 ? reply.body : '',
      };
    }
  }
  const statusText = `${outcome.status} ${REASON[outcome.status] ?? ''}`.trim();
  const redirect = fields.redirect;
  if (!redirect) {
    const body = outcome.message ? `${statusText}\r\nFormPost: ${titled(outcome.message)}` : statusText;
    return plain(outcome.status, body);
  }
  const location = `${redirect}${redirect.includes('?') ? '&' : '?'}status=${outcome.status}&message=${encodeURIComponent(outcome.message)}`;
  const html = `<html><body><p><a href="${location.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">Click to continue...</a></p></body></html>`;
  return { status: 303, headers: { Location: location, 'Content-Type': 'text/html; charset=UTF-8' }, body: html };
}

/**
 * Parses the form as it streams. Fields are kept (the first 4096 bytes, Swift's rule); each file is
 * checked against the fields seen before it (count, signature, expiry, size) and its bytes stored
 * as blocks. Stops at the first refusal, draining nothing more than needed.
 */
function readForm(
  req: ApiRequest,
  target: StoreTarget & { container: string },
  fields: Record<string, string>,
): Promise<StagedFile[]> {
  const files: StagedFile[] = [];
  let fileCount = 0;
  let keys: string[] | undefined;
  let work: Promise<void> = Promise.resolve();
  let failure: unknown;
  const prefix = target.level === 'object' ? target.object : '';
  const signedPaths = paths(req);

  return new Promise<StagedFile[]>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.raw.headers,
        limits: { fieldSize: MAX_VALUE_LENGTH, fields: MAX_FORM_FIELDS, files: MAX_FORM_FILES + 1, headerPairs: 100 },
        defParamCharset: 'utf8',
      });
    } catch {
      reject(new FormRefused(400, 'invalid starting boundary'));
      return;
    }
    // The first refusal ends the form: the rest of the body is drained unread, and the reply
    // goes out once the file being stored (if any) has settled.
    const stop = (err: unknown) => {
      failure ??= err;
      req.raw.unpipe(parser);
      req.raw.resume();
      void work.then(() => reject(failure), reject);
    };
    parser.on('field', (name, value) => {
      fields[name.toLowerCase()] = value.replace(/[\r\n-]+$/, '');
    });
    parser.on('file', (_name, stream: Readable, info) => {
      // A form cut short errors its open file stream too, even one still waiting its turn.
      stream.on('error', (err: Error) => stop(new FormRefused(400, err.message)));
      if (failure !== undefined || !info.filename) {
        stream.resume();
        return;
      }
      fileCount++;
      const snapshot = { ...fields };
      work = work.then(async () => {
        if (failure !== undefined) {
          stream.resume();
          return;
        }
        try {
          const maxCount = toInt(snapshot.max_file_count, 'max_file_count not an integer');
          if (fileCount > maxCount || fileCount > MAX_FORM_FILES) throw new FormOutcome(400, 'max file count exceeded');
          keys ??= await keysOf(req, target);
          checkSignature(snapshot, keys, signedPaths);
          const maxSize = Math.min(
            toInt(snapshot.max_file_size, 'max_file_size not an integer'),
            req.services.settings.objectMaxUpload,
          );
          for (const f of ['x_delete_at', 'x_delete_after'])
            if (snapshot[f] !== undefined) throw new FormRefused(400, `${f} is not supported by this server`);
          const name = `${prefix}${info.filename}`;
          if ([...name].length > SWIFT_LIMITS.max_object_name_length || name.includes('\u0000'))
            throw new FormRefused(400, 'file name not allowed');
          const content = await req.services.objects.writeData(stream, maxSize, () => new DataTooLarge(maxSize));
          files.push({
            name,
            content,
            contentType: snapshot['content-type'] || info.mimeType || 'application/octet-stream',
            contentEncoding: snapshot['content-encoding'] || null,
          });
        } catch (err) {
          stream.resume();
          stop(err instanceof DataTooLarge ? new FormRefused(400, 'max_file_size exceeded') : err);
        }
      });
    });
    parser.on('error', (err: Error) =>
      stop(new FormRefused(400, err.message.includes('boundary') ? 'invalid starting boundary' : err.message)),
    );
    parser.on('close', () => {
      work.then(() => (failure !== undefined ? reject(failure) : resolve(files)), reject);
    });
    req.raw.on('error', (err) => stop(err));
    req.raw.pipe(parser);
  });
}

const toInt = (value: string | undefined, message: string): number => {
  if (value === undefined || value === '') return 0;
  if (!/^-?\d+$/.test(value.trim())) throw new FormRefused(400, message);
  return Number(value.trim());
};

async function keysOf(req: ApiRequest, target: StoreTarget & { container: string }): Promise<string[]> {
  const { containers, users } = req.services;
  const owner = await users.byUuid(target.account);
  if (!owner || owner.uuid !== target.account || !owner.active) return [];
  const container = await containers.get(target.account, target.container);
  return [...signingKeys(await containers.accountMeta(target.account)), ...signingKeys(container?.meta ?? {})];
}

/** The signed path: Swift's `/v1/AUTH_…/<container>[/<prefix>]`, or this mount's whole path. */
function paths(req: ApiRequest): string[] {
  const text = utf8(percentDecode(Buffer.from(req.path, 'latin1'), false)!) ?? '';
  return [text.slice(SWIFT_BASE.length - '/v1'.length), text];
}

function checkSignature(f: Record<string, string>, keys: string[], signedPaths: string[]): void {
  if (!keys.length) throw new FormRefused(401, 'invalid signature');
  const expires = toInt(f.expires, 'expired not an integer');
  if (expires < Date.now() / 1000) throw new FormRefused(401, 'form expired');
  const signature = parseSignature(f.signature ?? '');
  if (!signature) throw new FormRefused(401, 'invalid signature');
  const messages = signedPaths.map(
    (p) => `${p}\n${f.redirect ?? ''}\n${f.max_file_size || '0'}\n${f.max_file_count || '0'}\n${f.expires || '0'}`,
  );
  if (matchingKey(signature, keys, messages) < 0) throw new FormRefused(401, 'invalid signature');
}
