/**
 * The `plankton` command as operators and scripts use it: real processes (`node bin/plankton.js`),
 * a temp --data-dir each, and an environment without PLANKTON_* variables. With PG_URL set the
 * same commands also run against a fresh PostgreSQL database.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { freshPostgresDatabase } from './helpers/dialects.ts';

const BIN = fileURLToPath(new URL('../bin/plankton.js', import.meta.url));
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLANKTON_')));
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-cli-'));
  dirs.push(d);
  return d;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
}

function plankton(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = start(args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A failure is reported as exactly one line on stderr, never a stack trace. */
function oneErrorLine(r: Run, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit status (stderr: ${r.stderr})`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
}

/**
 * `serve` until its banner is complete on stderr; resolves with the banner and the listening URL.
 * One process (`--workers 1`): these tests are about the CLI contract, and the cluster's start-up
 * (three processes to compile and start) is tested in serve-workers.test.ts.
 */
function serve(...args: string[]): Promise<{ child: ChildProcess; banner: string; url: string }> {
  const child = start(['serve', '--port', '0', '--workers', '1', ...args]);
  child.stdout!.resume(); // the JSON log
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (c) => {
      stderr += c;
      const url = /serving at (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url && /^(More users:|Get a token with:).*\n/m.test(stderr)) resolve({ child, banner: stderr, url });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code} before its banner:\n${stderr}`)));
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

async function authenticate(url: string, token: string) {
  const r = await fetch(`${url}/identity/v2.0/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth: { token: { id: token } } }),
  });
  return { status: r.status, body: await r.json() };
}

/**
 * Each test runs several `node bin/plankton.js` processes (tsx compiles on every start): about 7 s
 * idle, 20–40 s seen on a loaded 2-core machine. A per-test limit with room for that, rather than
 * a cap on the whole suite (which cancelled the last tests under load), so only a hang fails.
 */
const SLOW = { timeout: 180_000 };

describe('plankton CLI', () => {
  it('creates users and issues, lists and revokes tokens', SLOW, async () => {
    const dir = ['--data-dir', tempDir()];
    const created = await plankton('user', 'create', 'alice', '--json', ...dir);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stderr, '');
    assert.match(created.stdout, /^[^\n]+\n$/, 'exactly one line on stdout');
    const alice = JSON.parse(created.stdout);
    assert.deepEqual(Object.keys(alice).sort(), ['name', 'token', 'uuid']);
    assert.match(alice.uuid, UUID4);
    assert.equal(alice.name, 'alice');
    assert.match(alice.token, TOKEN);

    const [duplicate, list, issued] = await Promise.all([
      plankton('user', 'create', 'alice', ...dir),
      plankton('user', 'list', ...dir),
      plankton('token', 'issue', 'alice', '--quiet', ...dir),
    ]);
    oneErrorLine(duplicate, 1, /already exists/);
    assert.equal(list.code, 0);
    assert.match(list.stdout, new RegExp(`^${alice.uuid}\\s+alice\\s+-\\s+active$`, 'm'));
    assert.equal(list.stdout.match(/^[0-9a-f]{8}-/gm)?.length, 1, 'the failed create added nobody');

    assert.equal(issued.code, 0, issued.stderr);
    assert.match(issued.stdout, /^[A-Za-z0-9_-]{43}\n$/, 'only the token');
    const second = issued.stdout.trim();
    assert.notEqual(second, alice.token);

    const revoked = await plankton('token', 'revoke', second, ...dir);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, /^revoked [0-9a-f]+\n$/);
    // Only the first token is still active, so --user revokes exactly one more.
    const all = await plankton('token', 'revoke', '--user', 'alice', ...dir);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^revoked 1 token\(s\) of alice$/m);

    const tokens = await plankton('token', 'list', ...dir);
    assert.equal(tokens.code, 0, tokens.stderr);
    const rows = tokens.stdout.trim().split('\n');
    assert.match(rows[0], /^TOKEN_ID\s+USER\s+CREATED\s+EXPIRES\s+STATE$/);
    assert.equal(rows.length, 3, tokens.stdout);
    for (const row of rows.slice(1)) assert.match(row, /^[0-9a-f]+\s+alice\s+\S+\s+\S+\s+revoked$/);
    assert.ok(!tokens.stdout.includes(alice.token) && !tokens.stdout.includes(second), 'no secret in the listing');
  });

  it('migrate applies the migrations once', SLOW, async () => {
    const dir = tempDir();
    const first = await plankton('migrate', '--data-dir', dir);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^applied 001-\S+/);
    assert.ok(fs.existsSync(path.join(dir, 'plankton.sqlite')));
    const again = await plankton('migrate', '--data-dir', dir);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /up to date\n$/);
  });

  it('reports usage errors with status 2 and failures with status 1, without stack traces', SLOW, async () => {
    const file = path.join(tempDir(), 'a-file');
    fs.writeFileSync(file, '');
    const [command, flag, url, unwritable] = await Promise.all([
      plankton('frobnicate'),
      plankton('user', 'list', '--frobnicate'),
      plankton('user', 'list', '--database-url', 'nope', '--data-dir', tempDir()),
      plankton('user', 'list', '--data-dir', path.join(file, 'data')),
    ]);
    for (const [r, pattern] of [
      [command, /unknown command 'frobnicate'/],
      [flag, /unknown option '--frobnicate'/],
    ] as const) {
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr.split('\n')[0], pattern);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
    }
    oneErrorLine(url, 2, /--database-url.*"nope"/);
    oneErrorLine(unwritable, 1, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/data`));
  });

  it('serve creates a first admin, prints its token once, and refuses a port in use', SLOW, async () => {
    const dir = tempDir();
    const first = await serve('--data-dir', dir);
    try {
      const token = /shown only this once\):\s+(\S+)/.exec(first.banner)?.[1] ?? '';
      assert.match(token, TOKEN);
      assert.match(first.banner, new RegExp(`url = ${first.url}/identity/v2.0\\n\\s+token = ${token}`));
      assert.equal((await fetch(`${first.url}/healthz`)).status, 200);
      const auth = await authenticate(first.url, token);
      assert.equal(auth.status, 200);
      assert.equal(auth.body.access.user.name, 'admin');
      assert.ok(auth.body.access.user.roles.some((r: { name: string }) => r.name === 'admin'));

      // Same port, another data dir: one clear line, and no admin whose token nobody saw.
      const other = tempDir();
      const port = new URL(first.url).port;
      oneErrorLine(await plankton('serve', '--port', port, '--data-dir', other), 1, new RegExp(`port ${port}.*in use`));
      const users = await plankton('user', 'list', '--json', '--data-dir', other);
      assert.deepEqual(JSON.parse(users.stdout), []);
    } finally {
      assert.equal(await stop(first.child), 0, 'SIGTERM stops serve cleanly');
    }

    const second = await serve('--data-dir', dir);
    try {
      assert.match(second.banner, /plankton token issue admin/);
      assert.doesNotMatch(second.banner, /[A-Za-z0-9_-]{43}/, 'no secret on later starts');
    } finally {
      await stop(second.child);
    }
  });

  it('works on PostgreSQL with --database-url', {
    ...SLOW,
    skip: !process.env.PG_URL && 'PG_URL not set',
  }, async () => {
    const db = await freshPostgresDatabase();
    const dir = tempDir();
    try {
      const created = await plankton(
        'user',
        'create',
        'bob@example.org',
        '--json',
        '--database-url',
        db.url,
        '--data-dir',
        dir,
      );
      assert.equal(created.code, 0, created.stderr);
      const bob = JSON.parse(created.stdout);
      const server = await serve('--database-url', db.url, '--data-dir', dir);
      try {
        const auth = await authenticate(server.url, bob.token);
        assert.equal(auth.status, 200);
        assert.equal(auth.body.access.user.id, bob.uuid);
        assert.equal(auth.body.access.user.name, 'bob@example.org');
      } finally {
        await stop(server.child);
      }
      assert.ok(!fs.existsSync(path.join(dir, 'plankton.sqlite')), 'no SQLite file when a database URL is given');
    } finally {
      await db.drop();
    }
  });
});
