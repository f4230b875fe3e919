/**
 * Debian's `rclone` with a `swift` remote against the Swift mount (issue 19), logging in through
 * v1.0 auth: `mkdir`, `sync` of a tree up, `lsf -R`, `check`, `sync` back down (the same bytes),
 * then a change and a deletion synced up and checked again. On every database. Skipped, with a
 * message, where /usr/bin/rclone is not installed (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RCLONE_BIN, type Run, missingClient, ok as succeeded, rcloneEnv, run, tree } from './helpers/cli-clients.ts';
import { DIALECTS } from './helpers/dialects.ts';
import { call } from './helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const skip = missingClient(RCLONE_BIN, 'rclone', 'rclone tests');

for (const dialect of DIALECTS) {
  describe(`rclone swift remote [${dialect}]`, { skip }, () => {
    let s: TestServer;
    let alice: TestUser;
    let dir: string;
    const rclone = (...args: string[]): Promise<Run> =>
      run(RCLONE_BIN, args, {
        cwd: dir,
        env: rcloneEnv({ url: s.url, user: alice.name, key: alice.token, config: path.join(dir, 'rclone.conf') }),
      });
    const ok = (...args: string[]): Promise<string> => succeeded(rclone(...args), `rclone ${args.join(' ')}`);

    before(async () => {
      s = await startTestServer(dialect);
      alice = await s.user('rclone-user');
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-rclone-'));
      fs.writeFileSync(path.join(dir, 'rclone.conf'), '');
      fs.mkdirSync(path.join(dir, 'src', 'sub', 'deeper'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'src', 'a.txt'), 'alpha\n');
      fs.writeFileSync(path.join(dir, 'src', 'sub', 'b.bin'), Buffer.alloc(300_001, 7));
      fs.writeFileSync(path.join(dir, 'src', 'sub', 'deeper', 'c ☂.txt'), 'umbrella');
    });
    after(async () => {
      await s?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('sync up, lsf, check, sync down, then a change and a deletion', async () => {
      await ok('mkdir', 'p:bucket');
      await ok('sync', path.join(dir, 'src'), 'p:bucket/tree');
      const listed = (await ok('lsf', '-R', '--files-only', 'p:bucket/tree')).split('\n').filter(Boolean).sort();
      assert.deepEqual(listed, ['a.txt', 'sub/b.bin', 'sub/deeper/c ☂.txt']);
      const head = await call(s, 'HEAD', `/swift/v1/AUTH_${alice.uuid}/bucket/tree/sub/b.bin`, { token: alice.token });
      assert.equal(head.header('content-length'), '300001');
      await ok('check', path.join(dir, 'src'), 'p:bucket/tree');

      await ok('sync', 'p:bucket/tree', path.join(dir, 'back'));
      assert.deepEqual(tree(path.join(dir, 'back')), tree(path.join(dir, 'src')));

      fs.writeFileSync(path.join(dir, 'src', 'a.txt'), 'alpha, changed\n');
      fs.rmSync(path.join(dir, 'src', 'sub', 'b.bin'));
      await ok('sync', path.join(dir, 'src'), 'p:bucket/tree');
      const after = (await ok('lsf', '-R', '--files-only', 'p:bucket/tree')).split('\n').filter(Boolean).sort();
      assert.deepEqual(after, ['a.txt', 'sub/deeper/c ☂.txt']);
      await ok('check', path.join(dir, 'src'), 'p:bucket/tree');
      const a = await call(s, 'GET', `/swift/v1/AUTH_${alice.uuid}/bucket/tree/a.txt`, { token: alice.token });
      assert.equal(a.text(), 'alpha, changed\n');
      // check finds a difference made behind rclone's back.
      await call(s, 'PUT', `/swift/v1/AUTH_${alice.uuid}/bucket/tree/a.txt`, { token: alice.token, body: 'tampered' });
      assert.notEqual((await rclone('check', path.join(dir, 'src'), 'p:bucket/tree')).code, 0);
    });
  });
}
