/**
 * The real `swift` CLI (python3-swiftclient) against the server (spec/clients.md §2):
 * upload, stat, list, download (the client checks the MD5 against ETag), post -m, copy, delete.
 * Skipped, with a message, where /usr/bin/swift is not installed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SWIFT_BIN, missingClient, ok as succeeded, statOf, swift, swiftTokenArgs } from './helpers/cli-clients.ts';
import { DIALECTS } from './helpers/dialects.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';
import { O, Store, bytesOf, md5, p } from './helpers/object-store.ts';

const skip = missingClient(SWIFT_BIN, 'python3-swiftclient', 'swift CLI tests');

for (const dialect of DIALECTS) {
  describe(`swift CLI [${dialect}]`, { skip }, () => {
    let s: TestServer;
    let alice: TestUser;
    let dir: string;
    const ok = (...args: string[]): Promise<string> =>
      succeeded(
        swift([...swiftTokenArgs(`${s.url}${O}/${alice.uuid}`, alice.token), ...args], { cwd: dir }),
        `swift ${args.join(' ')}`,
      );
    /** `swift stat` output as key → value. */
    const stat = async (...args: string[]): Promise<Record<string, string>> => statOf(await ok('stat', ...args));

    const big = bytesOf('swift big.bin', 5 * 1024 * 1024 + 123);
    const small = Buffer.from('hello swift\n');

    before(async () => {
      s = await startTestServer(dialect);
      alice = await s.user('swifty@example.org');
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-swift-'));
      fs.writeFileSync(path.join(dir, 'big.bin'), big);
      fs.writeFileSync(path.join(dir, 'small.txt'), small);
      fs.writeFileSync(path.join(dir, '☂.txt'), 'umbrella');
    });
    after(async () => {
      await s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    // Each `swift` run costs about a second of CPU (Python start-up), so the runs are few and the
    // checks around them go through HTTP where the CLI adds nothing.
    const http = () => new Store(s, alice);

    it('upload, then stat', async () => {
      const up = await ok('upload', 'files', 'big.bin', 'small.txt', '☂.txt');
      for (const n of ['big.bin', 'small.txt', '☂.txt']) assert.ok(up.includes(n), up);
      const account = await stat();
      assert.equal(account.Containers, '1');
      assert.equal(account.Objects, '3');
      assert.equal(account.Bytes, String(big.length + small.length + 8));
      const obj = await http().req('HEAD', p(alice.uuid, 'files', 'big.bin'));
      assert.equal(obj.header('content-length'), String(big.length));
      assert.equal(obj.header('etag'), md5(big), 'the MD5 the client compared with');
      assert.ok(obj.header('x-object-meta-mtime'), 'swift sends X-Object-Meta-Mtime');
      assert.equal(obj.header('content-type'), 'application/octet-stream', 'swift sends no Content-Type');
      const c = await http().req('HEAD', p(alice.uuid, 'files'));
      assert.equal(c.header('x-container-object-count'), '3');
    });

    it('list', async () => {
      assert.equal(await ok('list', 'files'), 'big.bin\nsmall.txt\n☂.txt\n');
    });

    it('download: the client verifies MD5 and length of every object', async () => {
      await ok('download', 'files', '--output-dir', 'out');
      assert.ok(fs.readFileSync(path.join(dir, 'out', 'big.bin')).equals(big));
      assert.ok(fs.readFileSync(path.join(dir, 'out', 'small.txt')).equals(small));
      assert.equal(fs.readFileSync(path.join(dir, 'out', '☂.txt'), 'utf8'), 'umbrella');
    });

    it('post -m replaces the object meta', async () => {
      await ok('post', 'files', 'small.txt', '-m', 'color:blue', '-m', 'Size:small');
      const h = await http().req('HEAD', p(alice.uuid, 'files', 'small.txt'));
      assert.equal(h.header('x-object-meta-color'), 'blue');
      assert.equal(h.header('x-object-meta-size'), 'small');
      assert.equal(h.header('x-object-meta-mtime'), undefined, 'POST replaces the meta set');
      assert.equal(h.header('etag'), md5(small));
    });

    it('copy into another container keeps content and meta', async () => {
      await ok('copy', 'files', 'big.bin', '-d', '/copies/big-copy.bin');
      const h = await http().req('HEAD', p(alice.uuid, 'copies', 'big-copy.bin'));
      assert.equal(h.status, 200);
      assert.equal(h.header('etag'), md5(big));
      assert.equal(h.header('content-length'), String(big.length));
      assert.ok(h.header('x-object-meta-mtime'), 'X-Fresh-Metadata: false keeps the meta');
      assert.ok((await http().req('GET', p(alice.uuid, 'copies', 'big-copy.bin'))).body.equals(big));
      assert.equal((await http().req('HEAD', p(alice.uuid, 'files', 'big.bin'))).status, 200, 'the source stays');
    });

    it('delete an object, then a whole container', async () => {
      await ok('delete', 'files', 'small.txt');
      assert.equal((await http().req('HEAD', p(alice.uuid, 'files', 'small.txt'))).status, 404);
      await ok('delete', 'copies');
      assert.equal((await http().req('HEAD', p(alice.uuid, 'copies'))).status, 404);
      const names = (await http().req('GET', p(alice.uuid, undefined, undefined, 'format=json')))
        .json()
        .map((e: any) => e.name);
      assert.deepEqual(names, ['files']);
    });
  });
}
