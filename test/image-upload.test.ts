/**
 * Image data through the image API (image-api.md §4.2, §5.3 upload/reserve, §5.5, §5.6): streamed
 * uploads with Content-Length and chunked, reservations filled by PUT, "empty data is no data",
 * verification failures and client aborts that keep nothing, the size cap and quota, and
 * Range/ETag on data GETs.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { immediateBatch } from '../src/storage/blocks/block-store.ts';
import { DIALECTS } from './helpers/dialects.ts';
import { expectFault, image, location, metaHeaders, putObject, register, V1, V10 } from './helpers/image-client.ts';
import { rawRequest, type RawResponse } from './helpers/raw-http.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const MIB = 1024 * 1024;
const ONE_MIB_ZEROS = Buffer.alloc(MIB);

/** Deterministic, incompressible-looking data with no trailing NULs. */
function pattern(size: number, seed = 1): Buffer<ArrayBuffer> {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = (x >> 16) & 0xff;
  }
  if (size) out[size - 1] = 1;
  return out;
}

/** A chunked request body (fetch sends a ReadableStream with Transfer-Encoding: chunked). */
function chunked(data: Buffer, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= data.length) return c.close();
      c.enqueue(new Uint8Array(data.subarray(off, off + chunk)));
      off += chunk;
    },
  });
}

/** A chunked body that sends `first`, then waits for `release()` before sending `rest`. */
function held(first: Buffer, rest: Buffer) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let step = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (step === 0) c.enqueue(new Uint8Array(first));
      else if (step === 1) {
        await gate;
        c.enqueue(new Uint8Array(rest));
      } else c.close();
      step++;
    },
  });
  return { stream, release };
}

/**
 * A request whose body is an empty chunked body, as glanceclient sends when its standard input
 * is empty but not closed (fetch would send Content-Length: 0 instead).
 */
function emptyChunked(
  s: TestServer,
  token: string,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<RawResponse> {
  const lines = Object.entries({ 'X-Auth-Token': token, 'Content-Type': 'application/octet-stream', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return rawRequest(
    s.url,
    `${method} ${path} HTTP/1.1\r\nHost: x\r\n${lines}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
  );
}
const rawJson = (r: RawResponse) => JSON.parse(r.body.toString());

/** Polls until `check` holds; the limit only bounds a check that never holds (a loaded machine is slow, not stuck). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(30);
  }
  assert.fail(`timed out waiting for ${what}`);
}

for (const dialect of DIALECTS) {
  describe(`image uploads [${dialect}]`, () => {
    let s: TestServer;
    let A: TestUser;
    let admin: TestUser;
    const post = (headers: Record<string, string>, body?: BodyInit) =>
      image(s, A, 'POST', `${V1}/images`, { headers, body });
    const put = (id: string, headers: Record<string, string>, body?: BodyInit) =>
      image(s, A, 'PUT', `${V1}/images/${id}`, { headers, body });
    const head = (id: string) => image(s, A, 'HEAD', `${V1}/images/${id}`);
    const objectStatus = async (name: string) =>
      (await s.fetch(`/object-store/v1/${A.uuid}/images/${name}`, { method: 'HEAD', token: A.token })).status;
    const OCTETS = { 'Content-Type': 'application/octet-stream' };

    before(async () => {
      s = await startTestServer(dialect);
      A = await s.user('uploader@example.org');
      admin = await s.user('uploads-admin@example.org', { admin: true });
    });
    after(() => s.close());

    it('uploads in the POST body with Content-Length (glance-style)', async () => {
      const data = pattern(MIB + 123);
      const r = await post(
        {
          ...OCTETS,
          'x-image-meta-name': 'u1',
          'x-image-meta-disk_format': 'raw',
          'x-image-meta-container_format': 'bare',
          'x-image-meta-min_ram': '512',
          'x-image-meta-is_public': 'None',
          'x-image-meta-property-distro': 'debian',
          'x-image-meta-size': String(data.length),
        },
        data,
      );
      assert.equal(r.status, 200);
      const h = metaHeaders(r);
      const id = h['x-image-meta-id'];
      assert.equal(h['x-image-meta-status'], 'available');
      assert.equal(h['x-image-meta-size'], String(data.length));
      assert.equal(h['x-image-meta-checksum'], md5(data));
      assert.equal(h['x-image-meta-location'], `pithos://${A.uuid}/images/${id}`);
      assert.equal(h['x-image-meta-owner'], A.uuid);
      assert.equal(h['x-image-meta-created_at'], h['x-image-meta-updated_at']);
      const body = (await r.json()).image;
      assert.deepEqual(
        [body.disk_format, body.min_ram, body.is_public, body.properties],
        ['raw', 512, false, { distro: 'debian' }],
      );
      // The data lives in an ordinary object whose UUID is the image id.
      const obj = await s.fetch(`/object-store/v1/${A.uuid}/images/${id}`, { token: A.token });
      assert.equal(obj.status, 200);
      assert.equal(obj.headers.get('x-object-uuid'), id);
      assert.equal(obj.headers.get('etag'), md5(data));
      assert.equal(obj.headers.get('content-type'), 'application/octet-stream');
      assert.deepEqual(Buffer.from(await obj.arrayBuffer()), data);
      assert.equal(obj.headers.get('x-object-sharing'), `read=${A.uuid}`, 'members start as [owner]');
    });

    it('uploads a chunked body spanning several blocks; the data GET returns it', async () => {
      const data = pattern(2 * 4 * MIB + 1500, 7);
      const r = await post(
        { ...OCTETS, 'x-image-meta-name': 'big', 'x-image-meta-checksum': md5(data) },
        chunked(data, 100_000),
      );
      assert.equal(r.status, 200);
      const id = r.headers.get('x-image-meta-id')!;
      assert.equal(r.headers.get('x-image-meta-size'), String(data.length));
      const g = await image(s, A, 'GET', `${V1}/images/${id}`);
      assert.equal(g.status, 200);
      assert.equal(g.headers.get('content-type'), 'application/octet-stream');
      assert.equal(g.headers.get('content-length'), String(data.length));
      assert.equal(g.headers.get('x-image-meta-checksum'), md5(data));
      assert.equal(g.headers.get('etag'), md5(data));
      assert.equal(g.headers.get('accept-ranges'), 'bytes');
      assert.equal(g.headers.get('cache-control'), 'no-cache, no-store, must-revalidate, max-age=0');
      assert.equal(md5(Buffer.from(await g.arrayBuffer())), md5(data));
      const hashmapHash = (
        await s.fetch(`/object-store/v1/${A.uuid}/images/${id}`, { method: 'HEAD', token: A.token })
      ).headers.get('x-object-hash');
      const byObjectHash = await post(
        { ...OCTETS, 'x-image-meta-name': 'big2', 'x-image-meta-checksum': hashmapHash! },
        data,
      );
      assert.equal(byObjectHash.status, 200, 'a 64-hex checksum is compared with the object hash');
    });

    it('S30: an empty chunked body reserves (glance </dev/null); a later PUT uploads', async () => {
      const r = await emptyChunked(s, A.token, 'POST', `${V1}/images`, {
        'x-image-meta-name': 'q1',
        'x-image-meta-size': '0',
        'x-image-meta-is_public': 'None',
      });
      assert.equal(r.status, 200);
      const h = r.headers;
      assert.equal(rawJson(r).image.status, 'queued');
      assert.deepEqual(
        [h['x-image-meta-status'], h['x-image-meta-size'], h['x-image-meta-checksum']],
        ['queued', '0', ''],
      );
      const id = h['x-image-meta-id'];
      await expectFault(image(s, A, 'GET', `${V1}/images/${id}`), 404, 'Image data is not available');
      assert.equal((await head(id)).headers.get('etag'), null, 'no ETag before the data is there');
      const up = await put(
        id,
        { ...OCTETS, 'x-image-meta-checksum': 'b6d81b360a5672d80c27430f39153e2c' },
        ONE_MIB_ZEROS,
      );
      assert.equal(up.status, 200);
      const u = metaHeaders(up);
      assert.deepEqual(
        [u['x-image-meta-status'], u['x-image-meta-size'], u['x-image-meta-checksum']],
        ['available', String(MIB), 'b6d81b360a5672d80c27430f39153e2c'],
      );
      await expectFault(put(id, OCTETS, Buffer.from('more')), 409, 'Cannot upload to an unqueued image', 'conflict');
    });

    it('reserves without a body (glance <&-), remembers declared values and checks them at upload', async () => {
      const data = pattern(5000);
      const r = await post({
        'x-image-meta-name': 'later',
        'x-image-meta-size': '5000',
        'x-image-meta-checksum': md5(data),
        'Content-Length': '0',
      });
      assert.equal(r.status, 200);
      const id = r.headers.get('x-image-meta-id')!;
      assert.equal(r.headers.get('x-image-meta-status'), 'queued');
      assert.equal(await objectStatus(id), 200, 'a reservation has its placeholder object');
      await expectFault(put(id, OCTETS, pattern(4999)), 400, "Invalid 'size' field");
      assert.equal((await head(id)).headers.get('x-image-meta-status'), 'queued', 'back to queued');
      await expectFault(put(id, OCTETS, pattern(5000, 2)), 400, 'Invalid checksum field');
      await expectFault(put(id, OCTETS, chunked(pattern(6000))), 400, "Invalid 'size' field");
      assert.equal((await head(id)).headers.get('x-image-meta-size'), '0', 'nothing kept');
      // An empty body uploads nothing; the metadata of the request still apply.
      const empty = await emptyChunked(s, A.token, 'PUT', `${V1}/images/${id}`, {
        'x-image-meta-property-note': 'empty',
        'x-image-meta-size': '0',
      });
      assert.equal(empty.status, 200);
      assert.equal(empty.headers['x-image-meta-status'], 'queued');
      assert.equal(empty.headers['x-image-meta-property-note'], 'empty');
      assert.equal(empty.headers['x-image-meta-size'], '0');
      const liar = await emptyChunked(s, A.token, 'PUT', `${V1}/images/${id}`, { 'x-image-meta-size': '7' });
      assert.equal(liar.status, 400, 'a size other than 0 with an empty body is a mismatch');
      assert.equal(rawJson(liar).badRequest.message, "Invalid 'size' field");
      assert.equal((await head(id)).headers.get('x-image-meta-status'), 'queued');
      // Without data, size and checksum on a queued image are new declared values.
      const redeclare = await put(id, { 'x-image-meta-size': '4000', 'x-image-meta-checksum': md5(pattern(4000)) });
      assert.equal(redeclare.status, 200);
      await expectFault(put(id, OCTETS, data), 400, "Invalid 'size' field");
      const ok = await put(id, { ...OCTETS, 'x-image-meta-name': 'filled' }, pattern(4000));
      assert.equal(ok.status, 200);
      const body = (await ok.json()).image;
      assert.deepEqual(
        [body.status, body.size, body.checksum, body.name, body.properties],
        ['available', 4000, md5(pattern(4000)), 'filled', { note: 'empty' }],
      );
      await expectFault(put(id, { 'x-image-meta-size': '4000' }), 400, 'Invalid metadata');
    });

    it('a declared size of 0 is not remembered; a non-zero size with an empty body is a mismatch', async () => {
      const r = await post({ 'x-image-meta-name': 'zero', 'x-image-meta-size': '0' });
      const id = r.headers.get('x-image-meta-id')!;
      assert.equal((await put(id, OCTETS, pattern(10))).status, 200);
      const before = (await (await image(s, A, 'GET', `${V1}/images/detail`)).json()).images.length + 1;
      const liar = await emptyChunked(s, A.token, 'POST', `${V1}/images`, {
        'x-image-meta-name': 'liar',
        'x-image-meta-size': '10',
      });
      assert.equal(liar.status, 400);
      assert.equal(rawJson(liar).badRequest.message, "Invalid 'size' field");
      const noSize = await emptyChunked(s, A.token, 'POST', `${V1}/images`, {
        'x-image-meta-name': 'nosize',
        'x-image-meta-checksum': md5(Buffer.from('x')),
      });
      assert.equal(
        rawJson(noSize).image.status,
        'queued',
        'an empty body without a declared size reserves, checksum remembered',
      );
      await expectFault(put(rawJson(noSize).image.id, OCTETS, Buffer.from('y')), 400, 'Invalid checksum field');
      assert.equal((await put(rawJson(noSize).image.id, OCTETS, Buffer.from('x'))).status, 200);
      assert.equal(
        (await (await image(s, A, 'GET', `${V1}/images/detail`)).json()).images.length,
        before,
        'nothing kept',
      );
    });

    it('a size or checksum mismatch in a POST keeps neither record nor object', async () => {
      for (const [headers, message] of [
        [{ 'x-image-meta-size': '10' }, "Invalid 'size' field"],
        [{ 'x-image-meta-size': '30' }, "Invalid 'size' field"],
        [{ 'x-image-meta-checksum': md5(Buffer.from('other')) }, 'Invalid checksum field'],
        [{ 'x-image-meta-checksum': 'f'.repeat(64) }, 'Invalid checksum field'],
      ] as [Record<string, string>, string][]) {
        const id = randomUUID();
        await expectFault(
          post({ ...OCTETS, 'x-image-meta-name': 'bad', 'x-image-meta-id': id, ...headers }, chunked(pattern(20))),
          400,
          message,
        );
        assert.equal((await head(id)).status, 404);
        assert.equal(await objectStatus(id), 404, 'placeholder removed');
      }
      await expectFault(
        post({ 'Content-Type': 'text/plain', 'x-image-meta-name': 'bad' }, 'text'),
        400,
        'Content-Type must be application/octet-stream',
      );
      await expectFault(
        post({ ...OCTETS, 'x-image-meta-name': 'bad', 'x-image-meta-size': '3' }, Buffer.from('four')),
        400,
        "Invalid 'size' field",
      );
    });

    it('refuses ids in use, and placeholders over existing objects', async () => {
      const r = await post({ 'x-image-meta-name': 'first' });
      const id = r.headers.get('x-image-meta-id')!;
      await expectFault(
        post({ 'x-image-meta-name': 'again', 'x-image-meta-id': id.toUpperCase() }),
        409,
        `An image with id '${id}' already exists`,
      );
      const squatted = randomUUID();
      await putObject(s, A, 'images', squatted, Buffer.from('mine'));
      await expectFault(
        post({ 'x-image-meta-name': 'squat', 'x-image-meta-id': squatted }),
        409,
        `Object 'images/${squatted}' already exists`,
      );
      assert.equal(
        await s.fetch(`/object-store/v1/${A.uuid}/images/${squatted}`, { token: A.token }).then((x) => x.text()),
        'mine',
        'the object is untouched',
      );
      const chosen = randomUUID();
      const c = await post(
        { ...OCTETS, 'x-image-meta-name': 'chosen', 'x-image-meta-id': chosen },
        Buffer.from('data'),
      );
      assert.equal(c.headers.get('x-image-meta-id'), chosen);
      await expectFault(
        post({ 'x-glance-api-copy-from': 'http://example.org/x', 'x-image-meta-name': 'c' }),
        400,
        'External sources are not supported',
      );
    });

    it('concurrent reservations of one id: one wins, the others get 409', async () => {
      const B = await s.user('racer@example.org');
      for (const users of [
        [A, A, A, A],
        [A, B, A, B],
      ]) {
        const id = randomUUID();
        const replies = await Promise.all(
          users.map((u) =>
            image(s, u, 'POST', `${V1}/images`, { headers: { 'x-image-meta-name': 'race', 'x-image-meta-id': id } }),
          ),
        );
        const statuses = replies.map((r) => r.status).sort();
        assert.deepEqual(statuses, [200, 409, 409, 409], `statuses ${statuses}`);
        for (const r of replies)
          if (r.status === 409) assert.match((await r.json()).conflict.message, /already exists/);
      }
    });

    it('an admin may upload into another account; others’ owner headers are ignored', async () => {
      const r = await image(s, admin, 'POST', `${V1}/images`, {
        headers: { ...OCTETS, 'x-image-meta-name': 'for-a', 'x-image-meta-owner': A.uuid.toUpperCase() },
        body: Buffer.from('abc'),
      });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-image-meta-owner'), A.uuid);
      assert.match(r.headers.get('x-image-meta-location')!, new RegExp(`^pithos://${A.uuid}/images/`));
      await expectFault(
        image(s, admin, 'POST', `${V1}/images`, {
          headers: { 'x-image-meta-name': 'x', 'x-image-meta-owner': 'nobody' },
        }),
        400,
        "Invalid owner 'nobody'",
      );
      const own = await post({ 'x-image-meta-name': 'mine', 'x-image-meta-owner': admin.uuid });
      assert.equal(own.headers.get('x-image-meta-owner'), A.uuid);
      const other = await s.user('not-owner@example.org');
      const id = r.headers.get('x-image-meta-id')!;
      const q = await post({ 'x-image-meta-name': 'q' });
      await image(s, A, 'PUT', `${V1}/images/${q.headers.get('x-image-meta-id')}/members/${other.uuid}`);
      await expectFault(
        image(s, other, 'PUT', `${V1}/images/${q.headers.get('x-image-meta-id')}`, {
          headers: OCTETS,
          body: Buffer.from('x'),
        }),
        403,
        'Only the image owner may upload data',
      );
      assert.ok(id);
    });

    it('concurrent uploads: queued → saving is taken once; a saving image cannot be unregistered', async () => {
      const r = await post({ 'x-image-meta-name': 'race' });
      const id = r.headers.get('x-image-meta-id')!;
      const { stream, release } = held(pattern(1000), pattern(1000, 3));
      const first = image(s, A, 'PUT', `${V1}/images/${id}`, { headers: OCTETS, body: stream });
      await eventually(async () => (await head(id)).headers.get('x-image-meta-status') === 'saving', 'saving');
      const listed = (await (await image(s, A, 'GET', `${V1}/images/detail?status=saving`)).json()).images;
      assert.deepEqual(
        listed.map((i: any) => i.id),
        [id],
        'saving images are visible',
      );
      await expectFault(put(id, OCTETS, Buffer.from('second')), 409, 'Cannot upload to an unqueued image');
      await expectFault(image(s, A, 'DELETE', `${V1}/images/${id}`), 409, 'Image is being saved');
      await expectFault(image(s, A, 'GET', `${V1}/images/${id}`), 404, 'Image data is not available');
      const move = await s.fetch(`/object-store/v1/${A.uuid}/images/${id}`, {
        method: 'MOVE',
        token: A.token,
        headers: { Destination: `/images/moved-${id}` },
      });
      assert.equal(move.status, 409, 'the object store does not move an image being saved');
      release();
      const done = await first;
      assert.equal(done.status, 200);
      assert.equal(done.headers.get('x-image-meta-size'), '2000');
    });

    it('a client that goes away mid-stream leaves nothing (POST) or a queued image (PUT)', async () => {
      const abort = async (method: string, path: string, headers: string) => {
        const { hostname, port } = new URL(s.url);
        await new Promise<void>((resolve, reject) => {
          const sock = net.connect(Number(port), hostname, () => {
            sock.write(
              `${method} ${path} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${A.token}\r\nContent-Type: application/octet-stream\r\n${headers}Content-Length: ${2 * 4 * MIB}\r\n\r\n`,
            );
            sock.write(pattern(4 * MIB + 100), () =>
              setTimeout(() => {
                sock.destroy();
                resolve();
              }, 100),
            );
          });
          sock.on('error', reject);
        });
      };
      const id = randomUUID();
      await abort('POST', `${V1}/images`, `x-image-meta-name: cut\r\nx-image-meta-id: ${id}\r\n`);
      await eventually(
        async () => (await head(id)).status === 404 && (await objectStatus(id)) === 404,
        'the aborted upload to vanish',
      );

      const q = await post({ 'x-image-meta-name': 'cut-put' });
      const qid = q.headers.get('x-image-meta-id')!;
      await abort('PUT', `${V1}/images/${qid}`, '');
      await eventually(async () => (await head(qid)).headers.get('x-image-meta-status') === 'queued', 'back to queued');
      assert.equal((await head(qid)).headers.get('x-image-meta-size'), '0');
      const ok = await put(qid, OCTETS, Buffer.from('after all'));
      assert.equal(ok.headers.get('x-image-meta-status'), 'available');
    });

    it('a storage failure under an upload leaves the image in error (500), unregistrable', async () => {
      const q = await post({ 'x-image-meta-name': 'will-fail' });
      const qid = q.headers.get('x-image-meta-id')!;
      const blocks = s.services.blocks;
      const original = blocks.put;
      const originalBatch = blocks.openBatch;
      blocks.put = async () => {
        throw new Error('the disk is on fire');
      };
      // Uploads write through a batch: make its puts the (failing) plain put.
      blocks.openBatch = () => immediateBatch((hash, data) => blocks.put(hash, data));
      try {
        const id = randomUUID();
        await expectFault(
          post({ ...OCTETS, 'x-image-meta-name': 'doomed', 'x-image-meta-id': id }, pattern(1000)),
          500,
          'Unexpected error',
          'internalServerError',
        );
        await expectFault(put(qid, OCTETS, pattern(1000)), 500, 'Unexpected error');
        for (const failed of [id, qid]) {
          const h = await head(failed);
          assert.deepEqual(
            [h.status, h.headers.get('x-image-meta-status'), h.headers.get('x-image-meta-checksum')],
            [200, 'error', ''],
          );
          await expectFault(image(s, A, 'GET', `${V1}/images/${failed}`), 404, 'Image data is not available');
          await expectFault(put(failed, OCTETS, Buffer.from('retry')), 409, 'Cannot upload to an unqueued image');
        }
      } finally {
        blocks.put = original;
        blocks.openBatch = originalBatch;
      }
      assert.equal((await image(s, A, 'DELETE', `${V1}/images/${qid}`)).status, 204);
    });

    it('data GET: Range, conditional requests, checksum only when an MD5', async () => {
      const data = pattern(100_000, 5);
      const id = (await (await post({ ...OCTETS, 'x-image-meta-name': 'ranged' }, data)).json()).image.id;
      const etag = md5(data);
      const get = (headers: Record<string, string>) => image(s, A, 'GET', `${V10}/images/${id}`, { headers });
      let r = await get({ Range: 'bytes=0-15' });
      assert.equal(r.status, 206);
      assert.equal(r.headers.get('content-range'), `bytes 0-15/${data.length}`);
      assert.equal(r.headers.get('content-length'), '16');
      assert.equal(r.headers.get('x-image-meta-size'), String(data.length));
      assert.equal(r.headers.get('etag'), etag);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), data.subarray(0, 16));
      r = await get({ Range: 'bytes=-10' });
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), data.subarray(data.length - 10));
      r = await get({ Range: 'bytes=99990-200000' });
      assert.equal(r.headers.get('content-range'), `bytes 99990-99999/${data.length}`);
      await r.arrayBuffer();
      r = await get({ Range: 'bytes=0-1,5-9' });
      assert.equal(r.status, 200, 'several ranges: the whole body');
      assert.equal((await r.arrayBuffer()).byteLength, data.length);
      r = await get({ Range: `bytes=${data.length}-` });
      assert.equal(r.status, 416);
      assert.equal(r.headers.get('content-range'), `bytes */${data.length}`);
      assert.equal((await r.json()).rangeNotSatisfiable.message, 'Requested range exceeds object limits');
      r = await get({ 'If-None-Match': `"${etag}"` });
      assert.equal(r.status, 304);
      assert.equal(r.headers.get('etag'), etag);
      assert.equal(r.headers.get('content-type'), null);
      assert.equal((await get({ 'If-Match': 'nope' })).status, 412);
      r = await get({ 'If-Match': etag, Range: 'bytes=1-2', 'If-Range': etag });
      assert.equal(r.status, 206);
      await r.arrayBuffer();
      r = await get({ Range: 'bytes=1-2', 'If-Range': 'stale' });
      assert.equal(r.status, 200);
      await r.arrayBuffer();
      const h = await head(id);
      assert.equal(h.headers.get('etag'), etag);
      assert.equal(h.headers.get('content-type'), null);

      // Registered from an object: the checksum is an object hash, left out of the data reply.
      await putObject(s, A, 'files', 'reg.img', data);
      const rid = await register(s, A, 'reg', location(A.uuid, 'files', 'reg.img'));
      const g = await image(s, A, 'GET', `${V1}/images/${rid}`);
      assert.equal(g.headers.get('x-image-meta-checksum'), null);
      assert.equal(g.headers.get('x-image-meta-name'), 'reg');
      await g.arrayBuffer();
      assert.match((await head(rid)).headers.get('x-image-meta-checksum')!, /^[0-9a-f]{64}$/);
    });

    it('a 0-byte image returns an empty body', async () => {
      // A reservation's placeholder is an empty object; registering it makes an available empty image.
      const q = await post({ 'x-image-meta-name': 'empty' });
      const id = q.headers.get('x-image-meta-id')!;
      const r = await register(s, A, 'empty', location(A.uuid, 'images', id));
      assert.equal(r, id);
      const g = await image(s, A, 'GET', `${V1}/images/${id}`);
      assert.equal(g.status, 200);
      assert.equal(g.headers.get('content-length'), '0');
      assert.equal((await g.arrayBuffer()).byteLength, 0);
      await expectFault(image(s, A, 'GET', `${V1}/images/${id}`, { headers: { Range: 'bytes=0-0' } }), 416);
    });
  });

  describe(`image upload limits [${dialect}]`, () => {
    let s: TestServer;
    let A: TestUser;
    before(async () => {
      s = await startTestServer(dialect, { imageSizeCap: '1000' });
      A = await s.user('capped@example.org');
    });
    after(() => s.close());
    const OCTETS = { 'Content-Type': 'application/octet-stream' };

    it('refuses a declared size over the cap (400) and streamed data over it (413 overLimit), keeping nothing', async () => {
      const message = 'Denying attempt to upload image larger than 1000 bytes.';
      await expectFault(
        image(s, A, 'POST', `${V1}/images`, { headers: { 'x-image-meta-name': 'big', 'x-image-meta-size': '1001' } }),
        400,
        message,
      );
      await expectFault(
        image(s, A, 'POST', `${V1}/images`, {
          headers: { ...OCTETS, 'x-image-meta-name': 'big' },
          body: Buffer.alloc(1001, 1),
        }),
        400,
        message,
      );
      const id = randomUUID();
      await expectFault(
        image(s, A, 'POST', `${V1}/images`, {
          headers: { ...OCTETS, 'x-image-meta-name': 'big', 'x-image-meta-id': id },
          body: chunked(Buffer.alloc(5000, 1), 500),
        }),
        413,
        message,
        'overLimit',
      );
      assert.equal((await image(s, A, 'HEAD', `${V1}/images/${id}`)).status, 404);
      assert.equal(
        (await s.fetch(`/object-store/v1/${A.uuid}/images/${id}`, { method: 'HEAD', token: A.token })).status,
        404,
      );
      const q = await image(s, A, 'POST', `${V1}/images`, { headers: { 'x-image-meta-name': 'q' } });
      const qid = q.headers.get('x-image-meta-id')!;
      await expectFault(
        image(s, A, 'PUT', `${V1}/images/${qid}`, {
          headers: { ...OCTETS },
          body: chunked(Buffer.alloc(1500, 1), 500),
        }),
        413,
        message,
        'overLimit',
      );
      assert.equal((await image(s, A, 'HEAD', `${V1}/images/${qid}`)).headers.get('x-image-meta-status'), 'queued');
      assert.equal(
        (await image(s, A, 'PUT', `${V1}/images/${qid}`, { headers: OCTETS, body: Buffer.alloc(1000, 1) })).status,
        200,
      );
    });

    it('refuses data over the images container quota (413 overLimit), keeping nothing', async () => {
      const c = await s.fetch(`/object-store/v1/${A.uuid}/images`, {
        method: 'POST',
        token: A.token,
        headers: { 'X-Container-Policy-Quota': '1500' },
      });
      assert.ok(c.status < 300, `quota set: ${c.status}`);
      const id = randomUUID();
      const r = await image(s, A, 'POST', `${V1}/images`, {
        headers: { ...OCTETS, 'x-image-meta-name': 'over', 'x-image-meta-id': id },
        body: Buffer.alloc(900, 1),
      });
      const f = await r.json();
      assert.equal(r.status, 413);
      assert.match(f.overLimit.message, /^Quota error: Container quota exceeded: limit: 1500, usage: \d+$/);
      assert.equal((await image(s, A, 'HEAD', `${V10}/images/${id}`)).status, 404);
    });
  });
}
