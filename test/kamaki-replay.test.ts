/**
 * kamaki's file and container workflow, and its image listings, replayed as HTTP, request by
 * request, as spec/clients.md §5 records it (kamaki 0.16 cannot run here: Python 2 only). Query
 * strings, flags without `=`, `Content-Length: 0` on bodiless PUT/POST and parallel block POSTs and
 * ranged GETs are as kamaki sends them; every status and header kamaki checks is asserted, and
 * what kamaki does with a reply body (iterating a list, formatting sizes) is done to it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DIALECTS } from './helpers/dialects.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';
import {
  BLOCK,
  EMPTY_SHA256,
  HTTP_DATE,
  ISO_MICROS,
  JSON_TYPE,
  O,
  UUID4,
  blockHashOf,
  bytesOf,
  call,
  md5,
  merkle,
  splitBlocks,
  type Reply,
} from './helpers/object-store.ts';

/** 8390108 bytes = 2 full blocks + 1500 bytes ending in 500 NULs (clients.md §5). */
const DISK = (() => {
  const d = bytesOf('kamaki disk.img', 8390108);
  d.fill(0, d.length - 500);
  return d;
})();
const SMALL = bytesOf('kamaki small.img', 70000);
/** kamaki's image endpoint (ImageClient, API version 1.0). */
const I = '/image/v1.0';
const SUMMARY_KEYS = ['container_format', 'disk_format', 'id', 'name', 'size', 'status'];

/**
 * What kamaki 0.16's `image list` does with the reply of `ImageClient.list_public`
 * (cli/cmds/image.py, `image_list._run`): it iterates the body as a list of image dicts, filters
 * them by `owner` or `properties` on the client, and prints every `size` through `float()`. A
 * `{"images": …}` object fails there with "string indices must be integers".
 */
function kamakiImageList(r: Reply): any[] {
  assert.equal(r.status, 200, 'list_public: success=200');
  const body = r.json();
  assert.ok(Array.isArray(body), `kamaki 0.16 iterates the body as a list, got ${r.text().slice(0, 60)}`);
  for (const img of body) {
    assert.equal(typeof img, 'object');
    assert.equal(typeof img.size, 'number', 'format_size(float(size))');
  }
  return body;
}

/** Runs async jobs at most `n` at a time (kamaki's thread pool of 5 connections). */
async function pool<T>(jobs: (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]();
      }
    }),
  );
  return out;
}

for (const dialect of DIALECTS) {
  describe(`kamaki replay (clients.md §5) [${dialect}]`, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let A: string;
    let B: string;
    /** kamaki: every request carries X-Auth-Token. */
    const k = (user: TestUser, method: string, path: string, opts: Parameters<typeof call>[3] = {}) =>
      call(s, method, path, { token: user.token, ...opts });

    /** Every kamaki command starts by authenticating its token and reading the catalog. */
    async function authenticate(user: TestUser): Promise<{ uuid: string; storage: string }> {
      const r = await call(s, 'POST', '/identity/v2.0/tokens', {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ auth: { token: { id: user.token } } }),
      });
      assert.equal(r.status, 200);
      const { access } = r.json();
      const store = access.serviceCatalog.find((e: any) => e.type === 'object-store');
      assert.equal(access.user.id, access.token.tenant.id);
      return { uuid: access.user.id, storage: new URL(store.endpoints[0].publicURL).pathname };
    }

    before(async () => {
      s = await startTestServer(dialect);
      alice = await s.user('alice@example.org');
      bob = await s.user('bob@example.org');
      A = alice.uuid;
      B = bob.uuid;
    });
    after(() => s.close());

    it('container create / info / list', async () => {
      const { uuid, storage } = await authenticate(alice);
      assert.equal(uuid, A);
      assert.equal(storage, O);
      assert.equal((await k(alice, 'PUT', `${O}/${A}/images`)).status, 201);
      assert.equal((await k(alice, 'PUT', `${O}/${A}/images`)).status, 202, 'reported as "already exists"');
      const info = await k(alice, 'HEAD', `${O}/${A}/images`);
      assert.equal(info.status, 204, 'kamaki rejects 200');
      const list = await k(alice, 'GET', `${O}/${A}?format=json`);
      assert.equal(list.status, 200);
      const [c] = list.json();
      assert.equal(c.name, 'images');
      assert.equal(c.count, 0);
      assert.equal(c.bytes, 0);
      assert.match(c.last_modified, ISO_MICROS);
      assert.equal(c.x_container_policy.quota, '0');
      assert.equal(c.x_container_policy.versioning, 'auto');
    });

    it('file upload disk.img: 409 with the missing hashes, block POSTs in parallel, 201 with ETag and X-Object-Version', async () => {
      await authenticate(alice);
      assert.equal((await k(alice, 'HEAD', `${O}/${A}/images/disk.img`)).status, 404);
      assert.equal((await k(alice, 'HEAD', `${O}/${A}/images`)).status, 204);
      const quota = await k(alice, 'HEAD', `${O}/${A}/images`);
      assert.equal(quota.header('x-container-policy-quota'), '0');
      const listed = await k(alice, 'GET', `${O}/${A}/images?format=json`);
      assert.equal(listed.status, 200, 'kamaki accepts only 200 here');
      assert.deepEqual(listed.json(), []);
      const params = await k(alice, 'HEAD', `${O}/${A}/images`);
      const blockSize = Number(params.header('x-container-block-size'));
      assert.equal(blockSize, BLOCK);
      assert.equal(params.header('x-container-block-hash'), 'sha256');

      const blocks = splitBlocks(DISK);
      const hashes = blocks.map(blockHashOf);
      assert.equal(hashes.length, 3);
      const body = JSON.stringify({ hashes, bytes: DISK.length });
      const put = () =>
        k(alice, 'PUT', `${O}/${A}/images/disk.img?hashmap=True&format=json`, {
          body,
          headers: { 'Content-Type': 'application/octet-stream' },
        });
      const first = await put();
      assert.equal(first.status, 409);
      assert.equal(first.header('content-type'), JSON_TYPE);
      assert.deepEqual(first.json(), hashes);

      const replies = await pool(
        first.json().map((h: string) => async () => {
          const block = blocks[hashes.indexOf(h)];
          const r = await k(alice, 'POST', `${O}/${A}/images?update&format=json`, {
            body: block,
            headers: { 'Content-Type': 'application/octet-stream' },
          });
          assert.equal(r.status, 202);
          assert.equal(r.json()[0], h, 'kamaki asserts reply[0] == its hash');
          return r;
        }),
        5,
      );
      assert.equal(replies.length, 3);

      const done = await put();
      assert.equal(done.status, 201);
      assert.equal(done.header('etag'), merkle(hashes));
      assert.ok(done.header('x-object-version'), 'X-Object-Version must be present');
      const head = await k(alice, 'HEAD', `${O}/${A}/images/disk.img`);
      assert.equal(head.header('x-object-hash'), done.header('etag'));
    });

    it('file upload --unchunked small.img: one raw PUT, ETag = MD5; --etag mismatch → 422', async () => {
      await authenticate(alice);
      assert.equal((await k(alice, 'HEAD', `${O}/${A}/images/small.img`)).status, 404);
      for (let i = 0; i < 2; i++) assert.equal((await k(alice, 'HEAD', `${O}/${A}/images`)).status, 204);
      assert.equal((await k(alice, 'GET', `${O}/${A}/images?format=json`)).status, 200);
      const bad = await k(alice, 'PUT', `${O}/${A}/images/small.img?format=json`, {
        body: SMALL,
        headers: { 'Content-Type': 'application/octet-stream', ETag: md5('not it') },
      });
      assert.equal(bad.status, 422);
      assert.equal((await k(alice, 'HEAD', `${O}/${A}/images/small.img`)).status, 404);
      const r = await k(alice, 'PUT', `${O}/${A}/images/small.img?format=json`, {
        body: SMALL,
        headers: { 'Content-Type': 'application/octet-stream', ETag: md5(SMALL) },
      });
      assert.equal(r.status, 201);
      assert.equal(r.header('etag'), md5(SMALL));
      assert.ok(r.header('x-object-version'));
    });

    it('uploads: empty file, .gz with Content-Encoding, already-known blocks → 201 at once', async () => {
      await authenticate(alice);
      const empty = await k(alice, 'PUT', `${O}/${A}/images/empty.img?hashmap=True&format=json`, {
        body: JSON.stringify({ hashes: [], bytes: 0 }),
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(empty.status, 201, `an empty file needs no block: ${empty.text()}`);
      assert.equal(empty.header('etag'), EMPTY_SHA256);
      const eh = await k(alice, 'GET', `${O}/${A}/images/empty.img?hashmap=True&format=json`);
      assert.deepEqual(eh.json(), { block_size: BLOCK, block_hash: 'sha256', bytes: 0, hashes: [EMPTY_SHA256] });
      assert.equal((await k(alice, 'GET', `${O}/${A}/images/empty.img?format=json`)).body.length, 0);

      const gz = gzipSync(SMALL);
      const gzHashes = splitBlocks(gz).map(blockHashOf);
      const body = JSON.stringify({ hashes: gzHashes, bytes: gz.length });
      const headers = { 'Content-Type': 'application/octet-stream', 'Content-Encoding': 'gzip' };
      const first = await k(alice, 'PUT', `${O}/${A}/images/small.img.gz?hashmap=True&format=json`, { body, headers });
      assert.equal(first.status, 409);
      await k(alice, 'POST', `${O}/${A}/images?update&format=json`, {
        body: gz,
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(
        (await k(alice, 'PUT', `${O}/${A}/images/small.img.gz?hashmap=True&format=json`, { body, headers })).status,
        201,
      );
      const got = await k(alice, 'GET', `${O}/${A}/images/small.img.gz?format=json`);
      assert.equal(got.header('content-encoding'), 'gzip');
      assert.ok(got.body.equals(gz), 'stored and served as is, never decoded');

      // image register --upload-image-file small.img: the block exists already (deduplication).
      assert.equal((await k(alice, 'HEAD', `${O}/${A}/images/up.img`)).status, 404);
      const up = await k(alice, 'PUT', `${O}/${A}/images/up.img?hashmap=True&format=json`, {
        body: JSON.stringify({ hashes: [blockHashOf(SMALL)], bytes: SMALL.length }),
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(up.status, 201);
      // …and its metafile, shared with the owner and `*` (an image's is_public).
      const meta = Buffer.from(JSON.stringify({ name: 'Uploaded', owner: `${A} (alice@example.org)` }));
      const metaBody = JSON.stringify({ hashes: [blockHashOf(meta)], bytes: meta.length });
      const metaHeaders = { 'Content-Type': 'application/octet-stream', 'X-Object-Sharing': `read=${A},*` };
      assert.equal((await k(alice, 'HEAD', `${O}/${A}/images/up.img.meta`)).status, 404);
      assert.equal(
        (
          await k(alice, 'PUT', `${O}/${A}/images/up.img.meta?hashmap=True&format=json`, {
            body: metaBody,
            headers: metaHeaders,
          })
        ).status,
        409,
      );
      assert.deepEqual(
        (
          await k(alice, 'POST', `${O}/${A}/images?update&format=json`, {
            body: meta,
            headers: { 'Content-Type': 'application/octet-stream' },
          })
        ).json(),
        [blockHashOf(meta)],
      );
      const metaPut = await k(alice, 'PUT', `${O}/${A}/images/up.img.meta?hashmap=True&format=json`, {
        body: metaBody,
        headers: metaHeaders,
      });
      assert.equal(metaPut.status, 201);
      assert.equal((await k(alice, 'HEAD', `${O}/${A}/images/up.img.meta`)).header('x-object-sharing'), 'read=%2A');
    });

    it('file list, file info, file info --hashmap', async () => {
      await authenticate(alice);
      const list = await k(alice, 'GET', `${O}/${A}/images?format=json`);
      assert.equal(list.status, 200);
      const byName = Object.fromEntries(list.json().map((e: any) => [e.name, e]));
      const disk = byName['disk.img'];
      assert.equal(disk.bytes, DISK.length);
      assert.equal(disk.content_type, 'application/octet-stream');
      assert.equal(disk.hash, '');
      assert.equal(disk.x_object_hash, merkle(splitBlocks(DISK).map(blockHashOf)));
      assert.match(disk.last_modified, ISO_MICROS);
      assert.match(disk.x_object_uuid, UUID4);
      assert.equal(byName['small.img'].hash, md5(SMALL));

      const info = await k(alice, 'HEAD', `${O}/${A}/images/disk.img`);
      assert.equal(info.status, 200, 'kamaki requires exactly 200');
      assert.equal(info.header('content-length'), String(DISK.length));
      assert.match(info.header('x-object-version-timestamp')!, HTTP_DATE);
      assert.equal(info.header('x-object-sharing'), undefined, 'never sent empty');
      const hm = await k(alice, 'GET', `${O}/${A}/images/disk.img?hashmap=True&format=json`);
      assert.equal(hm.status, 200);
      assert.deepEqual(hm.json(), {
        block_size: BLOCK,
        block_hash: 'sha256',
        bytes: DISK.length,
        hashes: splitBlocks(DISK).map(blockHashOf),
      });
    });

    /** kamaki's download: HEAD, hashmap, one ranged GET per block in parallel; the file cut to "bytes". */
    async function download(user: TestUser, path: string): Promise<Buffer> {
      const head = await k(user, 'HEAD', path);
      assert.equal(head.status, 200);
      const hm = (await k(user, 'GET', `${path}?hashmap=True&format=json`)).json();
      const out = Buffer.alloc(hm.hashes.length * hm.block_size);
      const order = hm.hashes.map((_: string, i: number) => i).reverse(); // as recorded: the last block first
      await pool(
        order.map((i: number) => async () => {
          const start = i * hm.block_size;
          const end = Math.min(start + hm.block_size, hm.bytes) - 1;
          const r: Reply = await k(user, 'GET', `${path}?format=json`, { headers: { Range: `bytes=${start}-${end}` } });
          assert.equal(r.status, 206);
          assert.equal(r.header('content-range'), `bytes ${start}-${end}/${hm.bytes}`);
          assert.equal(r.header('content-length'), String(end - start + 1), 'a wrong Content-Length makes kamaki hang');
          assert.equal(r.body.length, end - start + 1);
          r.body.copy(out, start);
        }),
        5,
      );
      return out.subarray(0, hm.bytes);
    }

    it('file download (ranged GETs per block) and file cat --range', async () => {
      await authenticate(alice);
      assert.ok((await download(alice, `${O}/${A}/images/disk.img`)).equals(DISK));
      assert.ok((await download(alice, `${O}/${A}/images/small.img`)).equals(SMALL));
      assert.equal((await k(alice, 'GET', `${O}/${A}/images/small.img?hashmap=True&format=json`)).status, 200);
      const cat = await k(alice, 'GET', `${O}/${A}/images/small.img?format=json`, { headers: { Range: 'bytes=0-15' } });
      assert.equal(cat.status, 206);
      assert.equal(cat.header('content-length'), '16');
      assert.ok(cat.body.equals(SMALL.subarray(0, 16)));
    });

    it('file modify --read-permission: bob reads it and sees X-Object-Allowed-To; sharer list', async () => {
      await authenticate(alice);
      const path = `${O}/${A}/images/disk.img`;
      assert.equal((await k(alice, 'HEAD', path)).status, 200);
      const post = await k(alice, 'POST', `${path}?update&format=json`, {
        headers: { 'X-Object-Sharing': `read=${B}` },
      });
      assert.equal(post.status, 202);
      const head = await k(alice, 'HEAD', path);
      assert.equal(head.header('x-object-sharing'), `read=${B}`);
      assert.equal(head.header('x-object-public'), undefined);
      assert.equal((await k(alice, 'HEAD', path)).status, 200, 'file info --sharing: HEAD twice');

      const me = await authenticate(bob);
      assert.equal(me.uuid, B);
      const sharers = await k(bob, 'GET', `${O}?format=json`);
      assert.equal(sharers.status, 200);
      assert.deepEqual(
        sharers.json().map((e: any) => e.name),
        [A],
      );
      const theirs = await k(bob, 'GET', `${O}/${A}/images?format=json`);
      assert.deepEqual(
        theirs.json().map((e: any) => e.name),
        ['disk.img', 'up.img.meta'],
        'what is shared with him or with *',
      );
      const bh = await k(bob, 'HEAD', path);
      assert.equal(bh.status, 200);
      assert.equal(bh.header('x-object-allowed-to'), 'read');
      assert.equal(bh.header('x-object-sharing'), `read=${B}`);
      assert.ok((await download(bob, path)).equals(DISK));
      assert.equal((await k(bob, 'HEAD', `${O}/${A}/images/small.img`)).status, 404, 'only what is shared');
    });

    it('file publish: absolute X-Object-Public URL, anonymous GET; unpublish → 404', async () => {
      await authenticate(alice);
      const path = `${O}/${A}/images/disk.img`;
      const pub = await k(alice, 'POST', `${path}?update&format=json`, { headers: { 'X-Object-Public': 'True' } });
      assert.equal(pub.status, 202);
      const url = (await k(alice, 'HEAD', path)).header('x-object-public')!;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/public\/[0-9A-Za-z]{16}$/);
      const anonymous = await call(url.replace(/\/public\/.*$/, ''), 'GET', new URL(url).pathname);
      assert.equal(anonymous.status, 200, 'no token needed');
      assert.ok(anonymous.body.equals(DISK));
      const un = await k(alice, 'POST', `${path}?update&format=json`, { headers: { 'X-Object-Public': 'False' } });
      assert.equal(un.status, 202);
      assert.equal((await call(s, 'GET', new URL(url).pathname)).status, 404);
      assert.equal((await k(alice, 'HEAD', path)).header('x-object-public'), undefined);

      // --no-permissions: an empty X-Object-Sharing removes every grant.
      const none = await k(alice, 'POST', `${path}?update&format=json`, { headers: { 'X-Object-Sharing': '' } });
      assert.equal(none.status, 202);
      assert.equal((await k(alice, 'HEAD', path)).header('x-object-sharing'), undefined);
      assert.equal((await k(bob, 'HEAD', path)).status, 404);
    });

    it('image register, image list, -l, --name, --owner, --property, --order, unregister (kamaki 0.16)', async () => {
      await authenticate(alice);
      /** kamaki's `image register` (clients.md §5), without the metafile it writes afterwards. */
      const register = async (user: TestUser, name: string, loc: string, headers: Record<string, string> = {}) => {
        const r = await k(user, 'POST', `${I}/images/`, {
          headers: { 'X-Image-Meta-Name': name, 'X-Image-Meta-Location': loc, ...headers },
        });
        assert.equal(r.status, 200, 'register: success=200');
        assert.equal(r.header('x-image-meta-owner'), user.uuid);
        return r.header('x-image-meta-id')!;
      };
      assert.equal((await k(alice, 'HEAD', `${O}/${A}/images/disk.img.meta`)).status, 404);
      const debian = await register(alice, 'Debian%20Test', `pithos://${A}/images/disk.img`, {
        'x-image-meta-property-OSFAMILY': 'linux',
        'x-image-meta-property-ROOT_PARTITION': '1',
      });
      const uploaded = await register(alice, 'Uploaded', `pithos://${A}/images/up.img`, {
        'x-image-meta-is-public': 'True',
      });
      // bob: container create, file upload --unchunked, image register.
      await authenticate(bob);
      assert.equal((await k(bob, 'PUT', `${O}/${B}/images`)).status, 201);
      assert.equal(
        (
          await k(bob, 'PUT', `${O}/${B}/images/bob.img?format=json`, {
            body: SMALL,
            headers: { 'Content-Type': 'application/octet-stream' },
          })
        ).status,
        201,
      );
      const bobs = await register(bob, 'Bobs', `pithos://${B}/images/bob.img`);

      // image list
      await authenticate(alice);
      const list = kamakiImageList(await k(alice, 'GET', `${I}/images/?sort_dir=asc`));
      assert.deepEqual(
        list.map((i) => i.id),
        [debian, uploaded],
      );
      for (const img of list) assert.deepEqual(Object.keys(img).sort(), SUMMARY_KEYS);
      assert.deepEqual(list[0], {
        id: debian,
        name: 'Debian Test',
        status: 'available',
        disk_format: 'diskdump',
        container_format: 'bare',
        size: DISK.length,
      });

      // image list -l: the detail list, then the owners' names.
      const detail = kamakiImageList(await k(alice, 'GET', `${I}/images/detail?sort_dir=asc`));
      assert.deepEqual(
        detail.map((i) => i.id),
        [debian, uploaded],
      );
      assert.deepEqual(detail[0].properties, { osfamily: 'linux', root_partition: '1' });
      assert.equal(detail[1].is_public, true);
      const owners = [...new Set(detail.map((i) => i.owner))];
      const catalogs = await k(alice, 'POST', '/account/v1.0/user_catalogs', {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ uuids: owners }),
      });
      assert.equal(catalogs.status, 200);
      assert.deepEqual(catalogs.json().uuid_catalog, { [A]: 'alice@example.org' });

      // image list --name "Debian Test": a server-side filter (urllib's quote).
      assert.deepEqual(
        kamakiImageList(await k(alice, 'GET', `${I}/images/?name=Debian%20Test&sort_dir=asc`)).map((i) => i.id),
        [debian],
      );
      // --container-format, --disk-format, --size-min, --size-max, --status: server-side too.
      const filtered = await k(
        alice,
        'GET',
        `${I}/images/?status=available&size_max=${DISK.length}&container_format=bare&disk_format=diskdump&size_min=100000&sort_dir=asc`,
      );
      assert.deepEqual(
        kamakiImageList(filtered).map((i) => i.id),
        [debian],
      );

      // (bob) image list --owner {A}: the detail list, filtered by owner on the client.
      await authenticate(bob);
      const seenByBob = kamakiImageList(await k(bob, 'GET', `${I}/images/detail?sort_dir=asc`));
      assert.deepEqual(
        seenByBob.map((i) => i.id),
        [uploaded, bobs],
        'his own and alice’s public image',
      );
      assert.deepEqual(
        seenByBob.filter((i) => i.owner === A).map((i) => i.name),
        ['Uploaded'],
      );

      // image list --property osfamily=linux: the detail list, filtered by properties on the client.
      await authenticate(alice);
      const byProperty = kamakiImageList(await k(alice, 'GET', `${I}/images/detail?sort_dir=asc`)).filter(
        (i) => String(i.properties.osfamily ?? '').toLowerCase() === 'linux',
      );
      assert.deepEqual(
        byProperty.map((i) => i.id),
        [debian],
      );

      // image list --order name / --order -size: sort_key, and a leading '-' for desc.
      assert.deepEqual(
        kamakiImageList(await k(alice, 'GET', `${I}/images/?sort_dir=asc&sort_key=name`)).map((i) => i.name),
        ['Debian Test', 'Uploaded'],
      );
      assert.deepEqual(
        kamakiImageList(await k(alice, 'GET', `${I}/images/?sort_dir=desc&sort_key=name`)).map((i) => i.name),
        ['Uploaded', 'Debian Test'],
      );
      assert.deepEqual(
        kamakiImageList(await k(alice, 'GET', `${I}/images/?sort_dir=desc&sort_key=size`)).map((i) => i.size),
        [DISK.length, SMALL.length],
      );
      assert.deepEqual(
        kamakiImageList(await k(alice, 'GET', `${I}/images/?name=nothing&sort_dir=asc`)),
        [],
        'nothing listed: an empty list',
      );

      // image unregister (the files stay), then image list.
      for (const [user, id] of [
        [alice, debian],
        [alice, uploaded],
        [bob, bobs],
      ] as const) {
        assert.equal((await k(user, 'DELETE', `${I}/images/${id}`)).status, 204, 'unregister: success=204');
      }
      assert.deepEqual(kamakiImageList(await k(alice, 'GET', `${I}/images/?sort_dir=asc`)), []);
      assert.equal((await k(alice, 'HEAD', `${O}/${A}/images/disk.img`)).status, 200);
    });

    it('file delete, container delete', async () => {
      await authenticate(alice);
      assert.equal((await k(alice, 'HEAD', `${O}/${A}/images/small.img`)).status, 200);
      const children = await k(alice, 'GET', `${O}/${A}/images?prefix=small.img/&format=json`);
      assert.equal(children.status, 200);
      assert.deepEqual(children.json(), []);
      assert.equal((await k(alice, 'DELETE', `${O}/${A}/images/small.img`)).status, 204);
      assert.equal((await k(alice, 'HEAD', `${O}/${A}/images/small.img`)).status, 404);

      const head = await k(alice, 'HEAD', `${O}/${A}/images`);
      assert.ok(Number(head.header('x-container-object-count')) > 0);
      assert.equal((await k(alice, 'DELETE', `${O}/${A}/images?delimiter=/`)).status, 204);
      assert.equal((await k(alice, 'DELETE', `${O}/${A}/images?until=${(Date.now() / 1000).toFixed(6)}`)).status, 204);
      assert.equal((await k(alice, 'HEAD', `${O}/${A}/images`)).status, 404);
      assert.deepEqual((await k(alice, 'GET', `${O}/${A}?format=json`)).json(), []);
    });

    /**
     * kamaki's `_PithosGroup._groups()` (cli/cmds/pithos.py) over `get_account_group`: an account
     * HEAD (account_head: success=204) and its `X-Account-Group-*` headers, by the name after the prefix.
     */
    async function kamakiGroups(user: TestUser): Promise<Record<string, string>> {
      const r = await k(user, 'HEAD', `${O}/${user.uuid}`);
      assert.equal(r.status, 204, 'account_head: success=204');
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(r.headers))
        if (name.startsWith('x-account-group-')) out[name.slice('x-account-group-'.length)] = String(value);
      return out;
    }

    /**
     * kamaki's `get_object_sharing`: an object HEAD (object_head: success=200), `X-Object-Sharing`
     * split on `;`, each part on `=` into exactly a key and a value ("Incorrect reply format" else).
     */
    async function kamakiSharing(user: TestUser, path: string): Promise<Record<string, string>> {
      const r = await k(user, 'HEAD', path);
      assert.equal(r.status, 200, 'object_head: success=200');
      const header = r.header('x-object-sharing');
      const out: Record<string, string> = {};
      if (header === undefined) return out;
      for (const perm of header.split(';')) {
        const parts = perm.trim().split('=');
        assert.equal(parts.length, 2, `kamaki unpacks ${perm} into (key, val)`);
        out[parts[0]] = parts[1];
      }
      return out;
    }

    /** kamaki's `set_object_sharing` / `del_object_sharing`: object_post ?format=json&update, success 202 or 204. */
    async function kamakiSetSharing(user: TestUser, path: string, value: string): Promise<void> {
      const r = await k(user, 'POST', `${path}?format=json&update`, { headers: { 'X-Object-Sharing': value } });
      assert.ok(r.status === 202 || r.status === 204, `object_post: success=(202, 204), got ${r.status} ${r.text()}`);
    }

    /** kamaki's `set_account_group` / `del_account_group`: account_post ?update, success 202. */
    async function kamakiSetGroup(user: TestUser, group: string, members: string[]): Promise<void> {
      const r = await k(user, 'POST', `${O}/${user.uuid}?update`, {
        headers: { [`X-Account-Group-${group}`]: members.join(',') },
      });
      assert.equal(r.status, 202, `account_post: success=202, got ${r.status} ${r.text()}`);
    }

    /** What a grantee's kamaki sees of alice's object: sharer list, file list, file info, file download. */
    async function readsThrough(user: TestUser, path: string, data: Buffer): Promise<void> {
      await authenticate(user);
      const sharers = await k(user, 'GET', `${O}?format=json`);
      assert.equal(sharers.status, 200);
      assert.ok(
        sharers.json().some((e: { name: string }) => e.name === A),
        `${user.name}: sharer list names alice`,
      );
      const listed = await k(user, 'GET', `${O}/${A}/team?format=json`);
      assert.equal(listed.status, 200);
      assert.deepEqual(
        listed.json().map((e: { name: string }) => e.name),
        ['plan.txt'],
      );
      const head = await k(user, 'HEAD', path);
      assert.equal(head.status, 200);
      assert.equal(head.header('x-object-allowed-to'), 'read');
      assert.ok((await download(user, path)).equals(data), `${user.name} downloads the shared file`);
    }

    /** What a user without a grant sees: alice is no sharer of his, her object and container are not found. */
    async function locksOut(user: TestUser, path: string): Promise<void> {
      await authenticate(user);
      const sharers = await k(user, 'GET', `${O}?format=json`);
      assert.equal(sharers.status, 200);
      assert.ok(!sharers.json().some((e: { name: string }) => e.name === A), `${user.name}: alice no longer a sharer`);
      assert.equal((await k(user, 'HEAD', path)).status, 404);
      assert.equal((await k(user, 'GET', path)).status, 404);
      // Unreadable means not found (object-store.md §2): no grant left in the container either.
      assert.equal((await k(user, 'GET', `${O}/${A}/team?format=json`)).status, 404);
    }

    it('group create / list / delete, file modify --read-permission <owner>:<group> / --no-permissions (kamaki 0.16)', async () => {
      // kamaki 0.16 names them `group …` (cli/cmds/pithos.py group_cmds) and `file modify`.
      const carol = await s.user('carol@example.org');
      const C = carol.uuid;
      const path = `${O}/${A}/team/plan.txt`;
      const plan = bytesOf('kamaki team plan', BLOCK + 777);
      await authenticate(alice);
      assert.equal((await k(alice, 'PUT', `${O}/${A}/team`)).status, 201);
      assert.equal((await k(alice, 'PUT', path, { body: plan })).status, 201);

      // kamaki group create devs --uuid <bob> --username carol@example.org
      await authenticate(alice);
      const catalogs = await k(alice, 'POST', '/account/v1.0/user_catalogs', {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ displaynames: ['carol@example.org'] }),
      });
      assert.equal(catalogs.status, 200);
      assert.deepEqual(catalogs.json().displayname_catalog, { 'carol@example.org': C });
      assert.deepEqual(await kamakiGroups(alice), {}, 'a new group: kamaki asks nothing');
      await kamakiSetGroup(alice, 'devs', [B, C]);
      assert.deepEqual(await kamakiGroups(alice), { devs: `${B},${C}` }, 'printed after the create');

      // kamaki group list (as alice; bob's own list holds none of hers)
      await authenticate(alice);
      assert.deepEqual(await kamakiGroups(alice), { devs: `${B},${C}` });
      await authenticate(bob);
      assert.deepEqual(await kamakiGroups(bob), {});

      // kamaki file modify /team/plan.txt --read-permission <alice>:devs
      await authenticate(alice);
      assert.deepEqual(await kamakiSharing(alice, path), {}, 'the permissions kamaki adds to: none yet');
      await kamakiSetSharing(alice, path, `read=${A}:devs`);
      assert.deepEqual(await kamakiSharing(alice, path), { read: `${A}:devs` }, 'printed after the modify');

      // both members read through the group
      await readsThrough(bob, path, plan);
      await readsThrough(carol, path, plan);
      assert.deepEqual(await kamakiSharing(bob, path), { read: `${A}:devs` }, 'file info --sharing as bob');

      // kamaki group create devs --uuid <carol>: the group exists, kamaki asks, the user says yes
      await authenticate(alice);
      assert.deepEqual(Object.keys(await kamakiGroups(alice)), ['devs'], 'kamaki finds devs and asks to overwrite');
      await kamakiSetGroup(alice, 'devs', [C]);
      assert.deepEqual(await kamakiGroups(alice), { devs: C });
      await locksOut(bob, path);
      await readsThrough(carol, path, plan);

      // kamaki file modify /team/plan.txt --no-permissions: X-Object-Sharing sent empty
      await authenticate(alice);
      await kamakiSetSharing(alice, path, '');
      assert.deepEqual(await kamakiSharing(alice, path), {});
      await locksOut(carol, path);

      // kamaki group delete devs: the group header sent empty
      await authenticate(alice);
      await kamakiSetGroup(alice, 'devs', []);
      assert.deepEqual(await kamakiGroups(alice), {}, 'printed after the delete');
      assert.equal((await k(alice, 'GET', path)).status, 200, 'the owner keeps his file');
    });
  });
}
