/**
 * Real clients against the Swift mount (issue 19): the `swift` CLI (python3-swiftclient) logging in
 * through Keystone v3 (user + password; the catalog's object-store endpoint is the Swift mount)
 * and through v1.0 auth (`-A <P>/auth/v1.0 -U user -K key`): upload, list `--prefix --delimiter`,
 * download, `post -m`, `stat`, `copy`, delete, `capabilities`; and python-swiftclient's library
 * `get_account`/`get_container` with every listing parameter; a parallel `upload --object-threads`
 * of a folder of many small and a few multi-block files and a parallel `download --object-threads`
 * of the container back, with exact counts and bytes. Skipped, with a message, where
 * /usr/bin/swift is not installed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  PYTHON_BIN,
  SWIFT_BIN,
  missingClient,
  ok,
  type Run,
  run,
  statOf,
  swift,
  swiftV1Args,
  swiftV3Args,
  tree,
} from './helpers/cli-clients.ts';
import { DIALECTS } from './helpers/dialects.ts';
import { BLOCK, bytesOf, call, md5 } from './helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const skip = missingClient(SWIFT_BIN, 'python3-swiftclient', 'Swift mount client tests');
const PASSWORD = 'swift mount password';

/** python-swiftclient's library: every listing parameter of get_account and get_container. */
const LIBRARY_SCRIPT = `
import json, sys
from swiftclient import client
url, token = sys.argv[1], sys.argv[2]
out = {}
_, out['account'] = client.get_account(url, token)
_, out['account_prefix'] = client.get_account(url, token, prefix='lib-')
_, out['account_markers'] = client.get_account(url, token, marker='lib-a', end_marker='lib-c')
_, out['account_limit'] = client.get_account(url, token, limit=1)
names = lambda listing: [e.get('name', e.get('subdir')) for e in listing]
c = 'lib-b'
out['all'] = names(client.get_container(url, token, c, full_listing=True)[1])
out['prefix'] = names(client.get_container(url, token, c, prefix='photos/')[1])
out['delimiter'] = names(client.get_container(url, token, c, delimiter='/')[1])
out['prefix_delimiter'] = names(client.get_container(url, token, c, prefix='photos/', delimiter='/')[1])
out['path'] = names(client.get_container(url, token, c, path='photos')[1])
out['marker'] = names(client.get_container(url, token, c, marker='photos/2024/b.jpg')[1])
out['end_marker'] = names(client.get_container(url, token, c, end_marker='photos/2024/b.jpg')[1])
out['limit'] = names(client.get_container(url, token, c, limit=2)[1])
out['reverse'] = names(client.get_container(url, token, c, query_string='reverse=true')[1])
out['full_small_pages'] = names(client.get_container(url, token, c, limit=1, full_listing=True)[1])
headers, _ = client.get_container(url, token, c)
out['count'] = headers['x-container-object-count']
out['policy'] = headers.get('x-storage-policy')
print(json.dumps(out))
`;

for (const dialect of DIALECTS) {
  describe(`Swift mount clients [${dialect}]`, { skip }, () => {
    let s: TestServer;
    let alice: TestUser;
    let dir: string;
    const big = Buffer.alloc(5 * 1024 * 1024 + 77, 'swift mount ');
    const v3 = (...args: string[]): Promise<Run> =>
      swift([...swiftV3Args(s.url, alice.name, PASSWORD), ...args], { cwd: dir });
    const v1 = (...args: string[]): Promise<Run> =>
      swift([...swiftV1Args(s.url, alice.name, alice.token), ...args], { cwd: dir });
    const mount = (...segments: string[]) => [`/swift/v1/AUTH_${alice.uuid}`, ...segments].join('/');

    before(async () => {
      s = await startTestServer(dialect);
      alice = await s.user('swift-mount-user');
      await s.services.passwords.set(alice.uuid, PASSWORD);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-swift-mount-'));
      fs.mkdirSync(path.join(dir, 'photos', '2024'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'photos', '2024', 'a.jpg'), 'jpeg a');
      fs.writeFileSync(path.join(dir, 'photos', 'top.jpg'), 'top');
      fs.writeFileSync(path.join(dir, 'big.bin'), big);
    });
    after(async () => {
      await s?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('Keystone v3 login: upload, stat, list --prefix --delimiter, post -m, copy, download, delete', async () => {
      const up = await ok(v3('upload', 'files', 'photos', 'big.bin'), 'upload');
      assert.ok(up.includes('big.bin'), up);
      const account = statOf(await ok(v3('stat'), 'stat'));
      assert.equal(account.Account, `AUTH_${alice.uuid}`, 'the catalog pointed swift at the Swift mount');
      assert.equal(account.Containers, '1');
      assert.equal(account.Objects, '3');
      assert.equal(account.Bytes, String(big.length + 'jpeg a'.length + 'top'.length));

      assert.equal(await ok(v3('list', 'files', '--prefix', 'photos/'), 'list'), 'photos/2024/a.jpg\nphotos/top.jpg\n');
      assert.equal(
        await ok(v3('list', 'files', '--prefix', 'photos/', '--delimiter', '/'), 'list -d'),
        'photos/2024/\nphotos/top.jpg\n',
      );

      await ok(v3('post', 'files', 'photos/top.jpg', '-m', 'color:blue'), 'post -m');
      const obj = statOf(await ok(v3('stat', 'files', 'photos/top.jpg'), 'stat object'));
      assert.equal(obj['Meta Color'], 'blue');
      assert.equal(obj.ETag, md5('top'));

      await ok(v3('copy', 'files', 'big.bin', '-d', '/copies/big-copy.bin'), 'copy');
      const copied = await call(s, 'HEAD', mount('copies', 'big-copy.bin'), { token: alice.token });
      assert.equal(copied.status, 200);
      assert.equal(copied.header('etag'), md5(big));

      await ok(v3('download', 'copies', 'big-copy.bin', '-o', 'out.bin'), 'download (MD5 checked by the client)');
      assert.ok(fs.readFileSync(path.join(dir, 'out.bin')).equals(big));

      await ok(v3('delete', 'copies'), 'delete a container with its objects');
      assert.equal((await call(s, 'HEAD', mount('copies'), { token: alice.token })).status, 404);
    });

    it('v1.0 auth: -A <P>/auth/v1.0 -U user -K token; capabilities from /info', async () => {
      const account = statOf(await ok(v1('stat'), 'stat'));
      assert.equal(account.Account, `AUTH_${alice.uuid}`);
      await ok(v1('upload', 'v1c', 'photos/top.jpg'), 'upload');
      assert.equal(await ok(v1('list', 'v1c'), 'list'), 'photos/top.jpg\n');
      await ok(v1('delete', 'v1c', 'photos/top.jpg'), 'delete');
      assert.equal(await ok(v1('list', 'v1c'), 'list after delete'), '');
      const caps = await ok(v1('capabilities', '--json'), 'capabilities');
      assert.equal(JSON.parse(caps).swift.max_meta_count, 90);
      const refused = await swift([...swiftV1Args(s.url, alice.name, 'wrong'), 'stat'], { cwd: dir });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /401|Unauthorized|Auth GET failed/i);
    });

    it("python-swiftclient's get_account/get_container with every listing parameter", async () => {
      const token = alice.token;
      for (const c of ['lib-a', 'lib-b', 'lib-c']) await call(s, 'PUT', mount(c), { token });
      const objects = ['photos/2024/a.jpg', 'photos/2024/b.jpg', 'photos/top.jpg', 'readme', 'zeta/x'];
      for (const o of objects) await call(s, 'PUT', mount('lib-b', o), { token, body: o });
      const r = await run(PYTHON_BIN, ['-c', LIBRARY_SCRIPT, `${s.url}${mount()}`, token], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      const names = (list: { name?: string; subdir?: string }[]) => list.map((e) => e.name ?? e.subdir);
      assert.deepEqual(names(out.account), ['files', 'lib-a', 'lib-b', 'lib-c', 'v1c']);
      assert.deepEqual(names(out.account_prefix), ['lib-a', 'lib-b', 'lib-c']);
      assert.deepEqual(names(out.account_markers), ['lib-b']);
      assert.deepEqual(names(out.account_limit), ['files']);
      assert.deepEqual(out.all, objects);
      assert.deepEqual(out.prefix, objects.slice(0, 3));
      assert.deepEqual(out.delimiter, ['photos/', 'readme', 'zeta/']);
      assert.deepEqual(out.prefix_delimiter, ['photos/2024/', 'photos/top.jpg']);
      assert.deepEqual(out.path, ['photos/top.jpg']);
      assert.deepEqual(out.marker, ['photos/top.jpg', 'readme', 'zeta/x']);
      assert.deepEqual(out.end_marker, ['photos/2024/a.jpg']);
      assert.deepEqual(out.limit, objects.slice(0, 2));
      assert.deepEqual(out.reverse, [...objects].reverse());
      assert.deepEqual(out.full_small_pages, objects);
      assert.equal(out.count, String(objects.length));
      assert.equal(out.policy, 'Policy-0');
    });

    it('upload --object-threads 8 of 40 files (3 multi-block), list, stat exact, download --object-threads 8', async () => {
      // 37 small files (one empty, some in sub-folders, one non-ASCII name) and 3 above one 4 MiB block.
      const folder = path.join(dir, 'many');
      const files = new Map<string, Buffer>();
      for (let i = 0; i < 37; i++) {
        const name =
          i === 36 ? 'ünï côdé.txt' : `${i % 3 === 0 ? `sub${i % 2}/` : ''}small-${String(i).padStart(2, '0')}.bin`;
        files.set(name, bytesOf(`small ${i}`, i === 0 ? 0 : 97 * i));
      }
      for (const [i, size] of [BLOCK + 1, 2 * BLOCK + 12345, BLOCK - 1 + BLOCK / 2].entries())
        files.set(`large-${i}.bin`, bytesOf(`large ${i}`, size));
      for (const [name, data] of files) {
        fs.mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
        fs.writeFileSync(path.join(folder, name), data);
      }
      const bytes = [...files.values()].reduce((sum, b) => sum + b.length, 0);
      const names = [...files.keys()].map((n) => `many/${n}`).sort();

      // swiftclient compares each reply's ETag with the MD5 it computed while sending.
      await ok(v3('upload', '--object-threads', '8', 'bulk', 'many'), 'upload --object-threads 8');
      assert.deepEqual((await ok(v3('list', 'bulk'), 'list')).split('\n').filter(Boolean), names);
      const container = statOf(await ok(v3('stat', 'bulk'), 'stat'));
      assert.equal(container.Objects, String(files.size));
      assert.equal(container.Bytes, String(bytes));
      const head = await call(s, 'HEAD', mount('bulk'), { token: alice.token });
      assert.equal(head.status, 204);
      assert.equal(head.header('x-container-object-count'), String(files.size));
      assert.equal(head.header('x-container-bytes-used'), String(bytes));
      for (const [name, data] of files) {
        if (data.length <= BLOCK) continue;
        const obj = await call(s, 'HEAD', mount('bulk', 'many', name), { token: alice.token });
        assert.equal(obj.header('etag'), md5(data), `${name}: one object, the MD5 of its bytes`);
      }

      // A fresh folder: the client checks MD5 and length of every object it writes.
      const back = path.join(dir, 'bulk-back');
      await ok(v3('download', 'bulk', '--object-threads', '8', '--output-dir', back), 'download --object-threads 8');
      assert.deepEqual(tree(path.join(back, 'many')), tree(folder));
      assert.deepEqual(fs.readdirSync(back), ['many'], 'nothing else downloaded');
    });
  });
}
