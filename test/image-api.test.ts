/**
 * The image API over HTTP against the real server: the regression scenarios of image-api.md §7.1
 * (T1.1–T6 from grnet/synnefo's Plankton tests, S1–S31), permissions (§4.6), lists (§5.2) and the
 * kamaki flow of clients.md §5. Uploads are in image-upload.test.ts, the real glance CLI in
 * glance-cli.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import {
  expectFault,
  fault,
  image,
  location,
  metaHeaders,
  postObject,
  putObject,
  register,
  V1,
  V10,
} from './helpers/image-client.ts';
import { rawRequest } from './helpers/raw-http.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const DATA = Buffer.from('x'.repeat(42));
const NO_CACHE = 'no-cache, no-store, must-revalidate, max-age=0';

for (const dialect of DIALECTS) {
  describe(`image API [${dialect}]`, () => {
    let s: TestServer;
    let A: TestUser;
    let B: TestUser;
    let C: TestUser;
    let admin: TestUser;
    let diskLoc: string;
    let objectHash: string;
    let n = 0;
    /** A fresh 42-byte object of `user` in `images`; returns its location. */
    const freshObject = async (user: TestUser, data = DATA, name = `obj-${++n}.img`) => {
      await putObject(s, user, 'images', name, data);
      return location(user.uuid, 'images', name);
    };
    const head = (user: TestUser | undefined, id: string) => image(s, user, 'HEAD', `${V1}/images/${id}`);
    const detail = async (user: TestUser, query = '') =>
      (await (await image(s, user, 'GET', `${V1}/images/detail${query}`)).json()).images as any[];
    const members = async (user: TestUser, id: string) =>
      (await (await image(s, user, 'GET', `${V1}/images/${id}/members`)).json()).members;

    before(async () => {
      s = await startTestServer(dialect);
      A = await s.user('alice@example.org');
      B = await s.user('bob@example.org');
      C = await s.user('carol@example.org');
      admin = await s.user('root@example.org', { admin: true });
      await putObject(s, A, 'images', 'disk.img', DATA);
      diskLoc = location(A.uuid, 'images', 'disk.img');
      const h = await s.fetch(`/object-store/v1/${A.uuid}/images/disk.img`, { method: 'HEAD', token: A.token });
      objectHash = h.headers.get('x-object-hash')!;
    });
    after(() => s.close());

    describe('registration checks (T1.x)', () => {
      const post = (headers: Record<string, string>) => image(s, A, 'POST', `${V10}/images/`, { headers });
      const NAME = { 'X-Image-Meta-Name': 'TestImage' };

      it('T1.1–T1.13, T1.15, S11: the first failing check answers', async () => {
        const loc = { 'X-Image-Meta-Location': diskLoc };
        const cases: [Record<string, string>, string][] = [
          [loc, "Image 'name' parameter is required"],
          [{ 'X-Image-Meta-Name': '', ...loc }, 'Invalid image name'],
          [{ ...NAME, 'X-Image-Meta-Location': '' }, "Invalid location ''"],
          [
            { ...NAME, 'X-Image-Meta-Location': `pitho://${A.uuid}/images/foo` },
            `Invalid location 'pitho://${A.uuid}/images/foo'`,
          ],
          [{ ...NAME, 'X-Image-Meta-Location': `pithos://${A.uuid}/foo` }, `Invalid location 'pithos://${A.uuid}/foo'`],
          [{ ...NAME, ...loc, 'X-Image-Meta-Id': '1234' }, 'Invalid image id'],
          [{ ...NAME, ...loc, 'X-Image-Meta-Lolo': '1234' }, 'Invalid parameters'],
          [{ ...NAME, ...loc, 'X-Image-Meta-Status': 'x' }, 'Invalid parameters'],
          [
            { ...NAME, ...loc, 'X-Image-Meta-Store': 'pitho' },
            "Invalid store 'pitho'. Only 'pithos' store is supported",
          ],
          [{ ...NAME, ...loc, 'X-Image-Meta-Disk-Format': 'diskdumpp' }, "Invalid disk format 'diskdumpp'"],
          [{ ...NAME, ...loc, 'X-Image-Meta-Container-Format': 'baree' }, "Invalid container format 'baree'"],
          [{ ...NAME, ...loc, 'X-Image-Meta-Size': 'foo' }, "Invalid 'size' field"],
          [{ ...NAME, ...loc, 'X-Image-Meta-Size': '43' }, "Invalid 'size' field"],
          [
            { ...NAME, ...loc, 'X-Image-Meta-Size': '42', 'X-Image-Meta-Checksum': 'wrong_checksum' },
            'Invalid checksum field',
          ],
          [{ ...NAME, ...loc, 'X-Image-Meta-Checksum': 'a'.repeat(64) }, 'Invalid checksum field'],
          [{ ...NAME, ...loc, 'X-Image-Meta-Checksum': 'a'.repeat(32) }, 'Invalid checksum field'],
          [{ ...NAME, ...loc, 'x-glance-api-copy-from': 'http://example.org/x' }, 'External sources are not supported'],
        ];
        for (const [headers, message] of cases) await expectFault(post(headers), 400, message, 'badRequest');
        assert.deepEqual(await detail(A), [], 'nothing was registered');
      });

      it('T1.14: a raw 0xC2 octet in the name is not UTF-8', async () => {
        const r = await rawRequest(
          s.url,
          Buffer.concat([
            Buffer.from(`POST ${V10}/images/ HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${A.token}\r\nX-Image-Meta-Name: `),
            Buffer.from([0xc2]),
            Buffer.from(`\r\nX-Image-Meta-Location: ${diskLoc}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`),
          ]),
        );
        assert.equal(r.status, 400);
        assert.equal(JSON.parse(r.body.toString()).badRequest.message, 'Could not decode request as UTF-8 string');
      });

      it('T1.16: registers a location with a non-ASCII container', async () => {
        await putObject(s, A, '☂', 'foo', DATA);
        const r = await post({
          'X-Image-Meta-Name': 'TestImage%E2%98%82',
          'X-Image-Meta-Location': `pithos://${A.uuid}/%E2%98%82/foo`,
        });
        assert.equal(r.status, 200);
        const h = metaHeaders(r);
        assert.equal(h['x-image-meta-location'], `pithos://${A.uuid}/%E2%98%82/foo`);
        assert.equal(h['x-image-meta-status'], 'available');
        assert.equal(h['x-image-meta-deleted_at'], '');
        assert.equal(h['x-image-meta-is_public'], 'False');
        assert.equal(h['x-image-meta-owner'], A.uuid);
        assert.equal(h['x-image-meta-size'], '42');
        assert.equal(h['x-image-meta-name'], 'TestImage%E2%98%82');
        assert.equal(h['x-image-meta-container_format'], 'bare');
        assert.equal(h['x-image-meta-disk_format'], 'diskdump');
        assert.equal(h['x-image-meta-created_at'], h['x-image-meta-updated_at']);
        assert.match(h['x-image-meta-created_at'], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
        const body = (await r.json()).image;
        assert.equal(body.name, 'TestImage☂');
        assert.equal(body.checksum, h['x-image-meta-checksum']);
        assert.match(body.checksum, /^[0-9a-f]{64}$/, 'a registered image shows its object hash');
        assert.equal(h['x-image-meta-id'], body.id);
        assert.equal(r.headers.get('content-type'), 'application/json; charset=UTF-8');
      });

      it('T1.17: is_public and properties (encoded values decoded; keys normalised)', async () => {
        const loc = await freshObject(A);
        const r = await post({
          ...NAME,
          'X-Image-Meta-Location': loc,
          'X-Image-Meta-Is-Public': 'true',
          'X-Image-Meta-Property-KEY1': 'val1',
          'X-Image-Meta-Property-KEY2': '%E2%98%81',
        });
        assert.equal(r.status, 200);
        const id = (await r.json()).image.id;
        const h = await head(A, id);
        assert.equal(h.status, 200);
        const m = metaHeaders(h);
        assert.equal(m['x-image-meta-property-key1'], 'val1');
        assert.equal(m['x-image-meta-property-key2'], '%E2%98%81');
        assert.equal(m['x-image-meta-is_public'], 'True');
        const listed = (await detail(A)).find((i) => i.id === id);
        assert.deepEqual(listed.properties, { key1: 'val1', key2: '☁' });
        assert.equal(listed.is_public, true);
      });

      it('checks size and checksum against the object (object hash, or MD5 when known)', async () => {
        const loc = await freshObject(A);
        await expectFault(
          post({ ...NAME, 'X-Image-Meta-Location': loc, 'X-Image-Meta-Size': '41' }),
          400,
          "Invalid 'size' field",
        );
        const md5 = createHash('md5').update(DATA).digest('hex');
        const r = await post({
          ...NAME,
          'X-Image-Meta-Location': loc,
          'X-Image-Meta-Size': '42',
          'X-Image-Meta-Checksum': md5.toUpperCase(),
        });
        assert.equal(r.status, 200, 'an MD5 the object store knows matches');
        const r2 = await post({
          ...NAME,
          'X-Image-Meta-Location': diskLoc,
          'X-Image-Meta-Checksum': objectHash,
          'X-Image-Meta-Store': 'pithos',
        });
        assert.equal(r2.status, 200, 'the object hash matches');
      });

      it('accepts kamaki’s re-registration headers from a .meta file (owner "<uuid> (<name>)")', async () => {
        const loc = await freshObject(A);
        const r = await post({
          ...NAME,
          'X-Image-Meta-Location': loc,
          'X-Image-Meta-Store': 'pithos',
          'X-Image-Meta-Disk-Format': 'diskdump',
          'X-Image-Meta-Container-Format': 'bare',
          'X-Image-Meta-Size': '42',
          'X-Image-Meta-Is-Public': 'False',
          'X-Image-Meta-Owner': `${A.uuid} (alice@example.org)`,
        });
        assert.equal(r.status, 200);
        assert.equal(metaHeaders(r)['x-image-meta-owner'], A.uuid);
      });

      it('refuses a `Setting the image ID` that differs from the object UUID, accepts the same one', async () => {
        const loc = await freshObject(A);
        await expectFault(
          post({ ...NAME, 'X-Image-Meta-Location': loc, 'X-Image-Meta-Id': '00000000-0000-4000-8000-000000000000' }),
          400,
          'Setting the image ID is not supported',
        );
        const uuid = (
          await s.fetch(`/object-store/v1/${A.uuid}/images/obj-${n}.img`, { method: 'HEAD', token: A.token })
        ).headers.get('x-object-uuid')!;
        const r = await post({
          ...NAME,
          'X-Image-Meta-Location': loc,
          'X-Image-Meta-Id': uuid.replace(/-/g, '').toUpperCase(),
        });
        assert.equal(r.status, 200);
        assert.equal((await r.json()).image.id, uuid, 'image id = object uuid');
      });
    });

    describe('routing, tokens and common headers (T5, S1–S6, S24, S25)', () => {
      it('T5: an unknown path under /image is E17, without a token', async () => {
        const r = await s.fetch(`${V1}/nonexistent`);
        assert.equal(r.status, 400);
        assert.deepEqual(await r.json(), { badRequest: { code: 400, message: 'API endpoint not found', details: '' } });
        assert.equal(r.headers.get('cache-control'), NO_CACHE);
        assert.equal(r.headers.get('vary'), 'X-Auth-Token');
      });

      it('S25: no trailing-slash redirects', async () => {
        const some = await register(s, A, 's25', await freshObject(A));
        // `/image/v2/images` left this list: it is Image API v2 now (openstack.md Decision 7, issue 12).
        for (const path of [`${V1}/images/${some}/`, `${V1}/images/detail/`, V1, `${V1}/`, `${V10}/`]) {
          await expectFault(image(s, A, 'GET', path), 400, 'API endpoint not found');
        }
      });

      it('S1: the versions document, without a token', async () => {
        for (const path of ['/image', '/image/', '/image/.json', '/image/versions', '/image/versions/']) {
          const r = await s.fetch(path);
          assert.equal(r.status, 200, path);
          const doc = await r.json();
          // Image API v2 serves (issue 12): its entries come first, the v1.0 and v1 entries stay last.
          const hrefs = doc.versions.map((v: any) => v.links[0].href);
          assert.deepEqual(hrefs.slice(-2), [`${s.url}/image/v1.0/`, `${s.url}/image/v1/`]);
          assert.ok(hrefs.slice(0, -2).every((h: string) => h === `${s.url}/image/v2/`));
          assert.equal(doc.versions[0].id, 'v2.15');
          assert.equal(r.headers.get('cache-control'), NO_CACHE);
        }
        await expectFault(s.fetch('/image/versions', { method: 'POST' }), 405, 'Method not allowed', 'notAllowed');
      });

      it('S3, S24: 405 with Allow before the token is looked at', async () => {
        const some = await register(s, A, 's3', await freshObject(A));
        const cases: [string, string, string][] = [
          ['PATCH', `${V1}/images`, 'GET, POST'],
          ['DELETE', `${V10}/images/`, 'GET, POST'],
          ['HEAD', `${V1}/images`, 'GET, POST'],
          ['HEAD', `${V1}/images/detail`, 'GET'],
          ['PUT', `${V1}/images/detail`, 'GET'],
          ['POST', `${V1}/images/${some}`, 'GET, HEAD, PUT, DELETE'],
          ['DELETE', `${V1}/images/${some}/members`, 'GET, PUT'],
          ['GET', `${V1}/images/${some}/members/${B.uuid}`, 'DELETE, PUT'],
          ['POST', `${V1}/shared-images/${B.uuid}`, 'GET'],
        ];
        for (const [method, path, allow] of cases) {
          const r = await s.fetch(path, { method });
          assert.equal(r.status, 405, `${method} ${path}`);
          assert.equal(r.headers.get('allow'), allow, `${method} ${path}`);
          assert.equal(r.headers.get('cache-control'), NO_CACHE);
          if (method === 'HEAD') assert.equal(r.headers.get('content-type'), null, 'a HEAD reply has no Content-Type');
          else
            assert.deepEqual(await r.json(), { notAllowed: { code: 405, message: 'Method not allowed', details: '' } });
        }
      });

      it('S4, S5: the token comes from the header or the query', async () => {
        await expectFault(s.fetch(`${V1}/images`), 401, 'Access denied. No authentication token', 'unauthorized');
        await expectFault(s.fetch(`${V1}/images`, { headers: { 'X-Auth-Token': 'nope' } }), 401, 'Invalid token');
        const r = await s.fetch(`${V1}/images?X-Auth-Token=${encodeURIComponent(A.token)}`);
        assert.equal(r.status, 200);
        assert.ok(Array.isArray((await r.json()).images));
        const h = await s.fetch(`${V1}/images/00000000-0000-4000-8000-000000000000`, { method: 'HEAD' });
        assert.equal(h.status, 401);
        assert.equal(h.headers.get('content-type'), null);
      });

      it('T6, S6: list parameter errors', async () => {
        const cases: [string, string][] = [
          ['?size_max=', 'Malformed request.'],
          ['?sort_key=foo', "Invalid 'sort_key'"],
          ['?sort_dir=up', "Invalid 'sort_dir'"],
          ['?size_min=abc', 'Malformed request.'],
          ['?marker=00000000-0000-4000-8000-000000000000', 'Invalid marker. Image could not be found.'],
        ];
        for (const [q, message] of cases) {
          await expectFault(image(s, A, 'GET', `${V1}/images/${q}`), 400, message);
          await expectFault(image(s, A, 'GET', `${V1}/images/detail${q}`), 400, message);
        }
      });

      it('v1 and v1.0 reach the same handlers; glanceclient’s Content-Type on GET/HEAD is fine', async () => {
        const id = await register(s, A, 'both', await freshObject(A));
        for (const v of [V1, V10]) {
          const r = await image(s, A, 'HEAD', `${v}/images/${id}`, {
            headers: { 'Content-Type': 'application/octet-stream' },
          });
          assert.equal(r.status, 200);
          assert.equal(r.headers.get('x-image-meta-id'), id);
          assert.equal(r.headers.get('cache-control'), NO_CACHE);
          assert.equal(r.headers.get('vary'), 'X-Auth-Token');
        }
      });
    });

    describe('visibility and permissions (§4.6)', () => {
      let mine: string;
      let priv: string;
      let shared: string;
      let pub: string;
      let bobOnly: TestUser;
      before(async () => {
        bobOnly = await s.user('dave@example.org');
        mine = await register(s, bobOnly, 'mine', await freshObject(bobOnly));
        const other = await s.user('erin@example.org');
        priv = await register(s, other, 'priv', await freshObject(other));
        shared = await register(s, other, 'shared', await freshObject(other));
        const r = await image(s, other, 'PUT', `${V1}/images/${shared}/members/${bobOnly.uuid}`);
        assert.equal(r.status, 204);
        pub = await register(s, other, 'pub', await freshObject(other), { 'X-Image-Meta-Is-Public': 'True' });
        (bobOnly as any).other = other;
      });

      it('S7: a user lists his own, shared and public images, each once, newest first', async () => {
        // Other tests make public images too: look at this scenario's four, and at duplicates overall.
        const scenario = new Set([mine, priv, shared, pub]);
        for (const [query, expected] of [
          ['', ['pub', 'shared', 'mine']],
          ['?sort_dir=asc', ['mine', 'shared', 'pub']],
        ] as const) {
          const listed = (await (await image(s, bobOnly, 'GET', `${V10}/images/${query}`)).json()) as any[];
          assert.equal(new Set(listed.map((i) => i.id)).size, listed.length, 'each once');
          assert.deepEqual(
            listed.filter((i) => scenario.has(i.id)).map((i) => i.name),
            expected,
          );
        }
      });

      it('S9: unreadable, unknown and malformed ids are all "Image not found"', async () => {
        const other = (bobOnly as any).other as TestUser;
        const unregistered = await register(s, other, 'gone', await freshObject(other));
        assert.equal((await image(s, other, 'DELETE', `${V1}/images/${unregistered}`)).status, 204);
        const notAnImage = (
          await s.fetch(`/object-store/v1/${bobOnly.uuid}/images/obj-1.img`, { method: 'HEAD', token: bobOnly.token })
        ).headers.get('x-object-uuid');
        for (const id of [
          'not-a-uuid',
          '12345',
          '00000000-0000-4000-8000-000000000000',
          priv,
          unregistered,
          notAnImage ?? 'x',
        ]) {
          const r = await head(bobOnly, id);
          assert.equal(r.status, 404, id);
          assert.equal(r.headers.get('content-type'), null);
          for (const [method, path] of [
            ['GET', ''],
            ['PUT', ''],
            ['DELETE', ''],
            ['GET', '/members'],
            ['PUT', `/members/${A.uuid}`],
            ['DELETE', `/members/${A.uuid}`],
          ]) {
            await expectFault(
              image(s, bobOnly, method, `${V1}/images/${id}${path}`),
              404,
              'Image not found',
              'itemNotFound',
            );
          }
        }
      });

      it('S16: a member may read but not modify or change members', async () => {
        const h = await head(bobOnly, shared);
        assert.equal(h.status, 200);
        assert.equal(h.headers.get('x-image-meta-owner'), ((bobOnly as any).other as TestUser).uuid);
        await expectFault(
          image(s, bobOnly, 'PUT', `${V1}/images/${shared}`, { headers: { 'X-Image-Meta-Name': 'x' } }),
          403,
          'Not allowed to modify this image',
          'forbidden',
        );
        await expectFault(
          image(s, bobOnly, 'PUT', `${V1}/images/${shared}/members/${bobOnly.uuid}`),
          403,
          'Only the image owner may change members',
        );
        await expectFault(
          image(s, bobOnly, 'DELETE', `${V1}/images/${shared}/members/${bobOnly.uuid}`),
          403,
          'Only the image owner may change members',
        );
        await expectFault(
          image(s, bobOnly, 'PUT', `${V1}/images/${shared}/members`, {
            headers: { 'Content-Type': 'application/json' },
            body: '{"memberships":[]}',
          }),
          403,
          'Only the image owner may change members',
        );
        await expectFault(
          image(s, bobOnly, 'DELETE', `${V1}/images/${shared}`),
          403,
          'Only the image owner may unregister the image',
        );
        assert.equal((await image(s, bobOnly, 'GET', `${V1}/images/${shared}/members`)).status, 200);
      });

      it('S22: shared-images lists the caller’s images having that member, not the member’s own; never 403/404', async () => {
        for (const v of [V1, V10]) {
          const r = await image(s, bobOnly, 'GET', `${v}/shared-images/${bobOnly.uuid}`);
          assert.equal(r.status, 200);
          assert.deepEqual(
            await r.json(),
            { shared_images: [{ image_id: shared, can_share: false }] },
            'his own image lists him as member, but is not shared with him',
          );
        }
        const upper = await (
          await image(s, bobOnly, 'GET', `${V1}/shared-images/${bobOnly.uuid.toUpperCase().replace(/-/g, '')}`)
        ).json();
        assert.deepEqual(
          upper.shared_images.map((x: any) => x.image_id),
          [shared],
        );
        assert.deepEqual(await (await image(s, bobOnly, 'GET', `${V1}/shared-images/nobody@example.org`)).json(), {
          shared_images: [],
        });
        const owner = (bobOnly as any).other as TestUser;
        const ownerView = await (await image(s, owner, 'GET', `${V1}/shared-images/${owner.uuid}`)).json();
        assert.deepEqual(
          ownerView,
          { shared_images: [] },
          'an owner is not a member of his own images (pub, shared, priv)',
        );
        const sharedWithBob = await (await image(s, owner, 'GET', `${V1}/shared-images/${bobOnly.uuid}`)).json();
        assert.deepEqual(
          sharedWithBob,
          { shared_images: [{ image_id: shared, can_share: false }] },
          'what the owner shares with him (glance member-list --tenant-id)',
        );
      });

      it('admins read every image and list all of them with is_public=None', async () => {
        assert.equal((await head(admin, priv)).status, 200);
        await expectFault(
          image(s, admin, 'PUT', `${V1}/images/${priv}`, { headers: { 'X-Image-Meta-Name': 'x' } }),
          403,
          'Not allowed to modify this image',
        );
        const all = await detail(admin, '?is_public=None');
        for (const id of [mine, priv, shared, pub])
          assert.ok(
            all.some((i) => i.id === id),
            id,
          );
        const own = await detail(admin);
        assert.ok(!own.some((i) => i.id === priv), 'without is_public=None an admin sees his listed set');
        const forUser = await detail(bobOnly, '?is_public=none');
        assert.deepEqual(
          forUser
            .filter((i) => [mine, priv, shared, pub].includes(i.id))
            .map((i) => i.name)
            .sort(),
          ['mine', 'pub', 'shared'],
          'is_public=None is no filter for others',
        );
      });

      it('S12, S13: registering another user’s file', async () => {
        await putObject(s, B, 'images', 'private.img', DATA);
        await expectFault(
          image(s, A, 'POST', `${V10}/images/`, {
            headers: { 'X-Image-Meta-Name': 'x', 'X-Image-Meta-Location': location(B.uuid, 'images', 'private.img') },
          }),
          404,
          'Object does not exist',
        );
        await putObject(s, B, 'images', 'shared.img', DATA);
        await postObject(s, B, 'images', 'shared.img', { 'X-Object-Sharing': `read=${A.uuid}` });
        await expectFault(
          image(s, A, 'POST', `${V10}/images/`, {
            headers: { 'X-Image-Meta-Name': 'x', 'X-Image-Meta-Location': location(B.uuid, 'images', 'shared.img') },
          }),
          403,
          'Only the owner of the file may register it',
        );
        await expectFault(
          image(s, A, 'POST', `${V10}/images/`, {
            headers: { 'X-Image-Meta-Name': 'x', 'X-Image-Meta-Location': location(A.uuid, 'images', 'missing') },
          }),
          404,
          'Object does not exist',
        );
        await expectFault(
          image(s, A, 'POST', `${V10}/images/`, {
            headers: { 'X-Image-Meta-Name': 'x', 'X-Image-Meta-Location': location(A.uuid, 'nocontainer', 'missing') },
          }),
          404,
          'Object does not exist',
        );
        // An admin may register anyone's file; the owner stays the file's account.
        const r = await image(s, admin, 'POST', `${V10}/images/`, {
          headers: { 'X-Image-Meta-Name': 'adm', 'X-Image-Meta-Location': location(B.uuid, 'images', 'private.img') },
        });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('x-image-meta-owner'), B.uuid);
      });

      it('a published object’s image is readable by anyone but not listed', async () => {
        const loc = await freshObject(C, DATA, 'published.img');
        const id = await register(s, C, 'published', loc);
        await postObject(s, C, 'images', 'published.img', { 'X-Object-Public': 'True' });
        assert.equal((await head(A, id)).status, 200);
        assert.ok(!(await detail(A)).some((i) => i.id === id));
        await expectFault(image(s, A, 'PUT', `${V1}/images/${id}`), 403, 'Not allowed to modify this image');
      });

      it('a write grantee may modify, but not is_public, data, members or unregistering', async () => {
        await putObject(s, C, 'images', 'writable.img', DATA);
        const id = await register(s, C, 'writable', location(C.uuid, 'images', 'writable.img'));
        await postObject(s, C, 'images', 'writable.img', { 'X-Object-Sharing': `write=${A.uuid}` });
        const r = await image(s, A, 'PUT', `${V1}/images/${id}`, {
          headers: { 'X-Image-Meta-Name': 'renamed', 'X-Image-Meta-Property-By': 'alice' },
        });
        assert.equal(r.status, 200);
        assert.equal((await r.json()).image.name, 'renamed');
        assert.ok(
          (await detail(A)).some((i) => i.id === id),
          'listed for a write grantee',
        );
        await expectFault(
          image(s, A, 'PUT', `${V1}/images/${id}`, { headers: { 'X-Image-Meta-Is-Public': 'True' } }),
          403,
          'Only the image owner may change is_public',
        );
        await expectFault(
          image(s, A, 'PUT', `${V1}/images/${id}`, {
            headers: { 'Content-Type': 'application/octet-stream' },
            body: Buffer.from('x'),
          }),
          403,
          'Only the image owner may upload data',
        );
        await expectFault(
          image(s, A, 'DELETE', `${V1}/images/${id}`),
          403,
          'Only the image owner may unregister the image',
        );
        await expectFault(
          image(s, A, 'PUT', `${V1}/images/${id}/members/${B.uuid}`),
          403,
          'Only the image owner may change members',
        );
      });
    });

    describe('update, unregister, members', () => {
      it('T2, S18: unregister keeps the object; re-registering gives the same id', async () => {
        const loc = await freshObject(A, DATA, 't2.img');
        const id = await register(s, A, 't2', loc);
        const r = await image(s, A, 'DELETE', `${V1}/images/${id}`);
        assert.equal(r.status, 204);
        assert.equal(r.headers.get('content-type'), null);
        assert.equal(await r.text(), '');
        assert.equal((await head(A, id)).status, 404);
        await expectFault(image(s, A, 'DELETE', `${V1}/images/${id}`), 404, 'Image not found');
        const obj = await s.fetch(`/object-store/v1/${A.uuid}/images/t2.img`, { token: A.token });
        assert.equal(obj.status, 200);
        assert.deepEqual(Buffer.from(await obj.arrayBuffer()), DATA);
        assert.ok(!(await detail(A)).some((i) => i.id === id));
        assert.equal(await register(s, A, 't2 again', loc), id);
      });

      it('T3, S19: members add, remove, replace, list in grant order', async () => {
        const id = await register(s, A, 't3', await freshObject(A));
        assert.deepEqual(await members(A, id), [{ member_id: A.uuid, can_share: false }]);
        const add = await image(s, A, 'PUT', `${V10}/images/${id}/members/${B.uuid}`, {
          headers: { 'Content-Length': '0' },
        });
        assert.equal(add.status, 204);
        assert.equal(add.headers.get('content-type'), null);
        assert.equal(
          (await image(s, A, 'PUT', `${V10}/images/${id}/members/${B.uuid}`)).status,
          204,
          'adding twice is no change',
        );
        assert.deepEqual(
          (await members(A, id)).map((m: any) => m.member_id),
          [A.uuid, B.uuid],
        );
        const del = await image(s, A, 'DELETE', `${V10}/images/${id}/members/${A.uuid}`);
        assert.equal(del.status, 204);
        assert.equal(del.headers.get('content-type'), null, 'S31');
        assert.equal(
          (await image(s, A, 'DELETE', `${V10}/images/${id}/members/${C.uuid}`)).status,
          204,
          'absent member: no-op',
        );
        assert.deepEqual(
          (await members(A, id)).map((m: any) => m.member_id),
          [B.uuid],
        );
        const put = await image(s, A, 'PUT', `${V10}/images/${id}/members`, {
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            memberships: [{ member_id: C.uuid }, { member_id: A.uuid, can_share: true }, { member_id: C.uuid }],
          }),
        });
        assert.equal(put.status, 204);
        assert.deepEqual(await members(A, id), [
          { member_id: C.uuid, can_share: false },
          { member_id: A.uuid, can_share: false },
        ]);
        const sharing = (
          await s.fetch(`/object-store/v1/${A.uuid}/images/obj-${n}.img`, { method: 'HEAD', token: A.token })
        ).headers.get('x-object-sharing');
        assert.equal(sharing, `read=${C.uuid},${A.uuid}`, 'members are the object’s read grants');
      });

      it('member ids are checked: not a UUID, unknown user', async () => {
        const id = await register(s, A, 'mchk', await freshObject(A));
        await expectFault(
          image(s, A, 'PUT', `${V1}/images/${id}/members/bob@example.org`),
          400,
          "Invalid member id 'bob@example.org'",
        );
        await expectFault(image(s, A, 'DELETE', `${V1}/images/${id}/members/bob`), 400, "Invalid member id 'bob'");
        const ghost = '99999999-0000-4000-8000-000000000009';
        await expectFault(image(s, A, 'PUT', `${V1}/images/${id}/members/${ghost}`), 400, `Unknown member '${ghost}'`);
        await expectFault(
          image(s, A, 'PUT', `${V1}/images/${id}/members`, {
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ memberships: [{ member_id: B.uuid }, { member_id: ghost }] }),
          }),
          400,
          `Unknown member '${ghost}'`,
        );
        const add = await image(s, A, 'PUT', `${V1}/images/${id}/members/${B.uuid.toUpperCase()}`, {
          headers: { 'Content-Type': 'application/json' },
          body: '{"member": {"can_share": false}}',
        });
        assert.equal(add.status, 204);
        assert.deepEqual(
          (await members(A, id)).map((m: any) => m.member_id),
          [A.uuid, B.uuid],
          'glanceclient body ignored; canonical id stored',
        );
      });

      it('S20: replacing members of a public image keeps it public', async () => {
        const id = await register(s, A, 's20', await freshObject(A), { 'X-Image-Meta-Is-Public': 'True' });
        const r = await image(s, A, 'PUT', `${V1}/images/${id}/members`, {
          headers: { 'Content-Type': 'application/json; charset=utf-8' },
          body: JSON.stringify({ memberships: [{ member_id: C.uuid }] }),
        });
        assert.equal(r.status, 204);
        assert.equal((await head(A, id)).headers.get('x-image-meta-is_public'), 'True');
        assert.deepEqual(
          (await members(A, id)).map((m: any) => m.member_id),
          [C.uuid],
        );
        await image(s, A, 'PUT', `${V1}/images/${id}/members`, {
          headers: { 'Content-Type': 'application/json' },
          body: '{"memberships":[{"member_id":"*"}]}',
        });
        assert.deepEqual(await members(A, id), [], '`*` is never listed as a member');
        assert.equal((await head(A, id)).headers.get('x-image-meta-is_public'), 'True');
      });

      it('S21: the members body is checked first, even for an unknown image', async () => {
        const path = `${V1}/images/00000000-0000-4000-8000-000000000000/members`;
        const cases: [Record<string, string>, string, string][] = [
          [{}, '{}', 'Missing Content-Type header field'],
          [{ 'Content-Type': 'text/plain' }, '{}', "Unsupported Content-type: 'text/plain'"],
          [{ 'Content-Type': 'application/json' }, '{', 'Could not decode request body as JSON'],
          [{ 'Content-Type': 'application/json' }, '{}', "Malformed request. Missing attribute 'memberships'."],
          [
            { 'Content-Type': 'application/json' },
            '{"memberships":1}',
            "Malformed request. Invalid 'memberships' field",
          ],
          [{ 'Content-Type': 'application/json' }, '{"memberships":[1]}', "Invalid 'memberships' field"],
          [
            { 'Content-Type': 'application/json' },
            '{"memberships":[{}]}',
            "Malformed request. Missing attribute 'member_id'.",
          ],
        ];
        for (const [headers, body, message] of cases) {
          // fetch adds text/plain to a string body: send bytes to control the header.
          await expectFault(image(s, A, 'PUT', path, { headers, body: Buffer.from(body) }), 400, message);
        }
        await expectFault(
          image(s, A, 'PUT', path, {
            headers: { 'Content-Type': 'application/json' },
            body: Buffer.from([0x7b, 0xff, 0x7d]),
          }),
          400,
          'Could not decode request as UTF-8 string',
        );
        await expectFault(
          image(s, A, 'PUT', path, {
            headers: { 'Content-Type': 'application/json' },
            body: Buffer.alloc(1024 * 1024 + 1, 0x20),
          }),
          413,
          'Request body too large',
          'overLimit',
        );
        await expectFault(
          image(s, A, 'PUT', path, { headers: { 'Content-Type': 'application/json' }, body: '{"memberships":[]}' }),
          404,
          'Image not found',
        );
      });

      it('T4: another user’s public image; the owner makes it private and sets a property', async () => {
        await putObject(s, B, 'images', 'dir/sub/t4.img', DATA);
        const id = await register(s, B, 't4', location(B.uuid, 'images', 'dir/sub/t4.img'), {
          'X-Image-Meta-Is-Public': 'True',
        });
        const h = await head(A, id);
        assert.equal(h.status, 200);
        assert.equal(h.headers.get('x-image-meta-location'), `pithos://${B.uuid}/images/dir/sub/t4.img`);
        const r = await image(s, B, 'PUT', `${V1}/images/${id}`, {
          headers: { 'X-Image-Meta-Is-Public': 'false', 'X-Image-Meta-Property-KEY1': 'Val1' },
        });
        assert.equal(r.status, 200);
        const body = (await r.json()).image;
        assert.equal(body.is_public, false);
        assert.deepEqual(body.properties, { key1: 'Val1' });
        assert.equal(r.headers.get('x-image-meta-property-key1'), 'Val1');
        assert.equal((await head(A, id)).status, 404, 'no longer readable by others');
      });

      it('S14: re-registration replaces all metadata and resets the grants', async () => {
        await putObject(s, B, 'images', 's14.img', DATA);
        const loc = location(B.uuid, 'images', 's14.img');
        const id = await register(s, B, 'pub', loc, {
          'X-Image-Meta-Is-Public': 'True',
          'X-Image-Meta-Property-Old': '1',
          'X-Image-Meta-Disk-Format': 'raw',
          'X-Image-Meta-Min-Ram': '512',
        });
        await image(s, B, 'PUT', `${V1}/images/${id}/members/${C.uuid}`);
        await postObject(s, B, 'images', 's14.img', { 'X-Object-Sharing': `read=${C.uuid},*;write=${A.uuid}` });
        const r = await image(s, B, 'POST', `${V10}/images/`, {
          headers: { 'X-Image-Meta-Name': 'pub2', 'X-Image-Meta-Location': loc, 'X-Image-Meta-Property-New': '2' },
        });
        assert.equal(r.status, 200);
        const body = (await r.json()).image;
        assert.equal(body.id, id);
        assert.equal(body.is_public, false);
        assert.deepEqual(body.properties, { new: '2' });
        assert.equal(body.disk_format, 'diskdump');
        assert.equal(body.min_ram, 0);
        assert.deepEqual(
          (await members(B, id)).map((m: any) => m.member_id),
          [B.uuid],
        );
        const sharing = (
          await s.fetch(`/object-store/v1/${B.uuid}/images/s14.img`, { method: 'HEAD', token: B.token })
        ).headers.get('x-object-sharing');
        assert.equal(sharing, `read=${B.uuid}`, 'write grants dropped too');
      });

      it('S15, S29: fields an update may not carry', async () => {
        const id = await register(s, A, 's15', await freshObject(A));
        for (const [k, v] of [
          ['Location', diskLoc],
          ['Id', id],
          ['Store', 'pithos'],
          ['Size', '42'],
          ['Checksum', objectHash],
          ['Created-At', 'x'],
          ['Lolo', '1'],
        ]) {
          await expectFault(
            image(s, A, 'PUT', `${V1}/images/${id}`, { headers: { [`X-Image-Meta-${k}`]: v } }),
            400,
            'Invalid metadata',
          );
        }
        await expectFault(
          image(s, A, 'PUT', `${V1}/images/${id}`, { headers: { 'X-Image-Meta-Name': '' } }),
          400,
          'Invalid image name',
        );
        await expectFault(
          image(s, A, 'PUT', `${V1}/images/${id}`, { headers: { 'X-Image-Meta-Disk-Format': 'nope' } }),
          400,
          "Invalid disk format 'nope'",
        );
        await expectFault(
          image(s, A, 'PUT', `${V1}/images/${id}`, { headers: { 'x-glance-api-copy-from': 'http://x/y' } }),
          400,
          'External sources are not supported',
        );
        // Values are checked before the image is looked up.
        await expectFault(
          image(s, A, 'PUT', `${V1}/images/not-an-id`, { headers: { 'X-Image-Meta-Lolo': '1' } }),
          400,
          'Invalid metadata',
        );
      });

      it('S17, glance --purge-props: properties merge, an empty value deletes, purge replaces', async () => {
        const id = await register(s, A, 's17', await freshObject(A), {
          'X-Image-Meta-Property-Foo': 'bar',
          'X-Image-Meta-Property-Keep': 'k',
        });
        let r = await image(s, A, 'PUT', `${V1}/images/${id}`, {
          headers: { 'X-Image-Meta-Property-Foo': '', 'X-Image-Meta-Property-Add': 'a' },
        });
        assert.equal(r.status, 200);
        assert.deepEqual((await r.json()).image.properties, { keep: 'k', add: 'a' });
        r = await image(s, A, 'PUT', `${V1}/images/${id}`, {
          headers: { 'x-glance-registry-purge-props': 'false', 'x-image-meta-property-x': '1' },
        });
        assert.deepEqual((await r.json()).image.properties, { keep: 'k', add: 'a', x: '1' });
        r = await image(s, A, 'PUT', `${V1}/images/${id}`, {
          headers: { 'x-glance-registry-purge-props': 'True', 'x-image-meta-property-x': '2' },
        });
        assert.deepEqual((await r.json()).image.properties, { x: '2' });
      });

      it('limits properties to 28 after merging', async () => {
        const props = Object.fromEntries(Array.from({ length: 28 }, (_, i) => [`X-Image-Meta-Property-P${i}`, 'v']));
        const id = await register(s, A, 'many', await freshObject(A), props);
        await expectFault(
          image(s, A, 'PUT', `${V1}/images/${id}`, { headers: { 'X-Image-Meta-Property-One-More': 'v' } }),
          400,
          'Pithos+ resources cannot have more than 32 metadata items per domain',
        );
        const r = await image(s, A, 'PUT', `${V1}/images/${id}`, {
          headers: { 'X-Image-Meta-Property-One-More': 'v', 'X-Image-Meta-Property-P0': '' },
        });
        assert.equal(r.status, 200, 'a deletion makes room');
      });

      it('status may be re-sent unchanged, never changed; protected images cannot be unregistered', async () => {
        const id = await register(s, A, 'st', await freshObject(A), { 'X-Image-Meta-Protected': 'True' });
        assert.equal(
          (await image(s, A, 'PUT', `${V1}/images/${id}`, { headers: { 'X-Image-Meta-Status': 'AVAILABLE' } })).status,
          200,
        );
        await expectFault(
          image(s, A, 'PUT', `${V1}/images/${id}`, { headers: { 'X-Image-Meta-Status': 'queued' } }),
          403,
          "Forbidden to modify 'status' of image.",
        );
        await expectFault(image(s, A, 'DELETE', `${V1}/images/${id}`), 403, 'Image is protected');
        const r = await image(s, A, 'PUT', `${V1}/images/${id}`, {
          headers: {
            'x-image-meta-protected': 'False',
            'x-image-meta-min_ram': '512',
            'x-image-meta-min_disk': '2',
            'X-Image-Meta-Container-Format': 'ovf',
          },
        });
        const body = (await r.json()).image;
        assert.deepEqual([body.protected, body.min_ram, body.min_disk, body.container_format], [false, 512, 2, 'ovf']);
        assert.equal(r.headers.get('x-image-meta-min_ram'), '512');
        assert.equal((await image(s, A, 'DELETE', `${V1}/images/${id}`)).status, 204);
      });

      it('S26, S27, S28: header spelling, quoting and limits', async () => {
        const r = await image(s, A, 'POST', `${V10}/images/`, {
          headers: {
            'X-Image-Meta-Name': 'a%20b%2Fc~',
            'X-Image-Meta-Location': await freshObject(A),
            'X-Image-Meta-Property-OS-Family': 'Linux',
            'X-Image-Meta-Disk_format': 'extdump',
          },
        });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('x-image-meta-name'), 'a%20b/c%7E');
        assert.equal(r.headers.get('x-image-meta-property-os_family'), 'Linux');
        assert.equal(r.headers.get('x-image-meta-disk_format'), 'extdump');
        const body = (await r.json()).image;
        assert.equal(body.name, 'a b/c~');
        assert.deepEqual(body.properties, { os_family: 'Linux' });
        const before = (await detail(A)).length;
        await expectFault(
          image(s, A, 'POST', `${V10}/images/`, {
            headers: {
              'X-Image-Meta-Name': 'long',
              'X-Image-Meta-Location': await freshObject(A),
              'X-Image-Meta-Property-Long': 'v'.repeat(257),
            },
          }),
          400,
          'Metadata values should be less than 256 characters.',
        );
        assert.equal((await detail(A)).length, before, 'nothing changed');
        const id = body.id;
        await expectFault(
          image(s, A, 'PUT', `${V1}/images/${id}`, { headers: { 'X-Image-Meta-Property-Long': 'v'.repeat(257) } }),
          400,
          'Metadata values should be less than 256 characters.',
        );
        assert.deepEqual((await (await image(s, A, 'PUT', `${V1}/images/${id}`)).json()).image.properties, {
          os_family: 'Linux',
        });
      });
    });

    describe('the object behind the image (§4.1)', () => {
      it('overwriting the object keeps the image, with new size and checksum', async () => {
        await putObject(s, A, 'images', 'grow.img', DATA);
        const id = await register(s, A, 'grow', location(A.uuid, 'images', 'grow.img'));
        const before = metaHeaders(await head(A, id));
        await putObject(s, A, 'images', 'grow.img', Buffer.alloc(100, 2));
        const h = metaHeaders(await head(A, id));
        assert.equal(h['x-image-meta-size'], '100');
        assert.notEqual(h['x-image-meta-checksum'], before['x-image-meta-checksum']);
        assert.equal(h['x-image-meta-name'], 'grow');
      });

      it('deleting the object deletes the image', async () => {
        await putObject(s, A, 'images', 'doomed.img', DATA);
        const id = await register(s, A, 'doomed', location(A.uuid, 'images', 'doomed.img'));
        const r = await s.fetch(`/object-store/v1/${A.uuid}/images/doomed.img`, { method: 'DELETE', token: A.token });
        assert.equal(r.status, 204);
        assert.equal((await head(A, id)).status, 404);
      });

      it('is_public is the `*` read grant, shared with the object store', async () => {
        await putObject(s, A, 'images', 'star.img', DATA);
        const id = await register(s, A, 'star', location(A.uuid, 'images', 'star.img'));
        await postObject(s, A, 'images', 'star.img', { 'X-Object-Sharing': `read=${A.uuid},*` });
        assert.equal((await head(A, id)).headers.get('x-image-meta-is_public'), 'True');
        const r = await image(s, A, 'PUT', `${V1}/images/${id}`, { headers: { 'X-Image-Meta-Is-Public': 'False' } });
        assert.equal(r.headers.get('x-image-meta-is_public'), 'False');
        await postObject(s, A, 'images', 'star.img', { 'X-Object-Sharing': `read=${B.uuid}` });
        await image(s, A, 'PUT', `${V1}/images/${id}`, { headers: { 'X-Image-Meta-Is-Public': 'True' } });
        const sharing = (
          await s.fetch(`/object-store/v1/${A.uuid}/images/star.img`, { method: 'HEAD', token: A.token })
        ).headers.get('x-object-sharing');
        assert.equal(sharing, `read=${B.uuid},%2A`, 'the object store quotes `*` in this header');
        assert.deepEqual(
          (await members(A, id)).map((m: any) => m.member_id),
          [B.uuid],
        );
      });
    });

    it('kamaki flow (clients.md §5): register, info, members, modify, list, unregister', async () => {
      const k = await s.user('kamaki-user@example.org');
      const friend = await s.user('kamaki-friend@example.org');
      await putObject(s, k, 'images', 'disk.img', DATA);
      // image register
      const reg = await image(s, k, 'POST', `${V10}/images/`, {
        headers: {
          'X-Image-Meta-Name': 'Debian%20Test',
          'X-Image-Meta-Location': location(k.uuid, 'images', 'disk.img'),
          'x-image-meta-property-OSFAMILY': 'linux',
          'x-image-meta-property-ROOT_PARTITION': '1',
          'Content-Length': '0',
        },
      });
      assert.equal(reg.status, 200);
      const h = metaHeaders(reg);
      assert.equal(h['x-image-meta-owner'], k.uuid);
      assert.equal(h['x-image-meta-property-osfamily'], 'linux');
      assert.equal(h['x-image-meta-property-root_partition'], '1');
      const id = h['x-image-meta-id'];
      const sharing = (
        await s.fetch(`/object-store/v1/${k.uuid}/images/disk.img`, { method: 'HEAD', token: k.token })
      ).headers.get('x-object-sharing');
      assert.equal(sharing, `read=${k.uuid}`, 'registration reset the grants');
      // image info
      const info = await image(s, k, 'HEAD', `${V10}/images/${id}`);
      assert.equal(info.status, 200);
      assert.equal(info.headers.get('x-image-meta-checksum'), objectHash, 'a registered image shows the object hash');
      assert.equal(
        info.headers.get('etag'),
        createHash('md5').update(DATA).digest('hex'),
        'ETag = the object’s ETag (its MD5, known from the raw PUT)',
      );
      // image modify --member-add: PUT member, HEAD, PUT re-sending every property
      assert.equal(
        (await image(s, k, 'PUT', `${V10}/images/${id}/members/${friend.uuid}`, { headers: { 'Content-Length': '0' } }))
          .status,
        204,
      );
      assert.equal((await image(s, k, 'HEAD', `${V10}/images/${id}`)).status, 200);
      const modify = await image(s, k, 'PUT', `${V10}/images/${id}`, {
        headers: {
          'Content-Length': '0',
          'X-Image-Meta-Property-osfamily': 'linux',
          'X-Image-Meta-Property-root_partition': '1',
        },
      });
      assert.equal(modify.status, 200);
      // image list --members-of
      assert.deepEqual(await members(k, id), [
        { member_id: k.uuid, can_share: false },
        { member_id: friend.uuid, can_share: false },
      ]);
      const catalogs = await s.fetch('/account/v1.0/user_catalogs', {
        method: 'POST',
        token: k.token,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ uuids: [k.uuid, friend.uuid] }),
      });
      assert.deepEqual(Object.keys((await catalogs.json()).uuid_catalog).sort(), [k.uuid, friend.uuid].sort());
      // (friend) image list
      const listed = (await (await image(s, friend, 'GET', `${V10}/images/?sort_dir=asc`)).json()) as any[];
      assert.ok(listed.some((i: any) => i.id === id));
      // --member-del, --public, --private
      assert.equal((await image(s, k, 'DELETE', `${V10}/images/${id}/members/${friend.uuid}`)).status, 204);
      assert.equal((await head(friend, id)).status, 404);
      assert.equal(
        (await image(s, k, 'PUT', `${V10}/images/${id}`, { headers: { 'X-Image-Meta-Is-Public': 'True' } })).status,
        200,
      );
      assert.equal((await head(friend, id)).status, 200);
      assert.equal(
        (await image(s, k, 'PUT', `${V10}/images/${id}`, { headers: { 'X-Image-Meta-Is-Public': 'False' } })).status,
        200,
      );
      // image list -l
      const l = (await (await image(s, k, 'GET', `${V10}/images/detail?sort_dir=asc`)).json()) as any[];
      assert.deepEqual(l.find((i: any) => i.id === id).properties, { osfamily: 'linux', root_partition: '1' });
      // image unregister
      assert.equal((await image(s, k, 'DELETE', `${V10}/images/${id}`)).status, 204);
      assert.ok(
        !((await (await image(s, k, 'GET', `${V10}/images/?sort_dir=asc`)).json()) as any[]).some(
          (i: any) => i.id === id,
        ),
      );
      assert.equal(
        (await s.fetch(`/object-store/v1/${k.uuid}/images/disk.img`, { method: 'HEAD', token: k.token })).status,
        200,
        'the file stays',
      );
    });

    it('never answers bad input with a 5xx', async () => {
      const id = await register(s, A, 'fuzz', await freshObject(A));
      const weird = ['%', '%%', '%zz', '\u00ff', 'None', '-1', '99999999999999999999', ' ', '../..', 'a'.repeat(300)];
      for (const v of weird) {
        for (const [method, path, headers] of [
          [
            'POST',
            `${V10}/images/`,
            { 'X-Image-Meta-Name': v, 'X-Image-Meta-Location': v, 'X-Image-Meta-Size': v, 'X-Image-Meta-Min-Ram': v },
          ],
          [
            'PUT',
            `${V1}/images/${id}`,
            {
              'X-Image-Meta-Name': v,
              'X-Image-Meta-Is-Public': v,
              'X-Image-Meta-Protected': v,
              'X-Image-Meta-Status': v,
            },
          ],
          ['GET', `${V1}/images/detail?sort_key=${encodeURIComponent(v)}&limit=${encodeURIComponent(v)}`, {}],
          ['GET', `${V1}/images/detail?changes-since=${encodeURIComponent(v)}&marker=${encodeURIComponent(v)}`, {}],
          ['GET', `${V1}/shared-images/${encodeURIComponent(v)}`, {}],
          ['PUT', `${V1}/images/${id}/members/${encodeURIComponent(v)}`, {}],
        ] as [string, string, Record<string, string>][]) {
          const r = await image(s, A, method, path, { headers });
          assert.ok(r.status < 500, `${method} ${path} ${JSON.stringify(headers).slice(0, 80)} → ${r.status}`);
          await r.arrayBuffer();
        }
      }
      const f = await fault(
        await image(s, A, 'PUT', `${V1}/images/${id}`, { headers: { 'X-Image-Meta-Property-A': '%' } }),
      );
      assert.equal(f.message, 'Could not decode request as UTF-8 string');
    });
  });

  describe('lists (§5.2), on a server of their own so other tests’ public images stay out', () => {
    let s: TestServer;
    let owner: TestUser;
    let n = 0;
    const freshObject = async (user: TestUser, data: Buffer<ArrayBuffer>) => {
      await putObject(s, user, 'images', `list-${++n}.img`, data);
      return location(user.uuid, 'images', `list-${n}.img`);
    };
    after(() => s.close());
    const ids: Record<string, string> = {};
    before(async () => {
      s = await startTestServer(dialect);
      owner = await s.user('lister@example.org');
      const specs: [string, number, Record<string, string>][] = [
        ['delta', 40, { 'X-Image-Meta-Disk-Format': 'raw', 'X-Image-Meta-Property-Os': 'linux' }],
        ['alpha', 10, { 'X-Image-Meta-Disk-Format': 'qcow2', 'X-Image-Meta-Min-Ram': '512' }],
        ['Charlie', 30, { 'X-Image-Meta-Property-Os': 'bsd', 'X-Image-Meta-Protected': 'True' }],
        [
          'bravo',
          20,
          {
            'X-Image-Meta-Property-Os': 'linux',
            'X-Image-Meta-Is-Public': 'True',
            'X-Image-Meta-Container-Format': 'ovf',
          },
        ],
        ['écho', 20, {}],
      ];
      for (const [name, size, headers] of specs) {
        ids[name] = await register(
          s,
          owner,
          encodeURIComponent(name),
          await freshObject(owner, Buffer.alloc(size, 1)),
          headers,
        );
      }
    });
    /** The names listed, asserting both body shapes (§5.2): `{"images": …}` on v1, the same images as a bare array on v1.0. */
    const names = async (query: string, summary = false) => {
      const path = `/images/${summary ? '' : 'detail'}${query}`;
      const r = await image(s, owner, 'GET', `${V1}${path}`);
      assert.equal(r.status, 200, query);
      const wrapped = await r.json();
      assert.deepEqual(Object.keys(wrapped), ['images'], query);
      const bare = await image(s, owner, 'GET', `${V10}${path}`);
      assert.equal(bare.status, 200, query);
      assert.deepEqual(await bare.json(), wrapped.images, `${query}: v1.0 answers the bare array`);
      return (wrapped.images as any[]).map((i) => i.name);
    };

    it('orders by every sort key, ties by id in the same direction', async () => {
      assert.deepEqual(await names(''), ['écho', 'bravo', 'Charlie', 'alpha', 'delta']);
      assert.deepEqual(await names('?sort_key=name&sort_dir=asc'), ['Charlie', 'alpha', 'bravo', 'delta', 'écho']);
      assert.deepEqual(await names('?sort_key=name'), ['écho', 'delta', 'bravo', 'alpha', 'Charlie']);
      const bySize = await names('?sort_key=size&sort_dir=asc');
      assert.deepEqual([bySize[0], bySize[3], bySize[4]], ['alpha', 'Charlie', 'delta']);
      const tie = [ids.bravo, ids.écho].sort();
      assert.deepEqual(
        bySize.slice(1, 3),
        tie.map((id) => (id === ids.bravo ? 'bravo' : 'écho')),
      );
      assert.deepEqual(await names('?sort_key=disk_format&sort_dir=asc&disk_format=raw'), ['delta']);
      for (const key of ['id', 'status', 'container_format', 'created_at', 'updated_at']) {
        assert.equal((await names(`?sort_key=${key}`)).length, 5, key);
      }
      assert.deepEqual(
        await names('?sort_key=id&sort_dir=asc'),
        Object.entries(ids)
          .sort((a, b) => (a[1] < b[1] ? -1 : 1))
          .map(([k]) => k),
      );
    });

    it('filters', async () => {
      assert.deepEqual(await names('?name=alpha'), ['alpha']);
      assert.deepEqual(await names('?name=ALPHA'), []);
      assert.deepEqual(await names('?status=AVAILABLE&sort_key=name&sort_dir=asc'), [
        'Charlie',
        'alpha',
        'bravo',
        'delta',
        'écho',
      ]);
      assert.deepEqual(await names('?status=queued'), []);
      assert.deepEqual(await names('?size_min=20&size_max=30&sort_key=name&sort_dir=asc'), [
        'Charlie',
        'bravo',
        'écho',
      ]);
      assert.deepEqual(await names('?min_ram=512'), ['alpha']);
      assert.deepEqual(await names('?min_disk=0&protected=true'), ['Charlie']);
      assert.deepEqual(await names('?property-os=linux'), ['bravo', 'delta']);
      assert.deepEqual(await names('?property-OS=linux&disk_format=raw'), ['delta']);
      assert.deepEqual(await names('?container_format=ovf'), ['bravo']);
      assert.deepEqual(await names('?is_public=true'), ['bravo']);
      assert.deepEqual(await names('?is_public=0&sort_key=name&sort_dir=asc'), ['Charlie', 'alpha', 'delta', 'écho']);
      assert.deepEqual(await names('?changes-since=2000-01-01T00:00:00Z'), await names(''));
      assert.deepEqual(await names('?changes-since=2999-01-01'), []);
      assert.deepEqual(await names('?unknown=1&format=xml'), await names(''));
    });

    it('pages with limit and marker; the marker must be in the base set', async () => {
      assert.deepEqual(await names('?limit=0'), []);
      const all = await names('?sort_key=name&sort_dir=asc');
      const page1 = await (
        await image(s, owner, 'GET', `${V1}/images/detail?sort_key=name&sort_dir=asc&limit=2`)
      ).json();
      assert.deepEqual(
        page1.images.map((i: any) => i.name),
        all.slice(0, 2),
      );
      const marker = page1.images[1].id;
      assert.deepEqual(await names(`?sort_key=name&sort_dir=asc&limit=2&marker=${marker}`), all.slice(2, 4));
      assert.deepEqual(await names(`?sort_key=name&sort_dir=asc&limit=20&marker=${ids.delta}`), ['écho']);
      assert.deepEqual(
        await names(`?sort_key=size&sort_dir=desc&marker=${ids.Charlie}`),
        (await names('?sort_key=size&sort_dir=desc')).slice(2),
      );
      // The marker is not filtered; the page is.
      assert.deepEqual(await names(`?sort_key=name&sort_dir=asc&marker=${ids.alpha}&property-os=linux`), [
        'bravo',
        'delta',
      ]);
      const stranger = await s.user('stranger@example.org');
      await expectFault(
        image(s, stranger, 'GET', `${V1}/images/detail?marker=${ids.alpha}`),
        400,
        'Invalid marker. Image could not be found.',
      );
      assert.equal(
        (await (await image(s, stranger, 'GET', `${V1}/images/detail?marker=${ids.bravo}`)).json()).images.length >= 0,
        true,
        'a public image is a valid marker',
      );
    });

    it('summaries have exactly six keys and a numeric size', async () => {
      const r = await image(s, owner, 'GET', `${V10}/images/?sort_dir=asc&name=alpha`);
      const [one] = await r.json();
      assert.deepEqual(one, {
        id: ids.alpha,
        name: 'alpha',
        status: 'available',
        disk_format: 'qcow2',
        container_format: 'bare',
        size: 10,
      });
    });
  });
}
