/**
 * Small helpers for the image API tests: objects are made through the real object store API, and
 * image requests are plain fetches, so every test reads like the traffic of a client.
 */
import assert from 'node:assert/strict';
import type { TestServer, TestUser } from './test-server.ts';

export const V1 = '/image/v1';
export const V10 = '/image/v1.0';

export type Headers = Record<string, string>;

/** Creates (or overwrites) an object; returns its UUID. */
export async function putObject(
  s: TestServer,
  user: TestUser,
  container: string,
  name: string,
  data: Buffer<ArrayBuffer>,
  headers: Headers = {},
): Promise<string> {
  const base = `/object-store/v1/${user.uuid}/${encodeURIComponent(container)}`;
  await s.fetch(base, { method: 'PUT', token: user.token });
  const r = await s.fetch(`${base}/${name.split('/').map(encodeURIComponent).join('/')}`, {
    method: 'PUT',
    token: user.token,
    body: data,
    headers: { 'Content-Type': 'application/octet-stream', ...headers },
  });
  assert.equal(r.status, 201, `object PUT ${container}/${name}: ${await r.text()}`);
  return objectUuid(s, user, user.uuid, container, name);
}

export async function objectUuid(
  s: TestServer,
  user: TestUser,
  account: string,
  container: string,
  name: string,
): Promise<string> {
  const r = await s.fetch(
    `/object-store/v1/${account}/${encodeURIComponent(container)}/${name.split('/').map(encodeURIComponent).join('/')}`,
    { method: 'HEAD', token: user.token },
  );
  assert.equal(r.status, 200, `object HEAD ${container}/${name}`);
  return r.headers.get('x-object-uuid')!;
}

/** Object POST (sharing, publishing) as the owner. */
export async function postObject(
  s: TestServer,
  user: TestUser,
  container: string,
  name: string,
  headers: Headers,
): Promise<void> {
  const r = await s.fetch(
    `/object-store/v1/${user.uuid}/${encodeURIComponent(container)}/${encodeURIComponent(name)}`,
    { method: 'POST', token: user.token, headers },
  );
  assert.equal(r.status, 202, `object POST: ${await r.text()}`);
}

export const location = (account: string, container: string, name: string) =>
  `pithos://${account}/${container}/${name}`;

/** An image request with the user's token. */
export function image(
  s: TestServer,
  user: TestUser | undefined,
  method: string,
  path: string,
  init: { headers?: Headers; body?: BodyInit } = {},
) {
  return s.fetch(path, {
    method,
    token: user?.token,
    headers: init.headers,
    body: init.body,
    ...(init.body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit & { token?: string });
}

/** kamaki-style registration; asserts 200 and returns the image id. */
export async function register(
  s: TestServer,
  user: TestUser,
  name: string,
  loc: string,
  headers: Headers = {},
): Promise<string> {
  const r = await image(s, user, 'POST', `${V10}/images/`, {
    headers: { 'X-Image-Meta-Name': name, 'X-Image-Meta-Location': loc, ...headers },
  });
  assert.equal(r.status, 200, `register ${name}: ${await r.clone().text()}`);
  return (await r.json()).image.id;
}

/** The fault of an error reply, asserting its shape. */
export async function fault(r: Response): Promise<{ name: string; code: number; message: string }> {
  assert.equal(r.headers.get('content-type'), 'application/json; charset=UTF-8');
  const body = await r.json();
  const [name] = Object.keys(body);
  assert.equal(body[name].details, '');
  assert.equal(body[name].code, r.status);
  return { name, code: body[name].code, message: body[name].message };
}

export async function expectFault(
  r: Response | Promise<Response>,
  status: number,
  message?: string,
  name?: string,
): Promise<void> {
  const res = await r;
  const f = await fault(res);
  assert.equal(res.status, status, `${status} expected, got ${res.status} ${f.message}`);
  if (message !== undefined) assert.equal(f.message, message);
  if (name !== undefined) assert.equal(f.name, name);
}

/** `x-image-meta-*` headers of a reply, names lower-case. */
export function metaHeaders(r: Response): Record<string, string> {
  return Object.fromEntries([...r.headers].filter(([k]) => k.startsWith('x-image-meta-')));
}
