/**
 * Debian's `restic` with a `swift:` repository on the Swift mount (issue 19): `init`, `backup`,
 * `snapshots`, `restore` (the same bytes back), a second backup that deduplicates, `check
 * --read-data` (every pack read back and verified), `forget --prune` (deletes and rewrites).
 * Logs in once through Keystone v3 (the OS_* variables, a token given as the password) and once
 * through v1.0 auth (ST_*). On every database. Skipped, with a message, where /usr/bin/restic is
 * not installed (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { call } from './helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const RESTIC = '/usr/bin/restic';
/** Only there to end a command that hangs. */
const CLI_LIMIT_MS = 180_000;
const skip = fs.existsSync(RESTIC) ? false : `${RESTIC} not found: install restic to run the restic tests`;
if (skip) process.stderr.write(`# restic tests skipped: ${skip}\n`);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

type Login = 'keystone-v3' | 'v1.0';

for (const dialect of DIALECTS) {
  describe(`restic swift repository [${dialect}]`, { skip }, () => {
    let s: TestServer;
    let alice: TestUser;
    let dir: string;

    const restic = (login: Login, repo: string, ...args: string[]): Promise<Run> =>
      new Promise((resolve) => {
        const auth =
          login === 'v1.0'
            ? { ST_AUTH: `${s.url}/auth/v1.0`, ST_USER: alice.name, ST_KEY: alice.token }
            : {
                OS_AUTH_URL: `${s.url}/identity/v3`,
                OS_USERNAME: alice.name,
                OS_PASSWORD: alice.token,
                OS_USER_DOMAIN_NAME: 'Default',
                OS_PROJECT_NAME: alice.name, // a project is named after its user (openstack.md)
                OS_PROJECT_DOMAIN_NAME: 'Default',
              };
        const env = {
          ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(RESTIC|OS|ST)_/.test(k))),
          HOME: dir,
          XDG_CACHE_HOME: path.join(dir, 'cache'),
          RESTIC_REPOSITORY: repo,
          RESTIC_PASSWORD: 'correct horse battery staple',
          ...auth,
        };
        execFile(RESTIC, ['--no-cache', ...args], { cwd: dir, env, timeout: CLI_LIMIT_MS }, (err, stdout, stderr) => {
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
        });
      });
    const ok = async (login: Login, repo: string, ...args: string[]): Promise<string> => {
      const r = await restic(login, repo, ...args);
      assert.equal(r.code, 0, `restic ${args.join(' ')} → ${r.code}\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    };
    const tree = (root: string): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const full = path.join(entry.parentPath, entry.name);
        out[path.relative(root, full)] = fs.readFileSync(full).toString('base64');
      }
      return out;
    };

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
      const r = await new Promise<Run>((resolve) => {
        execFile(
          RESTIC,
          ['--no-cache', 'snapshots'],
          {
            cwd: dir,
            timeout: CLI_LIMIT_MS,
            env: {
              ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(RESTIC|OS|ST)_/.test(k))),
              HOME: dir,
              RESTIC_REPOSITORY: 'swift:restic-v10:/repo',
              RESTIC_PASSWORD: 'wrong',
              ST_AUTH: `${s.url}/auth/v1.0`,
              ST_USER: alice.name,
              ST_KEY: alice.token,
            },
          },
          (err, stdout, stderr) =>
            resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        );
      });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /wrong password|no key found/i);
    });
  });
}
