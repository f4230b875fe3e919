/**
 * Large objects (issue 19 item 5) over HTTP on both mounts: dynamic manifests (`X-Object-Manifest`
 * on PUT and POST), static manifests (`?multipart-manifest=put|get|delete`), reads across segment
 * boundaries (Range, multi-range), the bad input of the issue (self-reference, loops, segments
 * gone or changed, wrong ETags and sizes, junk JSON: each a clean 4xx, nothing written), `/info`,
 * and an image registered from a manifest. On every database (SQLite; PostgreSQL with PG_URL).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { BLOCK, O, call, md5, type CallOptions, type Reply } from './helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const MOUNTS = ['pithos', 'swift'] as const;
type Mount = (typeof MOUNTS)[number];

const enc = (s: string) => s.split('/').map(encodeURIComponent).join('/');

for (const dialect of DIALECTS) {
  describe(`large objects [${dialect}]`, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: TestUser;

    before(async () => {
      s = await startTestServer(dialect);
      alice = await s.user('alice-lo');
      bob = await s.user('bob-lo');
    });
    after(async () => {
      await s?.close();
    });

    const base = (mount: Mount, account: string) =>
      mount === 'swift' ? `/swift/v1/AUTH_${account}` : `${O}/${account}`;
    const at =
      (mount: Mount, u: TestUser, account = u.uuid) =>
      (method: string, path: string, opts: CallOptions = {}): Promise<Reply> =>
        call(s, method, `${base(mount, account)}${path}`, { token: u.token, ...opts });

    /** Segments of varied sizes, one crossing a 4 MiB block boundary. */
    const segmentData = () => [randomBytes(1000), randomBytes(BLOCK + 3), randomBytes(777)];

    async function putSegments(A: ReturnType<typeof at>, container: string, prefix: string, parts: Buffer[]) {
      assert.ok([201, 202].includes((await A('PUT', `/${container}`)).status));
      const etags: string[] = [];
      for (const [i, part] of parts.entries()) {
        const r = await A('PUT', `/${container}/${enc(`${prefix}${String(i).padStart(3, '0')}`)}`, { body: part });
        assert.equal(r.status, 201, r.text());
        etags.push(md5(part));
      }
      return etags;
    }

    it('/info announces slo and dlo with their limits', async () => {
      const doc = (await call(s, 'GET', '/info')).json();
      assert.deepEqual(doc.slo, { max_manifest_segments: 1000, max_manifest_size: 8388608, min_segment_size: 1 });
      assert.deepEqual(doc.dlo, { max_segments: 10000 });
    });

    for (const mount of MOUNTS) {
      describe(`on the ${mount} mount`, () => {
        let A: ReturnType<typeof at>;
        before(() => {
          A = at(mount, alice);
        });

        it('DLO: GET/HEAD is the concatenation in name order, ETag of the segment ETags, ranges across segments', async () => {
          const parts = segmentData();
          const etags = await putSegments(A, `dlo-seg-${mount}`, 'big/', parts);
          await A('PUT', '/dlo');
          const put = await A('PUT', '/dlo/big', {
            body: '',
            headers: { 'X-Object-Manifest': `dlo-seg-${mount}/big/` },
          });
          assert.equal(put.status, 201, put.text());
          const whole = Buffer.concat(parts);
          const etag = `"${md5(etags.join(''))}"`;
          const get = await A('GET', '/dlo/big');
          assert.equal(get.status, 200);
          assert.ok(get.body.equals(whole), 'the concatenation');
          assert.equal(get.header('etag'), etag);
          assert.equal(get.header('x-object-manifest'), `dlo-seg-${mount}/big/`);
          assert.equal(Number(get.header('content-length')), whole.length);
          const head = await A('HEAD', '/dlo/big');
          assert.equal(head.status, 200);
          assert.equal(Number(head.header('content-length')), whole.length);
          assert.equal(head.header('etag'), etag);
          // A range across all three segments and the block boundary inside the second.
          const from = 990;
          const to = 1000 + BLOCK + 3 + 5;
          const ranged = await A('GET', '/dlo/big', { headers: { Range: `bytes=${from}-${to}` } });
          assert.equal(ranged.status, 206);
          assert.equal(ranged.header('content-range'), `bytes ${from}-${to}/${whole.length}`);
          assert.ok(ranged.body.equals(whole.subarray(from, to + 1)));
          const suffix = await A('GET', '/dlo/big', { headers: { Range: 'bytes=-800' } });
          assert.ok(suffix.body.equals(whole.subarray(whole.length - 800)));
          const multi = await A('GET', '/dlo/big', { headers: { Range: 'bytes=0-9,1000-1009' } });
          assert.equal(multi.status, 206);
          assert.match(multi.header('content-type') ?? '', /^multipart\/byteranges; boundary=/);
          const text = multi.body.toString('latin1');
          assert.ok(text.includes(whole.subarray(0, 10).toString('latin1')));
          assert.ok(text.includes(whole.subarray(1000, 1010).toString('latin1')));
          // A segment added later is read at once (listed at read time).
          const more = randomBytes(50);
          await A('PUT', `/dlo-seg-${mount}/big/003`, { body: more });
          const again = await A('GET', '/dlo/big');
          assert.ok(again.body.equals(Buffer.concat([whole, more])));
          // ?multipart-manifest=get: the manifest itself (its own, empty, content).
          const own = await A('GET', '/dlo/big?multipart-manifest=get');
          assert.equal(own.status, 200);
          assert.equal(own.body.length, 0);
          assert.equal(own.header('x-object-manifest'), `dlo-seg-${mount}/big/`);
          // Conditional requests use the manifest's ETag.
          const nm = await A('GET', '/dlo/big', { headers: { 'If-None-Match': own.header('etag') ?? 'x' } });
          assert.equal(nm.status, 200);
        });

        it('DLO: POST sets and (empty) removes X-Object-Manifest; the prefix may take in the manifest itself', async () => {
          const parts = await putSegments(A, `dlo-post-${mount}`, 'p', [Buffer.from('abc'), Buffer.from('def')]);
          assert.equal(parts.length, 2);
          const plain = await A('PUT', `/dlo-post-${mount}/p`, { body: 'plain' });
          assert.equal(plain.status, 201);
          // The manifest `p` lists prefix `p`: itself among them, which is not one of its segments.
          const post = await A('POST', `/dlo-post-${mount}/p`, {
            headers: { 'X-Object-Manifest': `dlo-post-${mount}/p` },
          });
          assert.equal(post.status, mount === 'swift' ? 204 : 202);
          assert.equal((await A('GET', `/dlo-post-${mount}/p`)).text(), 'abcdef');
          const off = await A('POST', `/dlo-post-${mount}/p`, { headers: { 'X-Object-Manifest': '' } });
          assert.equal(off.status, mount === 'swift' ? 204 : 202);
          const back = await A('GET', `/dlo-post-${mount}/p`);
          assert.equal(back.text(), 'plain');
          assert.equal(back.header('x-object-manifest'), undefined);
          // Names beyond ASCII: the header is percent-encoded both ways.
          await putSegments(A, `dlo-post-${mount}`, 'sp ace/ü', [Buffer.from('xyz')]);
          const odd = await A('PUT', `/dlo-post-${mount}/odd`, {
            body: '',
            headers: { 'X-Object-Manifest': `dlo-post-${mount}/${encodeURIComponent('sp ace/ü')}` },
          });
          assert.equal(odd.status, 201, odd.text());
          const oddGet = await A('GET', `/dlo-post-${mount}/odd`);
          assert.equal(oddGet.text(), 'xyz');
          assert.equal(decodeURIComponent(oddGet.header('x-object-manifest') ?? ''), `dlo-post-${mount}/sp ace/ü`);
          const bad = await A('PUT', `/dlo-post-${mount}/q`, {
            body: '',
            headers: { 'X-Object-Manifest': 'no-slash' },
          });
          assert.equal(bad.status, 400);
          assert.equal((await A('HEAD', `/dlo-post-${mount}/q`)).status, 404, 'nothing written');
        });

        it('DLO: a loop of manifests is a clean 409; a missing segment container is empty', async () => {
          await A('PUT', `/loop-${mount}`);
          for (const name of ['m1', 'm2'])
            assert.equal(
              (
                await A('PUT', `/loop-${mount}/${name}`, {
                  body: '',
                  headers: { 'X-Object-Manifest': `loop-${mount}/m` },
                })
              ).status,
              201,
            );
          const get = await A('GET', `/loop-${mount}/m1`);
          assert.equal(get.status, 409);
          assert.equal((await A('HEAD', `/loop-${mount}/m1`)).status, 409);
          await A('PUT', `/loop-${mount}/none`, { body: '', headers: { 'X-Object-Manifest': `nowhere-${mount}/x` } });
          const empty = await A('GET', `/loop-${mount}/none`);
          assert.equal(empty.status, 200);
          assert.equal(empty.body.length, 0);
          assert.equal(empty.header('etag'), `"${md5('')}"`);
        });

        it('SLO: put checks segments; GET streams them; get (JSON and raw); ranges; ETag as Swift', async () => {
          const parts = segmentData();
          const c = `slo-seg-${mount}`;
          const etags = await putSegments(A, c, 's/', parts);
          await A('PUT', '/slo');
          const manifest = [
            { path: `/${c}/s/000`, etag: etags[0], size_bytes: parts[0].length },
            { path: `${c}/s/001`, etag: null, size_bytes: null },
            { path: `/${c}/s/002`, etag: etags[2], size_bytes: parts[2].length, range: '10-99' },
          ];
          const put = await A('PUT', '/slo/big?multipart-manifest=put', { body: JSON.stringify(manifest) });
          assert.equal(put.status, 201, put.text());
          const sloEtag = md5(`${etags[0]}${etags[1]}${etags[2]}:10-99;`);
          assert.equal(put.header('etag'), `"${sloEtag}"`);
          const whole = Buffer.concat([parts[0], parts[1], parts[2].subarray(10, 100)]);
          const get = await A('GET', '/slo/big');
          assert.equal(get.status, 200);
          assert.ok(get.body.equals(whole));
          assert.equal(get.header('etag'), `"${sloEtag}"`);
          assert.equal(get.header('x-static-large-object'), 'True');
          const head = await A('HEAD', '/slo/big');
          assert.equal(Number(head.header('content-length')), whole.length);
          const r = await A('GET', '/slo/big', {
            headers: { Range: `bytes=${whole.length - 95}-${whole.length - 1}` },
          });
          assert.equal(r.status, 206);
          assert.ok(r.body.equals(whole.subarray(whole.length - 95)));
          const doc = (await A('GET', '/slo/big?multipart-manifest=get')).json();
          assert.deepEqual(
            doc.map((e: any) => [e.name, e.hash, e.bytes, e.range]),
            [
              [`/${c}/s/000`, etags[0], parts[0].length, undefined],
              [`/${c}/s/001`, etags[1], parts[1].length, undefined],
              [`/${c}/s/002`, etags[2], parts[2].length, '10-99'],
            ],
          );
          const raw = (await A('GET', '/slo/big?multipart-manifest=get&format=raw')).json();
          assert.deepEqual(raw[2], {
            path: `/${c}/s/002`,
            etag: etags[2],
            size_bytes: parts[2].length,
            range: '10-99',
          });
          // The raw form puts back as the same manifest.
          const again = await A('PUT', '/slo/copy?multipart-manifest=put', { body: JSON.stringify(raw) });
          assert.equal(again.header('etag'), `"${sloEtag}"`);
          // Nested: a manifest whose segment is a manifest.
          const nested = await A('PUT', '/slo/nested?multipart-manifest=put', {
            body: JSON.stringify([
              { path: '/slo/big', etag: sloEtag, size_bytes: whole.length },
              { path: `/${c}/s/000` },
            ]),
          });
          assert.equal(nested.status, 201, nested.text());
          const n = await A('GET', '/slo/nested');
          assert.ok(n.body.equals(Buffer.concat([whole, parts[0]])));
          const nestedDoc = (await A('GET', '/slo/nested?multipart-manifest=get')).json();
          assert.equal(nestedDoc[0].sub_slo, true);
        });

        it('SLO bad input: wrong ETag/size, missing, self, junk JSON, too many, too small: 400, nothing written', async () => {
          const c = `slo-bad-${mount}`;
          const etags = await putSegments(A, c, 'b', [Buffer.from('12345'), Buffer.from('')]);
          const put = (name: string, body: unknown) =>
            A('PUT', `/${c}/${name}?multipart-manifest=put`, {
              body: typeof body === 'string' ? body : JSON.stringify(body),
            });
          const cases: [unknown, number, RegExp][] = [
            [[{ path: `/${c}/b000`, etag: 'f'.repeat(32) }], 400, new RegExp(`^Errors:\\n/${c}/b000, Etag Mismatch$`)],
            [[{ path: `/${c}/b000`, size_bytes: 6 }], 400, /b000, Size Mismatch/],
            [[{ path: `/${c}/nope` }], 400, /nope, 404 Not Found/],
            [[{ path: `/${c}/m` }], 400, /m, Manifest cannot reference itself/],
            [[{ path: `/${c}/b001` }], 400, /Too small; each segment must be at least 1 byte/],
            [[{ path: `/${c}/b000`, range: '9-20' }], 400, /Unsatisfiable Range/],
            ['{not json', 400, /^Manifest must be valid JSON/],
            [{ path: 'x' }, 400, /^Manifest must be a list/],
            [[{ path: 'nocontainer' }], 400, /Index 0: path does not refer to an object/],
            [[{ path: `/${c}/b000`, extra: 1 }], 400, /Index 0: extraneous keys "extra"/],
            [[{ path: `/${c}/b000`, size_bytes: 'x' }], 400, /Index 0: invalid size_bytes/],
            [Array.from({ length: 1001 }, () => ({ path: `/${c}/b000` })), 400, /Number of segments must be <= 1000/],
          ];
          for (const [body, status, text] of cases) {
            const r = await put('m', body);
            assert.equal(r.status, status, JSON.stringify(body).slice(0, 80));
            if (mount === 'swift') assert.match(r.text(), text);
            else assert.match(r.json().badRequest?.message ?? r.text(), text);
            assert.equal((await A('HEAD', `/${c}/m`)).status, 404, 'nothing written');
          }
          assert.equal(etags.length, 2);
          // ETag header of the manifest PUT is checked against the SLO's ETag.
          const wrong = await A('PUT', `/${c}/m?multipart-manifest=put`, {
            body: JSON.stringify([{ path: `/${c}/b000` }]),
            headers: { ETag: 'f'.repeat(32) },
          });
          assert.equal(wrong.status, 422);
        });

        it('SLO: a segment deleted or overwritten after the manifest → GET 409 before any byte', async () => {
          const c = `slo-gone-${mount}`;
          await putSegments(A, c, 'g', [Buffer.from('one'), Buffer.from('two')]);
          const m = await A('PUT', `/${c}/m?multipart-manifest=put`, {
            body: JSON.stringify([{ path: `/${c}/g000` }, { path: `/${c}/g001` }]),
          });
          assert.equal(m.status, 201, m.text());
          assert.equal((await A('GET', `/${c}/m`)).text(), 'onetwo');
          await A('PUT', `/${c}/g001`, { body: 'TWO' });
          assert.equal((await A('GET', `/${c}/m`)).status, 409);
          await A('DELETE', `/${c}/g001`);
          assert.equal((await A('GET', `/${c}/m`)).status, 409);
          // HEAD answers from the manifest's own record, as Swift does.
          assert.equal((await A('HEAD', `/${c}/m`)).status, 200);
        });

        it('SLO: DELETE ?multipart-manifest=delete removes the segments too, with per-path results', async () => {
          const c = `slo-del-${mount}`;
          await putSegments(A, c, 'd', [Buffer.from('aa'), Buffer.from('bb')]);
          await A('PUT', `/${c}/m?multipart-manifest=put`, {
            body: JSON.stringify([{ path: `/${c}/d000` }, { path: `/${c}/d001` }]),
          });
          const del = await A('DELETE', `/${c}/m?multipart-manifest=delete`, {
            headers: { Accept: 'application/json' },
          });
          assert.equal(del.status, 200);
          const out = del.json();
          assert.equal(out['Number Deleted'], 3);
          assert.equal(out['Number Not Found'], 0);
          assert.equal(out['Response Status'], '200 OK');
          for (const n of ['m', 'd000', 'd001']) assert.equal((await A('HEAD', `/${c}/${n}`)).status, 404);
          // Plain text by default.
          await putSegments(A, c, 'e', [Buffer.from('cc')]);
          await A('PUT', `/${c}/m2?multipart-manifest=put`, { body: JSON.stringify([{ path: `/${c}/e000` }]) });
          await A('DELETE', `/${c}/e000`);
          const text = await A('DELETE', `/${c}/m2?multipart-manifest=delete`);
          assert.match(text.text(), /^Number Deleted: 1\nNumber Not Found: 1\n/);
        });

        it("segments the reader may not read → 403; the manifest's own rules as any object", async () => {
          const c = `shared-${mount}`;
          await putSegments(A, c, 'x', [Buffer.from('secret')]);
          await A('PUT', `/${c}/dlo`, { body: '', headers: { 'X-Object-Manifest': `${c}/x` } });
          await A('PUT', `/${c}/slo?multipart-manifest=put`, { body: JSON.stringify([{ path: `/${c}/x000` }]) });
          for (const name of ['dlo', 'slo'])
            await call(s, 'POST', `${O}/${alice.uuid}/${c}/${name}?update`, {
              token: alice.token,
              headers: { 'X-Object-Sharing': `read=${bob.uuid}` },
            });
          const B = at(mount, bob, alice.uuid);
          assert.equal((await B('GET', `/${c}/dlo`)).status, 403);
          assert.equal((await B('GET', `/${c}/slo`)).status, 403);
          await call(s, 'POST', `${O}/${alice.uuid}/${c}/x000?update`, {
            token: alice.token,
            headers: { 'X-Object-Sharing': `read=${bob.uuid}` },
          });
          assert.equal((await B('GET', `/${c}/dlo`)).text(), 'secret');
          assert.equal((await B('GET', `/${c}/slo`)).text(), 'secret');
        });
      });
    }

    for (const aligned of [true, false]) {
      it(`an image registered from a manifest (${aligned ? 'whole-block' : 'unaligned'} segments) downloads as the whole and no longer follows its segments`, async () => {
        const A = at('swift', alice);
        const tag = aligned ? 'a' : 'u';
        const parts = aligned ? [randomBytes(BLOCK), randomBytes(1234)] : [randomBytes(1000), randomBytes(BLOCK)];
        await putSegments(A, `img-seg-${tag}`, 'i', parts);
        await A('PUT', '/img');
        await A('PUT', `/img/disk-${tag}.raw`, { body: '', headers: { 'X-Object-Manifest': `img-seg-${tag}/i` } });
        const reg = await s.fetch('/image/v1/images', {
          method: 'POST',
          token: alice.token,
          headers: {
            'X-Image-Meta-Name': `from-dlo-${tag}`,
            'X-Image-Meta-Location': `pithos://${alice.uuid}/img/disk-${tag}.raw`,
            'X-Image-Meta-Disk-Format': 'raw',
            'X-Image-Meta-Container-Format': 'bare',
          },
        });
        assert.equal(reg.status, 200, await reg.clone().text());
        const whole = Buffer.concat(parts);
        assert.equal(Number(reg.headers.get('x-image-meta-size')), whole.length);
        // Frozen into a plain object. Whole blocks are named, not copied (no MD5 seen: the ETag is the
        // object hash); unaligned segments are streamed into new blocks (the ETag is their MD5).
        const frozen = await A('HEAD', `/img/disk-${tag}.raw`);
        assert.equal(frozen.header('x-object-manifest'), undefined);
        assert.equal(frozen.header('etag'), aligned ? frozen.header('x-object-hash') : md5(whole));
        assert.equal(reg.headers.get('x-image-meta-checksum'), frozen.header('x-object-hash'));
        const id = reg.headers.get('x-image-meta-id')!;
        await A('DELETE', `/img-seg-${tag}/i001`);
        const data = await s.fetch(`/image/v1/images/${id}`, { token: alice.token });
        assert.equal(data.status, 200);
        assert.ok(Buffer.from(await data.arrayBuffer()).equals(whole));
        // A manifest whose segments cannot be read now registers nothing: 409.
        await A('PUT', `/img/broken-slo-${tag}?multipart-manifest=put`, {
          body: JSON.stringify([{ path: `/img-seg-${tag}/i000` }]),
        });
        await A('DELETE', `/img-seg-${tag}/i000`);
        const broken = await s.fetch('/image/v1/images', {
          method: 'POST',
          token: alice.token,
          headers: {
            'X-Image-Meta-Name': `broken-${tag}`,
            'X-Image-Meta-Location': `pithos://${alice.uuid}/img/broken-slo-${tag}`,
            'X-Image-Meta-Disk-Format': 'raw',
            'X-Image-Meta-Container-Format': 'bare',
          },
        });
        assert.equal(broken.status, 409, await broken.clone().text());
        assert.equal((await A('HEAD', `/img/broken-slo-${tag}`)).header('x-static-large-object'), 'True');
        // The image's object may not become a manifest again, by POST or PUT.
        const again = await A('POST', `/img/disk-${tag}.raw`, { headers: { 'X-Object-Manifest': `img-seg-${tag}/i` } });
        assert.equal(again.status, 409);
        const put = await A('PUT', `/img/disk-${tag}.raw`, {
          body: '',
          headers: { 'X-Object-Manifest': `img-seg-${tag}/i` },
        });
        assert.equal(put.status, 409);
        assert.equal((await A('GET', `/img/disk-${tag}.raw`)).body.length, whole.length);
      });
    }
  });
}
