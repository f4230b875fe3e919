// The page's only way to the server: same-origin fetches to /ui/api/<public API path>, with the
// session cookie (HttpOnly, sent by the browser) and the CSRF token echoed from its readable cookie.

const CSRF_COOKIE = 'plankton_csrf=';

export function csrfToken() {
  const entry = document.cookie.split('; ').find((c) => c.startsWith(CSRF_COOKIE));
  return entry ? entry.slice(CSRF_COOKIE.length) : '';
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The message of any of Plankton's fault shapes ({"itemNotFound": {"message"}}, {"error": {"message"}}). */
function faultMessage(status, text) {
  try {
    const doc = JSON.parse(text);
    for (const value of Object.values(doc)) if (value && typeof value.message === 'string') return value.message;
  } catch {
    // not JSON: the status line says enough
  }
  return text && text.length < 200 ? text : `HTTP ${status}`;
}

/** A call to `/ui/<path>` (path like `/api/image/v2/images` or `/session`); JSON in and out. */
export async function call(path, { method = 'GET', body, type, headers: extra } = {}) {
  const headers = { ...extra, 'X-CSRF-Token': csrfToken(), Accept: 'application/json' };
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = type ?? 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(`/ui${path}`, { method, headers, body: payload, credentials: 'same-origin' });
  const text = await res.text();
  // The session's token expired or was revoked elsewhere: back to the login form.
  if (res.status === 401 && path !== '/session') window.dispatchEvent(new Event('plankton:logged-out'));
  if (!res.ok) throw new ApiError(res.status, faultMessage(res.status, text));
  return text ? JSON.parse(text) : undefined;
}

export const image = (path, options) => call(`/api/image/v2${path}`, options);

/**
 * Streams a File as an image's data (`PUT …/file`): XHR for upload progress; the browser reads the
 * file as it sends, never whole into memory. Returns { promise, abort }.
 */
export function uploadFile(imageId, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('PUT', `/ui/api/image/v2/images/${encodeURIComponent(imageId)}/file`);
    xhr.setRequestHeader('X-CSRF-Token', csrfToken());
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () =>
      xhr.status < 300 ? resolve() : reject(new ApiError(xhr.status, faultMessage(xhr.status, xhr.responseText)));
    xhr.onerror = () => reject(new ApiError(0, 'The upload failed (connection lost)'));
    xhr.onabort = () => reject(new ApiError(0, 'Upload cancelled'));
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}

/** Display names of user UUIDs, through the Astakos user catalog. */
export async function namesOf(uuids) {
  const unique = [...new Set(uuids.filter(Boolean))];
  if (unique.length === 0) return {};
  const doc = await call('/api/account/v1.0/user_catalogs', { method: 'POST', body: { uuids: unique } });
  return doc.uuid_catalog ?? {};
}

/** The UUID of a display name, or undefined. */
export async function uuidOf(name) {
  const doc = await call('/api/account/v1.0/user_catalogs', { method: 'POST', body: { displaynames: [name] } });
  return doc.displayname_catalog?.[name];
}

// --- the caller's tokens: Keystone v3 application credentials (id = token_id, secret = token) ---
const credentials = (userId, id) =>
  `/api/identity/v3/users/${encodeURIComponent(userId)}/application_credentials${id ? `/${encodeURIComponent(id)}` : ''}`;

export async function listTokens(userId) {
  return (await call(credentials(userId))).application_credentials;
}

/** Issues a token named `name` living `seconds`; the answer holds its secret, shown once. */
export async function issueToken(userId, name, seconds) {
  const expires = new Date(Date.now() + seconds * 1000).toISOString();
  const doc = await call(credentials(userId), {
    method: 'POST',
    body: { application_credential: { name, expires_at: expires } },
  });
  return doc.application_credential;
}

export const revokeToken = (userId, id) => call(credentials(userId, id), { method: 'DELETE' });

// --- the object store (Pithos mount), to register an existing object as an image ------------------
const store = (account, container) =>
  `/api/object-store/v1/${encodeURIComponent(account)}${container === undefined ? '' : `/${encodeURIComponent(container)}`}`;

export const listContainers = (account) => call(`${store(account)}?format=json`);

/** One page of a container's objects (`limit` of them after `marker`), optionally under a prefix. */
export function listObjects(account, container, { prefix = '', marker = '', limit = 50 } = {}) {
  const q = new URLSearchParams({ format: 'json', limit: String(limit) });
  if (prefix) q.set('prefix', prefix);
  if (marker) q.set('marker', marker);
  return call(`${store(account, container)}?${q}`);
}

/**
 * Registers an existing object as an image: the Image API v1 register (`POST /image/v1/images`
 * with `X-Image-Meta-Location: pithos://<account>/<container>/<object>`, image-api.md §5.3), the
 * one public way to make an image of data already in the store. The image id is the object's UUID.
 */
export async function registerObject(account, container, object, { name, diskFormat, containerFormat }) {
  const q = (s) => encodeURIComponent(s);
  const location = `pithos://${q(account)}/${q(container)}/${q(object).replaceAll('%2F', '/')}`;
  const doc = await call('/api/image/v1/images', {
    method: 'POST',
    headers: {
      'X-Image-Meta-Name': q(name),
      'X-Image-Meta-Location': location,
      'X-Image-Meta-Disk-Format': diskFormat,
      'X-Image-Meta-Container-Format': containerFormat,
    },
  });
  return doc.image;
}
