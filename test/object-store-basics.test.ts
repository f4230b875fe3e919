/**
 * The object store's endpoints as clients see them (spec/object-store.md §3–§7, §10, §11):
 * status codes, headers, listings, ranges, conditional requests, metadata, delete, copy/move,
 * quota. The real server on loopback, on every dialect.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';
import {
  BLOCK,
  EMPTY_MD5,
  EMPTY_SHA256,
  HTTP_DATE,
  ISO_MICROS,
  JSON_TYPE,
  O,
  Store,
  UUID4,
  assertFault,
  blockHashOf,
  bytesOf,
  call,
  md5,
  p,
  type Reply,
} from './helpers/object-store.ts';

/** The header names exactly as sent (Node lower-cases `headers`). */
const rawNames = (r: Reply): string[] => r.rawHeaders.filter((_, i) => i % 2 === 0);

for (const dialect of DIALECTS) {
  describe(`object store: basics [${dialect}]`, () => {
    let s: TestServer;
    let alice: Store;
    let A: string;
    before(async () => {
      s = await startTestServer(dialect);
      alice = new Store(s, await s.user());
      A = alice.uuid;
    });
    after(() => s.close());

    it('container PUT answers 201 then 202; HEAD answers 204 with the block size and hash kamaki needs', async () => {
      const created = await alice.req('PUT', p(A, 'c1'));
      assert.equal(created.status, 201);
      assert.equal(created.body.length, 0);
      const again = await alice.req('PUT', p(A, 'c1'));
      assert.equal(again.status, 202);
      assert.equal(again.body.length, 0);

      const h = await alice.req('HEAD', p(A, 'c1'));
      assert.equal(h.status, 204);
      assert.equal(h.body.length, 0);
      assert.equal(h.header('x-container-block-size'), '4194304');
      assert.equal(h.header('x-container-block-hash'), 'sha256');
      assert.equal(h.header('x-container-object-count'), '0');
      assert.equal(h.header('x-container-bytes-used'), '0');
      assert.equal(h.header('x-container-policy-quota'), '0');
      assert.equal(h.header('x-container-policy-versioning'), 'auto');
      assert.equal(h.header('x-container-policy-project'), A);
      assert.equal(h.header('x-container-object-meta'), '');
      assert.match(h.header('last-modified')!, HTTP_DATE);

      // An empty container: JSON listing 200 [] (kamaki's upload path), text listing 204.
      const asJson = await alice.req('GET', p(A, 'c1', undefined, 'format=json'));
      assert.equal(asJson.status, 200);
      assert.equal(asJson.header('content-type'), JSON_TYPE);
      assert.deepEqual(asJson.json(), []);
      assert.equal(asJson.header('x-container-block-size'), '4194304');
      const asText = await alice.req('GET', p(A, 'c1'));
      assert.equal(asText.status, 204);
      assert.equal(asText.body.length, 0);
      const byAccept = await alice.req('GET', p(A, 'c1'), { headers: { Accept: 'application/json' } });
      assert.equal(byAccept.status, 200);
      assert.deepEqual(byAccept.json(), []);

      const missing = await alice.req('HEAD', p(A, 'nope'));
      assert.equal(missing.status, 404);
      assertFault(await alice.req('GET', p(A, 'nope')), 404, 'Container does not exist');
    });

    it('container policy and meta: PUT sets and merges, POST ?update merges, POST replaces', async () => {
      const r = await alice.req('PUT', p(A, 'pol'), {
        headers: {
          'X-Container-Policy-Quota': ' 1 000 ',
          'X-Container-Policy-Versioning': 'none',
          'X-Container-Policy-Project': 'proj-1',
          'X-Container-Meta-Color': 'blue',
        },
      });
      assert.equal(r.status, 201);
      const again = await alice.req('PUT', p(A, 'pol'), { headers: { 'X-Container-Meta-Size': 'big' } });
      assert.equal(again.status, 202);
      let h = await alice.req('HEAD', p(A, 'pol'));
      assert.equal(h.header('x-container-policy-quota'), '1000');
      assert.equal(h.header('x-container-policy-versioning'), 'none');
      assert.equal(h.header('x-container-policy-project'), 'proj-1');
      assert.equal(h.header('x-container-meta-color'), 'blue');
      assert.equal(h.header('x-container-meta-size'), 'big');

      const merge = await alice.req('POST', p(A, 'pol', undefined, 'update'), {
        headers: { 'X-Container-Meta-Color': '', 'X-Container-Meta-Shape': 'round' },
      });
      assert.equal(merge.status, 202);
      assert.equal(merge.body.length, 0);
      h = await alice.req('HEAD', p(A, 'pol'));
      assert.equal(h.header('x-container-meta-color'), undefined);
      assert.equal(h.header('x-container-meta-size'), 'big');
      assert.equal(h.header('x-container-meta-shape'), 'round');

      const replace = await alice.req('POST', p(A, 'pol'), {
        headers: { 'X-Container-Meta-Only': '1', 'X-Container-Policy-Quota': '0' },
      });
      assert.equal(replace.status, 202);
      h = await alice.req('HEAD', p(A, 'pol'));
      assert.deepEqual(
        rawNames(h).filter((n) => /^x-container-meta-/i.test(n)),
        ['X-Container-Meta-Only'],
      );
      assert.equal(h.header('x-container-policy-quota'), '0');
      assert.equal(h.header('x-container-policy-versioning'), 'none', 'policy merged, not reset');
    });

    it('account HEAD and GET: counts, bytes, container listing in JSON and text, account meta', async () => {
      const u = new Store(s, await s.user());
      const U = u.uuid;
      let h = await u.req('HEAD', p(U));
      assert.equal(h.status, 204);
      assert.equal(h.header('x-account-container-count'), '0');
      assert.equal(h.header('x-account-object-count'), '0');
      assert.equal(h.header('x-account-bytes-used'), '0');
      assert.equal(h.header('x-account-policy-quota'), '0');
      assert.match(h.header('last-modified')!, HTTP_DATE);
      const emptyJson = await u.req('GET', p(U, undefined, undefined, 'format=json'));
      assert.equal(emptyJson.status, 200);
      assert.deepEqual(emptyJson.json(), []);
      const emptyText = await u.req('GET', p(U));
      assert.equal(emptyText.status, 204);
      assert.equal(emptyText.body.length, 0);

      await u.putContainer('beta');
      await u.putContainer('alpha');
      await u.put('alpha', 'x', 'xxxx');
      await u.put('alpha', 'y', 'yy');
      await u.put('beta', 'z', 'z');
      h = await u.req('HEAD', p(U));
      assert.equal(h.header('x-account-container-count'), '2');
      assert.equal(h.header('x-account-object-count'), '3');
      assert.equal(h.header('x-account-bytes-used'), '7');

      const list = await u.req('GET', p(U, undefined, undefined, 'format=json'));
      assert.equal(list.status, 200);
      assert.equal(list.header('content-type'), JSON_TYPE);
      assert.equal(list.header('x-account-object-count'), '3');
      const entries = list.json();
      assert.deepEqual(
        entries.map((e: any) => e.name),
        ['alpha', 'beta'],
      );
      assert.equal(entries[0].count, 2);
      assert.equal(entries[0].bytes, 6);
      assert.match(entries[0].last_modified, ISO_MICROS);
      assert.deepEqual(entries[0].x_container_policy, { quota: '0', versioning: 'auto', project: U });
      const text = await u.req('GET', p(U));
      assert.equal(text.status, 200);
      assert.equal(text.header('content-type'), 'text/plain; charset=UTF-8');
      assert.equal(text.text(), 'alpha\nbeta\n');
      assert.deepEqual(
        (await u.req('GET', p(U, undefined, undefined, 'format=json&limit=1'))).json().map((e: any) => e.name),
        ['alpha'],
      );
      assert.deepEqual(
        (await u.req('GET', p(U, undefined, undefined, 'format=json&marker=alpha'))).json().map((e: any) => e.name),
        ['beta'],
      );

      const lm = h.header('last-modified')!;
      assert.equal((await u.req('HEAD', p(U), { headers: { 'If-Modified-Since': lm } })).status, 304);
      const earlier = new Date(Date.parse(lm) - 3600_000).toUTCString();
      assert.equal((await u.req('HEAD', p(U), { headers: { 'If-Modified-Since': earlier } })).status, 204);
      assertFault(
        await u.req('GET', p(U), { headers: { 'If-Unmodified-Since': earlier } }),
        412,
        'Resource has been modified',
      );

      // Account meta: replace without ?update, merge with it, an empty value deletes.
      const post = await u.req('POST', p(U), { headers: { 'X-Account-Meta-Foo': '1' } });
      assert.equal(post.status, 202);
      assert.equal(post.body.length, 0);
      await u.req('POST', p(U, undefined, undefined, 'update'), { headers: { 'X-Account-Meta-Bar': '2' } });
      h = await u.req('HEAD', p(U));
      assert.equal(h.header('x-account-meta-foo'), '1');
      assert.equal(h.header('x-account-meta-bar'), '2');
      await u.req('POST', p(U, undefined, undefined, 'update'), { headers: { 'X-Account-Meta-Foo': '' } });
      h = await u.req('HEAD', p(U));
      assert.equal(h.header('x-account-meta-foo'), undefined);
      assert.equal(h.header('x-account-meta-bar'), '2');
      await u.req('POST', p(U), { headers: { 'X-Account-Meta-Baz': '3' } });
      h = await u.req('HEAD', p(U));
      assert.deepEqual(
        rawNames(h).filter((n) => /^x-account-meta-/i.test(n)),
        ['X-Account-Meta-Baz'],
      );
      // Account groups exist now (issue 19; test/pithos-groups.test.ts): no longer a 501.
      assert.equal((await u.req('POST', `${p(U)}?update`, { headers: { 'X-Account-Group-Admins': U } })).status, 202);
      assert.equal((await u.req('HEAD', p(U))).header('x-account-group-admins'), U);
      // `until` reads the account as it was then (object-versions.test.ts): nothing existed in 1970.
      const past = await u.req('GET', p(U, undefined, undefined, 'until=1&format=json'));
      assert.equal(past.status, 200);
      assert.ok((past.json() as { count: number }[]).every((c) => c.count === 0));
    });

    it('object PUT answers 201 with ETag and X-Object-Version; HEAD 200 carries every header; GET the data', async () => {
      await alice.putContainer('obj');
      const data = 'hello world';
      const put = await alice.req('PUT', p(A, 'obj', 'dir/hello.txt'), {
        body: data,
        headers: {
          'Content-Type': 'text/plain',
          'X-Object-Meta-foo_bar': 'x',
          'Content-Encoding': 'identity',
          'Content-Disposition': 'attachment; filename="h.txt"',
        },
      });
      assert.equal(put.status, 201);
      assert.equal(put.body.length, 0);
      assert.equal(put.header('etag'), md5(data));
      const version = Number(put.header('x-object-version'));
      assert.ok(Number.isSafeInteger(version) && version > 0);

      const h = await alice.req('HEAD', p(A, 'obj', 'dir/hello.txt'));
      assert.equal(h.status, 200);
      assert.equal(h.body.length, 0);
      assert.equal(h.header('etag'), md5(data));
      assert.equal(h.header('content-length'), String(data.length));
      assert.equal(h.header('content-type'), 'text/plain');
      assert.match(h.header('last-modified')!, HTTP_DATE);
      assert.equal(h.header('x-object-hash'), blockHashOf(Buffer.from(data)));
      assert.match(h.header('x-object-uuid')!, UUID4);
      assert.equal(h.header('x-object-version'), String(version));
      assert.equal(h.header('x-object-version-timestamp'), h.header('last-modified'));
      assert.equal(h.header('x-object-modified-by'), A);
      assert.equal(h.header('content-encoding'), 'identity');
      assert.equal(h.header('content-disposition'), 'attachment; filename="h.txt"');
      assert.ok(rawNames(h).includes('X-Object-Meta-Foo-Bar'), 'meta key normalised to Foo-Bar');
      assert.equal(h.header('x-object-meta-foo-bar'), 'x');
      for (const absent of ['x-object-sharing', 'x-object-allowed-to', 'x-object-public'])
        assert.equal(h.header(absent), undefined, absent);

      for (const query of ['', 'format=json']) {
        const g = await alice.req('GET', p(A, 'obj', 'dir/hello.txt', query));
        assert.equal(g.status, 200);
        assert.equal(g.text(), data);
        assert.equal(g.header('accept-ranges'), 'bytes');
        assert.equal(g.header('etag'), md5(data));
        assert.equal(g.header('content-type'), 'text/plain');
      }

      for (const query of ['hashmap', 'hashmap=True&format=json', 'format=json&hashmap=']) {
        const hm = await alice.req('GET', p(A, 'obj', 'dir/hello.txt', query));
        assert.equal(hm.status, 200);
        assert.equal(hm.header('content-type'), JSON_TYPE);
        assert.equal(hm.header('content-length'), String(hm.body.length));
        assert.deepEqual(hm.json(), {
          block_size: 4194304,
          block_hash: 'sha256',
          bytes: data.length,
          hashes: [blockHashOf(Buffer.from(data))],
        });
        assert.equal(hm.header('x-object-hash'), blockHashOf(Buffer.from(data)));
      }

      // Overwrite: same UUID, a later version, attributes replaced (unsent ones dropped).
      const over = await alice.req('PUT', p(A, 'obj', 'dir/hello.txt'), { body: 'bye' });
      assert.equal(over.status, 201);
      assert.ok(Number(over.header('x-object-version')) > version);
      const h2 = await alice.req('HEAD', p(A, 'obj', 'dir/hello.txt'));
      assert.equal(h2.header('x-object-uuid'), h.header('x-object-uuid'));
      assert.equal(h2.header('content-type'), 'application/octet-stream', 'no Content-Type → application/octet-stream');
      assert.equal(h2.header('x-object-meta-foo-bar'), undefined);
      assert.equal(h2.header('content-encoding'), undefined);
      assert.equal(h2.header('content-disposition'), undefined);

      // Chunked body.
      const chunked = await alice.req('PUT', p(A, 'obj', 'chunked'), {
        body: bytesOf('chunked', 100_000),
        chunked: 7000,
      });
      assert.equal(chunked.status, 201);
      assert.equal(chunked.header('etag'), md5(bytesOf('chunked', 100_000)));
      assert.deepEqual((await alice.req('GET', p(A, 'obj', 'chunked'))).body, bytesOf('chunked', 100_000));

      // Empty object.
      const empty = await alice.req('PUT', p(A, 'obj', 'empty'), { body: '' });
      assert.equal(empty.status, 201);
      assert.equal(empty.header('etag'), EMPTY_MD5);
      const eh = await alice.req('HEAD', p(A, 'obj', 'empty'));
      assert.equal(eh.header('content-length'), '0');
      assert.equal(eh.header('x-object-hash'), EMPTY_SHA256);
      assert.deepEqual((await alice.req('GET', p(A, 'obj', 'empty', 'hashmap'))).json().hashes, [EMPTY_SHA256]);
      const eg = await alice.req('GET', p(A, 'obj', 'empty'));
      assert.equal(eg.status, 200);
      assert.equal(eg.body.length, 0);

      const missing = await alice.req('HEAD', p(A, 'obj', 'nope'));
      assert.equal(missing.status, 404);
      assert.equal(missing.body.length, 0);
      assertFault(await alice.req('GET', p(A, 'obj', 'nope')), 404, 'Object does not exist');
      assertFault(await alice.req('GET', p(A, 'nocontainer', 'x')), 404, 'Container does not exist');
      assertFault(await alice.req('PUT', p(A, 'nocontainer', 'x'), { body: 'x' }), 404, 'Container does not exist');
      assertFault(
        await alice.req('GET', p(A, 'obj', 'dir/hello.txt', 'version=999999999')),
        404,
        'Version does not exist',
      );
    });

    it('Range: 206 with the range length, suffix and open ranges, clamping, 416, bad specs and If-Range → 200 (multi-range: test/swift-api.test.ts)', async () => {
      await alice.putContainer('rng');
      const data = bytesOf('range', BLOCK + 1000);
      const N = data.length;
      const put = await alice.put('rng', 'big', data);
      const etag = put.header('etag')!;
      const get = (range: string, extra: Record<string, string> = {}) =>
        alice.req('GET', p(A, 'rng', 'big', 'format=json'), { headers: { Range: range, ...extra } });
      const partial = async (range: string, first: number, last: number, extra: Record<string, string> = {}) => {
        const r = await get(range, extra);
        assert.equal(r.status, 206, range);
        assert.equal(r.header('content-range'), `bytes ${first}-${last}/${N}`, range);
        assert.equal(r.header('content-length'), String(last - first + 1), range);
        assert.equal(r.body.length, last - first + 1, range);
        assert.ok(r.body.equals(data.subarray(first, last + 1)), range);
      };
      await partial('bytes=0-15', 0, 15);
      await partial(`bytes=${BLOCK - 10}-${BLOCK + 9}`, BLOCK - 10, BLOCK + 9);
      await partial(`bytes=${BLOCK}-${N - 1}`, BLOCK, N - 1);
      await partial('bytes=100-', 100, N - 1);
      await partial('bytes=-50', N - 50, N - 1);
      await partial('bytes=-99999999', 0, N - 1);
      await partial('bytes=10-99999999', 10, N - 1);
      await partial(`bytes=${N - 1}-${N - 1}`, N - 1, N - 1);

      for (const range of [`bytes=${N}-`, `bytes=${N}-${N + 10}`, 'bytes=-0']) {
        const r = await get(range);
        assertFault(r, 416, 'Requested range exceeds object limits');
        assert.equal(r.header('content-range'), `bytes */${N}`);
      }
      for (const range of ['items=0-1', 'bytes=9-3', 'bytes=abc', 'bytes=']) {
        const r = await get(range);
        assert.equal(r.status, 200, range);
        assert.equal(r.header('content-length'), String(N));
        assert.equal(r.header('content-range'), undefined);
        assert.ok(r.body.equals(data), range);
      }
      const lastModified = (await alice.req('HEAD', p(A, 'rng', 'big'))).header('last-modified')!;
      await partial('bytes=0-9', 0, 9, { 'If-Range': etag });
      await partial('bytes=0-9', 0, 9, { 'If-Range': `"${etag}"` });
      await partial('bytes=0-9', 0, 9, { 'If-Range': lastModified });
      for (const ifRange of ['"0123456789abcdef0123456789abcdef"', 'Thu, 01 Jan 2015 00:00:00 GMT']) {
        const r = await get('bytes=0-9', { 'If-Range': ifRange });
        assert.equal(r.status, 200, ifRange);
        assert.equal(r.body.length, N);
      }

      const head = await alice.req('HEAD', p(A, 'rng', 'big'), { headers: { Range: `bytes=${N}-` } });
      assert.equal(head.status, 200, 'Range is for GET; a HEAD ignores it');
      assert.equal(head.header('content-length'), String(N));

      await alice.put('rng', 'empty', '');
      const r = await alice.req('GET', p(A, 'rng', 'empty'), { headers: { Range: 'bytes=0-0' } });
      assertFault(r, 416, 'Requested range exceeds object limits');
      assert.equal(r.header('content-range'), 'bytes */0');
    });

    it('If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since', async () => {
      await alice.putContainer('cond');
      const E = (await alice.put('cond', 'x', 'conditional')).header('etag')!;
      const get = (headers: Record<string, string>, method = 'GET') =>
        alice.req(method, p(A, 'cond', 'x'), { headers });
      for (const v of [E, `"${E}"`, `W/"${E}"`, `"nope", "${E.toUpperCase()}"`, '*'])
        assert.equal((await get({ 'If-Match': v })).status, 200, v);
      assertFault(await get({ 'If-Match': 'nope' }), 412, 'Resource ETag does not match');

      for (const v of [E, `"${E}"`, '*']) {
        for (const method of ['GET', 'HEAD']) {
          const r = await get({ 'If-None-Match': v }, method);
          assert.equal(r.status, 304, `${method} ${v}`);
          assert.equal(r.body.length, 0);
          assert.equal(r.header('etag'), E);
        }
      }
      assert.equal((await get({ 'If-None-Match': '"other"' })).status, 200);

      assertFault(
        await alice.req('PUT', p(A, 'cond', 'x'), { body: 'y', headers: { 'If-None-Match': '*' } }),
        412,
        'Resource exists or ETag matches',
      );
      assertFault(
        await alice.req('PUT', p(A, 'cond', 'x'), { body: 'y', headers: { 'If-Match': 'nope' } }),
        412,
        'Resource ETag does not match',
      );
      assertFault(
        await alice.req('PUT', p(A, 'cond', 'new'), { body: 'y', headers: { 'If-Match': '*' } }),
        412,
        'Resource does not exist',
      );
      assert.equal(
        (await alice.req('PUT', p(A, 'cond', 'new'), { body: 'y', headers: { 'If-None-Match': '*' } })).status,
        201,
      );
      assertFault(
        await alice.req('POST', p(A, 'cond', 'x', 'update'), {
          headers: { 'If-Match': 'nope', 'X-Object-Meta-A': '1' },
        }),
        412,
        'Resource ETag does not match',
      );
      assertFault(
        await alice.req('POST', p(A, 'cond', 'x', 'update'), {
          headers: { 'If-None-Match': E, 'X-Object-Meta-A': '1' },
        }),
        412,
        'Resource exists or ETag matches',
      );
      assert.equal((await get({})).header('x-object-meta-a'), undefined, 'a refused POST changes nothing');
      assert.equal((await alice.req('GET', p(A, 'cond', 'x'))).text(), 'conditional', 'a refused PUT changes nothing');
      const ok = await alice.req('PUT', p(A, 'cond', 'x'), { body: 'replaced', headers: { 'If-Match': E } });
      assert.equal(ok.status, 201);

      const lm = (await get({})).header('last-modified')!;
      const earlier = new Date(Date.parse(lm) - 3600_000).toUTCString();
      const later = new Date(Date.parse(lm) + 3600_000).toUTCString();
      assert.equal((await get({ 'If-Modified-Since': lm })).status, 304);
      assert.equal((await get({ 'If-Modified-Since': later }, 'HEAD')).status, 304);
      assert.equal((await get({ 'If-Modified-Since': earlier })).status, 200);
      assert.equal((await get({ 'If-Modified-Since': 'not a date' })).status, 200);
      assertFault(await get({ 'If-Unmodified-Since': earlier }), 412, 'Resource has been modified');
      assert.equal((await get({ 'If-Unmodified-Since': lm })).status, 200);
      assert.equal((await get({ 'If-Unmodified-Since': 'garbage' })).status, 200);
      // Order: If-Modified-Since is looked at before If-Match.
      assert.equal((await get({ 'If-Modified-Since': later, 'If-Match': 'nope' })).status, 304);

      const c = await alice.req('HEAD', p(A, 'cond'));
      assert.equal(
        (await alice.req('HEAD', p(A, 'cond'), { headers: { 'If-Modified-Since': c.header('last-modified')! } }))
          .status,
        304,
      );
      assert.equal((await alice.req('GET', p(A, 'cond'), { headers: { 'If-Modified-Since': earlier } })).status, 200);
      assertFault(
        await alice.req('GET', p(A, 'cond'), { headers: { 'If-Unmodified-Since': earlier } }),
        412,
        'Resource has been modified',
      );
    });

    it('metadata POST: ?update merges, without it replaces; a new version only when something changes', async () => {
      await alice.putContainer('meta');
      const put = await alice.put('meta', 'm', 'meta data', { 'X-Object-Meta-A': '1', 'X-Object-Meta-B': '2' });
      const before = await alice.req('HEAD', p(A, 'meta', 'm'));
      const v0 = Number(put.header('x-object-version'));

      const merge = await alice.req('POST', p(A, 'meta', 'm', 'update&format=json'), {
        headers: { 'X-Object-Meta-A': '', 'X-Object-Meta-C': '3' },
      });
      assert.equal(merge.status, 202);
      assert.equal(merge.body.length, 0);
      const v1 = Number(merge.header('x-object-version'));
      assert.ok(v1 > v0);
      let h = await alice.req('HEAD', p(A, 'meta', 'm'));
      assert.equal(h.header('x-object-meta-a'), undefined);
      assert.equal(h.header('x-object-meta-b'), '2');
      assert.equal(h.header('x-object-meta-c'), '3');
      assert.equal(h.header('x-object-version'), String(v1));
      for (const same of ['x-object-uuid', 'etag', 'x-object-hash', 'content-length', 'content-type'])
        assert.equal(h.header(same), before.header(same), same);

      const noChange = await alice.req('POST', p(A, 'meta', 'm', 'update'), { headers: { 'X-Object-Meta-B': '2' } });
      assert.equal(noChange.status, 202);
      assert.equal(noChange.header('x-object-version'), String(v1), 'no change, no new version');

      const sharingOnly = await alice.req('POST', p(A, 'meta', 'm', 'update'), {
        headers: { 'X-Object-Sharing': 'read=*' },
      });
      assert.equal(sharingOnly.header('x-object-version'), String(v1), 'sharing does not make a version');
      const publishOnly = await alice.req('POST', p(A, 'meta', 'm', 'update'), {
        headers: { 'X-Object-Public': 'true' },
      });
      assert.equal(publishOnly.header('x-object-version'), String(v1), 'publishing does not make a version');

      const replace = await alice.req('POST', p(A, 'meta', 'm'), { headers: { 'X-Object-Meta-D': '4' } });
      assert.equal(replace.status, 202);
      assert.ok(Number(replace.header('x-object-version')) > v1);
      h = await alice.req('HEAD', p(A, 'meta', 'm'));
      assert.deepEqual(
        rawNames(h).filter((n) => /^x-object-meta-/i.test(n)),
        ['X-Object-Meta-D'],
      );
      assert.ok(h.header('x-object-sharing'), 'meta replacement keeps grants');
      assert.ok(h.header('x-object-public'), 'meta replacement keeps the public URL');

      await alice.req('POST', p(A, 'meta', 'm', 'update'), {
        headers: { 'Content-Disposition': 'attachment; filename="m.txt"', 'Content-Encoding': 'gzip' },
      });
      h = await alice.req('HEAD', p(A, 'meta', 'm'));
      assert.equal(h.header('content-disposition'), 'attachment; filename="m.txt"');
      assert.equal(h.header('content-encoding'), 'gzip');
      assert.equal(h.header('x-object-meta-d'), '4');
      await alice.req('POST', p(A, 'meta', 'm', 'update'), { headers: { 'Content-Disposition': '' } });
      h = await alice.req('HEAD', p(A, 'meta', 'm'));
      assert.equal(h.header('content-disposition'), undefined);
      assert.equal(h.header('content-encoding'), 'gzip');

      // Data POSTs are partial updates (object-partial-updates.test.ts); these are malformed ones.
      assertFault(
        await alice.req('POST', p(A, 'meta', 'm'), {
          headers: { 'Content-Type': 'application/octet-stream' },
          body: 'x',
        }),
        400,
        'Missing Content-Range header',
      );
      assertFault(
        await alice.req('POST', p(A, 'meta', 'm'), { headers: { 'Content-Range': 'bytes 0-0/*' } }),
        400,
        'Content length does not match range length',
      );
      assertFault(
        await alice.req('POST', p(A, 'meta', 'm'), {
          headers: { 'Content-Type': 'multipart/form-data; boundary=x' },
          body: '--x--',
        }),
        400,
        'Missing X-Object-Data field',
      );
      assertFault(
        await alice.req('POST', p(A, 'meta', 'nope', 'update'), { headers: { 'X-Object-Meta-A': '1' } }),
        404,
        'Object does not exist',
      );
      assertFault(await alice.req('POST', p(A, 'nocontainer', 'm', 'update')), 404, 'Container does not exist');
    });

    it('header values: request percent-decoded, response percent-encoded (§1.3, §1.4)', async () => {
      await alice.putContainer('enc');
      await alice.put('enc', 'e', 'x', {
        'X-Object-Meta-%C3%A9t%C3%A9': '%E2%98%82 *~+%zz',
        'Content-Type': 'image/svg+xml',
        'Content-Disposition': 'attachment; filename="%E2%98%82.txt"',
      });
      const h = await alice.req('HEAD', p(A, 'enc', 'e'));
      assert.ok(rawNames(h).includes('X-Object-Meta-%C3%89t%C3%A9'), rawNames(h).join(' '));
      assert.equal(h.header('x-object-meta-%c3%89t%c3%a9'), '%E2%98%82 %2A%7E+%25zz');
      assert.equal(h.header('content-type'), 'image/svg+xml');
      assert.equal(h.header('content-disposition'), 'attachment; filename="%E2%98%82.txt"');
      for (let i = 0; i < h.rawHeaders.length; i++) assert.match(h.rawHeaders[i], /^[\x20-\x7e]*$/, 'ASCII only');
      // Content-Type is stored as sent, whatever its syntax (ASCII only); empty = not sent.
      for (const [sent, stored] of [
        ['foo', 'foo'],
        ['x y/z', 'x y/z'],
        ['', 'application/octet-stream'],
        ['text/plain; charset=UTF-8', 'text/plain; charset=UTF-8'],
      ]) {
        const r = await alice.req('PUT', p(A, 'enc', 'typed'), { body: 'x', headers: { 'Content-Type': sent } });
        assert.equal(r.status, 201, `${JSON.stringify(sent)}: ${r.text()}`);
        assert.equal(
          (await alice.req('HEAD', p(A, 'enc', 'typed'))).header('content-type'),
          encodeURI(stored).replace(/%20/g, ' '),
          sent,
        );
      }
      await alice.req('DELETE', p(A, 'enc', 'typed'));
      const list = (await alice.req('GET', p(A, 'enc', undefined, 'format=json'))).json();
      assert.equal(list[0].x_object_meta_été, '☂ *~+%zz');
      assert.equal(list[0].content_disposition, 'attachment; filename="☂.txt"');
    });

    it('DELETE: 204, then 404; a re-created name gets a new UUID; ?delimiter deletes the children', async () => {
      await alice.putContainer('del');
      const uuid1 = (
        await (async () => {
          await alice.put('del', 'o', '1');
          return alice.req('HEAD', p(A, 'del', 'o'));
        })()
      ).header('x-object-uuid');
      const d = await alice.req('DELETE', p(A, 'del', 'o', 'until=123'));
      assert.equal(d.status, 204);
      assert.equal(d.body.length, 0);
      assert.equal((await alice.req('HEAD', p(A, 'del', 'o'))).status, 404);
      assertFault(await alice.req('DELETE', p(A, 'del', 'o')), 404, 'Object does not exist');
      await alice.put('del', 'o', '2');
      assert.notEqual((await alice.req('HEAD', p(A, 'del', 'o'))).header('x-object-uuid'), uuid1);

      for (const n of ['dir', 'dir/a', 'dir/b/c', 'dirx', 'di']) await alice.put('del', n, n);
      assert.equal((await alice.req('DELETE', p(A, 'del', 'dir', 'delimiter=/'))).status, 204);
      const names = (await alice.req('GET', p(A, 'del', undefined, 'format=json'))).json().map((e: any) => e.name);
      assert.deepEqual(names, ['di', 'dirx', 'o']);
      assertFault(await alice.req('DELETE', p(A, 'nocontainer', 'o')), 404, 'Container does not exist');
    });

    it('copy: X-Copy-From gives a new UUID, the same content, merged meta, no grants, no public URL', async () => {
      await alice.putContainer('src');
      await alice.putContainer('dst');
      const data = bytesOf('copy', 70_000);
      await alice.put('src', 'o', data, {
        'Content-Type': 'text/plain',
        'X-Object-Meta-A': '1',
        'X-Object-Meta-B': '2',
        'Content-Encoding': 'gzip',
        'X-Object-Sharing': 'read=*',
        'X-Object-Public': 'true',
      });
      const src = await alice.req('HEAD', p(A, 'src', 'o'));

      const c1 = await alice.req('PUT', p(A, 'dst', 'c1'), { headers: { 'X-Copy-From': '/src/o' } });
      assert.equal(c1.status, 201);
      assert.equal(c1.body.length, 0);
      assert.equal(c1.header('etag'), md5(data));
      assert.ok(Number(c1.header('x-object-version')) > Number(src.header('x-object-version')));
      let h = await alice.req('HEAD', p(A, 'dst', 'c1'));
      assert.notEqual(h.header('x-object-uuid'), src.header('x-object-uuid'));
      assert.equal(h.header('x-object-hash'), src.header('x-object-hash'));
      assert.equal(h.header('etag'), md5(data));
      assert.equal(h.header('content-type'), 'text/plain');
      assert.equal(h.header('content-encoding'), 'gzip');
      assert.equal(h.header('x-object-meta-a'), '1');
      assert.equal(h.header('x-object-meta-b'), '2');
      assert.equal(h.header('x-object-sharing'), undefined);
      assert.equal(h.header('x-object-public'), undefined);
      assert.ok((await alice.req('GET', p(A, 'dst', 'c1'))).body.equals(data));
      assert.equal((await alice.req('HEAD', p(A, 'src', 'o'))).status, 200, 'copy keeps the source');

      await alice.req('PUT', p(A, 'dst', 'c2'), {
        headers: {
          'X-Copy-From': '/src/o',
          'X-Source-Account': A,
          'Content-Type': 'application/json',
          'X-Object-Meta-B': '3',
          'X-Object-Meta-C': '4',
        },
      });
      h = await alice.req('HEAD', p(A, 'dst', 'c2'));
      assert.equal(h.header('content-type'), 'application/json');
      assert.deepEqual(
        [h.header('x-object-meta-a'), h.header('x-object-meta-b'), h.header('x-object-meta-c')],
        ['1', '3', '4'],
      );

      await alice.req('PUT', p(A, 'dst', 'c3'), {
        headers: { 'X-Copy-From': '/src/o', 'X-Fresh-Metadata': 'true', 'X-Object-Meta-C': '4' },
      });
      h = await alice.req('HEAD', p(A, 'dst', 'c3'));
      assert.deepEqual(
        rawNames(h).filter((n) => /^x-object-meta-/i.test(n)),
        ['X-Object-Meta-C'],
      );

      // Onto an existing object: it keeps its UUID and grants.
      await alice.put('dst', 'target', 'old', { 'X-Object-Sharing': 'write=*' });
      const target = await alice.req('HEAD', p(A, 'dst', 'target'));
      await alice.req('PUT', p(A, 'dst', 'target'), { headers: { 'X-Copy-From': '/src/o' } });
      h = await alice.req('HEAD', p(A, 'dst', 'target'));
      assert.equal(h.header('x-object-uuid'), target.header('x-object-uuid'));
      assert.equal(h.header('x-object-sharing'), 'write=%2A');
      assert.equal(h.header('content-length'), String(data.length));

      // Onto itself: a new version, same UUID, grants and public URL (Swift's way to change meta).
      const self = await alice.req('PUT', p(A, 'src', 'o'), {
        headers: { 'X-Copy-From': '/src/o', 'X-Object-Meta-Z': '9' },
      });
      assert.equal(self.status, 201);
      h = await alice.req('HEAD', p(A, 'src', 'o'));
      assert.equal(h.header('x-object-uuid'), src.header('x-object-uuid'));
      assert.ok(Number(h.header('x-object-version')) > Number(src.header('x-object-version')));
      assert.equal(h.header('x-object-meta-z'), '9');
      assert.equal(h.header('x-object-meta-a'), '1');
      assert.equal(h.header('x-object-sharing'), src.header('x-object-sharing'));
      assert.equal(h.header('x-object-public'), src.header('x-object-public'));

      // COPY with Destination (swift copy), percent-encoded.
      const viaCopy = await alice.req('COPY', p(A, 'src', 'o'), {
        headers: { Destination: '/dst/%E2%98%82', 'X-Fresh-Metadata': 'false' },
      });
      assert.equal(viaCopy.status, 201);
      assert.equal(viaCopy.header('etag'), md5(data));
      assert.ok(viaCopy.header('x-object-version'));
      h = await alice.req('HEAD', p(A, 'dst', '☂'));
      assert.equal(h.status, 200);
      assert.equal(h.header('x-object-meta-z'), '9');
      assert.notEqual(h.header('x-object-uuid'), src.header('x-object-uuid'));
    });

    it('move: X-Move-From and MOVE keep the UUID, grants and public URL and remove the source', async () => {
      await alice.putContainer('mv1');
      await alice.putContainer('mv2');
      const data = bytesOf('move', 5000);
      await alice.put('mv1', 'o', data, {
        'X-Object-Meta-A': '1',
        'X-Object-Sharing': 'read=*',
        'X-Object-Public': 'true',
      });
      const src = await alice.req('HEAD', p(A, 'mv1', 'o'));
      await alice.put('mv2', 'occupied', 'will be replaced');

      const mv = await alice.req('PUT', p(A, 'mv2', 'occupied'), {
        headers: { 'X-Move-From': '/mv1/o', 'X-Object-Meta-B': '2' },
      });
      assert.equal(mv.status, 201);
      assert.equal(mv.header('etag'), md5(data));
      assert.ok(mv.header('x-object-version'));
      assert.equal((await alice.req('HEAD', p(A, 'mv1', 'o'))).status, 404);
      let h = await alice.req('HEAD', p(A, 'mv2', 'occupied'));
      assert.equal(h.header('x-object-uuid'), src.header('x-object-uuid'));
      assert.equal(h.header('x-object-sharing'), src.header('x-object-sharing'));
      assert.equal(h.header('x-object-public'), src.header('x-object-public'));
      assert.equal(h.header('x-object-meta-a'), '1');
      assert.equal(h.header('x-object-meta-b'), '2');
      assert.ok((await alice.req('GET', p(A, 'mv2', 'occupied'))).body.equals(data));
      const publicUrl = new URL(h.header('x-object-public')!);
      assert.ok((await call(s, 'GET', publicUrl.pathname)).body.equals(data), 'the public URL follows the move');

      const viaMove = await alice.req('MOVE', p(A, 'mv2', 'occupied'), { headers: { Destination: '/mv1/back' } });
      assert.equal(viaMove.status, 201);
      assert.equal((await alice.req('HEAD', p(A, 'mv2', 'occupied'))).status, 404);
      h = await alice.req('HEAD', p(A, 'mv1', 'back'));
      assert.equal(h.header('x-object-uuid'), src.header('x-object-uuid'));
      const listed = (await alice.req('GET', p(A, 'mv2', undefined, 'format=json'))).json();
      assert.deepEqual(listed, []);
      // Onto itself: a new version, nothing deleted.
      const self = await alice.req('PUT', p(A, 'mv1', 'back'), {
        headers: { 'X-Move-From': '/mv1/back', 'X-Object-Meta-C': '3' },
      });
      assert.equal(self.status, 201);
      h = await alice.req('HEAD', p(A, 'mv1', 'back'));
      assert.equal(h.status, 200);
      assert.equal(h.header('x-object-uuid'), src.header('x-object-uuid'));
      assert.equal(h.header('x-object-meta-c'), '3');
      assert.equal(h.header('x-object-sharing'), src.header('x-object-sharing'));
      const count = await alice.req('HEAD', p(A, 'mv1'));
      assert.equal(count.header('x-container-object-count'), '1');
      assert.equal(count.header('x-container-bytes-used'), String(data.length));
    });

    it('copy and move errors', async () => {
      await alice.putContainer('ce');
      await alice.put('ce', 'o', 'x');
      const put = (headers: Record<string, string>, query = '') =>
        alice.req('PUT', p(A, 'ce', 'dest', query), { headers });
      assertFault(await alice.req('COPY', p(A, 'ce', 'o')), 400, 'Missing Destination header');
      assertFault(
        await alice.req('COPY', p(A, 'ce', 'o'), { headers: { Destination: 'nope' } }),
        400,
        'Invalid Destination header',
      );
      assertFault(
        await alice.req('MOVE', p(A, 'ce', 'o'), { headers: { Destination: '/ce' } }),
        400,
        'Invalid Destination header',
      );
      assertFault(await put({ 'X-Copy-From': 'nope' }), 400, 'Invalid X-Copy-From header');
      assertFault(await put({ 'X-Move-From': '/ce' }), 400, 'Invalid X-Move-From header');
      assertFault(await put({ 'X-Copy-From': '/ce/o', 'X-Move-From': '/ce/o' }), 400, 'Invalid X-Move-From header');
      assertFault(
        await put({ 'X-Copy-From': '/ce/o', 'X-Source-Version': '999999999' }),
        404,
        'Version does not exist',
      );
      // A prefix copy (object-partial-updates.test.ts) needs the named object too.
      assertFault(await put({ 'X-Copy-From': '/ce/missing' }, 'delimiter=/'), 404, 'Object does not exist');
      assertFault(await put({ 'X-Copy-From': '/ce/missing' }), 404, 'Object does not exist');
      assertFault(await put({ 'X-Copy-From': '/nocontainer/o' }), 404, 'Object does not exist');
      assertFault(
        await alice.req('PUT', p(A, 'nocontainer', 'dest'), { headers: { 'X-Copy-From': '/ce/o' } }),
        404,
        'Container does not exist',
      );
      assertFault(
        await alice.req('COPY', p(A, 'ce', 'o'), { headers: { Destination: '/nocontainer/x' } }),
        404,
        'Container does not exist',
      );
      assertFault(
        await alice.req('COPY', p(A, 'ce', 'missing'), { headers: { Destination: '/ce/x' } }),
        404,
        'Object does not exist',
      );
      assertFault(
        await put({ 'X-Object-Manifest': 'seg' }),
        400,
        'X-Object-Manifest must be in the format container/prefix',
      );
      // If-Match / If-None-Match: on the source for COPY/MOVE, on the destination for a PUT.
      const E = (await alice.req('HEAD', p(A, 'ce', 'o'))).header('etag')!;
      assertFault(
        await alice.req('COPY', p(A, 'ce', 'o'), { headers: { Destination: '/ce/dest', 'If-Match': 'nope' } }),
        412,
        'Resource ETag does not match',
      );
      assertFault(
        await alice.req('MOVE', p(A, 'ce', 'o'), { headers: { Destination: '/ce/dest', 'If-None-Match': E } }),
        412,
        'Resource exists or ETag matches',
      );
      assertFault(await put({ 'X-Copy-From': '/ce/o', 'If-Match': E }), 412, 'Resource does not exist');
      assert.equal((await alice.req('HEAD', p(A, 'ce', 'dest'))).status, 404, 'nothing was created');
      assert.equal((await alice.req('HEAD', p(A, 'ce', 'o'))).status, 200, 'the source is intact');
    });

    it('container quota: 413 with the usage, nothing stored, for raw, hashmap and copy writes', async () => {
      await alice.putContainer('quota', { 'X-Container-Policy-Quota': '10' });
      await alice.put('quota', 'eight', '12345678');
      const over = await alice.req('PUT', p(A, 'quota', 'five'), { body: '12345' });
      assertFault(over, 413, 'Quota error: Container quota exceeded: limit: 10, usage: 8');
      assert.equal((await alice.req('HEAD', p(A, 'quota', 'five'))).status, 404);
      assert.equal(
        (await alice.req('PUT', p(A, 'quota', 'eight'), { body: '1234567890' })).status,
        201,
        'an overwrite counts the difference',
      );

      const hello = Buffer.from('quota hello');
      const hm = await alice.hashmapUpload('quota', 'hm', hello);
      assertFault(hm.reply, 413, 'Quota error: Container quota exceeded: limit: 10, usage: 10');
      assert.equal((await alice.req('HEAD', p(A, 'quota', 'hm'))).status, 404);

      await alice.putContainer('free');
      await alice.put('free', 'src', 'abc');
      assertFault(
        await alice.req('PUT', p(A, 'quota', 'copied'), { headers: { 'X-Copy-From': '/free/src' } }),
        413,
        /^Quota error: Container quota exceeded: limit: 10, usage: 10$/,
      );
      assertFault(
        await alice.req('PUT', p(A, 'quota', 'moved'), { headers: { 'X-Move-From': '/free/src' } }),
        413,
        /^Quota error/,
      );
      assert.equal((await alice.req('HEAD', p(A, 'free', 'src'))).status, 200, 'a refused move keeps the source');
      const h = await alice.req('HEAD', p(A, 'quota'));
      assert.equal(h.header('x-container-object-count'), '1');
      assert.equal(h.header('x-container-bytes-used'), '10');

      await alice.req('POST', p(A, 'quota', undefined, 'update'), { headers: { 'X-Container-Policy-Quota': '0' } });
      assert.equal(
        (await alice.req('PUT', p(A, 'quota', 'five'), { body: '12345' })).status,
        201,
        'quota 0 = unlimited',
      );
    });

    it('container DELETE: 409 when not empty, ?delimiter empties it, ?until is ignored', async () => {
      await alice.putContainer('gone');
      await alice.put('gone', 'a', 'a');
      await alice.put('gone', 'b/c', 'c');
      assertFault(await alice.req('DELETE', p(A, 'gone')), 409, 'Container is not empty');
      const emptied = await alice.req('DELETE', p(A, 'gone', undefined, 'delimiter=/'));
      assert.equal(emptied.status, 204);
      const h = await alice.req('HEAD', p(A, 'gone'));
      assert.equal(h.status, 204);
      assert.equal(h.header('x-container-object-count'), '0');
      const d = await alice.req('DELETE', p(A, 'gone', undefined, `until=${(Date.now() / 1000).toFixed(6)}`));
      assert.equal(d.status, 204);
      assert.equal((await alice.req('HEAD', p(A, 'gone'))).status, 404);
      assertFault(await alice.req('DELETE', p(A, 'gone')), 404, 'Container does not exist');
    });

    it('X-Container-Object-Meta lists the meta keys in use, sorted', async () => {
      await alice.putContainer('om');
      await alice.put('om', '1', '1', { 'X-Object-Meta-Zeta': 'z', 'X-Object-Meta-alpha': 'a' });
      await alice.put('om', '2', '2', { 'X-Object-Meta-Beta': 'b', 'X-Object-Meta-Alpha': 'a' });
      assert.equal((await alice.req('HEAD', p(A, 'om'))).header('x-container-object-meta'), 'Alpha,Beta,Zeta');
      await alice.req('DELETE', p(A, 'om', '1'));
      assert.equal((await alice.req('HEAD', p(A, 'om'))).header('x-container-object-meta'), 'Alpha,Beta');
    });

    it('listings: code point order, prefix, delimiter, path, marker, limit, paging, shared, public', async () => {
      await alice.putContainer('l');
      const names = ['𝄞', 'c', 'b/2', '☂', 'a', 'b/c/3', '～', 'é', 'b.txt', 'b/1'];
      for (const n of names) await alice.put('l', n, n, { 'X-Object-Meta-Kind': 'test' });
      const ordered = ['a', 'b.txt', 'b/1', 'b/2', 'b/c/3', 'c', 'é', '☂', '～', '𝄞'];
      const list = async (query: string) => {
        const r = await alice.req('GET', p(A, 'l', undefined, query ? `format=json&${query}` : 'format=json'));
        assert.equal(r.status, 200, query);
        assert.equal(r.header('content-type'), JSON_TYPE);
        return r.json().map((e: any) => (e.subdir !== undefined ? { subdir: e.subdir } : e.name));
      };
      assert.deepEqual(await list(''), ordered);
      const text = await alice.req('GET', p(A, 'l'));
      assert.equal(text.status, 200);
      assert.equal(text.header('content-type'), 'text/plain; charset=UTF-8');
      assert.equal(text.text(), ordered.map((n) => `${n}\n`).join(''));
      assert.equal((await alice.req('GET', p(A, 'l', undefined, 'format=text'), {})).text(), text.text());

      assert.deepEqual(await list('prefix=b/'), ['b/1', 'b/2', 'b/c/3']);
      assert.deepEqual(await list('prefix=%2Fb%2F'), ['b/1', 'b/2', 'b/c/3'], 'a leading / of prefix is removed');
      assert.deepEqual(await list('delimiter=/'), ['a', 'b.txt', { subdir: 'b/' }, 'c', 'é', '☂', '～', '𝄞']);
      assert.deepEqual(await list('prefix=b&delimiter=/'), ['b/1', 'b/2', { subdir: 'b/c/' }]);
      assert.deepEqual(await list('prefix=b/&delimiter=/'), ['b/1', 'b/2', { subdir: 'b/c/' }]);
      assert.deepEqual(await list('path=b'), ['b/1', 'b/2']);
      assert.deepEqual(await list('marker=b/2'), ['b/c/3', 'c', 'é', '☂', '～', '𝄞']);
      assert.deepEqual(await list(`marker=${encodeURIComponent('☂')}`), ['～', '𝄞']);
      assert.deepEqual(await list('limit=3'), ['a', 'b.txt', 'b/1']);
      assert.deepEqual(await list('delimiter=/&limit=3'), ['a', 'b.txt', { subdir: 'b/' }]);
      assert.deepEqual(await list('limit='), ordered);
      assert.deepEqual(await list('prefix=zzz'), []);
      const emptyText = await alice.req('GET', p(A, 'l', undefined, 'prefix=zzz'));
      assert.equal(emptyText.status, 204);
      assert.equal(emptyText.body.length, 0);
      const delimText = await alice.req('GET', p(A, 'l', undefined, 'prefix=b/&delimiter=/'));
      assert.equal(delimText.text(), 'b/1\nb/2\nb/c/\n');

      // Paging one by one with marker (swift list) gives the same order on every database.
      const paged: string[] = [];
      for (let marker: string | undefined; ; ) {
        const page = await list(`limit=1${marker === undefined ? '' : `&marker=${encodeURIComponent(marker)}`}`);
        if (page.length === 0) break;
        paged.push(page[0]);
        marker = page[0];
      }
      assert.deepEqual(paged, ordered);

      // Entries.
      await alice.req('POST', p(A, 'l', 'c', 'update'), { headers: { 'X-Object-Sharing': 'read=*' } });
      await alice.req('POST', p(A, 'l', 'a', 'update'), { headers: { 'X-Object-Public': 'true' } });
      const full = (await alice.req('GET', p(A, 'l', undefined, 'format=json'))).json();
      const a = full.find((e: any) => e.name === 'a');
      assert.equal(a.bytes, 1);
      assert.equal(a.content_type, 'application/octet-stream');
      assert.equal(a.hash, md5('a'));
      assert.equal(a.x_object_hash, blockHashOf(Buffer.from('a')));
      assert.match(a.last_modified, ISO_MICROS);
      assert.match(a.x_object_uuid, UUID4);
      assert.equal(typeof a.x_object_version, 'number');
      assert.match(a.x_object_version_timestamp, /^\d{10}\.\d{6}$/);
      assert.equal(a.x_object_modified_by, A);
      assert.equal(a.x_object_meta_kind, 'test');
      assert.match(a.x_object_public, new RegExp(`^${s.url}/public/[0-9A-Za-z]{16}$`));
      assert.equal(a.x_object_sharing, undefined);
      assert.equal(a.x_object_allowed_to, undefined);
      const c = full.find((e: any) => e.name === 'c');
      assert.equal(c.x_object_sharing, 'read=*');
      assert.equal(c.x_object_public, undefined);

      assert.deepEqual(await list('shared'), ['c']);
      assert.deepEqual(await list('public'), ['a']);
      const acct = (await alice.req('GET', p(A, undefined, undefined, 'format=json&shared')))
        .json()
        .map((e: any) => e.name);
      assert.ok(acct.includes('l'));
      assert.ok(!acct.includes('om') && !acct.includes('obj'), acct.join());
      const pub = (await alice.req('GET', p(A, undefined, undefined, 'format=json&public')))
        .json()
        .map((e: any) => e.name);
      assert.ok(pub.includes('l'));
      assert.ok(!pub.includes('om'));
      // The meta filter (object-partial-updates.test.ts): every object here has Kind=test.
      assert.deepEqual(await list('meta=Kind'), ordered);
      assert.deepEqual(await list('meta=!Kind'), []);
      assert.deepEqual(await list('meta=Kind%3Dother'), []);
      // `until` lists the container as it was then (object-versions.test.ts): empty in 1970.
      assert.deepEqual((await alice.req('GET', p(A, 'l', undefined, 'until=1&format=json'))).json(), []);
    });

    it('repeated headers: the last one wins; `+` in a path is a plus, in a query a space', async () => {
      await alice.putContainer('dup');
      await alice.put('dup', 'd', 'x', {
        'X-Object-Meta-Dup': ['first', 'last'],
        'Content-Type': ['text/first', 'text/last'],
        'X-Object-Public': ['true', 'false'],
      });
      const h = await alice.req('HEAD', p(A, 'dup', 'd'));
      assert.equal(h.header('x-object-meta-dup'), 'last');
      assert.equal(h.header('content-type'), 'text/last');
      assert.equal(h.header('x-object-public'), undefined);

      await alice.put('dup', 'a+b', 'plus');
      await alice.put('dup', 'a b', 'space');
      assert.equal((await alice.req('GET', `${O}/${A}/dup/a+b`)).text(), 'plus');
      assert.equal((await alice.req('GET', `${O}/${A}/dup/a%2Bb`)).text(), 'plus');
      assert.equal((await alice.req('GET', `${O}/${A}/dup/a%20b`)).text(), 'space');
      const names = async (query: string) =>
        (await alice.req('GET', `${O}/${A}/dup?format=json&${query}`)).json().map((e: any) => e.name);
      assert.deepEqual(await names('prefix=a+b'), ['a b']);
      assert.deepEqual(await names('prefix=a%2Bb'), ['a+b']);
      // Flags are tested by presence; parameter order does not matter.
      for (const query of ['hashmap', 'hashmap=', 'hashmap=0', 'format=json&hashmap=False']) {
        assert.equal((await alice.req('GET', `${O}/${A}/dup/d?${query}`)).header('content-type'), JSON_TYPE, query);
      }
      // A name may end with `/`.
      await alice.put('dup', 'dir/', 'a directory marker');
      assert.equal((await alice.req('GET', p(A, 'dup', 'dir/'))).text(), 'a directory marker');
      assert.equal((await alice.req('HEAD', p(A, 'dup', 'dir'))).status, 404);
    });

    it('images follow their objects: delete removes the image, move keeps it, a saving image cannot move (§7.5, §7.7, §9)', async () => {
      const db = s.services.metadata.db;
      const register = async (name: string, status = 'available') => {
        const uuid = (await alice.req('HEAD', p(A, 'img', name))).header('x-object-uuid')!;
        const now = Date.now() * 1000;
        await db
          .insertInto('images')
          .values({
            id: uuid,
            owner: A,
            name,
            disk_format: 'raw',
            container_format: 'bare',
            status,
            origin: 'location',
            min_ram: 0,
            min_disk: 0,
            protected: 0,
            created_at: now,
            updated_at: now,
            declared_size: null,
            declared_checksum: null,
          })
          .execute();
        return uuid;
      };
      const image = (id: string) =>
        db.selectFrom('images').select(['id', 'owner', 'status']).where('id', '=', id).executeTakeFirst();
      await alice.putContainer('img');
      await alice.putContainer('img2');
      for (const n of ['a', 'b', 'c', 'saving', 'victim']) await alice.put('img', n, `image ${n}`);
      const [a, b, c, saving, victim] = [
        await register('a'),
        await register('b'),
        await register('c'),
        await register('saving', 'saving'),
        await register('victim'),
      ];

      assert.equal((await alice.req('DELETE', p(A, 'img', 'a'))).status, 204);
      assert.equal(await image(a), undefined, 'deleting the object removes the image');

      assert.equal((await alice.req('PUT', p(A, 'img', 'b'), { body: 'new content' })).status, 201);
      assert.ok(await image(b), 'an overwrite keeps the image');
      assert.equal((await alice.req('PUT', p(A, 'img', 'b'), { headers: { 'X-Copy-From': '/img/c' } })).status, 201);
      assert.ok(await image(b), 'a copy onto it keeps the image');
      assert.equal(
        (await alice.req('PUT', p(A, 'img', 'b-copy'), { headers: { 'X-Copy-From': '/img/b' } })).status,
        201,
      );
      assert.equal(
        await image((await alice.req('HEAD', p(A, 'img', 'b-copy'))).header('x-object-uuid')!),
        undefined,
        'a copy is not an image',
      );

      assertFault(
        await alice.req('PUT', p(A, 'img2', 'saving'), { headers: { 'X-Move-From': '/img/saving' } }),
        409,
        'Image is being saved',
      );
      assert.equal((await alice.req('HEAD', p(A, 'img', 'saving'))).status, 200);

      const moved = await alice.req('MOVE', p(A, 'img', 'c'), { headers: { Destination: '/img2/victim-place' } });
      assert.equal(moved.status, 201);
      assert.deepEqual(await image(c), { id: c, owner: A, status: 'available' }, 'a move keeps the image');
      assert.equal((await alice.req('HEAD', p(A, 'img2', 'victim-place'))).header('x-object-uuid'), c);

      // Moving onto an object that is an image replaces it as if deleted.
      await alice.req('PUT', p(A, 'img2', 'victim'), { headers: { 'X-Move-From': '/img/victim' } });
      assert.ok(await image(victim));
      await alice.req('PUT', p(A, 'img2', 'victim'), { headers: { 'X-Move-From': '/img2/victim-place' } });
      assert.equal(await image(victim), undefined, "the replaced object's image disappears");
      assert.ok(await image(c));

      assert.equal((await alice.req('DELETE', p(A, 'img2', undefined, 'delimiter=/'))).status, 204);
      assert.equal(await image(c), undefined, 'emptying the container removes its images');
      assert.ok(await image(saving));
    });

    it('405 with Allow before 401; 401 without a token; unknown endpoints 400; the token may be a query parameter', async () => {
      const allow: [string, string][] = [
        [O, 'GET'],
        [`${O}/${A}`, 'HEAD, GET, POST'],
        [`${O}/${A}/c1`, 'HEAD, GET, PUT, POST, DELETE'],
        [`${O}/${A}/c1/o`, 'HEAD, GET, PUT, POST, DELETE, COPY, MOVE'],
      ];
      for (const [path, methods] of allow) {
        const r = await call(s, 'PATCH', path);
        assertFault(r, 405, 'Method not allowed');
        assert.equal(r.header('allow'), methods);
      }
      assertFault(await call(s, 'DELETE', O, { token: alice.user.token }), 405);
      for (const path of [O, `${O}/${A}`, `${O}/${A}/c1`, `${O}/${A}/c1/o`]) {
        assertFault(await call(s, 'GET', path), 401, 'Access denied. No authentication token');
        assertFault(await call(s, 'GET', path, { token: 'not-a-token' }), 401);
      }
      assertFault(await call(s, 'GET', '/object-store/v2/x'), 400, 'API endpoint not found');
      assertFault(await call(s, 'GET', '/object-store'), 400, 'API endpoint not found');
      assertFault(await call(s, 'GET', `${O}//c1`, { token: alice.user.token }), 400, 'API endpoint not found');
      const viaQuery = await call(s, 'HEAD', `${O}/${A}/c1?X-Auth-Token=${encodeURIComponent(alice.user.token)}`);
      assert.equal(viaQuery.status, 204);
      // A trailing slash stays at the same level.
      assert.equal((await alice.req('HEAD', `${O}/${A}/`)).status, 204);
      assert.equal((await alice.req('HEAD', `${O}/${A}/c1/`)).status, 204);
    });
  });
}
