/**
 * Synnefo's Image API guide (the "Cyclades/Image API Guide"), request by request, on Plankton's
 * prefix `/image/v1.0`: each documented request asserts the documented status and body shape, or
 * the deviation image-api.md §8 records (named in the assertion message as "§8: …"). The guide's
 * own mistakes are taken as what Synnefo served: its `DELETE /shared-images` is a `GET`, and its
 * dash-spelled response headers come with underscores (§8, "image header names").
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { expectFault, image, location, metaHeaders, putObject, register, V1, V10 } from './helpers/image-client.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const SUMMARY_KEYS = ['container_format', 'disk_format', 'id', 'name', 'size', 'status'];
/** The detail object of §6.2: the guide's "Image" fields plus Glance's min_ram/min_disk/protected. */
const DETAIL_KEYS = [
  'checksum',
  'container_format',
  'created_at',
  'deleted_at',
  'disk_format',
  'id',
  'is_public',
  'is_snapshot',
  'location',
  'min_disk',
  'min_ram',
  'name',
  'owner',
  'properties',
  'protected',
  'size',
  'status',
  'updated_at',
];
const SORT_KEYS = [
  'id',
  'name',
  'status',
  'size',
  'disk_format',
  'container_format',
  'created_at',
  'updated_at',
] as const;
const TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

for (const dialect of DIALECTS) {
  describe(`image API guide examples on /image/v1.0 [${dialect}]`, () => {
    let s: TestServer;
    let owner: TestUser;
    let member: TestUser;
    let stranger: TestUser;
    /** name → id of the images this suite registers (its own server, so lists hold only these). */
    const ids: Record<string, string> = {};
    let n = 0;
    const freshObject = async (user: TestUser, data: Buffer<ArrayBuffer>) => {
      const name = `guide-${++n}.img`;
      await putObject(s, user, 'images', name, data);
      return location(user.uuid, 'images', name);
    };
    /** GET as JSON, asserting the status. */
    const getJson = async (user: TestUser, path: string, status = 200) => {
      const r = await image(s, user, 'GET', path);
      assert.equal(r.status, status, `GET ${path}`);
      assert.equal(r.headers.get('content-type'), 'application/json; charset=UTF-8');
      return r.json();
    };
    /** A v1.0 list: a bare JSON array (the guide's example), never the Glance wrapper. */
    const list = async (user: TestUser, path: string): Promise<any[]> => {
      const body = await getJson(user, `${V10}${path}`);
      assert.ok(
        Array.isArray(body),
        `GET ${V10}${path} must be a bare array, got ${JSON.stringify(body).slice(0, 80)}`,
      );
      return body;
    };
    const names = async (path: string) => (await list(owner, path)).map((i) => i.name);

    before(async () => {
      s = await startTestServer(dialect);
      owner = await s.user('guide-owner@example.org');
      member = await s.user('guide-member@example.org');
      stranger = await s.user('guide-stranger@example.org');
      const specs: [string, number, Record<string, string>][] = [
        ['ubuntu', 30, { 'X-Image-Meta-Property-OSFamily': 'linux' }],
        ['Ubuntu-10.04', 10, { 'X-Image-Meta-Disk-Format': 'extdump', 'X-Image-Meta-Is-Public': 'True' }],
        ['fedora', 20, { 'X-Image-Meta-Container-Format': 'ovf', 'X-Image-Meta-Property-OSFamily': 'linux' }],
        ['windows', 40, { 'X-Image-Meta-Disk-Format': 'ntfsdump' }],
      ];
      for (const [name, size, headers] of specs)
        ids[name] = await register(s, owner, name, await freshObject(owner, Buffer.alloc(size, 7)), headers);
    });
    after(() => s.close());

    describe('List Available Images: GET /images', () => {
      it('answers a bare array of summaries with a numeric size, on /images and /images/', async () => {
        for (const path of ['/images', '/images/']) {
          const images = await list(owner, path);
          assert.deepEqual(images.map((i) => i.id).sort(), Object.values(ids).sort(), path);
          for (const i of images) {
            assert.deepEqual(Object.keys(i).sort(), SUMMARY_KEYS);
            assert.equal(typeof i.size, 'number');
            assert.equal(i.status, 'available');
          }
        }
        assert.deepEqual((await list(owner, '/images/?name=ubuntu'))[0], {
          id: ids.ubuntu,
          name: 'ubuntu',
          status: 'available',
          disk_format: 'diskdump',
          container_format: 'bare',
          size: 30,
        });
      });

      it('the same images wrapped as {"images": …} on /image/v1 (§8: Glance v1’s shape)', async () => {
        for (const path of ['/images', '/images/', '/images/detail']) {
          const bare = await list(owner, `${path}?sort_key=name&sort_dir=asc`);
          const wrapped = await getJson(owner, `${V1}${path}?sort_key=name&sort_dir=asc`);
          assert.deepEqual(Object.keys(wrapped), ['images']);
          assert.deepEqual(wrapped.images, bare, path);
        }
      });

      it('an empty result is [] (v1.0) and {"images": []} (v1)', async () => {
        assert.deepEqual(await list(owner, '/images/?name=nothing'), []);
        assert.deepEqual(await list(owner, '/images/detail?name=nothing'), []);
        const lonely = await s.user('guide-lonely@example.org');
        assert.deepEqual(await list(lonely, '/images/?is_public=false'), []);
        assert.deepEqual(await getJson(owner, `${V1}/images?name=nothing`), { images: [] });
        assert.deepEqual(await getJson(owner, `${V1}/images/detail?name=nothing`), { images: [] });
      });

      it('lists what the user registered, what is shared with him and what is public', async () => {
        assert.equal((await image(s, owner, 'PUT', `${V10}/images/${ids.fedora}/members/${member.uuid}`)).status, 204);
        assert.deepEqual(
          (await list(member, '/images/?sort_key=name&sort_dir=asc')).map((i) => i.name),
          ['Ubuntu-10.04', 'fedora'],
        );
        assert.deepEqual(
          (await list(stranger, '/images/')).map((i) => i.name),
          ['Ubuntu-10.04'],
        );
        assert.equal(
          (await image(s, owner, 'DELETE', `${V10}/images/${ids.fedora}/members/${member.uuid}`)).status,
          204,
        );
      });

      for (const path of ['/images/', '/images/detail']) {
        it(`each request parameter filters ${path}`, async () => {
          assert.deepEqual(await names(`${path}?name=ubuntu`), ['ubuntu']);
          assert.deepEqual(await names(`${path}?name=UBUNTU`), [], 'exact, case-sensitive');
          assert.deepEqual(await names(`${path}?container_format=ovf`), ['fedora']);
          assert.deepEqual(await names(`${path}?disk_format=extdump`), ['Ubuntu-10.04']);
          assert.deepEqual(await names(`${path}?status=available&sort_key=name&sort_dir=asc`), [
            'Ubuntu-10.04',
            'fedora',
            'ubuntu',
            'windows',
          ]);
          assert.deepEqual(await names(`${path}?status=queued`), []);
          assert.deepEqual(
            await names(`${path}?size_min=20&sort_key=size&sort_dir=asc`),
            ['fedora', 'ubuntu', 'windows'],
            'size >= size_min',
          );
          assert.deepEqual(
            await names(`${path}?size_max=20&sort_key=size&sort_dir=asc`),
            ['Ubuntu-10.04', 'fedora'],
            'size <= size_max',
          );
          assert.deepEqual(
            await names(`${path}?size_min=20&size_max=30&disk_format=diskdump&sort_key=name&sort_dir=asc`),
            ['fedora', 'ubuntu'],
          );
        });
      }

      it('sorts by every sort_key in both directions, summaries as details', async () => {
        for (const key of SORT_KEYS) {
          const asc = await list(owner, `/images/detail?sort_key=${key}&sort_dir=asc`);
          const desc = await list(owner, `/images/detail?sort_key=${key}&sort_dir=desc`);
          assert.equal(asc.length, 4, key);
          const value = (i: any) => i[key];
          for (let k = 1; k < asc.length; k++) {
            const [a, b] = [asc[k - 1], asc[k]];
            const cmp = typeof value(a) === 'number' ? value(a) - value(b) : byCodePoint(value(a), value(b));
            if (key === 'created_at' || key === 'updated_at') {
              // Rendered to the second; ties are broken by the stored precision, not visible here.
              assert.ok(cmp <= 0, `${key} asc`);
            } else {
              assert.ok(
                cmp < 0 || (cmp === 0 && byCodePoint(a.id, b.id) < 0),
                `${key} asc: ${value(a)} before ${value(b)}`,
              );
            }
          }
          assert.deepEqual(
            desc.map((i) => i.id),
            asc.map((i) => i.id).reverse(),
            `${key}: desc is asc reversed`,
          );
          const summaries = await list(owner, `/images/?sort_key=${key}&sort_dir=asc`);
          assert.deepEqual(
            summaries.map((i) => i.id),
            asc.map((i) => i.id),
            `${key}: summary and detail agree`,
          );
        }
        // The guide marks asc as the default; image-api.md §5.2 keeps Glance v1's desc
        // (created_at). kamaki always sends sort_dir, so only this default differs.
        for (const path of ['/images/', '/images/detail']) {
          assert.deepEqual(await names(path), await names(`${path}?sort_key=created_at&sort_dir=desc`));
        }
      });

      it('400 for invalid sort_key, sort_dir, size_max or size_min; 401 without a token', async () => {
        for (const path of ['/images/', '/images/detail']) {
          await expectFault(
            image(s, owner, 'GET', `${V10}${path}?sort_key=owner`),
            400,
            "Invalid 'sort_key'",
            'badRequest',
          );
          await expectFault(
            image(s, owner, 'GET', `${V10}${path}?sort_dir=up`),
            400,
            "Invalid 'sort_dir'",
            'badRequest',
          );
          await expectFault(
            image(s, owner, 'GET', `${V10}${path}?size_max=big`),
            400,
            'Malformed request.',
            'badRequest',
          );
          await expectFault(image(s, owner, 'GET', `${V10}${path}?size_min=`), 400, 'Malformed request.', 'badRequest');
          await expectFault(s.fetch(`${V10}${path}`), 401, 'Access denied. No authentication token', 'unauthorized');
        }
      });
    });

    describe('List Available Images in Detail: GET /images/detail', () => {
      it('answers a bare array of detail objects with the guide’s fields', async () => {
        const images = await list(owner, '/images/detail?sort_key=name&sort_dir=asc');
        assert.deepEqual(
          images.map((i) => i.name),
          ['Ubuntu-10.04', 'fedora', 'ubuntu', 'windows'],
        );
        for (const i of images) {
          assert.deepEqual(Object.keys(i).sort(), DETAIL_KEYS);
          assert.equal(i.owner, owner.uuid);
          assert.match(i.location, new RegExp(`^pithos://${owner.uuid}/images/guide-\\d+\\.img$`));
          assert.match(i.created_at, TIMESTAMP);
          assert.match(i.updated_at, TIMESTAMP);
          assert.equal(i.deleted_at, '');
          assert.equal(typeof i.size, 'number');
          assert.match(i.checksum, /^[0-9a-f]{64}$/, 'a registered image shows its object hash (§4.3)');
          assert.equal(typeof i.properties, 'object');
        }
        const [ubuntu10, fedora] = images;
        assert.equal(ubuntu10.is_public, true, 'a JSON boolean (§6.2; the guide’s example shows the string "True")');
        assert.equal(fedora.is_public, false);
        assert.deepEqual(fedora.properties, { osfamily: 'linux' });
        assert.deepEqual(ubuntu10.properties, {});
      });
    });

    describe('Add or update an image: POST /images', () => {
      const data = Buffer.alloc(1234, 9);
      let loc: string;
      let id: string;
      before(async () => {
        loc = await freshObject(owner, data);
      });

      it('registers with the guide’s request headers; 200 with the image in headers (and in the body, §8)', async () => {
        const r = await image(s, owner, 'POST', `${V10}/images`, {
          headers: {
            'X-Image-Meta-Name': 'Debian%20Desktop',
            'X-Image-Meta-Location': loc,
            'X-Image-Meta-Store': 'pithos',
            'X-Image-Meta-Disk-Format': 'diskdump',
            'X-Image-Meta-Container-Format': 'bare',
            'X-Image-Meta-Size': String(data.length),
            'X-Image-Meta-Checksum': md5(data),
            'X-Image-Meta-Is-Public': 'TRUE',
            'X-Image-Meta-Owner': owner.uuid,
            'X-Image-Meta-Property-OS': 'Debian Linux',
            'X-Image-Meta-Property-Users': 'Root',
          },
        });
        assert.equal(r.status, 200);
        const h = metaHeaders(r);
        id = h['x-image-meta-id'];
        assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.equal(h['x-image-meta-name'], 'Debian%20Desktop');
        assert.equal(h['x-image-meta-disk_format'], 'diskdump', '§8: header names with underscores');
        assert.equal(h['x-image-meta-container_format'], 'bare');
        assert.equal(h['x-image-meta-size'], String(data.length));
        assert.match(h['x-image-meta-checksum'], /^[0-9a-f]{64}$/);
        assert.equal(h['x-image-meta-location'], loc);
        assert.match(h['x-image-meta-created_at'], TIMESTAMP);
        assert.equal(h['x-image-meta-deleted_at'], '');
        assert.equal(h['x-image-meta-status'], 'available');
        assert.equal(h['x-image-meta-is_public'], 'True');
        assert.equal(h['x-image-meta-owner'], owner.uuid);
        assert.equal(h['x-image-meta-property-os'], 'Debian%20Linux');
        assert.equal(h['x-image-meta-property-users'], 'Root');
        const body = await r.json();
        assert.deepEqual(Object.keys(body), ['image'], '§8: the reply also carries {"image": …}');
        assert.deepEqual(body.image.properties, { os: 'Debian Linux', users: 'Root' });
      });

      it('a second POST of the same location updates the image: same id, all metadata replaced (§8)', async () => {
        const again = await register(s, owner, 'Debian Server', loc, { 'X-Image-Meta-Property-Kernel': '3.8.3' });
        assert.equal(again, id);
        const [img] = await list(owner, `/images/detail?name=Debian%20Server`);
        assert.equal(img.id, id);
        assert.equal(img.is_public, false);
        assert.deepEqual(img.properties, { kernel: '3.8.3' });
      });

      it('400 for no name, an illegal header value, a wrong size or checksum; 401; 404 for a missing file', async () => {
        const post = (headers: Record<string, string>) => image(s, owner, 'POST', `${V10}/images`, { headers });
        await expectFault(post({ 'X-Image-Meta-Location': loc }), 400, "Image 'name' parameter is required");
        await expectFault(
          post({ 'X-Image-Meta-Name': 'x', 'X-Image-Meta-Location': loc, 'X-Image-Meta-Disk-Format': 'floppy' }),
          400,
          "Invalid disk format 'floppy'",
        );
        await expectFault(
          post({
            'X-Image-Meta-Name': 'x',
            'X-Image-Meta-Location': loc,
            'X-Image-Meta-Size': String(data.length + 1),
          }),
          400,
          "Invalid 'size' field",
        );
        await expectFault(
          post({
            'X-Image-Meta-Name': 'x',
            'X-Image-Meta-Location': loc,
            'X-Image-Meta-Checksum': md5(Buffer.from('other')),
          }),
          400,
          'Invalid checksum field',
        );
        await expectFault(
          post({
            'X-Image-Meta-Name': 'x',
            'X-Image-Meta-Location': loc,
            'X-Image-Meta-Id': '5583ffe1-5273-4c84-9e32-2fbe476bd7b7',
          }),
          400,
          'Setting the image ID is not supported',
        );
        await expectFault(
          s.fetch(`${V10}/images`, {
            method: 'POST',
            headers: { 'X-Image-Meta-Name': 'x', 'X-Image-Meta-Location': loc },
          }),
          401,
          'Access denied. No authentication token',
        );
        await expectFault(
          post({ 'X-Image-Meta-Name': 'x', 'X-Image-Meta-Location': location(owner.uuid, 'images', 'missing.img') }),
          404,
          'Object does not exist',
        );
      });

      it('§8: without a location (the guide’s 501) the POST reserves a queued image', async () => {
        const r = await image(s, owner, 'POST', `${V10}/images`, { headers: { 'X-Image-Meta-Name': 'reserved' } });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('x-image-meta-status'), 'queued');
        const reserved = r.headers.get('x-image-meta-id')!;
        assert.deepEqual(
          (await list(owner, '/images/?status=queued')).map((i) => i.id),
          [reserved],
        );
        assert.equal((await image(s, owner, 'DELETE', `${V10}/images/${reserved}`)).status, 204);
      });
    });

    describe('Update an Image: PUT /images/<image-id>', () => {
      it('changes the given fields; properties not named stay', async () => {
        const r = await image(s, owner, 'PUT', `${V10}/images/${ids.windows}`, {
          headers: {
            'X-Image-Meta-Name': 'Windows%20Server',
            'X-Image-Meta-Disk-Format': 'diskdump',
            'X-Image-Meta-Container-Format': 'ovf',
            'X-Image-Meta-Is-Public': 'false',
            'X-Image-Meta-Property-OS': 'windows',
            'X-Image-Meta-Property-Users': 'Administrator',
          },
        });
        assert.equal(r.status, 200);
        const h = metaHeaders(r);
        assert.equal(h['x-image-meta-id'], ids.windows);
        assert.equal(h['x-image-meta-name'], 'Windows%20Server');
        assert.equal(h['x-image-meta-disk_format'], 'diskdump');
        assert.equal(h['x-image-meta-container_format'], 'ovf');
        assert.equal(h['x-image-meta-is_public'], 'False');
        assert.equal(h['x-image-meta-property-users'], 'Administrator');
        const second = await image(s, owner, 'PUT', `${V10}/images/${ids.windows}`, {
          headers: { 'X-Image-Meta-Property-Kernel': 'NT' },
        });
        assert.equal(second.status, 200);
        assert.deepEqual((await second.json()).image.properties, {
          os: 'windows',
          users: 'Administrator',
          kernel: 'NT',
        });
        const back = await image(s, owner, 'PUT', `${V10}/images/${ids.windows}`, {
          headers: {
            'X-Image-Meta-Name': 'windows',
            'X-Image-Meta-Disk-Format': 'ntfsdump',
            'X-Image-Meta-Container-Format': 'bare',
          },
        });
        assert.equal(back.status, 200);
      });

      it('400 for an illegal value; 401; 404 for an unknown image; 403 where the guide says 405 (§4.6)', async () => {
        const put = (user: TestUser | undefined, id: string, headers: Record<string, string>) =>
          image(s, user, 'PUT', `${V10}/images/${id}`, { headers });
        await expectFault(
          put(owner, ids.windows, { 'X-Image-Meta-Container-Format': 'box' }),
          400,
          "Invalid container format 'box'",
        );
        await expectFault(put(owner, ids.windows, { 'X-Image-Meta-Size': '1' }), 400, 'Invalid metadata');
        await expectFault(put(undefined, ids.windows, { 'X-Image-Meta-Name': 'x' }), 401);
        await expectFault(
          put(owner, '00000000-0000-4000-8000-000000000000', { 'X-Image-Meta-Name': 'x' }),
          404,
          'Image not found',
        );
        // §8: an image the caller may not read is 404, as an unknown one.
        await expectFault(put(stranger, ids.windows, { 'X-Image-Meta-Name': 'x' }), 404, 'Image not found');
        await expectFault(
          put(stranger, ids['Ubuntu-10.04'], { 'X-Image-Meta-Name': 'x' }),
          403,
          'Not allowed to modify this image',
        );
        // §8: the state machine owns the status (the guide lists X-Image-Meta-Status as updatable).
        await expectFault(
          put(owner, ids.windows, { 'X-Image-Meta-Status': 'error' }),
          403,
          "Forbidden to modify 'status' of image.",
        );
      });

      it('PUT /images (Glance’s form, not the guide’s) is 405', async () => {
        const r = await image(s, owner, 'PUT', `${V10}/images`, { headers: { 'X-Image-Meta-Name': 'x' } });
        assert.equal(r.status, 405);
        assert.equal(r.headers.get('allow'), 'GET, POST');
      });
    });

    describe('Retrieve Image Metadata: HEAD /images/<image-id>', () => {
      it('200 with the guide’s headers (underscore names, §8) and no body', async () => {
        const r = await image(s, owner, 'HEAD', `${V10}/images/${ids.ubuntu}`);
        assert.equal(r.status, 200);
        assert.equal((await r.arrayBuffer()).byteLength, 0);
        const h = metaHeaders(r);
        for (const name of [
          'id',
          'location',
          'name',
          'disk_format',
          'container_format',
          'size',
          'checksum',
          'created_at',
          'updated_at',
          'deleted_at',
          'status',
          'is_public',
          'min_ram',
          'min_disk',
          'owner',
        ]) {
          assert.ok(`x-image-meta-${name}` in h, name);
        }
        assert.equal(h['x-image-meta-id'], ids.ubuntu);
        assert.equal(h['x-image-meta-size'], '30');
        assert.equal(h['x-image-meta-is_public'], 'False');
        assert.equal(h['x-image-meta-property-osfamily'], 'linux');
      });

      it('401 without a token; 404 for an unknown image, and for one the caller may not read (§8, the guide’s 405)', async () => {
        assert.equal((await s.fetch(`${V10}/images/${ids.ubuntu}`, { method: 'HEAD' })).status, 401);
        assert.equal((await image(s, owner, 'HEAD', `${V10}/images/00000000-0000-4000-8000-000000000000`)).status, 404);
        assert.equal((await image(s, stranger, 'HEAD', `${V10}/images/${ids.ubuntu}`)).status, 404);
        assert.equal((await image(s, stranger, 'HEAD', `${V10}/images/${ids['Ubuntu-10.04']}`)).status, 200, 'public');
      });
    });

    it('Retrieve Raw Image Data: GET /images/<image-id> serves the data (§8; the guide sends you to Pithos)', async () => {
      const r = await image(s, owner, 'GET', `${V10}/images/${ids.ubuntu}`);
      assert.equal(r.status, 200);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), Buffer.alloc(30, 7));
    });

    describe('memberships', () => {
      const members = async (id: string, user = owner) => await getJson(user, `${V10}/images/${id}/members`);

      it('List Image Memberships: {"members": [{member_id, can_share: false}]}; a new image lists its owner', async () => {
        assert.deepEqual(await members(ids.ubuntu), { members: [{ member_id: owner.uuid, can_share: false }] });
        // The guide: "returns an empty list if the image is publicly accessible"; §5.8 lists the
        // non-`*` members of a public image all the same (image-api.md keeps `*` out of the list).
        assert.deepEqual(await members(ids['Ubuntu-10.04']), {
          members: [{ member_id: owner.uuid, can_share: false }],
        });
        assert.deepEqual(
          await members(ids['Ubuntu-10.04'], stranger),
          { members: [{ member_id: owner.uuid, can_share: false }] },
          'a public image is readable',
        );
        await expectFault(image(s, stranger, 'GET', `${V10}/images/${ids.ubuntu}/members`), 404, 'Image not found');
        await expectFault(s.fetch(`${V10}/images/${ids.ubuntu}/members`), 401);
      });

      it('Replace a Membership List: the guide’s body (can_share optional and ignored) → 204', async () => {
        const other = await s.user('guide-other@example.org');
        const body = JSON.stringify({
          memberships: [{ member_id: member.uuid, can_share: false }, { member_id: other.uuid }],
        });
        const put = (user: TestUser, id: string, b = body) =>
          image(s, user, 'PUT', `${V10}/images/${id}/members`, {
            headers: { 'Content-Type': 'application/json' },
            body: b,
          });
        const r = await put(owner, ids.ubuntu);
        assert.equal(r.status, 204);
        assert.equal((await r.arrayBuffer()).byteLength, 0);
        assert.deepEqual(
          await members(ids.ubuntu),
          {
            members: [
              { member_id: member.uuid, can_share: false },
              { member_id: other.uuid, can_share: false },
            ],
          },
          'the old list (the owner) is gone',
        );
        await expectFault(
          put(owner, ids.ubuntu, '{"members": []}'),
          400,
          "Malformed request. Missing attribute 'memberships'.",
        );
        await expectFault(put(owner, '00000000-0000-4000-8000-000000000000'), 404, 'Image not found');
        await expectFault(put(member, ids.ubuntu), 403, 'Only the image owner may change members'); // the guide: 405
      });

      it('Add a Member to an Image and Remove a Member from an Image → 204', async () => {
        const add = await image(s, owner, 'PUT', `${V10}/images/${ids.fedora}/members/${member.uuid}`, {
          headers: { 'Content-Length': '0' },
        });
        assert.equal(add.status, 204);
        assert.deepEqual(
          (await members(ids.fedora)).members.map((m: any) => m.member_id),
          [owner.uuid, member.uuid],
        );
        assert.equal(
          (await image(s, member, 'HEAD', `${V10}/images/${ids.fedora}`)).status,
          200,
          'the member may now read it',
        );
        await expectFault(
          image(s, owner, 'PUT', `${V10}/images/00000000-0000-4000-8000-000000000000/members/${member.uuid}`),
          404,
          'Image not found',
        );
        const del = await image(s, owner, 'DELETE', `${V10}/images/${ids.fedora}/members/${member.uuid}`);
        assert.equal(del.status, 204);
        assert.deepEqual(
          (await members(ids.fedora)).members.map((m: any) => m.member_id),
          [owner.uuid],
        );
        assert.equal((await image(s, member, 'HEAD', `${V10}/images/${ids.fedora}`)).status, 404, 'and no longer');
        await expectFault(
          image(s, owner, 'DELETE', `${V10}/images/00000000-0000-4000-8000-000000000000/members/${member.uuid}`),
          404,
          'Image not found',
        );
      });

      it('List Shared Images: GET /shared-images/<uuid> (the guide’s table says DELETE) → {"shared_images": …}', async () => {
        // ubuntu's members are {member, other} since the replace above; the owner is no member of his own.
        assert.deepEqual(await getJson(owner, `${V10}/shared-images/${member.uuid}`), {
          shared_images: [{ image_id: ids.ubuntu, can_share: false }],
        });
        assert.deepEqual(await getJson(member, `${V10}/shared-images/${member.uuid}`), {
          shared_images: [{ image_id: ids.ubuntu, can_share: false }],
        });
        assert.deepEqual(
          await getJson(owner, `${V10}/shared-images/${owner.uuid}`),
          { shared_images: [] },
          'an owner is not a member of his own images',
        );
        const del = await image(s, owner, 'DELETE', `${V10}/shared-images/${member.uuid}`);
        assert.equal(del.status, 405);
        assert.equal(del.headers.get('allow'), 'GET');
        await expectFault(s.fetch(`${V10}/shared-images/${member.uuid}`), 401);
      });
    });

    it('unregister (not in the guide; §8): DELETE /images/<image-id> → 204, gone from lists, the file stays', async () => {
      const id = await register(s, owner, 'doomed', await freshObject(owner, Buffer.alloc(5, 1)));
      const r = await image(s, owner, 'DELETE', `${V10}/images/${id}`);
      assert.equal(r.status, 204);
      assert.equal((await image(s, owner, 'HEAD', `${V10}/images/${id}`)).status, 404);
      assert.ok(!(await list(owner, '/images/')).some((i) => i.id === id));
      assert.equal(
        (await s.fetch(`/object-store/v1/${owner.uuid}/images/guide-${n}.img`, { method: 'HEAD', token: owner.token }))
          .status,
        200,
      );
    });
  });
}
