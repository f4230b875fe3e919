/**
 * Image API v2 over HTTP against the real server (openstack.md §4, §5): create, upload, download,
 * patch, delete, list paging, members, tags, deactivate; one image seen through v1 and v2; the
 * status codes gophercloud accepts (§4.1 "gophercloud accepts" column).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { location, putObject, register, V1 } from './helpers/image-client.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const V2 = '/image/v2';
const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';
const DATA = Buffer.from('plankton v2 data '.repeat(100));
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

for (const dialect of DIALECTS) {
  describe(`image API v2 [${dialect}]`, () => {
    let s: TestServer;
    let A: TestUser;
    let B: TestUser;
    let admin: TestUser;

    const call = (
      user: TestUser | undefined,
      method: string,
      path: string,
      init: { body?: unknown; type?: string; headers?: Record<string, string> } = {},
    ) => {
      const headers: Record<string, string> = { ...init.headers };
      let body: BodyInit | undefined;
      if (Buffer.isBuffer(init.body)) body = new Uint8Array(init.body);
      else if (init.body !== undefined) body = JSON.stringify(init.body);
      if (body !== undefined) headers['Content-Type'] = init.type ?? 'application/json';
      return s.fetch(V2 + path, { method, headers, body, token: user?.token });
    };
    const create = async (user: TestUser, body: Record<string, unknown> = {}) => {
      const r = await call(user, 'POST', '/images', {
        body: { name: 'img', disk_format: 'raw', container_format: 'bare', ...body },
      });
      assert.equal(r.status, 201, await r.clone().text());
      return (await r.json()) as Record<string, any>;
    };
    const upload = async (user: TestUser, id: string, data = DATA) => {
      const r = await call(user, 'PUT', `/images/${id}/file`, { body: data, type: 'application/octet-stream' });
      assert.equal(r.status, 204, await r.clone().text());
    };
    const show = async (user: TestUser, id: string) =>
      (await (await call(user, 'GET', `/images/${id}`)).json()) as Record<string, any>;
    const patch = (user: TestUser, id: string, ops: unknown[]) =>
      call(user, 'PATCH', `/images/${id}`, { body: ops, type: PATCH_TYPE });
    const faultOf = async (r: Response) =>
      Object.values((await r.json()) as Record<string, { code: number; message: string }>)[0];

    before(async () => {
      s = await startTestServer(dialect);
      A = await s.user('alice-v2@example.org');
      B = await s.user('bob-v2@example.org');
      admin = await s.user('root-v2@example.org', { admin: true });
    });
    after(() => s.close());

    it('versions: /image, /image/versions and /image/v2 list v2.15 CURRENT and the v1 entries', async () => {
      for (const path of ['/image', '/image/', '/image/versions', '/image/v2', '/image/v2/']) {
        const r = await s.fetch(path);
        assert.equal(r.status, 200, path);
        const ids = ((await r.json()) as { versions: { id: string; status: string }[] }).versions.map(
          (v) => `${v.id}:${v.status}`,
        );
        assert.ok(
          ids.includes('v2.15:CURRENT') && ids.includes('v1:CURRENT') && ids.includes('v1.0:CURRENT'),
          `${path}: ${ids}`,
        );
      }
    });

    it('create → 201 queued with Location; upload 204; GET file 200 with Content-MD5; 206 for a Range', async () => {
      const r = await call(A, 'POST', '/images', {
        body: {
          name: 'deb',
          disk_format: 'raw',
          container_format: 'bare',
          os_distro: 'debian',
          tags: ['x', 'x', 'y'],
        },
      });
      assert.equal(r.status, 201);
      const img = (await r.json()) as Record<string, any>;
      assert.equal(r.headers.get('location'), `${s.url}/image/v2/images/${img.id}`);
      assert.equal(img.status, 'queued');
      assert.equal(img.visibility, 'shared');
      assert.equal(img.size, null);
      assert.equal(img.checksum, null);
      assert.equal(img.os_hash_algo, null);
      assert.equal(img.os_hash_value, null);
      assert.equal(img.os_distro, 'debian');
      assert.deepEqual(img.tags, ['x', 'y']);
      assert.equal(img.properties, undefined);
      assert.equal(img.self, `/v2/images/${img.id}`);
      assert.match(img.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

      const none = await call(A, 'GET', `/images/${img.id}/file`);
      assert.equal(none.status, 204);

      await upload(A, img.id);
      const after = await show(A, img.id);
      assert.equal(after.status, 'active');
      assert.equal(after.size, DATA.length);
      assert.equal(after.checksum, md5(DATA));
      // SHA-512 of the stream, computed in the upload's one pass (openstack.md §3.3).
      assert.equal(after.os_hash_algo, 'sha512');
      assert.equal(after.os_hash_value, createHash('sha512').update(DATA).digest('hex'));

      const dl = await call(A, 'GET', `/images/${img.id}/file`);
      assert.equal(dl.status, 200);
      assert.equal(dl.headers.get('content-md5'), md5(DATA));
      assert.equal(dl.headers.get('content-type'), 'application/octet-stream');
      assert.deepEqual(Buffer.from(await dl.arrayBuffer()), DATA);

      const part = await call(A, 'GET', `/images/${img.id}/file`, { headers: { Range: 'bytes=2-9' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 2-9/${DATA.length}`);
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), DATA.subarray(2, 10));

      const again = await call(A, 'PUT', `/images/${img.id}/file`, { body: DATA, type: 'application/octet-stream' });
      assert.equal(again.status, 409);
      assert.equal((await faultOf(again)).message, 'Image status transition from active to saving is not allowed');
    });

    it('upload rules: octet-stream only (415), formats first (400), empty body stays queued (204)', async () => {
      const img = await create(A, { disk_format: undefined, container_format: undefined });
      const wrongType = await call(A, 'PUT', `/images/${img.id}/file`, { body: DATA, type: 'text/plain' });
      assert.equal(wrongType.status, 415);
      const noFormats = await call(A, 'PUT', `/images/${img.id}/file`, {
        body: DATA,
        type: 'application/octet-stream',
      });
      assert.equal(noFormats.status, 400);
      assert.match((await faultOf(noFormats)).message, /disk_format, container_format must be set/);
      const withFormats = await create(A);
      await upload(A, withFormats.id, Buffer.alloc(0));
      assert.equal((await show(A, withFormats.id)).status, 'queued');
      const notOwner = await call(B, 'PUT', `/images/${withFormats.id}/file`, {
        body: DATA,
        type: 'application/octet-stream',
      });
      assert.equal(notOwner.status, 404);
    });

    it('PATCH: properties, name, tags, protected; 415 for other media types; 409 replace of a missing property; atomic', async () => {
      const img = await create(A, { k: 'v' });
      const r = await patch(A, img.id, [
        { op: 'add', path: '/name', value: 'renamed' },
        { op: 'add', path: '/k2', value: 'v2' },
        { op: 'remove', path: '/k' },
        { op: 'replace', path: '/tags', value: ['a', 'b'] },
        { op: 'add', path: '/min_ram', value: 512 },
      ]);
      assert.equal(r.status, 200);
      const got = (await r.json()) as Record<string, any>;
      assert.equal(got.name, 'renamed');
      assert.equal(got.k2, 'v2');
      assert.equal(got.k, undefined);
      assert.deepEqual(got.tags, ['a', 'b']);
      assert.equal(got.min_ram, 512);

      const bad = await call(A, 'PATCH', `/images/${img.id}`, { body: [], type: 'application/json' });
      assert.equal(bad.status, 415);
      assert.match(bad.headers.get('accept-patch') ?? '', /openstack-images-v2\.1-json-patch/);

      const missing = await patch(A, img.id, [
        { op: 'add', path: '/name', value: 'not-applied' },
        { op: 'replace', path: '/nope', value: 'x' },
      ]);
      assert.equal(missing.status, 409);
      assert.equal((await show(A, img.id)).name, 'renamed');

      const readOnly = await patch(A, img.id, [{ op: 'replace', path: '/checksum', value: 'x' }]);
      assert.equal(readOnly.status, 403);
      const byOther = await patch(B, img.id, [{ op: 'add', path: '/name', value: 'x' }]);
      assert.equal(byOther.status, 404);
    });

    it('DELETE: protected → 403; uploaded data goes with the image, a registered object stays', async () => {
      const img = await create(A, { protected: true });
      assert.equal((await call(A, 'DELETE', `/images/${img.id}`)).status, 403);
      assert.equal((await patch(A, img.id, [{ op: 'replace', path: '/protected', value: false }])).status, 200);
      await upload(A, img.id);
      assert.equal((await call(A, 'DELETE', `/images/${img.id}`)).status, 204);
      assert.equal((await call(A, 'GET', `/images/${img.id}`)).status, 404);
      const placeholder = await s.fetch(`/object-store/v1/${A.uuid}/images/${img.id}`, {
        method: 'HEAD',
        token: A.token,
      });
      assert.equal(placeholder.status, 404);

      await putObject(s, A, 'images', 'kept.img', DATA);
      const id = await register(s, A, 'kept', location(A.uuid, 'images', 'kept.img'));
      assert.equal((await call(A, 'DELETE', `/images/${id}`)).status, 204);
      const kept = await s.fetch(`/object-store/v1/${A.uuid}/images/kept.img`, { method: 'HEAD', token: A.token });
      assert.equal(kept.status, 200);
    });

    it('one image through v1 and v2: a v2 upload is listed and downloadable through v1, a v1 registration shows in v2', async () => {
      const img = await create(A, { name: 'both-ways' });
      await upload(A, img.id);
      const v1 = await s.fetch(`${V1}/images/${img.id}`, { token: A.token });
      assert.equal(v1.status, 200);
      assert.deepEqual(Buffer.from(await v1.arrayBuffer()), DATA);
      assert.equal(v1.headers.get('x-image-meta-name'), 'both-ways');
      assert.equal(v1.headers.get('x-image-meta-status'), 'available');

      await putObject(s, A, 'images', 'v1.img', DATA);
      const id = await register(s, A, 'from-v1', location(A.uuid, 'images', 'v1.img'), {
        'X-Image-Meta-Property-Os': 'linux',
      });
      const seen = await show(A, id);
      assert.equal(seen.name, 'from-v1');
      assert.equal(seen.status, 'active');
      assert.equal(seen.visibility, 'private');
      assert.equal(seen.Os ?? seen.os, 'linux');
      assert.equal(seen.size, DATA.length);
    });

    it('list: paging with next links exactly /v2/images?…, filters by tag, name and visibility', async () => {
      const U = await s.user('pager@example.org');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await create(U, { name: `p${i}`, tags: i % 2 ? ['odd'] : [] })).id);
      const seen: string[] = [];
      let next: string | undefined = '/v2/images?limit=2&sort_key=name&sort_dir=asc';
      let pages = 0;
      while (next) {
        assert.match(next, /^\/v2\/images\?/);
        const page = (await (await s.fetch(`/image${next}`, { token: U.token })).json()) as {
          images: { id: string }[];
          next?: string;
          first: string;
        };
        seen.push(...page.images.map((i) => i.id));
        next = page.next;
        pages++;
      }
      assert.deepEqual(seen, ids);
      assert.equal(pages, 3);
      const odd = (await (await call(U, 'GET', '/images?tag=odd')).json()) as { images: { name: string }[] };
      assert.deepEqual(odd.images.map((i) => i.name).sort(), ['p1', 'p3']);
      const named = (await (await call(U, 'GET', '/images?name=in:p0,p4')).json()) as { images: { name: string }[] };
      assert.deepEqual(named.images.map((i) => i.name).sort(), ['p0', 'p4']);
      const bad = await call(U, 'GET', '/images?marker=00000000-0000-0000-0000-000000000000');
      assert.equal(bad.status, 400);
      assert.equal((await call(U, 'GET', '/images?limit=x')).status, 400);
    });

    it('members: pending until accepted, only then listed; the member sets his status, the owner adds and removes', async () => {
      const img = await create(A, { name: 'shared-one' });
      const added = await call(A, 'POST', `/images/${img.id}/members`, { body: { member: B.uuid } });
      assert.equal(added.status, 200);
      assert.equal(((await added.json()) as { status: string }).status, 'pending');
      assert.equal((await call(A, 'POST', `/images/${img.id}/members`, { body: { member: B.uuid } })).status, 409);
      const listB = async (q = '') =>
        ((await (await call(B, 'GET', `/images${q}`)).json()) as { images: { id: string }[] }).images.map((i) => i.id);
      assert.ok(!(await listB()).includes(img.id));
      assert.ok((await listB('?member_status=pending')).includes(img.id));
      assert.equal((await call(B, 'GET', `/images/${img.id}`)).status, 200);
      assert.equal(
        (await call(A, 'PUT', `/images/${img.id}/members/${B.uuid}`, { body: { status: 'accepted' } })).status,
        403,
      );
      const accepted = await call(B, 'PUT', `/images/${img.id}/members/${B.uuid}`, {
        body: { member: B.uuid, status: 'accepted' },
      });
      assert.equal(accepted.status, 200);
      assert.ok((await listB()).includes(img.id));
      const members = (await (await call(A, 'GET', `/images/${img.id}/members`)).json()) as {
        members: { member_id: string; status: string }[];
      };
      assert.deepEqual(
        members.members.map((m) => [m.member_id, m.status]),
        [[B.uuid, 'accepted']],
      );
      assert.equal((await call(B, 'DELETE', `/images/${img.id}/members/${B.uuid}`)).status, 403);
      assert.equal((await patch(A, img.id, [{ op: 'replace', path: '/visibility', value: 'private' }])).status, 409);
      assert.equal((await call(A, 'DELETE', `/images/${img.id}/members/${B.uuid}`)).status, 204);
      assert.equal((await call(B, 'GET', `/images/${img.id}`)).status, 404);
      const priv = await patch(A, img.id, [{ op: 'replace', path: '/visibility', value: 'private' }]);
      assert.equal(priv.status, 200);
      assert.equal((await call(A, 'GET', `/images/${img.id}/members`)).status, 403);
    });

    it('a v1 member grant counts as accepted in v2', async () => {
      const img = await create(A, { name: 'v1-shared' });
      assert.equal(
        (await s.fetch(`${V1}/images/${img.id}/members/${B.uuid}`, { method: 'PUT', token: A.token })).status,
        204,
      );
      const list = (await (await call(B, 'GET', '/images')).json()) as { images: { id: string }[] };
      assert.ok(list.images.some((i) => i.id === img.id));
      const m = (await (await call(A, 'GET', `/images/${img.id}/members/${B.uuid}`)).json()) as { status: string };
      assert.equal(m.status, 'accepted');
    });

    it('tags: PUT and DELETE 204, unknown tag 404', async () => {
      const img = await create(A);
      assert.equal((await call(A, 'PUT', `/images/${img.id}/tags/t1`)).status, 204);
      assert.equal((await call(A, 'PUT', `/images/${img.id}/tags/t1`)).status, 204);
      assert.deepEqual((await show(A, img.id)).tags, ['t1']);
      assert.equal((await call(A, 'DELETE', `/images/${img.id}/tags/t1`)).status, 204);
      assert.equal((await call(A, 'DELETE', `/images/${img.id}/tags/t1`)).status, 404);
    });

    it('deactivate: data 403 for non-admins, 200 for admins; reactivate; queued → 403', async () => {
      const img = await create(A);
      assert.equal((await call(A, 'POST', `/images/${img.id}/actions/deactivate`)).status, 403);
      await upload(A, img.id);
      assert.equal((await call(A, 'POST', `/images/${img.id}/actions/deactivate`)).status, 204);
      assert.equal((await show(A, img.id)).status, 'deactivated');
      const refused = await call(A, 'GET', `/images/${img.id}/file`);
      assert.equal(refused.status, 403);
      assert.match((await faultOf(refused)).message, /deactivated/);
      assert.equal((await call(admin, 'GET', `/images/${img.id}/file`)).status, 200);
      assert.equal((await s.fetch(`${V1}/images/${img.id}`, { token: A.token })).status, 403);
      assert.equal((await s.fetch(`${V1}/images/${img.id}`, { token: admin.token })).status, 200);
      assert.equal((await call(A, 'POST', `/images/${img.id}/actions/reactivate`)).status, 204);
      assert.equal((await call(A, 'GET', `/images/${img.id}/file`)).status, 200);
    });

    it("gophercloud's status codes (§4.1), 401 without a token, 404/405 routing, info/stores 404", async () => {
      const img = await create(A);
      assert.equal((await call(A, 'GET', '/images')).status, 200);
      assert.equal((await call(A, 'GET', `/images/${img.id}`)).status, 200);
      assert.equal((await patch(A, img.id, [{ op: 'replace', path: '/name', value: 'g' }])).status, 200);
      await upload(A, img.id);
      assert.equal((await call(A, 'GET', `/images/${img.id}/file`)).status, 200);
      assert.equal((await call(A, 'POST', `/images/${img.id}/members`, { body: { member: B.uuid } })).status, 200);
      assert.equal((await call(A, 'GET', `/images/${img.id}/members`)).status, 200);
      assert.equal((await call(A, 'GET', `/images/${img.id}/members/${B.uuid}`)).status, 200);
      assert.equal(
        (await call(B, 'PUT', `/images/${img.id}/members/${B.uuid}`, { body: { status: 'rejected' } })).status,
        200,
      );
      assert.equal((await call(A, 'DELETE', `/images/${img.id}/members/${B.uuid}`)).status, 204);
      assert.equal((await call(A, 'GET', '/info/import')).status, 200);
      assert.equal((await call(A, 'DELETE', `/images/${img.id}`)).status, 204);
      assert.equal((await call(undefined, 'GET', '/images')).status, 401);
      assert.equal((await call(A, 'GET', '/info/stores')).status, 404);
      assert.equal((await call(A, 'GET', '/images/not-an-id')).status, 404);
      const wrong = await call(A, 'PUT', '/images');
      assert.equal(wrong.status, 405);
      assert.equal(wrong.headers.get('allow'), 'GET, POST');
      const schema = (await (await call(A, 'GET', '/schemas/image')).json()) as {
        properties: { disk_format: { enum: string[] } };
      };
      assert.ok(schema.properties.disk_format.enum.includes('raw'));
    });
  });
}
