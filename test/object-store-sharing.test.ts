/**
 * Sharing, permissions and publishing (spec/object-store.md §2, §3, §8): owner, read grantee,
 * write grantee and anyone else; "unreadable means not found" (a 404 identical to a missing
 * target); the accounts list; public URLs and anonymous downloads.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';
import {
  JSON_TYPE,
  O,
  Store,
  assertFault,
  blockHashOf,
  bytesOf,
  call,
  md5,
  p,
  type Reply,
} from './helpers/object-store.ts';

/** Same status, same body: a caller cannot tell the two apart. */
function assertSame404(a: Reply, b: Reply, what: string): void {
  assert.equal(a.status, 404, `${what}: ${a.status} ${a.text()}`);
  assert.equal(b.status, 404, what);
  assert.equal(a.body.toString(), b.body.toString(), what);
  assert.equal(a.header('content-type'), b.header('content-type'));
}

for (const dialect of DIALECTS) {
  describe(`object store: sharing and permissions [${dialect}]`, () => {
    let s: TestServer;
    let alice: Store;
    let bob: Store; // read grantee
    let carol: Store; // write grantee
    let dave: Store; // anyone else
    let A: string;
    const data = bytesOf('shared', 3000);

    before(async () => {
      s = await startTestServer(dialect);
      [alice, bob, carol, dave] = await Promise.all([1, 2, 3, 4].map(async () => new Store(s, await s.user())));
      A = alice.uuid;
      await alice.putContainer('shared');
      await alice.putContainer('secret');
      await alice.put('shared', 'r.txt', data, { 'X-Object-Sharing': `read=${bob.uuid}; write=${carol.uuid}` });
      await alice.put('shared', 'private.txt', 'private');
      await alice.put('shared', 'pub.txt', 'published', { 'X-Object-Public': 'true' });
      await alice.put('secret', 'x.txt', 'secret');
      await alice.put('secret', 'pubonly.txt', 'published in secret', { 'X-Object-Public': 'true' });
      for (const u of [bob, carol, dave]) await u.putContainer('mine');
    });
    after(() => s.close());

    it('object HEAD/GET: owner, read and write grantees, published; 404 identical to missing otherwise', async () => {
      for (const [u, allowed] of [
        [bob, 'read'],
        [carol, 'write'],
      ] as const) {
        const h = await u.req('HEAD', p(A, 'shared', 'r.txt'));
        assert.equal(h.status, 200);
        assert.equal(h.header('x-object-allowed-to'), allowed);
        assert.equal(h.header('x-object-sharing'), `read=${bob.uuid}; write=${carol.uuid}`);
        assert.equal(h.header('x-object-public'), undefined);
        assert.equal(h.header('etag'), md5(data));
        assert.ok((await u.req('GET', p(A, 'shared', 'r.txt'))).body.equals(data));
        const hm = await u.req('GET', p(A, 'shared', 'r.txt', 'hashmap&format=json'));
        assert.equal(hm.status, 200);
        assert.equal(hm.json().bytes, data.length);
        const ranged = await u.req('GET', p(A, 'shared', 'r.txt'), { headers: { Range: 'bytes=0-9' } });
        assert.equal(ranged.status, 206);
      }
      const owner = await alice.req('HEAD', p(A, 'shared', 'r.txt'));
      assert.equal(owner.header('x-object-allowed-to'), undefined);

      // Published: anyone with a token may read it; no X-Object-Public for non-owners.
      const pub = await dave.req('GET', p(A, 'shared', 'pub.txt'));
      assert.equal(pub.status, 200);
      assert.equal(pub.text(), 'published');
      assert.equal(pub.header('x-object-allowed-to'), 'read');
      assert.equal(pub.header('x-object-public'), undefined);
      assert.equal(
        (await dave.req('GET', p(A, 'secret', 'pubonly.txt'))).status,
        200,
        'published objects are readable even in a container he cannot see',
      );

      for (const u of [bob, carol, dave]) {
        for (const method of ['GET', 'DELETE', 'COPY']) {
          const unreadable = await u.req(method, p(A, 'shared', 'private.txt'), {
            headers: { Destination: '/mine/x' },
          });
          const missing = await u.req(method, p(A, 'shared', 'no-such-object'), {
            headers: { Destination: '/mine/x' },
          });
          assertSame404(unreadable, missing, `${method} private.txt`);
          assertFault(unreadable, 404, 'Object does not exist');
        }
        const post = await u.req('POST', p(A, 'shared', 'private.txt', 'update'), {
          headers: { 'X-Object-Meta-A': '1' },
        });
        assertSame404(
          post,
          await u.req('POST', p(A, 'shared', 'nope', 'update'), { headers: { 'X-Object-Meta-A': '1' } }),
          'POST',
        );
        assertSame404(
          await u.req('GET', p(A, 'secret', 'x.txt')),
          await u.req('GET', p(A, 'no-container', 'x.txt')),
          'object in a container without grants',
        );
        assert.equal((await u.req('HEAD', p(A, 'shared', 'private.txt'))).status, 404);
        assertSame404(
          await u.req('GET', p(A, 'shared', 'private.txt', 'hashmap')),
          await u.req('GET', p(A, 'shared', 'nope', 'hashmap')),
          'hashmap',
        );
      }
      assertSame404(
        await dave.req('GET', p(A, 'shared', 'r.txt')),
        await dave.req('GET', p(A, 'shared', 'nope')),
        'dave on r.txt',
      );
    });

    it('object writes per the §2 table: 403 when he may see it, 404 when he may not', async () => {
      await alice.put('shared', 'w.txt', 'write me', { 'X-Object-Sharing': `read=${bob.uuid}; write=${carol.uuid}` });
      const before = await alice.req('HEAD', p(A, 'shared', 'w.txt'));

      // PUT overwrite: write grantee yes (keeps UUID and grants), without touching sharing/public.
      const over = await carol.req('PUT', p(A, 'shared', 'w.txt'), { body: 'carol was here' });
      assert.equal(over.status, 201);
      let h = await alice.req('HEAD', p(A, 'shared', 'w.txt'));
      assert.equal(h.header('x-object-uuid'), before.header('x-object-uuid'));
      assert.equal(h.header('x-object-sharing'), before.header('x-object-sharing'));
      assert.equal(h.header('x-object-modified-by'), carol.uuid);
      assertFault(
        await carol.req('PUT', p(A, 'shared', 'w.txt'), {
          body: 'x',
          headers: { 'X-Object-Sharing': `read=${dave.uuid}` },
        }),
        403,
        'Not allowed',
      );
      assertFault(
        await carol.req('PUT', p(A, 'shared', 'w.txt'), { body: 'x', headers: { 'X-Object-Public': 'true' } }),
        403,
        'Not allowed',
      );
      // By hashmap too, when the blocks are known (a block POST is a container write: 403 for him).
      const hm = await carol.hashmapUpload('shared', 'w.txt', Buffer.from('carol was here'), {}, A);
      assert.equal(hm.reply.status, 201, hm.reply.text());
      assert.deepEqual(hm.missing, []);
      assertFault(await bob.req('PUT', p(A, 'shared', 'w.txt'), { body: 'x' }), 403, 'Not allowed');
      assertFault(await dave.req('PUT', p(A, 'shared', 'pub.txt'), { body: 'x' }), 403, 'Not allowed');
      assertSame404(
        await dave.req('PUT', p(A, 'shared', 'w.txt'), { body: 'x' }),
        await dave.req('PUT', p(A, 'no-container', 'w.txt'), { body: 'x' }),
        'dave overwrite',
      );
      assertFault(await dave.req('PUT', p(A, 'shared', 'w.txt'), { body: 'x' }), 404, 'Container does not exist');

      // PUT new name: 403 with grants in the container, else 404.
      assertFault(await bob.req('PUT', p(A, 'shared', 'new.txt'), { body: 'x' }), 403, 'Not allowed');
      assertFault(await carol.req('PUT', p(A, 'shared', 'new.txt'), { body: 'x' }), 403, 'Not allowed');
      assertFault(await bob.req('PUT', p(A, 'secret', 'new.txt'), { body: 'x' }), 404, 'Container does not exist');
      assertFault(await dave.req('PUT', p(A, 'shared', 'new.txt'), { body: 'x' }), 404, 'Container does not exist');
      assertFault(
        await bob.req('PUT', p(A, 'shared', 'new.txt', 'hashmap'), { body: JSON.stringify({ bytes: 0, hashes: [] }) }),
        403,
      );
      assert.equal((await alice.req('HEAD', p(A, 'shared', 'new.txt'))).status, 404);

      // POST meta: owner and write grantee; read grantee 403; published-only 403.
      const meta = await carol.req('POST', p(A, 'shared', 'w.txt', 'update'), {
        headers: { 'X-Object-Meta-By': 'carol' },
      });
      assert.equal(meta.status, 202);
      h = await alice.req('HEAD', p(A, 'shared', 'w.txt'));
      assert.equal(h.header('x-object-meta-by'), 'carol');
      assertFault(
        await bob.req('POST', p(A, 'shared', 'w.txt', 'update'), { headers: { 'X-Object-Meta-By': 'bob' } }),
        403,
        'Not allowed',
      );
      assertFault(
        await dave.req('POST', p(A, 'shared', 'pub.txt', 'update'), { headers: { 'X-Object-Meta-By': 'dave' } }),
        403,
        'Not allowed',
      );

      // POST sharing/public: owner only.
      for (const u of [carol, bob]) {
        assertFault(
          await u.req('POST', p(A, 'shared', 'w.txt', 'update'), {
            headers: { 'X-Object-Sharing': `read=${dave.uuid}` },
          }),
          403,
          'Not allowed',
        );
        assertFault(
          await u.req('POST', p(A, 'shared', 'w.txt', 'update'), { headers: { 'X-Object-Public': 'true' } }),
          403,
          'Not allowed',
        );
      }
      assertFault(
        await dave.req('POST', p(A, 'shared', 'pub.txt', 'update'), { headers: { 'X-Object-Public': 'false' } }),
        403,
        'Not allowed',
      );
      h = await alice.req('HEAD', p(A, 'shared', 'w.txt'));
      assert.equal(h.header('x-object-sharing'), before.header('x-object-sharing'));
      assert.equal(h.header('x-object-public'), undefined);

      // DELETE: owner only.
      assertFault(await carol.req('DELETE', p(A, 'shared', 'w.txt')), 403, 'Not allowed');
      assertFault(await bob.req('DELETE', p(A, 'shared', 'w.txt')), 403, 'Not allowed');
      assertFault(await dave.req('DELETE', p(A, 'shared', 'pub.txt')), 403, 'Not allowed');
      assert.equal((await alice.req('HEAD', p(A, 'shared', 'w.txt'))).status, 200);
      assert.equal((await alice.req('HEAD', p(A, 'shared', 'pub.txt'))).status, 200);
    });

    it('copy and move across accounts: source as GET (+DELETE for a move), destination as PUT', async () => {
      const copied = await bob.req('PUT', p(bob.uuid, 'mine', 'copy.txt'), {
        headers: { 'X-Copy-From': '/shared/r.txt', 'X-Source-Account': A },
      });
      assert.equal(copied.status, 201, copied.text());
      const h = await bob.req('HEAD', p(bob.uuid, 'mine', 'copy.txt'));
      assert.equal(h.header('etag'), md5(data));
      assert.equal(h.header('x-object-sharing'), undefined, 'grants are never copied');
      assert.notEqual(
        h.header('x-object-uuid'),
        (await alice.req('HEAD', p(A, 'shared', 'r.txt'))).header('x-object-uuid'),
      );
      assert.ok((await bob.req('GET', p(bob.uuid, 'mine', 'copy.txt'))).body.equals(data));
      // COPY with Destination-Account defaults to the caller's own account.
      const viaCopy = await bob.req('COPY', p(A, 'shared', 'r.txt'), { headers: { Destination: '/mine/copy2.txt' } });
      assert.equal(viaCopy.status, 201);
      assert.equal((await bob.req('HEAD', p(bob.uuid, 'mine', 'copy2.txt'))).status, 200);
      assert.equal(
        (
          await dave.req('PUT', p(dave.uuid, 'mine', 'pub.txt'), {
            headers: { 'X-Copy-From': '/shared/pub.txt', 'X-Source-Account': A },
          })
        ).status,
        201,
        'published sources are readable',
      );

      assertFault(
        await bob.req('PUT', p(bob.uuid, 'mine', 'moved.txt'), {
          headers: { 'X-Move-From': '/shared/r.txt', 'X-Source-Account': A },
        }),
        403,
        'Not allowed',
      );
      assertFault(
        await carol.req('MOVE', p(A, 'shared', 'r.txt'), { headers: { Destination: '/mine/moved.txt' } }),
        403,
        'Not allowed',
      );
      assert.equal((await alice.req('HEAD', p(A, 'shared', 'r.txt'))).status, 200, 'the source stays');
      assertFault(
        await bob.req('PUT', p(bob.uuid, 'mine', 'x'), {
          headers: { 'X-Copy-From': '/shared/private.txt', 'X-Source-Account': A },
        }),
        404,
        'Object does not exist',
      );
      assertFault(
        await bob.req('PUT', p(bob.uuid, 'mine', 'x'), {
          headers: { 'X-Copy-From': '/secret/x.txt', 'X-Source-Account': A },
        }),
        404,
        'Object does not exist',
      );
      // Destination in alice's account: a new name there is hers to create.
      assertFault(
        await bob.req('PUT', p(A, 'shared', 'bob-copy'), { headers: { 'X-Copy-From': '/mine/copy.txt' } }),
        403,
        'Not allowed',
      );
      assertFault(
        await dave.req('PUT', p(A, 'shared', 'dave-copy'), { headers: { 'X-Copy-From': '/mine/pub.txt' } }),
        404,
        'Container does not exist',
      );
      assertFault(
        await bob.req('COPY', p(bob.uuid, 'mine', 'copy.txt'), {
          headers: { Destination: '/shared/bob-copy', 'Destination-Account': A },
        }),
        403,
        'Not allowed',
      );
      assert.equal((await alice.req('HEAD', p(A, 'shared', 'bob-copy'))).status, 404);
    });

    it('container and account level: limited views for grantees, 403 for writes, 404 for everyone else', async () => {
      // HEAD container: only Last-Modified and the block size/hash for a grantee.
      for (const u of [bob, carol]) {
        const h = await u.req('HEAD', p(A, 'shared'));
        assert.equal(h.status, 204);
        assert.equal(h.header('x-container-block-size'), '4194304');
        assert.equal(h.header('x-container-block-hash'), 'sha256');
        assert.ok(h.header('last-modified'));
        for (const hidden of [
          'x-container-object-count',
          'x-container-bytes-used',
          'x-container-policy-quota',
          'x-container-object-meta',
        ])
          assert.equal(h.header(hidden), undefined, hidden);
      }
      // Listing: only the objects granted to him, with x_object_allowed_to; never published-only ones.
      const bobList = (await bob.req('GET', p(A, 'shared', undefined, 'format=json'))).json();
      assert.deepEqual(
        bobList.map((e: any) => e.name),
        ['r.txt', 'w.txt'],
      );
      assert.equal(bobList[0].x_object_allowed_to, 'read');
      assert.equal(bobList[0].x_object_public, undefined);
      const carolList = (await carol.req('GET', p(A, 'shared', undefined, 'format=json'))).json();
      assert.equal(carolList.find((e: any) => e.name === 'r.txt').x_object_allowed_to, 'write');
      assert.equal((await bob.req('GET', p(A, 'shared'))).text(), 'r.txt\nw.txt\n');
      assertFault(await bob.req('GET', p(A, 'shared', undefined, 'format=json&public')), 403, 'Not allowed');

      for (const u of [bob, dave]) {
        for (const method of ['HEAD', 'GET', 'PUT', 'POST', 'DELETE']) {
          const hidden = await u.req(method, p(A, 'secret'));
          const missing = await u.req(method, p(A, 'no-container'));
          assert.equal(hidden.status, 404, `${method} secret`);
          if (method !== 'HEAD') {
            assertSame404(hidden, missing, `${method} container`);
            assertFault(hidden, 404, 'Container does not exist');
          }
        }
      }
      for (const method of ['HEAD', 'GET'])
        assert.equal((await dave.req(method, p(A, 'shared'))).status, 404, 'no grants in it: 404');

      // Container writes by grantees: 403 (block upload included), nothing stored.
      for (const u of [bob, carol]) {
        assertFault(await u.req('PUT', p(A, 'shared')), 403, 'Not allowed');
        assertFault(
          await u.req('POST', p(A, 'shared', undefined, 'update'), { headers: { 'X-Container-Meta-X': '1' } }),
          403,
          'Not allowed',
        );
        assertFault(await u.req('DELETE', p(A, 'shared', undefined, 'delimiter=/')), 403, 'Not allowed');
        const block = await u.req('POST', p(A, 'shared', undefined, 'update&format=json'), {
          body: 'grantee block',
          headers: { 'Content-Type': 'application/octet-stream' },
        });
        assertFault(block, 403, 'Not allowed');
      }
      assertFault(
        await dave.req('POST', p(A, 'shared', undefined, 'update&format=json'), {
          body: 'x',
          headers: { 'Content-Type': 'application/octet-stream' },
        }),
        404,
        'Container does not exist',
      );
      const probe = await alice.req('PUT', p(A, 'shared', 'probe', 'hashmap'), {
        body: JSON.stringify({ bytes: 13, hashes: [blockHashOf(Buffer.from('grantee block'))] }),
      });
      assert.equal(probe.status, 409, 'the refused block was not stored');
      assert.equal((await alice.req('HEAD', p(A, 'shared'))).header('x-container-meta-x'), undefined);
      assert.equal((await alice.req('GET', p(A, 'shared', undefined, 'format=json'))).json().length, 4);

      // Account: limited view for grantees, 404 otherwise; POST 403 / 404.
      const acct = await bob.req('HEAD', p(A));
      assert.equal(acct.status, 204);
      assert.ok(acct.header('last-modified'));
      for (const hidden of ['x-account-container-count', 'x-account-object-count', 'x-account-bytes-used'])
        assert.equal(acct.header(hidden), undefined);
      const containers = (await bob.req('GET', p(A, undefined, undefined, 'format=json'))).json();
      assert.deepEqual(
        containers.map((c: any) => c.name),
        ['shared'],
      );
      assert.deepEqual(Object.keys(containers[0]).sort(), ['last_modified', 'name']);
      assert.equal((await bob.req('GET', p(A))).text(), 'shared\n');
      assertFault(await bob.req('GET', p(A, undefined, undefined, 'public')), 403, 'Not allowed');
      assertFault(await bob.req('POST', p(A), { headers: { 'X-Account-Meta-X': '1' } }), 403, 'Not allowed');
      for (const method of ['GET', 'POST']) {
        const r = await dave.req(method, p(A));
        assertFault(r, 404, 'Account does not exist');
        assertSame404(r, await dave.req(method, p('00000000-0000-4000-8000-000000000000')), `${method} account`);
      }
      assert.equal((await dave.req('HEAD', p(A))).status, 404, 'published objects are not grants');
      // Writes into another user's account.
      assertFault(await dave.req('PUT', p(A, 'dave-was-here')), 404, 'Container does not exist');
      assert.equal((await alice.req('HEAD', p(A, 'dave-was-here'))).status, 404);
    });

    it('GET /object-store/v1 lists the accounts sharing with the caller', async () => {
      const r = await bob.req('GET', `${O}?format=json`);
      assert.equal(r.status, 200);
      assert.equal(r.header('content-type'), JSON_TYPE);
      const list = r.json();
      assert.deepEqual(
        list.map((e: any) => e.name),
        [A],
      );
      assert.match(list[0].last_modified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
      const text = await bob.req('GET', O);
      assert.equal(text.status, 200);
      assert.equal(text.text(), `${A}\n`);
      const viaAccept = await bob.req('GET', `${O}/`, { headers: { Accept: 'application/json' } });
      assert.deepEqual(
        viaAccept.json().map((e: any) => e.name),
        [A],
      );

      const none = await dave.req('GET', `${O}?format=json`);
      assert.equal(none.status, 200);
      assert.deepEqual(none.json(), []);
      const noneText = await dave.req('GET', O);
      assert.equal(noneText.status, 204);
      assert.equal(noneText.body.length, 0);
      assert.deepEqual((await alice.req('GET', `${O}?format=json`)).json(), [], "never the caller's own account");

      // `*` grants count for everyone; limit and marker page the list.
      await carol.put('mine', 'for-all', 'x', { 'X-Object-Sharing': 'read=*' });
      const both = (await dave.req('GET', `${O}?format=json`)).json().map((e: any) => e.name);
      assert.deepEqual(both, [carol.uuid]);
      const bobs = (await bob.req('GET', `${O}?format=json`)).json().map((e: any) => e.name);
      assert.deepEqual(bobs, [A, carol.uuid].sort());
      assert.deepEqual(
        (await bob.req('GET', `${O}?format=json&limit=1`)).json().map((e: any) => e.name),
        [bobs[0]],
      );
      assert.deepEqual(
        (await bob.req('GET', `${O}?format=json&marker=${bobs[0]}`)).json().map((e: any) => e.name),
        [bobs[1]],
      );
      assert.match((await bob.req('GET', `${O}?format=xml`)).text(), /<account name="">/);
      assert.equal((await bob.req('GET', `${O}?limit=0`)).status, 204, 'limit=0: an empty list');
      await carol.req('DELETE', p(carol.uuid, 'mine', 'for-all'));
      assert.deepEqual(
        (await dave.req('GET', `${O}?format=json`)).json(),
        [],
        'deleting the object removes its grants',
      );
    });

    it('X-Object-Sharing: parsing, canonical UUIDs, write implies read, rendering, removal', async () => {
      await alice.put('shared', 's.txt', 's');
      const set = async (value: string) => {
        const r = await alice.req('POST', p(A, 'shared', 's.txt', 'update&format=json'), {
          headers: { 'X-Object-Sharing': value },
        });
        assert.equal(r.status, 202, `${value}: ${r.text()}`);
        return (await alice.req('HEAD', p(A, 'shared', 's.txt'))).header('x-object-sharing');
      };
      assert.equal(await set(`read=${bob.uuid.toUpperCase()}, ${dave.uuid}`), `read=${bob.uuid},${dave.uuid}`);
      assert.equal(
        await set(`read = ${bob.uuid},${carol.uuid} ; write=${carol.uuid}`),
        `read=${bob.uuid}; write=${carol.uuid}`,
      );
      assert.equal(await set(`write=${bob.uuid},${bob.uuid}`), `write=${bob.uuid}`);
      assert.equal(await set(`read=${bob.uuid},*`), 'read=%2A');
      assert.equal(await set(`read%3D${dave.uuid}`), `read=${dave.uuid}`, 'percent-decoded first');
      assert.equal(
        await set(`read=${bob.uuid.replace(/-/g, '')}`),
        `read=${bob.uuid}`,
        'any UUID spelling, stored canonical',
      );
      assert.equal(await set(''), undefined, 'empty = no grants, and the header is then omitted');
      assert.equal((await bob.req('HEAD', p(A, 'shared', 's.txt'))).status, 404);
      // The JSON listing is not percent-encoded.
      await set(`read=${bob.uuid},*`);
      const entry = (await alice.req('GET', p(A, 'shared', undefined, 'format=json&prefix=s.txt'))).json()[0];
      assert.equal(entry.x_object_sharing, 'read=*');
      await set('');
    });

    it('publishing: X-Object-Public absolute URL, anonymous GET/HEAD/Range, token kept, unpublish → 404', async () => {
      const content = bytesOf('public', 5000);
      await alice.put('shared', 'p.bin', content, {
        'Content-Type': 'application/x-test',
        'Content-Disposition': 'attachment',
      });
      const pub = await alice.req('POST', p(A, 'shared', 'p.bin', 'update&format=json'), {
        headers: { 'X-Object-Public': ' True ' },
      });
      assert.equal(pub.status, 202);
      const url = (await alice.req('HEAD', p(A, 'shared', 'p.bin'))).header('x-object-public')!;
      assert.match(url, new RegExp(`^${s.url}/public/[0-9A-Za-z]{16}$`));
      const path = new URL(url).pathname;

      const g = await call(s, 'GET', path);
      assert.equal(g.status, 200);
      assert.ok(g.body.equals(content));
      assert.equal(g.header('etag'), md5(content));
      assert.equal(g.header('content-type'), 'application/x-test');
      assert.equal(g.header('content-disposition'), 'attachment');
      assert.equal(g.header('accept-ranges'), 'bytes');
      assert.ok(g.header('last-modified'));
      for (const name of Object.keys(g.headers))
        assert.ok(!name.startsWith('x-object-') && !name.startsWith('x-container-'), name);
      const h = await call(s, 'HEAD', `${path}/`);
      assert.equal(h.status, 200);
      assert.equal(h.header('content-length'), '5000');
      assert.equal(h.body.length, 0);
      const r = await call(s, 'GET', path, { headers: { Range: 'bytes=10-19' } });
      assert.equal(r.status, 206);
      assert.equal(r.header('content-range'), 'bytes 10-19/5000');
      assert.ok(r.body.equals(content.subarray(10, 20)));
      const bad = await call(s, 'GET', path, { headers: { Range: 'bytes=6000-' } });
      assertFault(bad, 416);
      assert.equal(bad.header('content-range'), 'bytes */5000');
      assert.equal((await call(s, 'GET', path, { headers: { 'If-None-Match': md5(content) } })).status, 304);
      assertFault(await call(s, 'GET', path, { headers: { 'If-Match': 'nope' } }), 412);
      const post = await call(s, 'POST', path);
      assertFault(post, 405, 'Method not allowed');
      assert.equal(post.header('allow'), 'HEAD, GET');

      // The token survives re-publishing, overwrites and meta updates.
      await alice.req('POST', p(A, 'shared', 'p.bin', 'update'), { headers: { 'X-Object-Public': 'true' } });
      await alice.put('shared', 'p.bin', 'new content');
      await alice.req('POST', p(A, 'shared', 'p.bin'), { headers: { 'X-Object-Meta-A': '1' } });
      assert.equal((await alice.req('HEAD', p(A, 'shared', 'p.bin'))).header('x-object-public'), url);
      assert.equal((await call(s, 'GET', path)).text(), 'new content');

      for (const value of ['False', '']) {
        await alice.req('POST', p(A, 'shared', 'p.bin', 'update'), { headers: { 'X-Object-Public': 'true' } });
        const again = new URL((await alice.req('HEAD', p(A, 'shared', 'p.bin'))).header('x-object-public')!).pathname;
        const un = await alice.req('POST', p(A, 'shared', 'p.bin', 'update&format=json'), {
          headers: { 'X-Object-Public': value },
        });
        assert.equal(un.status, 202);
        assertFault(await call(s, 'GET', again), 404, 'Object does not exist');
        assert.equal((await alice.req('HEAD', p(A, 'shared', 'p.bin'))).header('x-object-public'), undefined);
      }
      assertFault(await call(s, 'GET', '/public/AAAAAAAAAAAAAAAA'), 404, 'Object does not exist');
      assertFault(await call(s, 'GET', '/public/short'), 404, 'Object does not exist');
      assertFault(await call(s, 'GET', '/public/'), 404, 'Object does not exist');

      // Deleting removes the token; a re-created name is not published.
      await alice.req('POST', p(A, 'shared', 'p.bin', 'update'), { headers: { 'X-Object-Public': 'true' } });
      const last = new URL((await alice.req('HEAD', p(A, 'shared', 'p.bin'))).header('x-object-public')!).pathname;
      await alice.req('DELETE', p(A, 'shared', 'p.bin'));
      assertFault(await call(s, 'GET', last), 404, 'Object does not exist');
      await alice.put('shared', 'p.bin', 'again');
      assert.equal((await alice.req('HEAD', p(A, 'shared', 'p.bin'))).header('x-object-public'), undefined);
      assert.equal((await call(s, 'GET', last)).status, 404);
    });
  });

  describe(`object store: public URL base [${dialect}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(dialect, { publicUrl: 'https://files.example.org:8443/' });
    });
    after(() => s.close());

    it('X-Object-Public uses PLANKTON_PUBLIC_URL', async () => {
      const u = new Store(s, await s.user());
      await u.putContainer('c');
      await u.put('c', 'o', 'x', { 'X-Object-Public': 'true' });
      const url = (await u.req('HEAD', p(u.uuid, 'c', 'o'))).header('x-object-public')!;
      assert.match(url, /^https:\/\/files\.example\.org:8443\/public\/[0-9A-Za-z]{16}$/);
      assert.equal((await call(s, 'GET', new URL(url).pathname)).text(), 'x');
    });
  });
}
