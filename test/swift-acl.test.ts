/**
 * Container ACLs (issue 19 item 4): `X-Container-Read` / `X-Container-Write` set on the Swift
 * mount, honoured by the one authorizer on both mounts (a reader GETs on Swift and Pithos, sees
 * the account in Pithos's "shared with me"), public-read containers served without a token,
 * referrer rules, write ACL users creating/overwriting/deleting objects but never touching the
 * container, junk ACLs refused with 400 and nothing changed; then the real `swift` CLI
 * (`post -r -w` through Keystone v3) with a second and third user reading and writing.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SWIFT_BIN, type Run, ok, swift, swiftV3Args } from './helpers/cli-clients.ts';
import { DIALECTS } from './helpers/dialects.ts';
import { call } from './helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const PASSWORD = 'swift acl password';

for (const dialect of DIALECTS) {
  describe(`Swift container ACLs [${dialect}]`, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let dave: TestUser;
    const sw = (...segments: string[]) => [`/swift/v1/AUTH_${alice.uuid}`, ...segments].join('/');
    const px = (...segments: string[]) => [`/object-store/v1/${alice.uuid}`, ...segments].join('/');

    before(async () => {
      s = await startTestServer(dialect);
      alice = await s.user('acl-alice');
      bob = await s.user('acl-bob');
      carol = await s.user('acl-carol');
      dave = await s.user('acl-dave');
    });
    after(async () => {
      await s?.close();
    });

    it('read ACL: the reader GETs and lists on both mounts, sees the account shared; writes refused', async () => {
      let r = await call(s, 'PUT', sw('team'), {
        token: alice.token,
        headers: { 'X-Container-Read': `${bob.uuid}`, 'X-Container-Write': ` ${carol.name} ` },
      });
      assert.equal(r.status, 201);
      r = await call(s, 'PUT', sw('team', 'doc.txt'), { token: alice.token, body: 'team doc' });
      assert.equal(r.status, 201);
      r = await call(s, 'HEAD', sw('team'), { token: alice.token });
      assert.equal(r.header('x-container-read'), bob.uuid);
      assert.equal(r.header('x-container-write'), carol.uuid, 'a display name is stored as the uuid');

      // bob reads on the Swift mount and on the Pithos mount
      r = await call(s, 'GET', sw('team', 'doc.txt'), { token: bob.token });
      assert.equal(r.status, 200);
      assert.equal(r.text(), 'team doc');
      r = await call(s, 'GET', px('team', 'doc.txt'), { token: bob.token });
      assert.equal(r.status, 200);
      assert.equal(r.text(), 'team doc');
      r = await call(s, 'GET', `${sw('team')}?format=json`, { token: bob.token });
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.json().map((e: { name: string }) => e.name),
        ['doc.txt'],
      );
      assert.equal(r.header('x-container-read'), undefined, 'ACLs are shown to the owner only');
      // "shared with me" (Pithos top level) and the account's container listing
      r = await call(s, 'GET', '/object-store/v1?format=json', { token: bob.token });
      assert.deepEqual(
        r.json().map((e: { name: string }) => e.name),
        [alice.uuid],
      );
      r = await call(s, 'GET', `${px()}?format=json`, { token: bob.token });
      assert.deepEqual(
        r.json().map((e: { name: string }) => e.name),
        ['team'],
      );

      // a reader may not write: object PUT, POST, DELETE, container POST
      assert.equal((await call(s, 'PUT', sw('team', 'bob.txt'), { token: bob.token, body: 'x' })).status, 403);
      assert.equal((await call(s, 'PUT', sw('team', 'doc.txt'), { token: bob.token, body: 'x' })).status, 403);
      assert.equal(
        (await call(s, 'POST', sw('team', 'doc.txt'), { token: bob.token, headers: { 'X-Object-Meta-A': 'b' } }))
          .status,
        403,
      );
      assert.equal((await call(s, 'DELETE', sw('team', 'doc.txt'), { token: bob.token })).status, 403);
      assert.equal(
        (await call(s, 'POST', sw('team'), { token: bob.token, headers: { 'X-Container-Read': bob.uuid } })).status,
        403,
      );

      // dave holds nothing: 403 on Swift, 404 on Pithos (unreadable is missing)
      assert.equal((await call(s, 'GET', sw('team', 'doc.txt'), { token: dave.token })).status, 403);
      assert.equal((await call(s, 'GET', px('team', 'doc.txt'), { token: dave.token })).status, 404);
      assert.equal((await call(s, 'GET', sw('team'), { token: dave.token })).status, 403);
      r = await call(s, 'GET', '/object-store/v1?format=json', { token: dave.token });
      assert.deepEqual(r.json(), []);
    });

    it('write ACL: the writer creates, overwrites, updates and deletes objects, never the container or its ACLs', async () => {
      let r = await call(s, 'PUT', sw('team', 'carol.txt'), { token: carol.token, body: 'by carol' });
      assert.equal(r.status, 201);
      r = await call(s, 'GET', sw('team', 'carol.txt'), { token: alice.token });
      assert.equal(r.text(), 'by carol', 'the owner sees what the writer wrote');
      r = await call(s, 'PUT', sw('team', 'doc.txt'), { token: carol.token, body: 'rewritten' });
      assert.equal(r.status, 201);
      r = await call(s, 'POST', sw('team', 'doc.txt'), {
        token: carol.token,
        headers: { 'X-Object-Meta-By': 'carol' },
      });
      assert.equal(r.status, 204);
      // on the Pithos mount too
      r = await call(s, 'PUT', px('team', 'pithos.txt'), { token: carol.token, body: 'via pithos' });
      assert.equal(r.status, 201);
      r = await call(s, 'DELETE', px('team', 'pithos.txt'), { token: carol.token });
      assert.equal(r.status, 204);
      r = await call(s, 'DELETE', sw('team', 'carol.txt'), { token: carol.token });
      assert.equal(r.status, 204);
      assert.equal((await call(s, 'GET', sw('team', 'carol.txt'), { token: alice.token })).status, 404);
      // sharing and publishing stay the owner's
      r = await call(s, 'PUT', sw('team', 'shared.txt'), {
        token: carol.token,
        body: 'x',
        headers: { 'X-Object-Sharing': `read=${dave.uuid}` },
      });
      assert.equal(r.status, 403);
      // not the container: meta, ACLs, delete, a new container
      const containerChanges: Record<string, string>[] = [
        { 'X-Container-Meta-A': 'b' },
        { 'X-Container-Write': dave.uuid },
        { 'X-Remove-Container-Read': 'x' },
      ];
      for (const headers of containerChanges) {
        r = await call(s, 'POST', sw('team'), { token: carol.token, headers });
        assert.equal(r.status, 403, JSON.stringify(headers));
      }
      assert.equal((await call(s, 'DELETE', sw('team'), { token: carol.token })).status, 403);
      assert.equal((await call(s, 'PUT', sw('other'), { token: carol.token })).status, 403);
      r = await call(s, 'HEAD', sw('team'), { token: alice.token });
      assert.equal(r.header('x-container-read'), bob.uuid, 'unchanged');
      assert.equal(r.header('x-container-write'), carol.uuid, 'unchanged');
      assert.equal(r.header('x-container-meta-a'), undefined);
    });

    it('junk ACLs are a 400 and change nothing', async () => {
      const junk = [
        ['X-Container-Read', '.r:'],
        ['X-Container-Read', '.x:foo'],
        ['X-Container-Read', '.r:http://example.com/'],
        ['X-Container-Read', '.r:exa mple.com'],
        ['X-Container-Read', '00000000-0000-4000-8000-00000000dead'],
        ['X-Container-Read', 'no-such-user'],
        ['X-Container-Read', `${bob.uuid}:${carol.uuid}`],
        ['X-Container-Read', 'a:b:c'],
        ['X-Container-Write', '.r:*'],
        ['X-Container-Write', '.rlistings'],
        ['X-Container-Read', `${bob.uuid}\u00e9`],
      ];
      for (const [header, value] of junk) {
        const r = await call(s, 'POST', sw('team'), { token: alice.token, headers: { [header]: value } });
        assert.equal(r.status, 400, `${header}: ${value} → ${r.status} ${r.text()}`);
        assert.match(r.header('content-type') ?? '', /^text\/plain/);
        assert.ok(r.text().length > 0, 'says what was wrong');
      }
      // a good read ACL beside a bad write ACL: neither applies
      const r = await call(s, 'POST', sw('team'), {
        token: alice.token,
        headers: { 'X-Container-Read': dave.uuid, 'X-Container-Write': '.r:*' },
      });
      assert.equal(r.status, 400);
      const head = await call(s, 'HEAD', sw('team'), { token: alice.token });
      assert.equal(head.header('x-container-read'), bob.uuid);
      assert.equal(head.header('x-container-write'), carol.uuid);
      // a bad ACL on container PUT creates nothing
      assert.equal(
        (await call(s, 'PUT', sw('never'), { token: alice.token, headers: { 'X-Container-Read': '.r:' } })).status,
        400,
      );
      assert.equal((await call(s, 'HEAD', sw('never'), { token: alice.token })).status, 404);
    });

    it('X-Remove-Container-Read and an empty value take access away at once', async () => {
      let r = await call(s, 'POST', sw('team'), { token: alice.token, headers: { 'X-Remove-Container-Read': 'x' } });
      assert.equal(r.status, 204);
      assert.equal((await call(s, 'GET', sw('team', 'doc.txt'), { token: bob.token })).status, 403);
      assert.equal((await call(s, 'GET', px('team', 'doc.txt'), { token: bob.token })).status, 404);
      r = await call(s, 'GET', '/object-store/v1?format=json', { token: bob.token });
      assert.deepEqual(r.json(), []);
      r = await call(s, 'POST', sw('team'), { token: alice.token, headers: { 'X-Container-Write': '' } });
      assert.equal(r.status, 204);
      assert.equal((await call(s, 'PUT', sw('team', 'c2.txt'), { token: carol.token, body: 'x' })).status, 403);
      r = await call(s, 'HEAD', sw('team'), { token: alice.token });
      assert.equal(r.header('x-container-read'), undefined);
      assert.equal(r.header('x-container-write'), undefined);
      // `*`: every signed-in user reads (not anonymous callers)
      r = await call(s, 'POST', sw('team'), { token: alice.token, headers: { 'X-Container-Read': '*' } });
      assert.equal(r.status, 204);
      assert.equal((await call(s, 'GET', sw('team', 'doc.txt'), { token: dave.token })).status, 200);
      assert.equal((await call(s, 'GET', sw('team', 'doc.txt'))).status, 401);
      await call(s, 'POST', sw('team'), { token: alice.token, headers: { 'X-Remove-Container-Read': '1' } });
    });

    it('.r:* serves anonymous GET/HEAD; listing only with .rlistings; anonymous never writes', async () => {
      let r = await call(s, 'PUT', sw('pub'), { token: alice.token, headers: { 'X-Container-Read': '.r:*' } });
      assert.equal(r.status, 201);
      await call(s, 'PUT', sw('pub', 'img.raw'), { token: alice.token, body: 'public bytes' });
      await call(s, 'PUT', sw('private'), { token: alice.token });
      await call(s, 'PUT', sw('private', 'secret'), { token: alice.token, body: 'secret' });

      const res = await fetch(`${s.url}${sw('pub', 'img.raw')}`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'public bytes');
      assert.ok(res.headers.get('x-trans-id'));
      assert.equal(res.headers.get('x-object-sharing'), null);
      r = await call(s, 'HEAD', sw('pub', 'img.raw'));
      assert.equal(r.status, 200);
      assert.equal(r.header('content-length'), String('public bytes'.length));
      r = await call(s, 'GET', sw('pub', 'img.raw'), { headers: { Range: 'bytes=7-' } });
      assert.equal(r.status, 206);
      assert.equal(r.text(), 'bytes');
      assert.equal((await call(s, 'GET', sw('pub', 'missing'))).status, 404);
      // no listing without .rlistings
      assert.equal((await call(s, 'GET', sw('pub'))).status, 401);
      assert.equal((await call(s, 'HEAD', sw('pub'))).status, 401);
      // never a write, never the account, never a private container
      assert.equal((await call(s, 'PUT', sw('pub', 'anon.txt'), { body: 'x' })).status, 401);
      assert.equal((await call(s, 'DELETE', sw('pub', 'img.raw'))).status, 401);
      assert.equal((await call(s, 'POST', sw('pub', 'img.raw'), { headers: { 'X-Object-Meta-A': 'b' } })).status, 401);
      assert.equal(
        (await call(s, 'POST', sw('pub'), { headers: { 'X-Container-Read': '.r:*,.rlistings' } })).status,
        401,
      );
      assert.equal((await call(s, 'GET', sw())).status, 401);
      assert.equal((await call(s, 'GET', sw('private', 'secret'))).status, 401);
      assert.equal((await call(s, 'GET', sw('private'))).status, 401);
      assert.equal((await call(s, 'GET', sw('nothing-here', 'x'))).status, 401);
      // the Pithos mount always wants a token
      assert.equal((await call(s, 'GET', px('pub', 'img.raw'))).status, 401);
      // a bad token is a 401, not an anonymous read
      assert.equal((await call(s, 'GET', sw('pub', 'img.raw'), { token: 'not-a-token' })).status, 401);

      r = await call(s, 'POST', sw('pub'), { token: alice.token, headers: { 'X-Container-Read': '.r:*,.rlistings' } });
      assert.equal(r.status, 204);
      r = await call(s, 'GET', `${sw('pub')}?format=json`);
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.json().map((e: { name: string }) => e.name),
        ['img.raw'],
      );
      r = await call(s, 'HEAD', sw('pub'));
      assert.equal(r.status, 204);
      assert.equal(r.header('x-container-object-count'), '1');
      assert.equal(r.header('x-container-read'), undefined);
      assert.equal((await call(s, 'PUT', sw('pub', 'anon.txt'), { body: 'x' })).status, 401);
      // a signed-in stranger reads a public container too
      assert.equal((await call(s, 'GET', sw('pub', 'img.raw'), { token: dave.token })).status, 200);
    });

    it('referrer rules: the last matching .r: rule decides, - denies', async () => {
      let r = await call(s, 'PUT', sw('refs'), {
        token: alice.token,
        headers: { 'X-Container-Read': '.r:.example.com, .r:-bad.example.com' },
      });
      assert.equal(r.status, 201);
      await call(s, 'PUT', sw('refs', 'f'), { token: alice.token, body: 'ref' });
      const get = (referer?: string) =>
        call(s, 'GET', sw('refs', 'f'), { headers: referer ? { Referer: referer } : {} });
      assert.equal((await get('http://www.example.com/page')).status, 200);
      assert.equal((await get('https://example.com/')).status, 401, '.example.com matches subdomains only');
      assert.equal((await get('http://bad.example.com/')).status, 401);
      assert.equal((await get('http://example.org/')).status, 401);
      assert.equal((await get()).status, 401);
      assert.equal((await get('not a url')).status, 401);
      r = await call(s, 'HEAD', sw('refs'), { token: alice.token });
      assert.equal(r.header('x-container-read'), '.r:.example.com,.r:-bad.example.com');
    });

    describe('the swift CLI through Keystone v3', {
      skip: fs.existsSync(SWIFT_BIN) ? false : `${SWIFT_BIN} not found`,
    }, () => {
      let dir: string;
      const v3 = (user: TestUser, ...args: string[]): Promise<Run> =>
        swift([...swiftV3Args(s.url, user.name, PASSWORD), ...args], { cwd: dir });
      /** Another user's commands aimed at alice's account. */
      const inAlice = (user: TestUser, ...args: string[]) =>
        v3(user, '--os-storage-url', `${s.url}/swift/v1/AUTH_${alice.uuid}`, ...args);

      before(async () => {
        for (const u of [alice, bob, carol, dave]) await s.services.passwords.set(u.uuid, PASSWORD);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-swift-acl-'));
        fs.writeFileSync(path.join(dir, 'report.txt'), 'quarterly report');
        fs.writeFileSync(path.join(dir, 'carol.txt'), 'written by carol');
      });
      after(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
      });

      it('swift post -r/-w: a second user downloads and lists, a third uploads and deletes, others are refused', async () => {
        await ok(v3(alice, 'upload', 'cli-acl', 'report.txt'), 'alice upload');
        await ok(
          v3(alice, 'post', 'cli-acl', '-r', `${bob.name},.r:-evil.example.com`, '-w', carol.uuid),
          'alice post -r -w',
        );
        const stat = await ok(v3(alice, 'stat', 'cli-acl'), 'alice stat');
        assert.match(stat, new RegExp(`Read ACL: ${bob.uuid},\\.r:-evil\\.example\\.com`));
        assert.match(stat, new RegExp(`Write ACL: ${carol.uuid}`));

        const listed = await ok(inAlice(bob, 'list', 'cli-acl'), 'bob list');
        assert.deepEqual(listed.trim().split('\n'), ['report.txt']);
        const got = await ok(inAlice(bob, 'download', 'cli-acl', 'report.txt', '-o', '-'), 'bob download');
        assert.equal(got, 'quarterly report');
        const bobUpload = await inAlice(bob, 'upload', 'cli-acl', 'carol.txt');
        assert.notEqual(bobUpload.code, 0, 'a reader cannot upload');
        assert.match(bobUpload.stderr + bobUpload.stdout, /403/);

        await ok(inAlice(carol, 'upload', 'cli-acl', 'carol.txt'), 'carol upload');
        assert.equal(
          await ok(v3(alice, 'download', 'cli-acl', 'carol.txt', '-o', '-'), 'alice download'),
          'written by carol',
        );
        await ok(inAlice(carol, 'delete', 'cli-acl', 'carol.txt'), 'carol delete');

        const daveGet = await inAlice(dave, 'download', 'cli-acl', 'report.txt', '-o', '-');
        assert.notEqual(daveGet.code, 0, 'dave holds no grant');
        assert.match(daveGet.stderr + daveGet.stdout, /403/);
        const junk = await v3(alice, 'post', 'cli-acl', '-r', '.r:');
        assert.notEqual(junk.code, 0, 'junk ACL refused');
        assert.match(junk.stderr + junk.stdout, /400/);
      });
    });
  });
}
