/**
 * Pithos partial updates (issue 19 item 7): range overwrites, appends, splices from another
 * object, truncation and zero-extension, on the Pithos mount, over real HTTP. Every result is
 * checked byte for byte against the same edit done here on a Buffer, and its hashmap and object
 * hash against spec/hashing.md computed here (a partial update must hash exactly as a fresh upload
 * of the same bytes); bad requests leave the object as it was.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';
import {
  BLOCK,
  type FormFile,
  Store,
  assertFault,
  bytesOf,
  hashmapOf,
  md5,
  merkle,
  multipartForm,
  p,
  type Reply,
} from './helpers/object-store.ts';

const OCTETS = { 'Content-Type': 'application/octet-stream' };

/** `data` with `patch` written at `offset` (extending it when it runs past the end). */
function spliced(data: Buffer, offset: number, patch: Buffer): Buffer {
  const out = Buffer.alloc(Math.max(data.length, offset + patch.length));
  data.copy(out);
  patch.copy(out, offset);
  return out;
}

/** `data` cut to, or zero-extended to, `size` bytes. */
function resized(data: Buffer, size: number): Buffer {
  const out = Buffer.alloc(size);
  data.copy(out, 0, 0, Math.min(size, data.length));
  return out;
}

for (const dialect of DIALECTS) {
  describe(`object store: partial updates [${dialect}]`, () => {
    let s: TestServer;
    let alice: Store;
    let bob: Store;
    let A: string;

    before(async () => {
      s = await startTestServer(dialect);
      alice = new Store(s, await s.user());
      bob = new Store(s, await s.user());
      A = alice.uuid;
      await alice.putContainer('pu');
    });
    after(() => s.close());

    /** The object holds exactly `expected`, hashed as a fresh upload of it would be. */
    async function expectContent(name: string, expected: Buffer): Promise<Reply> {
      const got = await alice.req('GET', p(A, 'pu', name));
      assert.equal(got.status, 200);
      assert.equal(got.body.length, expected.length, `size of ${name}`);
      assert.ok(got.body.equals(expected), `bytes of ${name}`);
      const map = await alice.req('GET', p(A, 'pu', name, 'hashmap&format=json'));
      assert.equal(map.status, 200);
      assert.deepEqual(map.json().hashes, hashmapOf(expected));
      assert.equal(map.json().bytes, expected.length);
      assert.equal(got.header('x-object-hash'), merkle(hashmapOf(expected)));
      return got;
    }

    async function post(name: string, headers: Record<string, string | number>, body?: Buffer | string, q = 'update') {
      return alice.req('POST', p(A, 'pu', name, q), { headers, body });
    }

    it('Content-Range a-b overwrites a range inside one block: 204, new version, ETag = object hash', async () => {
      const data = bytesOf('small', 1000);
      const put = await alice.put('pu', 'small', data, { 'Content-Type': 'text/x-kept', 'X-Object-Meta-Kind': 'doc' });
      const patch = Buffer.from('PATCHED');
      const r = await post('small', { ...OCTETS, 'Content-Range': 'bytes 10-16/*' }, patch);
      assert.equal(r.status, 204, r.text());
      assert.equal(r.body.length, 0);
      assert.ok(Number(r.header('x-object-version')) > Number(put.header('x-object-version')));
      const expected = spliced(data, 10, patch);
      const got = await expectContent('small', expected);
      // The MD5 of the whole is unknown after a partial update: the ETag is the object hash.
      assert.equal(r.header('etag'), merkle(hashmapOf(expected)));
      assert.equal(got.header('etag'), merkle(hashmapOf(expected)));
      assert.equal(got.header('content-type'), 'text/x-kept', 'the content type is kept');
      assert.equal(got.header('x-object-meta-kind'), 'doc', 'meta kept with ?update');
      const listing = await alice.req('GET', p(A, 'pu', undefined, 'format=json&prefix=small'));
      assert.equal(listing.json()[0].hash, '');
      assert.equal(listing.json()[0].bytes, 1000);
    });

    it('a range across a block boundary rewrites only the blocks it touches; past the end extends', async () => {
      const data = bytesOf('big', 3 * BLOCK + 1000);
      await alice.put('pu', 'big', data);
      const before = (await alice.req('GET', p(A, 'pu', 'big', 'hashmap&format=json'))).json().hashes as string[];
      const patch = bytesOf('patch', 20);
      const r = await post('big', { ...OCTETS, 'Content-Range': `bytes ${BLOCK - 10}-${BLOCK + 9}/*` }, patch);
      assert.equal(r.status, 204, r.text());
      const expected = spliced(data, BLOCK - 10, patch);
      await expectContent('big', expected);
      const after = (await alice.req('GET', p(A, 'pu', 'big', 'hashmap&format=json'))).json().hashes as string[];
      assert.notEqual(after[0], before[0]);
      assert.notEqual(after[1], before[1]);
      assert.equal(after[2], before[2], 'an untouched block keeps its hash');
      assert.equal(after[3], before[3], 'an untouched block keeps its hash');

      // Starting 5 bytes before the end, 3000 bytes: the object grows.
      const tail = bytesOf('tail', 3000);
      const start = expected.length - 5;
      const r2 = await post('big', { ...OCTETS, 'Content-Range': `bytes ${start}-${start + 2999}/*` }, tail);
      assert.equal(r2.status, 204, r2.text());
      await expectContent('big', spliced(expected, start, tail));
    });

    it('bytes */* appends (chunked body too); bytes a-/* writes the whole body at a', async () => {
      const data = bytesOf('app', BLOCK - 100);
      await alice.put('pu', 'app', data);
      const more = bytesOf('more', 300);
      const r = await post('app', { ...OCTETS, 'Content-Range': 'bytes */*' }, more);
      assert.equal(r.status, 204, r.text());
      let expected: Buffer = Buffer.concat([data, more]);
      await expectContent('app', expected);
      const chunked = bytesOf('chunked', BLOCK + 77);
      const r2 = await alice.req('POST', p(A, 'pu', 'app', 'update'), {
        headers: { ...OCTETS, 'Content-Range': 'bytes */*' },
        body: chunked,
        chunked: 65536,
      });
      assert.equal(r2.status, 204, r2.text());
      expected = Buffer.concat([expected, chunked]);
      await expectContent('app', expected);
      const open = Buffer.from('open-ended');
      const r3 = await post('app', { ...OCTETS, 'Content-Range': 'bytes 3-/*' }, open);
      assert.equal(r3.status, 204, r3.text());
      await expectContent('app', spliced(expected, 3, open));
      // An empty append changes nothing but still makes a version.
      const r4 = await post('app', { ...OCTETS, 'Content-Range': 'bytes */*' }, '');
      assert.equal(r4.status, 204, r4.text());
      await expectContent('app', spliced(expected, 3, open));
    });

    it('X-Source-Object appends or splices another object, aligned (by hash) or not', async () => {
      const src = bytesOf('src', 2 * BLOCK + 500);
      await alice.put('pu', 'src', src);
      const base = bytesOf('dst', BLOCK);
      await alice.put('pu', 'dst', base);
      // Aligned append: whole source blocks are taken by hash.
      const r = await post('dst', { 'Content-Range': 'bytes */*', 'X-Source-Object': '/pu/src' });
      assert.equal(r.status, 204, r.text());
      let expected: Buffer = Buffer.concat([base, src]);
      await expectContent('dst', expected);
      // Unaligned splice of the source's first 1000 bytes at 123.
      const r2 = await post('dst', { 'Content-Range': 'bytes 123-1122/*', 'X-Source-Object': 'pu/src' });
      assert.equal(r2.status, 204, r2.text());
      expected = spliced(expected, 123, src.subarray(0, 1000));
      await expectContent('dst', expected);
      // X-Source-Account names the owner; X-Source-Version the live version.
      const v = (await alice.req('HEAD', p(A, 'pu', 'src'))).header('x-object-version')!;
      const r3 = await post('dst', {
        'Content-Range': 'bytes */*',
        'X-Source-Object': '/pu/src',
        'X-Source-Account': A,
        'X-Source-Version': v,
      });
      assert.equal(r3.status, 204, r3.text());
      await expectContent('dst', Buffer.concat([expected, src]));
    });

    it('X-Object-Bytes truncates (kamaki truncate) and zero-extends; old bytes never come back', async () => {
      const data = bytesOf('trunc', BLOCK + 5000);
      await alice.put('pu', 'trunc', data, { 'Content-Type': 'text/plain' });
      const upto = BLOCK + 100;
      const r = await post('trunc', {
        'Content-Type': 'text/plain',
        'Content-Range': `bytes 0-${upto}/*`,
        'X-Object-Bytes': upto,
        'X-Source-Object': '/pu/trunc',
      });
      assert.equal(r.status, 204, r.text());
      await expectContent('trunc', data.subarray(0, upto));
      // Growing again: the cut bytes are zeros now, not what was there before.
      const r2 = await post('trunc', { 'X-Object-Bytes': 3 * BLOCK + 7 });
      assert.equal(r2.status, 204, r2.text());
      await expectContent('trunc', resized(data.subarray(0, upto), 3 * BLOCK + 7));
      const r3 = await post('trunc', { 'X-Object-Bytes': 0 });
      assert.equal(r3.status, 204, r3.text());
      await expectContent('trunc', Buffer.alloc(0));
      // Range write and size in one request.
      await alice.put('pu', 'both', bytesOf('both', 100));
      const r4 = await post(
        'both',
        { ...OCTETS, 'Content-Range': 'bytes 90-99/*', 'X-Object-Bytes': 95 },
        'abcdefghij',
      );
      assert.equal(r4.status, 204, r4.text());
      await expectContent('both', spliced(bytesOf('both', 100), 90, Buffer.from('abcdefghij')).subarray(0, 95));
    });

    it('bad ranges and headers: the Pithos answer, and the object is left as it was', async () => {
      const data = bytesOf('bad', 2000);
      const put = await alice.put('pu', 'bad', data);
      const version = put.header('x-object-version');
      const cases: [Record<string, string | number>, string | undefined, number, string][] = [
        [{ ...OCTETS, 'Content-Range': 'bytes 2001-2004/*' }, 'abcd', 416, 'Supplied offset is beyond object limits'],
        [{ ...OCTETS, 'Content-Range': 'bytes 5-2/*' }, 'abcd', 416, 'Invalid Content-Range header'],
        [{ ...OCTETS, 'Content-Range': 'bytes -1-2/*' }, 'abcd', 416, 'Invalid Content-Range header'],
        [{ ...OCTETS, 'Content-Range': 'bytes=0-3' }, 'abcd', 416, 'Invalid Content-Range header'],
        [{ ...OCTETS, 'Content-Range': 'bytes 0-99999999999999999999/*' }, 'abcd', 416, 'Invalid Content-Range header'],
        [
          { ...OCTETS, 'Content-Range': 'bytes 0-3/10' },
          'abcd',
          416,
          'Supplied range will change provided object limits',
        ],
        [
          { ...OCTETS, 'Content-Range': 'bytes 1998-2001/*', 'X-Object-Bytes': 'x' },
          'abcd',
          400,
          'Invalid X-Object-Bytes header',
        ],
        [{ ...OCTETS, 'X-Object-Bytes': -1 }, undefined, 400, 'Invalid X-Object-Bytes header'],
        [{ ...OCTETS }, 'abcd', 400, 'Missing Content-Range header'],
        [{ ...OCTETS, 'Content-Range': 'bytes 0-9/*' }, 'abcd', 400, 'Content length does not match range length'],
        [{ 'X-Source-Object': '/pu/bad' }, undefined, 400, 'Missing Content-Range header'],
        [{ 'Content-Range': 'bytes */*', 'X-Source-Object': 'nope' }, undefined, 400, 'Invalid source object'],
        [{ 'Content-Range': 'bytes */*', 'X-Source-Object': '/pu/missing' }, undefined, 404, 'Object does not exist'],
        [
          { 'Content-Range': 'bytes 0-2000/*', 'X-Source-Object': '/pu/bad' },
          undefined,
          400,
          'Object length is smaller than range length',
        ],
        [
          { 'Content-Range': 'bytes */*', 'X-Source-Object': '/pu/bad', 'X-Source-Version': '1' },
          undefined,
          501,
          'Object versions are not supported',
        ],
        [
          { ...OCTETS, 'Content-Range': 'bytes */*', 'If-Match': 'nomatch' },
          'abcd',
          412,
          'Resource ETag does not match',
        ],
      ];
      for (const [headers, body, status, message] of cases) {
        assertFault(await post('bad', headers, body), status, message);
      }
      // A chunked body longer than its range.
      const long = await alice.req('POST', p(A, 'pu', 'bad', 'update'), {
        headers: { ...OCTETS, 'Content-Range': 'bytes 0-3/*' },
        body: 'abcdefgh',
        chunked: 3,
      });
      assertFault(long, 400, 'Content length does not match range length');
      const h = await alice.req('HEAD', p(A, 'pu', 'bad'));
      assert.equal(h.header('x-object-version'), version, 'no version was made');
      await expectContent('bad', data);
      // Past the size cap.
      assertFault(await post('bad', { 'X-Object-Bytes': 2 ** 41 }), 400, 'Maximum size is reached');
      assertFault(await post('nope', { ...OCTETS, 'Content-Range': 'bytes */*' }, 'x'), 404, 'Object does not exist');
    });

    it('rights: a write grantee may update, a reader may not, a stranger sees 404', async () => {
      await alice.put('pu', 'shared', bytesOf('shared', 100), { 'X-Object-Sharing': `write=${bob.uuid}` });
      const r = await bob.req('POST', p(A, 'pu', 'shared', 'update'), {
        headers: { ...OCTETS, 'Content-Range': 'bytes */*' },
        body: 'bob',
      });
      assert.equal(r.status, 204, r.text());
      await expectContent('shared', Buffer.concat([bytesOf('shared', 100), Buffer.from('bob')]));
      await alice.put('pu', 'readonly', 'x', { 'X-Object-Sharing': `read=${bob.uuid}` });
      const denied = await bob.req('POST', p(A, 'pu', 'readonly', 'update'), {
        headers: { ...OCTETS, 'Content-Range': 'bytes */*' },
        body: 'bob',
      });
      assertFault(denied, 403);
      await alice.put('pu', 'private', 'x');
      const hidden = await bob.req('POST', p(A, 'pu', 'private', 'update'), {
        headers: { ...OCTETS, 'Content-Range': 'bytes */*' },
        body: 'bob',
      });
      assertFault(hidden, 404, 'Object does not exist');
    });

    it('an image registered on the object follows a partial update (same id, new size), as after any overwrite', async () => {
      const data = bytesOf('image', 70_000);
      await alice.put('pu', 'disk.img', data);
      const reg = await alice.req('POST', '/image/v1.0/images/', {
        headers: { 'X-Image-Meta-Name': 'disk', 'X-Image-Meta-Location': `pithos://${A}/pu/disk.img` },
      });
      assert.equal(reg.status, 200, reg.text());
      const id = reg.header('x-image-meta-id')!;
      const more = bytesOf('image-more', 5000);
      const r = await post('disk.img', { ...OCTETS, 'Content-Range': 'bytes */*' }, more);
      assert.equal(r.status, 204, r.text());
      const img = await alice.req('HEAD', `/image/v1.0/images/${id}`);
      assert.equal(img.status, 200);
      assert.equal(img.header('x-image-meta-size'), String(data.length + more.length));
      assert.equal((await alice.req('HEAD', p(A, 'pu', 'disk.img'))).header('x-object-uuid'), id);
      const body = await alice.req('GET', `/image/v1.0/images/${id}`);
      assert.ok(body.body.equals(Buffer.concat([data, more])));
    });

    it('readers during partial updates see the old or the new version, never a mix', async () => {
      const size = 3 * BLOCK + 321;
      let current = bytesOf('race', size);
      await alice.put('pu', 'race', current);
      const versions = new Map([[merkle(hashmapOf(current)), current]]);
      let done = false;
      const reads: Promise<void>[] = [];
      const reader = async () => {
        while (!done) {
          const r = await alice.req('GET', p(A, 'pu', 'race'));
          assert.equal(r.status, 200);
          const known = [...versions.values()].some((v) => v.equals(r.body));
          assert.ok(known, 'a read saw bytes of no committed version');
        }
      };
      for (let i = 0; i < 3; i++) reads.push(reader());
      for (let round = 0; round < 4; round++) {
        const patch = bytesOf(`race-${round}`, BLOCK + 1000);
        const next = spliced(current, BLOCK - 500 + round, patch);
        // Known before it is committed, so a reader never races the map.
        versions.set(merkle(hashmapOf(next)), next);
        const r = await post(
          'race',
          { ...OCTETS, 'Content-Range': `bytes ${BLOCK - 500 + round}-${2 * BLOCK + 499 + round}/*` },
          patch,
        );
        assert.equal(r.status, 204, r.text());
        current = next;
      }
      done = true;
      await Promise.all(reads);
      await expectContent('race', current);
    });

    it('parallel appends (kamaki append) each land whole, one after the other; a PUT racing them wins or they do', async () => {
      await alice.put('pu', 'par', '');
      const pieces = Array.from({ length: 6 }, (_, i) => bytesOf(`piece-${i}`, 700_000 + i));
      const replies = await Promise.all(pieces.map((b) => post('par', { ...OCTETS, 'Content-Range': 'bytes */*' }, b)));
      assert.deepEqual(
        replies.map((r) => r.status),
        pieces.map(() => 204),
      );
      const got = (await alice.req('GET', p(A, 'pu', 'par'))).body;
      assert.equal(
        got.length,
        pieces.reduce((n, b) => n + b.length, 0),
      );
      // Each piece is somewhere in one piece (appends never interleave).
      let at = 0;
      const seen = new Set<number>();
      while (at < got.length) {
        const i = pieces.findIndex((b, j) => !seen.has(j) && got.subarray(at, at + b.length).equals(b));
        assert.ok(i >= 0, `bytes at ${at} are no whole piece`);
        seen.add(i);
        at += pieces[i].length;
      }
      // A PUT racing partial updates: every reply is 204/201 or a 409 that wrote nothing.
      const racing = await Promise.all([
        post('par', { ...OCTETS, 'Content-Range': 'bytes */*' }, bytesOf('a', BLOCK + 3)),
        alice.req('PUT', p(A, 'pu', 'par'), { body: bytesOf('put', 5000) }),
        post('par', { ...OCTETS, 'Content-Range': 'bytes 0-9/*' }, '0123456789'),
      ]);
      for (const r of racing) assert.ok([201, 204, 409].includes(r.status), `${r.status} ${r.text()}`);
      const final = (await alice.req('GET', p(A, 'pu', 'par'))).body;
      const h = await alice.req('HEAD', p(A, 'pu', 'par'));
      assert.equal(h.header('x-object-hash'), merkle(hashmapOf(final)), 'the object is consistent');
    });
  });
}

/** A multipart/form-data body: text fields, then files `[field, filename, type, bytes]`. */
const form = (boundary: string, fields: Record<string, string>, files: FormFile[]): Buffer =>
  multipartForm(boundary, Object.entries(fields), files);

for (const dialect of DIALECTS) {
  describe(`object store: form uploads [${dialect}]`, () => {
    let s: TestServer;
    let capped: TestServer;
    let alice: Store;
    let bob: Store;
    let A: string;
    const B = 'plankton-form-boundary';
    const FORM = { 'Content-Type': `multipart/form-data; boundary=${B}` };

    before(async () => {
      s = await startTestServer(dialect);
      capped = await startTestServer(dialect, { objectMaxUpload: '1000' });
      alice = new Store(s, await s.user());
      bob = new Store(s, await s.user());
      A = alice.uuid;
      await alice.putContainer('f');
    });
    after(async () => {
      await s.close();
      await capped.close();
    });

    it('POST multipart/form-data creates the object from X-Object-Data (streamed, chunked), 201 with ETag and the MD5', async () => {
      const data = bytesOf('form', BLOCK + 12345);
      const body = form(B, { note: 'ignored' }, [
        ['other', 'o.txt', 'text/plain', Buffer.from('not this one')],
        ['X-Object-Data', 'disk.img', 'application/x-disk', data],
      ]);
      const r = await alice.req('POST', p(A, 'f', 'disk.img'), { headers: FORM, body, chunked: 100_000 });
      assert.equal(r.status, 201, r.text());
      assert.equal(r.header('etag'), md5(data));
      assert.equal(r.text(), md5(data));
      assert.ok(Number(r.header('x-object-version')) > 0);
      const got = await alice.req('GET', p(A, 'f', 'disk.img'));
      assert.ok(got.body.equals(data));
      assert.equal(got.header('content-type'), 'application/x-disk');
      assert.equal(got.header('x-object-hash'), merkle(hashmapOf(data)));
    });

    it('a form upload overwrites: uuid and grants kept, meta dropped (Pithos)', async () => {
      await alice.put('f', 'over', 'old', { 'X-Object-Meta-Old': '1', 'X-Object-Sharing': `read=${bob.uuid}` });
      const before = await alice.req('HEAD', p(A, 'f', 'over'));
      const r = await alice.req('POST', p(A, 'f', 'over'), {
        headers: FORM,
        body: form(B, {}, [['X-Object-Data', 'x', 'text/plain', Buffer.from('new content')]]),
      });
      assert.equal(r.status, 201, r.text());
      const h = await alice.req('HEAD', p(A, 'f', 'over'));
      assert.equal(h.header('x-object-uuid'), before.header('x-object-uuid'));
      assert.equal(h.header('x-object-meta-old'), undefined);
      assert.equal(h.header('x-object-sharing'), `read=${bob.uuid}`);
      assert.equal((await alice.req('GET', p(A, 'f', 'over'))).text(), 'new content');
    });

    it('bad forms: 4xx, nothing written', async () => {
      assertFault(
        await alice.req('POST', p(A, 'f', 'none'), { headers: FORM, body: form(B, { a: 'b' }, []) }),
        400,
        'Missing X-Object-Data field',
      );
      assertFault(
        await alice.req('POST', p(A, 'f', 'none'), {
          headers: { 'Content-Type': 'multipart/form-data' },
          body: 'no boundary',
        }),
        400,
        'Invalid form data',
      );
      const cut = form(B, {}, [['X-Object-Data', 'x', 'text/plain', bytesOf('cut', 5000)]]).subarray(0, 3000);
      assertFault(await alice.req('POST', p(A, 'f', 'none'), { headers: FORM, body: cut }), 400, 'Invalid form data');
      assert.equal((await alice.req('HEAD', p(A, 'f', 'none'))).status, 404);
      assertFault(
        await bob.req('POST', p(A, 'f', 'bobs'), {
          headers: FORM,
          body: form(B, {}, [['X-Object-Data', 'x', 'text/plain', Buffer.from('x')]]),
        }),
        403,
      );
      assertFault(
        await alice.req('POST', p(A, 'nocontainer', 'x'), {
          headers: FORM,
          body: form(B, {}, [['X-Object-Data', 'x', 'text/plain', Buffer.from('x')]]),
        }),
        404,
        'Container does not exist',
      );
      // Over PLANKTON_OBJECT_MAX_UPLOAD.
      const carol = new Store(capped, await capped.user());
      await carol.putContainer('f');
      const big = form(B, {}, [['X-Object-Data', 'x', 'text/plain', bytesOf('big', 1001)]]);
      assertFault(
        await carol.req('POST', p(carol.uuid, 'f', 'big'), { headers: FORM, body: big }),
        400,
        'Maximum size is reached',
      );
      assert.equal((await carol.req('HEAD', p(carol.uuid, 'f', 'big'))).status, 404);
      const fits = form(B, {}, [['X-Object-Data', 'x', 'text/plain', bytesOf('fits', 1000)]]);
      assert.equal((await carol.req('POST', p(carol.uuid, 'f', 'fits'), { headers: FORM, body: fits })).status, 201);
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`object store: meta listing filter, prefix copy and move [${dialect}]`, () => {
    let s: TestServer;
    let alice: Store;
    let bob: Store;
    let A: string;

    before(async () => {
      s = await startTestServer(dialect);
      alice = new Store(s, await s.user());
      bob = new Store(s, await s.user());
      A = alice.uuid;
      await alice.putContainer('m');
      await alice.put('m', 'a', 'a', { 'X-Object-Meta-Kind': 'disk', 'X-Object-Meta-Size': 'b' });
      await alice.put('m', 'b', 'b', { 'X-Object-Meta-Kind': 'iso' });
      await alice.put('m', 'c', 'c', { 'X-Object-Meta-Other': 'x' });
      await alice.put('m', 'd/1', '1', { 'X-Object-Meta-Kind': 'disk' });
      await alice.put('m', 'd/2', '2');
      await alice.put('m', 'e/1', '1');
    });
    after(() => s.close());

    const names = async (query: string, store = alice, account = A) => {
      const r = await store.req('GET', p(account, 'm', undefined, `format=json&${query}`));
      assert.equal(r.status, 200, r.text());
      return r.json().map((e: any) => e.name ?? { subdir: e.subdir });
    };

    it('meta=key (any of), !key (none of), key<op>value (all), case-insensitive keys, with prefix/delimiter/limit', async () => {
      assert.deepEqual(await names('meta=Kind'), ['a', 'b', 'd/1']);
      assert.deepEqual(await names('meta=kind,other'), ['a', 'b', 'c', 'd/1']);
      assert.deepEqual(await names('meta=!Kind'), ['c', 'd/2', 'e/1']);
      assert.deepEqual(await names('meta=Kind%3Ddisk'), ['a', 'd/1']);
      assert.deepEqual(await names('meta=Kind!%3Ddisk'), ['b']);
      assert.deepEqual(await names('meta=Kind%3Edisk'), ['b']);
      assert.deepEqual(await names('meta=Kind%3Ddisk,!size'), ['d/1']);
      assert.deepEqual(await names('meta=Kind&delimiter=/'), ['a', 'b', { subdir: 'd/' }]);
      assert.deepEqual(await names('meta=Other&delimiter=/'), ['c'], 'no subdir without a match under it');
      assert.deepEqual(await names('meta=Kind&limit=2'), ['a', 'b']);
      assert.deepEqual(await names('meta=Kind&reverse=true'), ['d/1', 'b', 'a']);
      assert.deepEqual(await names('meta=%2C%2C'), ['a', 'b', 'c', 'd/1', 'd/2', 'e/1'], 'no terms: no filter');
      const text = await alice.req('GET', p(A, 'm', undefined, 'meta=Nothing'));
      assert.equal(text.status, 204);
      // A grantee lists what he may read, filtered.
      await alice.req('POST', p(A, 'm', 'a', 'update'), { headers: { 'X-Object-Sharing': `read=${bob.uuid}` } });
      assert.deepEqual(await names('meta=Kind', bob), ['a']);
    });

    it('PUT with X-Copy-From and delimiter copies the object and everything under <name>/', async () => {
      await alice.put('m', 'dir', '', { 'Content-Type': 'application/directory' });
      await alice.put('m', 'dir/x', 'x', { 'Content-Type': 'text/x', 'X-Object-Meta-Keep': 'yes' });
      await alice.put('m', 'dir/sub/y', 'y');
      await alice.put('m', 'dirt', 'not under the prefix');
      await alice.putContainer('m2');
      const r = await alice.req('PUT', p(A, 'm2', 'copy', 'delimiter=/'), {
        headers: { 'X-Copy-From': '/m/dir', 'X-Object-Meta-Top': '1' },
      });
      assert.equal(r.status, 201, r.text());
      const listed = (await alice.req('GET', p(A, 'm2', undefined, 'format=json'))).json();
      assert.deepEqual(
        listed.map((e: any) => e.name),
        ['copy', 'copy/sub/y', 'copy/x'],
      );
      const x = await alice.req('GET', p(A, 'm2', 'copy/x'));
      assert.equal(x.text(), 'x');
      assert.equal(x.header('content-type'), 'text/x');
      assert.equal(x.header('x-object-meta-keep'), 'yes');
      assert.equal(x.header('x-object-meta-top'), undefined, 'request meta go to the named object only');
      assert.equal((await alice.req('HEAD', p(A, 'm2', 'copy'))).header('x-object-meta-top'), '1');
      // The sources are still there.
      assert.equal((await alice.req('GET', p(A, 'm', 'dir/sub/y'))).text(), 'y');
      // COPY with Destination and delimiter, into the same container.
      const c = await alice.req('COPY', p(A, 'm', 'dir', 'delimiter=/'), { headers: { Destination: '/m/dir2' } });
      assert.equal(c.status, 201, c.text());
      assert.equal((await alice.req('GET', p(A, 'm', 'dir2/sub/y'))).text(), 'y');
    });

    it('MOVE and X-Move-From with delimiter move the whole prefix, keeping uuids; a refused one moves nothing', async () => {
      await alice.putContainer('mv');
      await alice.put('mv', 'src', 's');
      await alice.put('mv', 'src/a', 'a', { 'X-Object-Sharing': `read=${bob.uuid}` });
      await alice.put('mv', 'src/b/c', 'c');
      const uuid = (await alice.req('HEAD', p(A, 'mv', 'src/a'))).header('x-object-uuid');
      const r = await alice.req('MOVE', p(A, 'mv', 'src', 'delimiter=/'), { headers: { Destination: '/mv/dst' } });
      assert.equal(r.status, 201, r.text());
      const listed = (await alice.req('GET', p(A, 'mv', undefined, 'format=json'))).json().map((e: any) => e.name);
      assert.deepEqual(listed, ['dst', 'dst/a', 'dst/b/c']);
      const a = await alice.req('HEAD', p(A, 'mv', 'dst/a'));
      assert.equal(a.header('x-object-uuid'), uuid);
      assert.equal(a.header('x-object-sharing'), `read=${bob.uuid}`);
      const put = await alice.req('PUT', p(A, 'mv', 'back', 'delimiter=/'), { headers: { 'X-Move-From': '/mv/dst' } });
      assert.equal(put.status, 201, put.text());
      assert.deepEqual(
        (await alice.req('GET', p(A, 'mv', undefined, 'format=json'))).json().map((e: any) => e.name),
        ['back', 'back/a', 'back/b/c'],
      );
      // Bob may read back/a but may not move it, nor write into alice's account: nothing moves.
      const before = (await alice.req('GET', p(A, 'mv', undefined, 'format=json'))).text();
      const refused = await bob.req('PUT', p(bob.uuid, 'mine', 'x', 'delimiter=/'), {
        headers: { 'X-Copy-From': '/mv/back/a', 'X-Source-Account': A },
      });
      assert.ok(refused.status === 404 || refused.status === 403, `${refused.status}`);
      await bob.putContainer('mine');
      const moveRefused = await bob.req('PUT', p(bob.uuid, 'mine', 'x', 'delimiter=/'), {
        headers: { 'X-Move-From': '/mv/back/a', 'X-Source-Account': A },
      });
      assertFault(moveRefused, 403);
      assert.equal((await alice.req('GET', p(A, 'mv', undefined, 'format=json'))).text(), before);
    });
  });
}

/**
 * kamaki 0.16's `file append`, `file overwrite` and `file truncate` (kamaki/clients/pithos:
 * append_object, overwrite_object, truncate_object) replayed request by request as kamaki sends
 * them (kamaki cannot run here: Python 2 only): `?format=json&update`, `Content-Length` on every
 * POST, success = 202 or 204, `ETag` and `X-Object-Version` read from each reply.
 */
for (const dialect of DIALECTS) {
  describe(`kamaki replay: file append / overwrite / truncate [${dialect}]`, () => {
    let s: TestServer;
    let alice: Store;
    let A: string;
    before(async () => {
      s = await startTestServer(dialect);
      alice = new Store(s, await s.user());
      A = alice.uuid;
      await alice.putContainer('k');
    });
    after(() => s.close());

    const kamakiPost = (obj: string, headers: Record<string, string | number>, body?: Buffer) =>
      alice.req('POST', `${p(A, 'k', obj)}?format=json&update`, { headers, body });

    /** kamaki's object_post: success=(202, 204); it keeps ETag and X-Object-Version. */
    function accepted(r: Reply): void {
      assert.ok(r.status === 202 || r.status === 204, `${r.status} ${r.text()}`);
      assert.match(r.header('etag') ?? '', /^[0-9a-f]{64}$/);
      assert.match(r.header('x-object-version') ?? '', /^\d+$/);
    }

    it('file append local.bin k/log: one bytes */* POST per block of the local file', async () => {
      const first = bytesOf('log-1', 1000);
      await alice.put('k', 'log', first);
      // get_container_info → X-Container-Block-Size; then fstat of the local file.
      const info = await alice.req('HEAD', p(A, 'k'));
      const blocksize = Number(info.header('x-container-block-size'));
      assert.equal(blocksize, BLOCK);
      const local = bytesOf('local.bin', 2 * BLOCK + 4321);
      const nblocks = 1 + Math.floor((local.length - 1) / blocksize);
      for (let i = 0; i < nblocks; i++) {
        const block = local.subarray(i * blocksize, Math.min((i + 1) * blocksize, local.length));
        accepted(
          await kamakiPost(
            'log',
            {
              'Content-Range': 'bytes */*',
              'Content-Type': 'application/octet-stream',
              'Content-Length': block.length,
            },
            block,
          ),
        );
      }
      const got = await alice.req('GET', p(A, 'k', 'log'));
      assert.ok(got.body.equals(Buffer.concat([first, local])));
      assert.equal(got.header('x-object-hash'), merkle(hashmapOf(Buffer.concat([first, local]))));
    });

    it('file overwrite k/img 100 <end> patch.bin: HEAD for the size, then bytes s-e/* POSTs per block', async () => {
      const data = bytesOf('img', BLOCK + 9000);
      await alice.put('k', 'img', data);
      const start = 100;
      const end = BLOCK + 5000;
      const r = await alice.req('HEAD', p(A, 'k', 'img'));
      const rfSize = Number(r.header('content-length'));
      assert.ok(rfSize >= start && rfSize >= end, 'kamaki asserts the range is inside the file');
      const info = await alice.req('HEAD', p(A, 'k'));
      const blocksize = Number(info.header('x-container-block-size'));
      const patch = bytesOf('patch.bin', end - start + 1);
      const datasize = end - start + 1;
      const nblocks = 1 + Math.floor((datasize - 1) / blocksize);
      let offset = 0;
      for (let i = 0; i < nblocks; i++) {
        const block = patch.subarray(offset, offset + Math.min(blocksize, datasize - offset));
        accepted(
          await kamakiPost(
            'img',
            {
              'Content-Type': 'application/octet-stream',
              'Content-Length': block.length,
              'Content-Range': `bytes ${start + offset}-${start + offset + block.length - 1}/*`,
            },
            block,
          ),
        );
        offset += block.length;
      }
      const expected = spliced(data, start, patch);
      const got = await alice.req('GET', p(A, 'k', 'img'));
      assert.ok(got.body.equals(expected));
    });

    it('file overwrite --object-version <id>: HEAD ?version=<id> for the size, X-Source-Version on every POST', async () => {
      // overwrite_object(source_version=…): get_object_info(version=…), then object_post(source_version=…)
      // with the data; without X-Source-Object the header names no source, and the live object is written.
      await alice.put('k', 'ver', bytesOf('ver 1', 3000));
      const data = bytesOf('ver 2', BLOCK + 2000);
      const live = (await alice.put('k', 'ver', data)).header('x-object-version')!;
      const r = await alice.req('HEAD', `${p(A, 'k', 'ver')}?version=${live}`);
      assert.equal(r.status, 200);
      assert.equal(Number(r.header('content-length')), data.length);
      const blocksize = Number((await alice.req('HEAD', p(A, 'k'))).header('x-container-block-size'));
      const start = BLOCK - 10;
      const patch = bytesOf('ver patch', 30);
      for (let offset = 0; offset < patch.length; offset += blocksize) {
        const block = patch.subarray(offset, offset + blocksize);
        accepted(
          await kamakiPost(
            'ver',
            {
              'Content-Type': 'application/octet-stream',
              'Content-Length': block.length,
              'Content-Range': `bytes ${start + offset}-${start + offset + block.length - 1}/*`,
              'X-Source-Version': live,
            },
            block,
          ),
        );
      }
      const expected = spliced(data, start, patch);
      const got = await alice.req('GET', p(A, 'k', 'ver'));
      assert.ok(got.body.equals(expected));
      assert.equal(got.header('x-object-hash'), merkle(hashmapOf(expected)));
      assert.notEqual(got.header('x-object-version'), live, 'a new version');
    });

    it('file truncate k/doc 5000: the content type kept, X-Source-Object itself, X-Object-Bytes', async () => {
      const data = bytesOf('doc', BLOCK + 100);
      await alice.put('k', 'doc', data, { 'Content-Type': 'text/plain' });
      const ctype = (await alice.req('HEAD', p(A, 'k', 'doc'))).header('content-type')!;
      const upto = 5000;
      accepted(
        await kamakiPost('doc', {
          'Content-Length': 0,
          'Content-Type': ctype,
          'Content-Range': `bytes 0-${upto}/*`,
          'X-Object-Bytes': upto,
          'X-Source-Object': '/k/doc',
        }),
      );
      const got = await alice.req('GET', p(A, 'k', 'doc'));
      assert.ok(got.body.equals(data.subarray(0, upto)));
      assert.equal(got.header('content-type'), 'text/plain');
      assert.equal(got.header('x-object-hash'), merkle(hashmapOf(data.subarray(0, upto))));
    });
  });
}
