/**
 * Object versions (issue 19 item 6, src/domain/objects/versions.ts) over HTTP on both mounts, on
 * every database (SQLite; PostgreSQL with PG_URL): Pithos's `versioning` policy, `?version=list`
 * (JSON, XML, text refused), `?version=<id>` reads, restores with `X-Source-Version`, `until` on
 * account, container and object reads, purges with `DELETE ?until=`, container deletion with a
 * history, who may read versions; Swift's `X-Versions-Location` (stack) and `X-History-Location`
 * on the same history, and `/info`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SWIFT_BIN, ok, swift as swiftCli, swiftTokenArgs } from './helpers/cli-clients.ts';
import { DIALECTS } from './helpers/dialects.ts';
import {
  BLOCK,
  O,
  Store,
  assertFault,
  bytesOf,
  call,
  p,
  type CallOptions,
  type Reply,
} from './helpers/object-store.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

const sw = (account: string, container?: string, object?: string, query = ''): string => {
  let out = `/swift/v1/AUTH_${account}`;
  if (container !== undefined) out += `/${encodeURIComponent(container)}`;
  if (object !== undefined) out += `/${object.split('/').map(encodeURIComponent).join('/')}`;
  return out + (query ? `?${query}` : '');
};

/** Waits into the next whole second: `until` counts in seconds. Returns the second just ended. */
async function nextSecond(): Promise<number> {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  await new Promise((r) => setTimeout(r, (second + 1) * 1000 - now + 20));
  return second;
}

const versionsOf = (r: Reply): number[] => (r.json() as { versions: [number, number][] }).versions.map((v) => v[0]);

for (const dialect of DIALECTS) {
  describe(`object versions [${dialect}]`, () => {
    let s: TestServer;
    let alice: Store;
    let bob: Store;
    const S =
      (st: Store) =>
      (method: string, path: string, opts: CallOptions = {}) =>
        call(s, method, path, { token: st.user.token, ...opts });

    before(async () => {
      s = await startTestServer(dialect);
      alice = new Store(s, await s.user());
      bob = new Store(s, await s.user());
    });
    after(() => s?.close());

    it('auto keeps every overwritten version: list (JSON, XML), read by id, 404 for a bad id, text refused', async () => {
      await alice.putContainer('docs');
      const v1 = Number((await alice.put('docs', 'a.txt', 'one')).header('x-object-version'));
      const v2 = Number((await alice.put('docs', 'a.txt', 'two!')).header('x-object-version'));
      const post = await alice.req('POST', p(alice.uuid, 'docs', 'a.txt', 'update'), {
        headers: { 'X-Object-Meta-Colour': 'blue' },
      });
      assert.equal(post.status, 202);
      const v3 = Number(post.header('x-object-version'));
      assert.ok(v1 < v2 && v2 < v3);

      const list = await alice.req('GET', p(alice.uuid, 'docs', 'a.txt', 'version=list&format=json'));
      assert.equal(list.status, 200, list.text());
      assert.deepEqual(versionsOf(list), [v1, v2, v3]);
      assert.match(list.text(), /^\{"versions": \[\[\d+, \d+\.\d{6}\](, \[\d+, \d+\.\d{6}\])*\]\}$/);
      const xml = await alice.req('GET', p(alice.uuid, 'docs', 'a.txt', 'version=list&format=xml'));
      assert.equal(xml.status, 200);
      assert.match(xml.text(), new RegExp(`<object name="a.txt"><version timestamp="\\d+\\.\\d{6}">${v1}</version>`));
      assertFault(
        await alice.req('GET', p(alice.uuid, 'docs', 'a.txt', 'version=list')),
        400,
        'No format specified for version list.',
      );

      const old = await alice.req('GET', p(alice.uuid, 'docs', 'a.txt', `version=${v1}`));
      assert.equal(old.status, 200);
      assert.equal(old.text(), 'one');
      assert.equal(old.header('x-object-version'), String(v1));
      const head = await alice.req('HEAD', p(alice.uuid, 'docs', 'a.txt', `version=${v2}`));
      assert.equal(head.status, 200);
      assert.equal(head.header('content-length'), '4');
      assert.equal(head.header('x-object-meta-colour'), undefined, 'v2 had no meta');
      const hashmap = await alice.req('GET', p(alice.uuid, 'docs', 'a.txt', `version=${v1}&hashmap&format=json`));
      assert.equal(hashmap.status, 200);
      assert.equal(hashmap.json().bytes, 3);
      const live = await alice.req('GET', p(alice.uuid, 'docs', 'a.txt'));
      assert.equal(live.text(), 'two!');
      assert.equal(live.header('x-object-meta-colour'), 'blue');
      for (const bad of ['999999999', 'abc', '', '-1'])
        assertFault(
          await alice.req('GET', p(alice.uuid, 'docs', 'a.txt', `version=${bad}`)),
          404,
          'Version does not exist',
        );
      assert.equal((await alice.req('HEAD', p(alice.uuid, 'docs', 'a.txt', 'version=list'))).status, 404);
      // A version id of another object is not a version of this one.
      const other = Number((await alice.put('docs', 'b.txt', 'b')).header('x-object-version'));
      assertFault(
        await alice.req('GET', p(alice.uuid, 'docs', 'a.txt', `version=${other}`)),
        404,
        'Version does not exist',
      );
    });

    it('a deleted object keeps its versions: list, read, restore with X-Source-Version (PUT and COPY)', async () => {
      await alice.putContainer('del');
      const v1 = Number((await alice.put('del', 'x', 'first')).header('x-object-version'));
      const v2 = Number((await alice.put('del', 'x', 'second')).header('x-object-version'));
      assert.equal((await alice.req('DELETE', p(alice.uuid, 'del', 'x'))).status, 204);
      assertFault(await alice.req('GET', p(alice.uuid, 'del', 'x')), 404, 'Object does not exist');
      const list = await alice.req('GET', p(alice.uuid, 'del', 'x', 'version=list&format=json'));
      assert.deepEqual(versionsOf(list), [v1, v2]);
      assert.equal((await alice.req('GET', p(alice.uuid, 'del', 'x', `version=${v2}`))).text(), 'second');

      const restored = await alice.req('PUT', p(alice.uuid, 'del', 'x'), {
        headers: { 'X-Copy-From': '/del/x', 'X-Source-Version': String(v1), 'Content-Length': '0' },
      });
      assert.equal(restored.status, 201, restored.text());
      const v3 = Number(restored.header('x-object-version'));
      assert.ok(v3 > v2);
      assert.equal((await alice.req('GET', p(alice.uuid, 'del', 'x'))).text(), 'first');
      const copied = await alice.req('COPY', p(alice.uuid, 'del', 'x'), {
        headers: { Destination: '/del/y', 'X-Source-Version': String(v2) },
      });
      assert.equal(copied.status, 201, copied.text());
      assert.equal((await alice.req('GET', p(alice.uuid, 'del', 'y'))).text(), 'second');
      assertFault(
        await alice.req('COPY', p(alice.uuid, 'del', 'x'), {
          headers: { Destination: '/del/z', 'X-Source-Version': '12345678' },
        }),
        404,
        'Version does not exist',
      );
      assertFault(
        await alice.req('MOVE', p(alice.uuid, 'del', 'x'), {
          headers: { Destination: '/del/z', 'X-Source-Version': String(v2) },
        }),
        400,
      );
      // A never-existing path has no versions.
      assertFault(await alice.req('GET', p(alice.uuid, 'del', 'never', 'version=list&format=json')), 404);
    });

    it('none keeps nothing; a move leaves the source path its history', async () => {
      await alice.putContainer('flat', { 'X-Container-Policy-Versioning': 'none' });
      const v1 = Number((await alice.put('flat', 'f', 'one')).header('x-object-version'));
      const v2 = Number((await alice.put('flat', 'f', 'two')).header('x-object-version'));
      assert.deepEqual(versionsOf(await alice.req('GET', p(alice.uuid, 'flat', 'f', 'version=list&format=json'))), [
        v2,
      ]);
      assertFault(await alice.req('GET', p(alice.uuid, 'flat', 'f', `version=${v1}`)), 404, 'Version does not exist');

      await alice.putContainer('mv');
      const m1 = Number((await alice.put('mv', 'src', 'moving')).header('x-object-version'));
      const moved = await alice.req('MOVE', p(alice.uuid, 'mv', 'src'), { headers: { Destination: '/mv/dst' } });
      assert.equal(moved.status, 201);
      assert.deepEqual(versionsOf(await alice.req('GET', p(alice.uuid, 'mv', 'src', 'version=list&format=json'))), [
        m1,
      ]);
      assert.equal((await alice.req('GET', p(alice.uuid, 'mv', 'src', `version=${m1}`))).text(), 'moving');
    });

    it('until: account, container, listing and object as they were; purge with DELETE ?until', async () => {
      await alice.putContainer('past');
      await alice.put('past', 'keep', 'k-old');
      await alice.put('past', 'gone', 'g');
      const t = await nextSecond();
      await alice.put('past', 'keep', 'k-new-longer');
      assert.equal((await alice.req('DELETE', p(alice.uuid, 'past', 'gone'))).status, 204);
      await alice.put('past', 'later', 'l');

      const now = await alice.req('GET', p(alice.uuid, 'past', undefined, 'format=json'));
      assert.deepEqual(
        (now.json() as { name: string }[]).map((o) => o.name),
        ['keep', 'later'],
      );
      const then = await alice.req('GET', p(alice.uuid, 'past', undefined, `format=json&until=${t}`));
      assert.equal(then.status, 200, then.text());
      const entries = then.json() as { name: string; bytes: number }[];
      assert.deepEqual(
        entries.map((o) => [o.name, o.bytes]),
        [
          ['gone', 1],
          ['keep', 5],
        ],
      );
      const head = await alice.req('HEAD', p(alice.uuid, 'past', undefined, `until=${t}`));
      assert.equal(head.status, 204);
      assert.equal(head.header('x-container-object-count'), '2');
      assert.equal(head.header('x-container-bytes-used'), '6');
      assert.ok(head.header('x-container-until-timestamp'));
      assert.equal((await alice.req('HEAD', p(alice.uuid, 'past'))).header('x-container-object-count'), '2');
      assert.equal((await alice.req('GET', p(alice.uuid, 'past', 'keep', `until=${t}`))).text(), 'k-old');
      assert.equal((await alice.req('GET', p(alice.uuid, 'past', 'gone', `until=${t}`))).text(), 'g');
      assertFault(await alice.req('GET', p(alice.uuid, 'past', 'later', `until=${t}`)), 404, 'Object does not exist');
      const account = await alice.req('HEAD', p(alice.uuid, undefined, undefined, `until=${t}`));
      assert.equal(account.status, 204);
      assert.ok(account.header('x-account-until-timestamp'));
      // Not an integer: ignored, as Pithos does (kamaki's purge sends a decimal).
      const ignored = await alice.req('GET', p(alice.uuid, 'past', undefined, 'format=json&until=abc'));
      assert.equal((ignored.json() as unknown[]).length, 2);
      // Someone else's past is not his to browse, even where he holds a grant.
      const share = await alice.req('POST', p(alice.uuid, 'past', 'keep', 'update'), {
        headers: { 'X-Object-Sharing': `read=${bob.uuid}` },
      });
      assert.equal(share.status, 202);
      assertFault(await bob.req('GET', p(alice.uuid, 'past', undefined, `format=json&until=${t}`)), 403);

      // Purge the history up to now: the deleted object's versions go, the live ones stay.
      const purge = await alice.req(
        'DELETE',
        p(alice.uuid, 'past', undefined, `until=${Math.floor(Date.now() / 1000) + 1}`),
      );
      assert.equal(purge.status, 204);
      assertFault(await alice.req('GET', p(alice.uuid, 'past', 'gone', 'version=list&format=json')), 404);
      assert.equal(
        versionsOf(await alice.req('GET', p(alice.uuid, 'past', 'keep', 'version=list&format=json'))).length,
        1,
      );
      assert.equal((await alice.req('GET', p(alice.uuid, 'past', 'keep'))).text(), 'k-new-longer');
    });

    it('object DELETE ?until purges one path; a container holding only history can be deleted, its history with it', async () => {
      await alice.putContainer('h');
      await alice.put('h', 'o', '1');
      await alice.put('h', 'o', '2');
      await alice.put('h', 'p', 'p1');
      await alice.put('h', 'p', 'p2');
      const future = Math.floor(Date.now() / 1000) + 5;
      // The object goes (as a plain DELETE), then every kept version of it up to then.
      assert.equal((await alice.req('DELETE', p(alice.uuid, 'h', 'o', `until=${future}`))).status, 204);
      assertFault(await alice.req('GET', p(alice.uuid, 'h', 'o')), 404, 'Object does not exist');
      assertFault(await alice.req('GET', p(alice.uuid, 'h', 'o', 'version=list&format=json')), 404);
      assertFault(await alice.req('DELETE', p(alice.uuid, 'h', 'o', `until=${future}`)), 404, 'Object does not exist');
      assert.equal(versionsOf(await alice.req('GET', p(alice.uuid, 'h', 'p', 'version=list&format=json'))).length, 2);
      assertFault(await alice.req('DELETE', p(alice.uuid, 'h')), 409);
      // A deleted object's versions can be purged on their own.
      assert.equal((await alice.req('DELETE', p(alice.uuid, 'h', 'p'))).status, 204);
      assert.equal((await alice.req('DELETE', p(alice.uuid, 'h', 'p', `until=${future}`))).status, 204);
      await alice.put('h', 'q', 'q1');
      await alice.put('h', 'q', 'q2');
      assert.equal((await alice.req('DELETE', p(alice.uuid, 'h', 'q'))).status, 204);
      assert.equal((await alice.req('DELETE', p(alice.uuid, 'h'))).status, 204);
      const rows = await s.services.metadata.db
        .selectFrom('object_history')
        .select('id')
        .where('account', '=', alice.uuid)
        .where('name', 'in', ['o', 'p', 'q'])
        .execute();
      assert.deepEqual(rows, [], 'the history went with the container');
    });

    it('a grantee reads the versions of what he may read; nobody else does', async () => {
      await alice.putContainer('shared');
      const v1 = Number((await alice.put('shared', 's', 'v1')).header('x-object-version'));
      await alice.put('shared', 's', 'v2', { 'X-Object-Sharing': `read=${bob.uuid}` });
      const list = await bob.req('GET', p(alice.uuid, 'shared', 's', 'version=list&format=json'));
      assert.equal(list.status, 200, list.text());
      assert.equal((await bob.req('GET', p(alice.uuid, 'shared', 's', `version=${v1}`))).text(), 'v1');
      const carol = new Store(s, await s.user());
      assertFault(await carol.req('GET', p(alice.uuid, 'shared', 's', 'version=list&format=json')), 404);
      assertFault(await carol.req('GET', p(alice.uuid, 'shared', 's', `version=${v1}`)), 404);
    });

    it("kamaki's exchange: file versions, download --object-version (ranged), copy --source-version, purges", async () => {
      // As kamaki 0.16 sends them (grnet/kamaki, clients/pithos): parameters in its order, X-Auth-Token.
      const k = S(alice);
      const path = `${O}/${alice.uuid}/kam/disk.img`;
      assert.equal((await k('PUT', `${O}/${alice.uuid}/kam`, { headers: { 'Content-Length': '0' } })).status, 201);
      const old = bytesOf('kamaki old', BLOCK + 1000);
      const cur = bytesOf('kamaki new', 5000);
      await alice.hashmapUpload('kam', 'disk.img', old);
      await alice.hashmapUpload('kam', 'disk.img', cur);

      // file versions: get_object_versionlist → object_get(format='json', version='list') → r.json['versions'].
      const list = await k('GET', `${path}?format=json&version=list`);
      assert.equal(list.status, 200);
      const versions = list.json().versions as [number, number][];
      assert.equal(versions.length, 2);
      for (const [id, ts] of versions) assert.ok(Number.isInteger(id) && typeof ts === 'number');
      const first = String(versions[0][0]);

      // file download --object-version: HEAD, the hashmap, then one ranged GET per block.
      const head = await k('HEAD', `${path}?version=${first}`);
      assert.equal(head.status, 200);
      assert.equal(head.header('x-object-version'), first);
      const hm = (await k('GET', `${path}?format=json&hashmap=True&version=${first}`)).json();
      assert.equal(hm.bytes, old.length);
      const out = Buffer.alloc(hm.bytes);
      for (let i = 0; i < hm.hashes.length; i++) {
        const start = i * hm.block_size;
        const end = Math.min(start + hm.block_size, hm.bytes) - 1;
        const r = await k('GET', `${path}?format=json&version=${first}`, {
          headers: { Range: `bytes=${start}-${end}` },
        });
        assert.equal(r.status, 206);
        assert.equal(r.header('content-length'), String(end - start + 1));
        r.body.copy(out, start);
      }
      assert.ok(out.equals(old), 'the old version downloads byte-exact');

      // file copy --source-version: object_put(copy_from, source_version, content_length=0).
      const copy = await k('PUT', `${O}/${alice.uuid}/kam/restored.img?format=json`, {
        headers: { 'X-Copy-From': '/kam/disk.img', 'X-Source-Version': first, 'Content-Length': '0' },
      });
      assert.equal(copy.status, 201, copy.text());
      assert.ok((await k('GET', `${O}/${alice.uuid}/kam/restored.img`)).body.equals(old));

      // container info --until, file delete --until, then container purge (a decimal `until`: a plain delete).
      const now = Math.floor(Date.now() / 1000) + 1;
      assert.equal((await k('HEAD', `${O}/${alice.uuid}/kam?until=${now}`)).status, 204);
      assert.equal((await k('DELETE', `${path}?until=${now}`)).status, 204);
      assert.equal((await k('DELETE', `${O}/${alice.uuid}/kam/restored.img`)).status, 204);
      const purge = await k('DELETE', `${O}/${alice.uuid}/kam?until=${(Date.now() / 1000).toFixed(6)}`);
      assert.equal(purge.status, 204);
      assert.equal((await k('HEAD', `${O}/${alice.uuid}/kam`)).status, 404);
    });

    it('Swift: X-Versions-Location (stack) brings the previous version back on DELETE; the history is the same one', async () => {
      const A = S(alice);
      assert.equal((await A('PUT', sw(alice.uuid, 'archive'))).status, 201);
      const put = await A('PUT', sw(alice.uuid, 'current'), { headers: { 'X-Versions-Location': 'archive' } });
      assert.equal(put.status, 201);
      const head = await A('HEAD', sw(alice.uuid, 'current'));
      assert.equal(head.header('x-versions-location'), 'archive');
      const pithosHead = await alice.req('HEAD', p(alice.uuid, 'current'));
      assert.equal(pithosHead.header('x-container-policy-versioning'), 'auto');
      for (const body of ['one', 'two', 'three'])
        assert.equal((await A('PUT', sw(alice.uuid, 'current', 'doc'), { body })).status, 201);
      const list = await alice.req('GET', p(alice.uuid, 'current', 'doc', 'version=list&format=json'));
      assert.equal(versionsOf(list).length, 3);
      assert.equal((await A('DELETE', sw(alice.uuid, 'current', 'doc'))).status, 204);
      assert.equal((await A('GET', sw(alice.uuid, 'current', 'doc'))).text(), 'two');
      assert.equal((await A('DELETE', sw(alice.uuid, 'current', 'doc'))).status, 204);
      assert.equal((await A('GET', sw(alice.uuid, 'current', 'doc'))).text(), 'one');
      assert.equal((await A('DELETE', sw(alice.uuid, 'current', 'doc'))).status, 204);
      assert.equal((await A('GET', sw(alice.uuid, 'current', 'doc'))).status, 404);
      // Swift reads versions by id too (one history, both mounts).
      await A('PUT', sw(alice.uuid, 'current', 'doc'), { body: 'again' });
      const v = versionsOf(await A('GET', sw(alice.uuid, 'current', 'doc', 'version=list&format=json')));
      assert.equal(v.length, 1);

      // Removing the location turns versioning off.
      const off = await A('POST', sw(alice.uuid, 'current'), { headers: { 'X-Remove-Versions-Location': 'x' } });
      assert.equal(off.status, 204);
      assert.equal((await A('HEAD', sw(alice.uuid, 'current'))).header('x-versions-location'), undefined);
      assert.equal((await alice.req('HEAD', p(alice.uuid, 'current'))).header('x-container-policy-versioning'), 'none');
    });

    it('the swift CLI with X-Versions-Location: upload twice, delete, the previous version is back', {
      skip: fs.existsSync(SWIFT_BIN) ? false : 'python3-swiftclient not installed',
    }, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-versions-'));
      const swift = (...args: string[]): Promise<string> =>
        ok(
          swiftCli([...swiftTokenArgs(`${s.url}${sw(alice.uuid)}`, alice.user.token), ...args], { cwd: dir }),
          `swift ${args.join(' ')}`,
        );
      try {
        await swift('post', 'cli-archive');
        await swift('post', '-H', 'X-Versions-Location: cli-archive', 'cli-current');
        assert.match(
          await swift('stat', 'cli-current'),
          /Versions-Location: cli-archive|Versions Location: cli-archive/i,
        );
        fs.writeFileSync(path.join(dir, 'note.txt'), 'first draft\n');
        await swift('upload', 'cli-current', 'note.txt');
        fs.writeFileSync(path.join(dir, 'note.txt'), 'second draft, longer\n');
        await swift('upload', 'cli-current', 'note.txt');
        assert.equal(await swift('download', 'cli-current', 'note.txt', '-o', '-'), 'second draft, longer\n');
        await swift('delete', 'cli-current', 'note.txt');
        assert.equal(await swift('download', 'cli-current', 'note.txt', '-o', '-'), 'first draft\n');
        assert.equal(await swift('list', 'cli-current'), 'note.txt\n');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('Swift: X-History-Location keeps deleted versions; Swift containers keep nothing by default; bad headers', async () => {
      const A = S(alice);
      assert.equal((await A('PUT', sw(alice.uuid, 'hist'), { headers: { 'X-History-Location': 'old' } })).status, 201);
      assert.equal((await A('HEAD', sw(alice.uuid, 'hist'))).header('x-history-location'), 'old');
      await A('PUT', sw(alice.uuid, 'hist', 'h'), { body: 'a' });
      await A('PUT', sw(alice.uuid, 'hist', 'h'), { body: 'b' });
      assert.equal((await A('DELETE', sw(alice.uuid, 'hist', 'h'))).status, 204);
      assert.equal((await A('GET', sw(alice.uuid, 'hist', 'h'))).status, 404);
      assert.equal(
        versionsOf(await alice.req('GET', p(alice.uuid, 'hist', 'h', 'version=list&format=json'))).length,
        2,
      );

      assert.equal((await A('PUT', sw(alice.uuid, 'plain'))).status, 201);
      assert.equal((await alice.req('HEAD', p(alice.uuid, 'plain'))).header('x-container-policy-versioning'), 'none');
      await A('PUT', sw(alice.uuid, 'plain', 'x'), { body: '1' });
      await A('PUT', sw(alice.uuid, 'plain', 'x'), { body: '2' });
      assert.equal(
        versionsOf(await alice.req('GET', p(alice.uuid, 'plain', 'x', 'version=list&format=json'))).length,
        1,
      );

      const both = await A('PUT', sw(alice.uuid, 'bad'), {
        headers: { 'X-Versions-Location': 'a', 'X-History-Location': 'b' },
      });
      assert.equal(both.status, 400);
      const slash = await A('POST', sw(alice.uuid, 'plain'), { headers: { 'X-Versions-Location': 'a/b' } });
      assert.equal(slash.status, 412);

      const info = await call(s, 'GET', '/info');
      assert.deepEqual(info.json().versioned_writes, { allowed_flags: ['X-Versions-Location', 'X-History-Location'] });
    });
  });
}
