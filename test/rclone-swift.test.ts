/**
 * Debian's `rclone` with a `swift` remote against the Swift mount (issue 19), logging in through
 * v1.0 auth: `mkdir`, `sync` of a tree up, `lsf -R`, `check`, `sync` back down (the same bytes),
 * then a change and a deletion synced up and checked again. On every database. Skipped, with a
 * message, where /usr/bin/rclone is not installed (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { call } from './helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const RCLONE = '/usr/bin/rclone';
/** Only there to end a command that hangs. */
const CLI_LIMIT_MS = 180_000;
const skip = fs.existsSync(RCLONE) ? false : `${RCLONE} not found: install rclone to run the rclone tests`;
if (skip) process.stderr.write(`# rclone tests skipped: ${skip}\n`);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

for (const dialect of DIALECTS) {
  describe(`rclone swift remote [${dialect}]`, { skip }, () => {
    let s: TestServer;
    let alice: TestUser;
    let dir: string;
    const rclone = (...args: string[]): Promise<Run> =>
      new Promise((resolve) => {
        const env = {
          ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(RCLONE|OS|ST)_/.test(k))),
          RCLONE_CONFIG: path.join(dir, 'rclone.conf'),
          RCLONE_CONFIG_P_TYPE: 'swift',
          RCLONE_CONFIG_P_AUTH: `${s.url}/auth/v1.0`,
          RCLONE_CONFIG_P_USER: alice.name,
          RCLONE_CONFIG_P_KEY: alice.token,
        };
        execFile(RCLONE, args, { cwd: dir, env, timeout: CLI_LIMIT_MS }, (err, stdout, stderr) => {
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
        });
      });
    const ok = async (...args: string[]): Promise<string> => {
      const r = await rclone(...args);
      assert.equal(r.code, 0, `rclone ${args.join(' ')} → ${r.code}\n${r.stdout}\n${r.stderr}`);
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
