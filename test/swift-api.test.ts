/**
 * The Swift dialect of the object store (issue 19, items 1–3) over HTTP: the mount
 * `/swift/v1/AUTH_<uuid>` with Swift's conventions, `/info`, healthcheck, crossdomain, v1.0 auth,
 * listings with every parameter on both mounts, copies, metadata removal and limits, multi-range
 * GET on both mounts. On every database (SQLite; PostgreSQL with PG_URL) and block store (a local
 * folder; S3 with PLANKTON_TEST_S3).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { HTTP_DATE, O, call, md5, type CallOptions, type Reply } from './helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const S3 = process.env.PLANKTON_TEST_S3;
const STORES = S3 ? (['local', 's3'] as const) : (['local'] as const);

/** The S3 test URL with a key prefix of its own. */
function privateS3Url(): string {
  const u = new URL(S3!);
  const mine = `plankton-swift-test-${randomUUID()}`;
  const prefix = u.searchParams.get('prefix');
  u.searchParams.set('prefix', prefix ? `${prefix.replace(/\/+$/, '')}/${mine}` : mine);
  return u.toString();
}

const TRANS_ID = /^tx[0-9a-f]{21}-[0-9a-f]{10}$/;
const SWIFT_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;

/** Path under the Swift mount (segments percent-encoded as swiftclient quotes them). */
const sw = (account: string, container?: string, object?: string, query = ''): string => {
  let out = `/swift/v1/AUTH_${account}`;
  if (container !== undefined) out += `/${encodeURIComponent(container)}`;
  if (object !== undefined) out += `/${object.split('/').map(encodeURIComponent).join('/')}`;
  return out + (query ? `?${query}` : '');
};
const pithos = (account: string, container?: string, query = ''): string =>
  `${O}/${account}${container === undefined ? '' : `/${encodeURIComponent(container)}`}${query ? `?${query}` : ''}`;

/** Swift's conventions that every reply of the mount carries. */
function assertSwiftReply(r: Reply, what: string): void {
  assert.match(r.header('x-trans-id') ?? '', TRANS_ID, `${what}: X-Trans-Id`);
  assert.equal(r.header('x-openstack-request-id'), r.header('x-trans-id'), `${what}: X-Openstack-Request-Id`);
  assert.ok(r.header('content-type'), `${what}: Content-Type`);
}

for (const dialect of DIALECTS) {
  for (const store of STORES) {
    describe(`Swift API [${dialect}, ${store} blocks]`, () => {
      let s: TestServer;
      let alice: TestUser;
      let bob: TestUser;
      const as =
        (u: TestUser) =>
        (method: string, path: string, opts: CallOptions = {}): Promise<Reply> =>
          call(s, method, path, { token: u.token, ...opts });
      let A: (method: string, path: string, opts?: CallOptions) => Promise<Reply>;
      let B: (method: string, path: string, opts?: CallOptions) => Promise<Reply>;

      before(async () => {
        s = await startTestServer(dialect, store === 's3' ? { blocks: privateS3Url() } : {});
        alice = await s.user('alice-swift');
        bob = await s.user('bob-swift');
        await s.services.passwords.set(alice.uuid, 'correct horse battery');
        A = as(alice);
        B = as(bob);
      });
      after(async () => {
        await s?.close();
      });

      it('discovery: /info lists this build and its limits; healthcheck; crossdomain; unknown routes 404', async () => {
        const info = await call(s, 'GET', '/info');
        assert.equal(info.status, 200);
        assertSwiftReply(info, '/info');
        const doc = info.json();
        assert.equal(doc.swift.max_meta_count, 90);
        assert.equal(doc.swift.max_meta_name_length, 128);
        assert.equal(doc.swift.max_meta_value_length, 256);
        assert.equal(doc.swift.max_meta_overall_size, 4096);
        assert.equal(doc.swift.container_listing_limit, 10000);
        assert.deepEqual(doc.swift.policies, [{ name: 'Policy-0', default: true }]);
        for (const offered of ['slo', 'dlo', 'tempurl', 'formpost', 'bulk_delete', 'bulk_upload', 'versioned_writes'])
          assert.ok(doc[offered], `${offered} is offered`);

        const health = await call(s, 'GET', '/swift/healthcheck');
        assert.equal(health.status, 200);
        assert.equal(health.text(), 'OK');
        const cross = await call(s, 'GET', '/crossdomain.xml');
        assert.equal(cross.status, 200);
        assert.match(cross.text(), /<cross-domain-policy>/);

        for (const path of [
          '/swift',
          '/swift/v1',
          '/swift/v1/',
          '/swift/v2/AUTH_x',
          `/swift/v1/${alice.uuid}`,
          '/swift/v1/AUTH_nope',
        ]) {
          const r = await A('GET', path);
          assert.equal(r.status, 404, path);
          assertSwiftReply(r, path);
          assert.equal(r.text(), '<html><h1>Not Found</h1><p>The resource could not be found.</p></html>');
        }
        const r = await A('PUT', sw(alice.uuid));
        assert.equal(r.status, 405, 'no account management');
        assert.equal(r.header('allow'), 'HEAD, GET, POST');
        assert.equal((await A('POST', '/info')).status, 405);
      });

      it('v1.0 auth: user name + token or password → X-Storage-Url and X-Auth-Token; 401 otherwise', async () => {
        const byToken = await call(s, 'GET', '/auth/v1.0', {
          headers: { 'X-Auth-User': alice.name, 'X-Auth-Key': alice.token },
        });
        assert.equal(byToken.status, 200);
        assertSwiftReply(byToken, 'v1.0 auth');
        assert.equal(byToken.header('x-storage-url'), `${s.url}${sw(alice.uuid)}`);
        assert.equal(byToken.header('x-auth-token'), alice.token, 'a token as the key comes back');
        assert.equal(byToken.header('x-storage-token'), alice.token);

        const byPassword = await call(s, 'GET', '/auth/v1.0', {
          headers: { 'X-Auth-User': `tenant:${alice.name}`, 'X-Auth-Key': 'correct horse battery' },
        });
        assert.equal(byPassword.status, 200);
        const minted = byPassword.header('x-auth-token')!;
        assert.notEqual(minted, alice.token, 'a password mints a token');
        assert.ok(Number(byPassword.header('x-auth-token-expires')) > 0);
        assert.equal((await call(s, 'HEAD', sw(alice.uuid), { token: minted })).status, 204);

        const refused: Record<string, string>[] = [
          {},
          { 'X-Auth-User': alice.name },
          { 'X-Auth-User': alice.name, 'X-Auth-Key': 'wrong password' },
          { 'X-Auth-User': alice.name, 'X-Auth-Key': bob.token },
          { 'X-Auth-User': 'nobody-here', 'X-Auth-Key': alice.token },
        ];
        for (const headers of refused) {
          const r = await call(s, 'GET', '/auth/v1.0', { headers });
          assert.equal(r.status, 401, JSON.stringify(Object.keys(headers)));
          assertSwiftReply(r, 'v1.0 401');
          assert.equal(r.header('x-auth-token'), undefined);
        }
        const noToken = await call(s, 'HEAD', sw(alice.uuid));
        assert.equal(noToken.status, 401);
        assertSwiftReply(noToken, 'no token');
      });

      it("Swift's conventions: 201/204/202 statuses, X-Trans-Id, Content-Type, X-Timestamp, X-Storage-Policy, ETag and Last-Modified on PUT", async () => {
        const created = await A('PUT', sw(alice.uuid, 'conv'));
        assert.equal(created.status, 201);
        assertSwiftReply(created, 'container PUT');
        assert.equal((await A('PUT', sw(alice.uuid, 'conv'))).status, 202);

        const body = 'swift conventions\n';
        const put = await A('PUT', sw(alice.uuid, 'conv', 'a.txt'), { body });
        assert.equal(put.status, 201);
        assertSwiftReply(put, 'object PUT');
        assert.equal(put.header('etag'), md5(body));
        assert.match(put.header('last-modified') ?? '', HTTP_DATE);
        assert.match(put.header('x-timestamp') ?? '', /^\d{10}\.\d{5}$/);

        const head = await A('HEAD', sw(alice.uuid, 'conv', 'a.txt'));
        assert.equal(head.status, 200);
        assertSwiftReply(head, 'object HEAD');
        assert.equal(head.header('content-length'), String(body.length));

        for (const path of [sw(alice.uuid), sw(alice.uuid, 'conv')]) {
          for (const method of ['HEAD', 'GET']) {
            const r = await A(method, path);
            assert.ok(r.status === 204 || r.status === 200, `${method} ${path}`);
            assertSwiftReply(r, `${method} ${path}`);
            assert.equal(r.header('x-storage-policy'), 'Policy-0');
            assert.match(r.header('x-timestamp') ?? '', /^\d{10}\.\d{5}$/);
          }
        }
        const acct = await A('HEAD', sw(alice.uuid));
        assert.equal(acct.header('x-account-container-count'), '1');
        assert.equal(acct.header('x-account-object-count'), '1');
        assert.equal(acct.header('x-account-bytes-used'), String(body.length));

        for (const path of [sw(alice.uuid), sw(alice.uuid, 'conv'), sw(alice.uuid, 'conv', 'a.txt')]) {
          const r = await A('POST', path, { headers: { 'X-Object-Meta-K': 'v' } });
          assert.equal(r.status, 204, `POST ${path}`);
          assertSwiftReply(r, `POST ${path}`);
        }
        // The Pithos mount keeps kamaki's 202.
        assert.equal((await A('POST', `${O}/${alice.uuid}/conv/a.txt`)).status, 202);

        const missing = await A('GET', sw(alice.uuid, 'conv', 'nope'));
        assert.equal(missing.status, 404);
        assertSwiftReply(missing, 'missing object');
        const notEmpty = await A('DELETE', sw(alice.uuid, 'conv'));
        assert.equal(notEmpty.status, 409);
        assertSwiftReply(notEmpty, 'non-empty delete');
        assert.equal(
          notEmpty.text(),
          '<html><h1>Conflict</h1><p>There was a conflict when trying to complete your request.</p></html>',
        );
        const del = await A('DELETE', sw(alice.uuid, 'conv', 'a.txt'));
        assert.equal(del.status, 204);
        assertSwiftReply(del, 'object DELETE');
        assert.equal((await A('DELETE', sw(alice.uuid, 'conv'))).status, 204);
      });

      it('403 for an account or container the caller may not use; a Pithos grant opens the object to him', async () => {
        await A('PUT', sw(alice.uuid, 'private'));
        await A('PUT', sw(alice.uuid, 'private', 'secret'), { body: 'secret' });
        await A('PUT', sw(alice.uuid, 'shared'));
        await A('PUT', sw(alice.uuid, 'shared', 'doc'), { body: 'doc' });
        for (const [method, path] of [
          ['HEAD', sw(alice.uuid)],
          ['GET', sw(alice.uuid)],
          ['POST', sw(alice.uuid)],
          ['GET', sw(alice.uuid, 'private')],
          ['PUT', sw(alice.uuid, 'private', 'x')],
          ['GET', sw(alice.uuid, 'private', 'secret')],
          ['DELETE', sw(alice.uuid, 'private', 'secret')],
          ['GET', sw(alice.uuid, 'nothing-here')],
        ] as const) {
          const r = await B(method, path);
          assert.equal(r.status, 403, `${method} ${path}`);
          assertSwiftReply(r, `${method} ${path}`);
        }
        // The same on the Pithos mount says it does not exist.
        assert.equal((await B('GET', `${O}/${alice.uuid}/private/secret`)).status, 404);

        await A('POST', `${O}/${alice.uuid}/shared/doc`, { headers: { 'X-Object-Sharing': `read=${bob.uuid}` } });
        const read = await B('GET', sw(alice.uuid, 'shared', 'doc'));
        assert.equal(read.status, 200);
        assert.equal(read.text(), 'doc');
        assert.deepEqual(
          (await B('GET', sw(alice.uuid, 'shared', undefined, 'format=json'))).json().map((e: any) => e.name),
          ['doc'],
        );
        assert.equal((await B('GET', sw(alice.uuid, 'private'))).status, 403);
        assert.equal((await B('DELETE', sw(alice.uuid, 'shared', 'doc'))).status, 403, 'read grant only');
      });

      describe('listings, both mounts', () => {
        const names = ['a', 'a/b', 'a/b/c', 'a/d', 'b&<x>', 'b/1', 'c', 'c/', 'c/x', 'd'];
        before(async () => {
          await A('PUT', sw(alice.uuid, 'list'));
          for (const n of names) await A('PUT', sw(alice.uuid, 'list', n), { body: n });
          for (const c of ['img-1', 'img-2', 'other']) await A('PUT', sw(alice.uuid, c));
        });

        const objectNames = async (mount: 'swift' | 'pithos', query: string): Promise<string[]> => {
          const path = mount === 'swift' ? sw(alice.uuid, 'list', undefined, query) : pithos(alice.uuid, 'list', query);
          const r = await A('GET', `${path}${query ? '&' : '?'}format=json`);
          assert.equal(r.status, 200, `${mount} ${query}`);
          return r.json().map((e: any) => e.name ?? e.subdir);
        };

        it('prefix, delimiter, path, marker, end_marker, reverse, limit (0: empty) on a container', async () => {
          for (const mount of ['swift', 'pithos'] as const) {
            assert.deepEqual(await objectNames(mount, ''), names, mount);
            assert.deepEqual(await objectNames(mount, 'prefix=a/'), ['a/b', 'a/b/c', 'a/d']);
            assert.deepEqual(await objectNames(mount, 'delimiter=/'), ['a', 'a/', 'b&<x>', 'b/', 'c', 'c/', 'd']);
            assert.deepEqual(await objectNames(mount, 'prefix=a/&delimiter=/'), ['a/b', 'a/b/', 'a/d']);
            assert.deepEqual(await objectNames(mount, 'path=a'), ['a/b', 'a/d']);
            assert.deepEqual(await objectNames(mount, 'marker=b/1'), ['c', 'c/', 'c/x', 'd']);
            assert.deepEqual(await objectNames(mount, 'end_marker=b/1'), ['a', 'a/b', 'a/b/c', 'a/d', 'b&<x>']);
            assert.deepEqual(await objectNames(mount, 'marker=a/b&end_marker=c/'), [
              'a/b/c',
              'a/d',
              'b&<x>',
              'b/1',
              'c',
            ]);
            assert.deepEqual(await objectNames(mount, 'reverse=true'), [...names].reverse());
            assert.deepEqual(await objectNames(mount, 'reverse=on&marker=c&end_marker=a/b'), [
              'b/1',
              'b&<x>',
              'a/d',
              'a/b/c',
            ]);
            assert.deepEqual(await objectNames(mount, 'reverse=1&delimiter=/'), [
              'd',
              'c/',
              'c',
              'b/',
              'b&<x>',
              'a/',
              'a',
            ]);
            assert.deepEqual(await objectNames(mount, 'reverse=yes&limit=2&delimiter=/&marker=c/'), ['c', 'b/']);
            assert.deepEqual(await objectNames(mount, 'limit=3'), names.slice(0, 3));
            assert.deepEqual(await objectNames(mount, 'limit=0'), []);
            assert.deepEqual(await objectNames(mount, 'limit=2&delimiter=/&marker=a'), ['a/', 'b&<x>']);
          }
          // Pithos appends the delimiter to a prefix; Swift lists the prefix as given.
          assert.deepEqual(await objectNames('pithos', 'prefix=a&delimiter=/'), ['a/b', 'a/b/', 'a/d']);
          assert.deepEqual(await objectNames('swift', 'prefix=a&delimiter=/'), ['a', 'a/']);
          const tooMany = await A('GET', sw(alice.uuid, 'list', undefined, 'limit=10001'));
          assert.equal(tooMany.status, 412);
          assert.equal(tooMany.text(), 'Maximum limit is 10000');
          assert.equal((await A('GET', pithos(alice.uuid, 'list', 'limit=10001'))).status, 400);
        });

        it('format=json|xml|plain (XML escaped, in Swift shape); Swift JSON entries', async () => {
          const json = (await A('GET', sw(alice.uuid, 'list', undefined, 'format=json&limit=1'))).json();
          assert.deepEqual(Object.keys(json[0]).sort(), ['bytes', 'content_type', 'hash', 'last_modified', 'name']);
          assert.equal(json[0].hash, md5('a'));
          assert.match(json[0].last_modified, SWIFT_TIME);

          const xml = await A('GET', sw(alice.uuid, 'list', undefined, 'format=xml&prefix=b&delimiter=/'));
          assert.equal(xml.status, 200);
          assert.match(xml.header('content-type')!, /^application\/xml/);
          const text = xml.text();
          assert.ok(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<container name="list">'), text);
          assert.match(text, /<object><name>b&amp;&lt;x&gt;<\/name><hash>[0-9a-f]{32}<\/hash><bytes>5<\/bytes>/);
          assert.match(text, /<subdir name="b\/"><name>b\/<\/name><\/subdir><\/container>$/);
          const pithosXml = (await A('GET', pithos(alice.uuid, 'list', 'format=xml&limit=1'))).text();
          assert.match(pithosXml, /<container name="list"><object><name>a<\/name>/);
          const acctXml = (await A('GET', sw(alice.uuid, undefined, undefined, 'format=xml&prefix=img'))).text();
          assert.match(
            acctXml,
            new RegExp(`<account name="AUTH_${alice.uuid}"><container><name>img-1</name><count>0</count>`),
          );

          const plain = await A('GET', sw(alice.uuid, 'list', undefined, 'format=plain&prefix=a/'));
          assert.equal(plain.status, 200);
          assert.equal(plain.text(), 'a/b\na/b/c\na/d\n');
          const accept = await A('GET', sw(alice.uuid, 'list', undefined, 'limit=1'), {
            headers: { Accept: 'application/json' },
          });
          assert.deepEqual(
            accept.json().map((e: any) => e.name),
            ['a'],
          );
          const empty = await A('GET', sw(alice.uuid, 'list', undefined, 'prefix=zzz'));
          assert.equal(empty.status, 204);
          assertSwiftReply(empty, 'empty listing');
          assert.deepEqual((await A('GET', sw(alice.uuid, 'list', undefined, 'prefix=zzz&format=json'))).json(), []);
        });

        it('account listings: delimiter rolls container names up (prefix as given, reverse, limit, xml, plain)', async () => {
          for (const c of ['logs-2025-01', 'logs-2025-02', 'logs-2026-01', 'zeta']) await A('PUT', sw(alice.uuid, c));
          const entries = async (query: string) =>
            (await A('GET', `${sw(alice.uuid)}?format=json&${query}`)).json().map((e: any) => e.subdir ?? e.name);
          assert.deepEqual(await entries('prefix=logs-&delimiter=-'), ['logs-2025-', 'logs-2026-']);
          assert.deepEqual(await entries('prefix=logs-2025&delimiter=-'), ['logs-2025-']);
          assert.deepEqual(await entries('prefix=logs-&delimiter=-&reverse=true'), ['logs-2026-', 'logs-2025-']);
          assert.deepEqual(await entries('prefix=logs-&delimiter=-&limit=1'), ['logs-2025-']);
          assert.deepEqual(await entries('prefix=logs-&delimiter=-&marker=logs-2025-'), ['logs-2026-']);
          assert.deepEqual(await entries('prefix=logs-2025-&delimiter=-'), ['logs-2025-01', 'logs-2025-02']);
          // A subdir entry is only the name: no counts.
          const [sub] = (await A('GET', `${sw(alice.uuid)}?format=json&prefix=logs&delimiter=-`)).json();
          assert.deepEqual(sub, { subdir: 'logs-' });
          const xml = (await A('GET', `${sw(alice.uuid)}?format=xml&prefix=logs-&delimiter=-`)).text();
          assert.match(xml, /<subdir name="logs-2025-"><name>logs-2025-<\/name><\/subdir>/);
          const plain = (await A('GET', `${pithos(alice.uuid)}?prefix=logs-&delimiter=-`)).text();
          assert.equal(plain, 'logs-2025-\nlogs-2026-\n');
          for (const c of ['logs-2025-01', 'logs-2025-02', 'logs-2026-01', 'zeta'])
            await A('DELETE', sw(alice.uuid, c));
        });

        it('account listings: prefix, marker, end_marker, reverse, limit; exact counts on both mounts', async () => {
          const containerNames = async (path: string): Promise<string[]> =>
            (await A('GET', path)).json().map((e: any) => e.name);
          for (const base of [sw(alice.uuid), pithos(alice.uuid)]) {
            const q = (query: string) => `${base}?format=json&${query}`;
            assert.deepEqual(await containerNames(q('prefix=img')), ['img-1', 'img-2']);
            assert.deepEqual(await containerNames(q('prefix=img&reverse=true')), ['img-2', 'img-1']);
            assert.deepEqual(await containerNames(q('marker=img-1&end_marker=other')), ['img-2', 'list']);
            assert.deepEqual(await containerNames(q('reverse=true&marker=list&end_marker=img-1')), ['img-2']);
            assert.deepEqual(await containerNames(q('limit=0')), []);
          }
          const [entry] = (await A('GET', `${sw(alice.uuid)}?format=json&prefix=list`)).json();
          assert.deepEqual(Object.keys(entry).sort(), ['bytes', 'count', 'last_modified', 'name']);
          const bytes = names.reduce((n, name) => n + Buffer.byteLength(name), 0);
          assert.equal(entry.count, names.length);
          assert.equal(entry.bytes, bytes);
          for (const path of [sw(alice.uuid, 'list'), pithos(alice.uuid, 'list')]) {
            const head = await A('HEAD', path);
            assert.equal(head.header('x-container-object-count'), String(names.length));
            assert.equal(head.header('x-container-bytes-used'), String(bytes));
          }
          for (const path of [sw(alice.uuid), pithos(alice.uuid)]) {
            const head = await A('HEAD', path);
            const totals = (await A('GET', `${sw(alice.uuid)}?format=json`)).json();
            assert.equal(head.header('x-account-container-count'), String(totals.length));
            assert.equal(
              head.header('x-account-object-count'),
              String(totals.reduce((n: number, c: any) => n + c.count, 0)),
            );
            assert.equal(
              head.header('x-account-bytes-used'),
              String(totals.reduce((n: number, c: any) => n + c.bytes, 0)),
            );
          }
        });
      });

      it('copies: X-Copy-From and Destination with or without the slash, across accounts, X-Copied-From*, X-Fresh-Metadata', async () => {
        await A('PUT', sw(alice.uuid, 'src'));
        await A('PUT', sw(alice.uuid, 'dst'));
        const put = await A('PUT', sw(alice.uuid, 'src', 'o 1'), {
          body: 'copy me',
          headers: { 'X-Object-Meta-Color': 'blue', 'Content-Type': 'text/x-test' },
        });
        for (const from of ['/src/o%201', 'src/o%201']) {
          const r = await A('PUT', sw(alice.uuid, 'dst', `by-put ${from.length}`), {
            headers: { 'X-Copy-From': from },
          });
          assert.equal(r.status, 201, from);
          assertSwiftReply(r, 'copy PUT');
          assert.equal(r.header('x-copied-from'), 'src/o%201');
          assert.equal(r.header('x-copied-from-account'), `AUTH_${alice.uuid}`);
          assert.equal(r.header('x-copied-from-last-modified'), put.header('last-modified'));
          assert.equal(r.header('etag'), md5('copy me'));
        }
        for (const destination of ['/dst/by-copy', 'dst/by-copy-2']) {
          const r = await A('COPY', sw(alice.uuid, 'src', 'o 1'), {
            headers: { Destination: destination, 'X-Object-Meta-Size': 'small' },
          });
          assert.equal(r.status, 201, destination);
          assert.equal(r.header('x-copied-from'), 'src/o%201');
        }
        const copied = await A('HEAD', sw(alice.uuid, 'dst', 'by-copy'));
        assert.equal(copied.header('x-object-meta-color'), 'blue');
        assert.equal(copied.header('x-object-meta-size'), 'small');
        assert.equal(copied.header('content-type'), 'text/x-test');
        await A('PUT', sw(alice.uuid, 'dst', 'fresh'), {
          headers: { 'X-Copy-From': 'src/o 1', 'X-Fresh-Metadata': 'true', 'X-Object-Meta-New': 'yes' },
        });
        const fresh = await A('HEAD', sw(alice.uuid, 'dst', 'fresh'));
        assert.equal(fresh.header('x-object-meta-color'), undefined);
        assert.equal(fresh.header('x-object-meta-new'), 'yes');
        // The Pithos mount takes the slash-less form too.
        assert.equal(
          (await A('PUT', `${O}/${alice.uuid}/dst/pithos-copy`, { headers: { 'X-Copy-From': 'src/o%201' } })).status,
          201,
        );

        // Across accounts: bob copies alice's shared object into his account, and back with Destination-Account.
        await A('POST', sw(alice.uuid, 'src', 'o 1'), { headers: { 'X-Object-Meta-Color': 'blue' } });
        await A('POST', `${O}/${alice.uuid}/src/o%201`, {
          headers: { 'X-Object-Sharing': `read=${bob.uuid}`, 'X-Object-Meta-Color': 'blue' },
        });
        await B('PUT', sw(bob.uuid, 'mine'));
        const cross = await B('PUT', sw(bob.uuid, 'mine', 'from-alice'), {
          headers: { 'X-Copy-From': 'src/o 1', 'X-Copy-From-Account': `AUTH_${alice.uuid}` },
        });
        assert.equal(cross.status, 201);
        assert.equal(cross.header('x-copied-from-account'), `AUTH_${alice.uuid}`);
        assert.equal((await B('GET', sw(bob.uuid, 'mine', 'from-alice'))).text(), 'copy me');
        const intoAlice = await B('COPY', sw(bob.uuid, 'mine', 'from-alice'), {
          headers: { Destination: 'dst/from-bob', 'Destination-Account': `AUTH_${alice.uuid}` },
        });
        assert.equal(intoAlice.status, 403, "bob may not write into alice's container");
        const own = await A('COPY', sw(alice.uuid, 'src', 'o 1'), {
          headers: { Destination: 'mine/to-bob', 'Destination-Account': `AUTH_${bob.uuid}` },
        });
        assert.equal(own.status, 403, "nor alice into bob's");
        const bad = await A('PUT', sw(alice.uuid, 'dst', 'x'), { headers: { 'X-Copy-From': 'no-slash-object' } });
        assert.equal(bad.status, 400);
        assert.equal(
          (await A('PUT', sw(alice.uuid, 'dst', 'x'), { headers: { 'X-Copy-From': 'src/none' } })).status,
          404,
        );
      });

      it('raw UTF-8 header values are accepted on the Swift mount (as Swift stores them); other octets ≥ 0x80 are 400', async () => {
        const raw = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
        const put = await A('PUT', sw(alice.uuid, 'utf8'), { headers: { 'X-Container-Meta-Place': raw('Κηφισιά') } });
        assert.equal(put.status, 201);
        const obj = await A('PUT', sw(alice.uuid, 'utf8', 'o'), {
          body: 'x',
          headers: { 'X-Object-Meta-Umbrella': raw('☂ rain'), 'Content-Type': 'text/plain' },
        });
        assert.equal(obj.status, 201);
        // Read back on both mounts as the percent-encoded UTF-8 the responses always carry.
        for (const path of [sw(alice.uuid, 'utf8', 'o'), `${pithos(alice.uuid, 'utf8')}/o`]) {
          const head = await A('HEAD', path);
          assert.equal(decodeURIComponent(head.header('x-object-meta-umbrella')!), '☂ rain', path);
        }
        const c = await A('HEAD', sw(alice.uuid, 'utf8'));
        assert.equal(decodeURIComponent(c.header('x-container-meta-place')!), 'Κηφισιά');
        // Latin-1 é alone is not UTF-8: refused on the Swift mount, and any raw octet on the Pithos one.
        const latin1 = await A('POST', sw(alice.uuid, 'utf8', 'o'), { headers: { 'X-Object-Meta-A': 'caf\u00e9' } });
        assert.equal(latin1.status, 400);
        assert.match(latin1.text(), /Bad character in headers/);
        const onPithos = await A('POST', `${pithos(alice.uuid, 'utf8')}/o`, {
          headers: { 'X-Object-Meta-A': raw('☂') },
        });
        assert.equal(onPithos.status, 400);
        assert.equal(
          decodeURIComponent((await A('HEAD', sw(alice.uuid, 'utf8', 'o'))).header('x-object-meta-umbrella')!),
          '☂ rain',
        );
      });

      it('metadata: X-Remove-*-Meta-*, empty values remove, POST semantics, limits announced in /info enforced with 400', async () => {
        await A('PUT', sw(alice.uuid, 'meta'), { headers: { 'X-Container-Meta-A': '1', 'X-Container-Meta-B': '2' } });
        await A('POST', sw(alice.uuid, 'meta'), {
          headers: { 'X-Container-Meta-C': '3', 'X-Remove-Container-Meta-A': 'x' },
        });
        let head = await A('HEAD', sw(alice.uuid, 'meta'));
        assert.equal(head.header('x-container-meta-a'), undefined, 'removed');
        assert.equal(head.header('x-container-meta-b'), '2', 'a container POST merges');
        assert.equal(head.header('x-container-meta-c'), '3');
        await A('POST', sw(alice.uuid, 'meta'), { headers: { 'X-Container-Meta-B': '' } });
        head = await A('HEAD', sw(alice.uuid, 'meta'));
        assert.equal(head.header('x-container-meta-b'), undefined, 'an empty value removes');
        await A('PUT', sw(alice.uuid, 'meta'), { headers: { 'X-Remove-Container-Meta-C': '1' } });
        assert.equal(
          (await A('HEAD', sw(alice.uuid, 'meta'))).header('x-container-meta-c'),
          undefined,
          'PUT removes too',
        );

        await A('POST', sw(alice.uuid), { headers: { 'X-Account-Meta-Team': 'x', 'X-Account-Meta-Tier': 'y' } });
        await A('POST', sw(alice.uuid), { headers: { 'X-Remove-Account-Meta-Team': '1' } });
        const acct = await A('HEAD', sw(alice.uuid));
        assert.equal(acct.header('x-account-meta-team'), undefined);
        assert.equal(acct.header('x-account-meta-tier'), 'y');

        await A('PUT', sw(alice.uuid, 'meta', 'o'), {
          body: 'o',
          headers: { 'X-Object-Meta-A': '1', 'X-Object-Meta-B': '2' },
        });
        await A('POST', sw(alice.uuid, 'meta', 'o'), { headers: { 'X-Object-Meta-C': '3', 'X-Object-Meta-D': '' } });
        head = await A('HEAD', sw(alice.uuid, 'meta', 'o'));
        assert.equal(head.header('x-object-meta-a'), undefined, 'an object POST replaces the set');
        assert.equal(head.header('x-object-meta-c'), '3');
        assert.equal(head.header('x-object-meta-d'), undefined);

        const many = Object.fromEntries(Array.from({ length: 90 }, (_, i) => [`X-Object-Meta-K${i}`, 'v']));
        assert.equal(
          (await A('POST', sw(alice.uuid, 'meta', 'o'), { headers: many })).status,
          204,
          '90 items are allowed',
        );
        const cases: [Record<string, string>, string | RegExp][] = [
          [{ ...many, 'X-Object-Meta-K90': 'v' }, 'Too many metadata items; max 90'],
          [{ [`X-Object-Meta-${'n'.repeat(129)}`]: 'v' }, /^Metadata name too long: X-Object-Meta-n+; max 128$/],
          [{ 'X-Object-Meta-Long': 'v'.repeat(257) }, /^Metadata value longer than 256: X-Object-Meta-Long$/],
          [
            Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`X-Object-Meta-Big${i}`, 'v'.repeat(250)])),
            'Total metadata too large; max 4096',
          ],
        ];
        for (const [headers, message] of cases) {
          for (const [method, path] of [
            ['POST', sw(alice.uuid, 'meta', 'o')],
            ['PUT', sw(alice.uuid, 'meta', 'new')],
          ] as const) {
            const r = await A(method, path, { headers, body: method === 'PUT' ? 'x' : undefined });
            assert.equal(r.status, 400, `${method} ${String(message)}`);
            assertSwiftReply(r, 'meta limit');
            if (typeof message === 'string') assert.equal(r.text(), message);
            else assert.match(r.text(), message);
          }
        }
        const containerMany = Object.fromEntries(Array.from({ length: 91 }, (_, i) => [`X-Container-Meta-K${i}`, 'v']));
        assert.equal((await A('POST', sw(alice.uuid, 'meta'), { headers: containerMany })).status, 400);
        assert.equal((await A('HEAD', sw(alice.uuid, 'meta', 'new'))).status, 404, 'nothing written by a refused PUT');
      });

      it('multi-range GET → 206 multipart/byteranges on both mounts; bad specs and 416 as before', async () => {
        await A('PUT', sw(alice.uuid, 'ranges'));
        const data = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
        await A('PUT', sw(alice.uuid, 'ranges', 'r'), { body: data, headers: { 'Content-Type': 'text/x-r' } });
        for (const path of [sw(alice.uuid, 'ranges', 'r'), `${O}/${alice.uuid}/ranges/r`]) {
          const r = await A('GET', path, { headers: { Range: 'bytes=0-1,5-9,-3,100-200' } });
          assert.equal(r.status, 206, path);
          const m = /^multipart\/byteranges; boundary=(\S+)$/.exec(r.header('content-type') ?? '');
          assert.ok(m, r.header('content-type'));
          assert.equal(r.header('content-length'), String(r.body.length));
          const parts = r.text().split(`--${m[1]}`);
          assert.equal(parts.at(-1), '--');
          const bodies = parts.slice(1, -1).map((part) => {
            const [head, body] = part.split('\r\n\r\n');
            assert.match(head, /Content-Type: text\/x-r/);
            return { range: /Content-Range: bytes (\S+)/.exec(head)![1], body: body.replace(/\r\n$/, '') };
          });
          assert.deepEqual(bodies, [
            { range: '0-1/36', body: '01' },
            { range: '5-9/36', body: '56789' },
            { range: '33-35/36', body: 'xyz' },
          ]);
          const single = await A('GET', path, { headers: { Range: 'bytes=2-4,100-' } });
          assert.equal(single.status, 206, 'one satisfiable range: a plain 206');
          assert.equal(single.header('content-range'), 'bytes 2-4/36');
          assert.equal(single.text(), '234');
          assert.equal((await A('GET', path, { headers: { Range: 'bytes=100-,200-300' } })).status, 416);
          const badSpec = await A('GET', path, { headers: { Range: 'bytes=0-1,x-2' } });
          assert.equal(badSpec.status, 200);
          assert.ok(badSpec.body.equals(data));
        }
      });
    });
  }
}
