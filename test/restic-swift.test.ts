/**
 * Debian's `restic` with a `swift:` repository on the Swift mount (issue 19): `init`, `backup`,
 * `snapshots`, `restore` (the same bytes back), a second backup that deduplicates, `check
 * --read-data` (every pack read back and verified), `forget --prune` (deletes and rewrites).
 * Logs in once through Keystone v3 (the OS_* variables, a token given as the password) and once
 * through v1.0 auth (ST_*). On every database. Skipped, with a message, where /usr/bin/restic is
 * not installed (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  RESTIC_BIN,
  type ResticLogin,
  type Run,
  missingClient,
  ok as succeeded,
  resticEnv,
  run,
  tree,
} from './helpers/cli-clients.ts';
import { DIALECTS } from './helpers/dialects.ts';
import { call } from './helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const skip = missingClient(RESTIC_BIN, 'restic', 'restic tests');
const REPOSITORY_PASSWORD = 'correct horse battery staple';

for (const dialect of DIALECTS) {
  describe(`restic swift repository [${dialect}]`, { skip }, () => {
    let s: TestServer;
    let alice: TestUser;
    let dir: string;

    const restic = (login: ResticLogin, repo: string, ...args: string[]): Promise<Run> =>
      run(RESTIC_BIN, ['--no-cache', ...args], {
        cwd: dir,
        env: resticEnv({
          login,
          url: s.url,
          user: alice.name,
          key: alice.token,
          home: dir,
          cache: path.join(dir, 'cache'),
          repository: repo,
          password: REPOSITORY_PASSWORD,
        }),
      });
    const ok = (login: ResticLogin, repo: string, ...args: string[]): Promise<string> =>
      succeeded(restic(login, repo, ...args), `restic ${args.join(' ')}`);

    before(async () => {
      s = await startTestServer(dialect);
      alice = await s.user('restic-user');
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-restic-'));
      const src = path.join(dir, 'src');
      fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
      fs.writeFileSync(path.join(src, 'notes.txt'), 'restic on plankton\n');
      // Bigger than one of restic's packs (4 MiB min by default) and than one Plankton block.
      fs.writeFileSync(path.join(src, 'sub', 'random.bin'), randomBytes(9 * 1024 * 1024 + 17));
      fs.writeFileSync(path.join(src, 'sub', 'zeros.bin'), Buffer.alloc(1_000_003));
    });
    after(async () => {
      await s?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    for (const login of ['keystone-v3', 'v1.0'] as const) {
      it(`init, backup, restore, backup again, check --read-data, forget --prune (${login})`, async () => {
        const container = `restic-${login.replace(/\W/g, '')}`;
        const repo = `swift:${container}:/repo`;
        const src = path.join(dir, 'src');
        await ok(login, repo, 'init');
        // The repository is objects under the prefix in the caller's own container.
        const listing = await call(s, 'GET', `/swift/v1/AUTH_${alice.uuid}/${container}?prefix=repo/&format=json`, {
          token: alice.token,
        });
        assert.equal(listing.status, 200);
        const names = (listing.json() as { name: string }[]).map((o) => o.name);
        assert.ok(names.includes('repo/config'), `repo/config listed: ${names.join(', ')}`);
        assert.ok(names.some((n) => n.startsWith('repo/keys/')));

        await ok(login, repo, 'backup', '--host', 'plankton-test', src);
        const target = path.join(dir, `restored-${container}`);
        await ok(login, repo, 'restore', 'latest', '--target', target);
        // restic restores under the absolute source path.
        assert.deepEqual(tree(path.join(target, src)), tree(src));

        fs.writeFileSync(path.join(src, 'notes.txt'), 'restic on plankton, second day\n');
        const second = await ok(login, repo, 'backup', '--host', 'plankton-test', src);
        // Only the changed file is new: the 9 MiB of random data is not stored again.
        assert.match(second, /Files:\s+0 new,\s+1 changed,\s+2 unmodified/);
        const snapshots = JSON.parse(await ok(login, repo, 'snapshots', '--json')) as { id: string }[];
        assert.equal(snapshots.length, 2);

        await ok(login, repo, 'check', '--read-data');
        await ok(login, repo, 'forget', '--keep-last', '1', '--prune');
        const kept = JSON.parse(await ok(login, repo, 'snapshots', '--json')) as { id: string }[];
        assert.equal(kept.length, 1);
        await ok(login, repo, 'check', '--read-data');
        const again = path.join(dir, `restored-again-${container}`);
        await ok(login, repo, 'restore', 'latest', '--target', again);
        assert.deepEqual(tree(path.join(again, src)), tree(src));
      });
    }

    it('a wrong repository password is refused and nothing is restored', async () => {
      const r = await run(RESTIC_BIN, ['--no-cache', 'snapshots'], {
        cwd: dir,
        env: resticEnv({
          login: 'v1.0',
          url: s.url,
          user: alice.name,
          key: alice.token,
          home: dir,
          repository: 'swift:restic-v10:/repo',
          password: 'wrong',
        }),
      });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /wrong password|no key found/i);
    });
  });
}
