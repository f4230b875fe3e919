import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { cleanEnv, plankton, startChildServer, type ChildServer } from './helpers/child-server.ts';
import { eventually } from './helpers/object-store.ts';

const PASSWORD = 'the-password-of-secret-7f3a';
const WRONG_PASSWORD = 'a-wrong-guess-91c2';

/** Tokens are stored only hashed and never reach a log line, whichever way they are presented. */
describe('secrets', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-secrets-'));
  let server: ChildServer;
  let user: { uuid: string; token: string };
  before(async () => {
    user = JSON.parse(await plankton(['user', 'create', 'secret@example.org', '--json', '--data-dir', dataDir]));
    execFileSync(
      process.execPath,
      [
        path.resolve(import.meta.dirname, '../bin/plankton.js'),
        'user',
        'password',
        'secret@example.org',
        '--stdin',
        '--data-dir',
        dataDir,
      ],
      { input: `${PASSWORD}\n`, env: cleanEnv() },
    );
    server = await startChildServer(['--data-dir', dataDir], { logLevel: 'debug' });
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('never logs a token, in a header, a query string, a body, or a failed attempt', async () => {
    const T = user.token;
    const base = `${server.url}/object-store/v1/${user.uuid}`;
    await fetch(`${server.url}/identity/v2.0/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ auth: { token: { id: T } } }),
    });
    await fetch(`${base}/c`, { method: 'PUT', headers: { 'X-Auth-Token': T } });
    await fetch(`${base}/c?X-Auth-Token=${T}&format=json`);
    await fetch(`${base}/c/o?format=json&X-Auth-Token=${T}`, { method: 'PUT', body: 'x' });
    await fetch(`${server.url}/image/v1/images?X-Auth-Token=${T}`);
    const wrong = `${T.slice(0, -4)}AAAA`;
    await fetch(`${base}?X-Auth-Token=${wrong}`);
    const last = await fetch(`${server.url}/identity/v2.0/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ auth: { token: { id: wrong } } }),
    });
    // The child writes its log asynchronously: wait for the last request's line rather than a fixed
    // pause, which a loaded machine can outlast (and then the checks below would read half a log).
    const lastId = last.headers.get('x-request-id');
    assert.ok(lastId);
    assert.ok(await eventually(() => server.stdout().includes(`"reqId":"${lastId}"`)), 'the last request is logged');
    const log = server.stdout();
    assert.ok(log.includes('"msg":"request"'), 'the access log is written');
    assert.ok(log.includes('X-Auth-Token=<redacted>'), 'query tokens are redacted in the access log');
    assert.ok(!log.includes(T), 'a valid token reached the log');
    assert.ok(!log.includes(wrong), 'a rejected token reached the log');
  });

  it('never logs a password or a minted token, whether the login succeeds, fails or is malformed', async () => {
    const login = (password: unknown, name: unknown = 'secret@example.org') =>
      fetch(`${server.url}/identity/v3/auth/tokens`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: { methods: ['password'], password: { user: { name, domain: { id: 'default' }, password } } },
          },
        }),
      });
    const ok = await login(PASSWORD);
    assert.equal(ok.status, 201);
    const minted = ok.headers.get('x-subject-token')!;
    assert.equal((await login(WRONG_PASSWORD)).status, 401);
    assert.equal((await login(WRONG_PASSWORD, 'nobody@example.org')).status, 401);
    assert.equal((await login([WRONG_PASSWORD])).status, 400);
    assert.equal((await login(WRONG_PASSWORD + 'x'.repeat(5000))).status, 400);
    const broken = await fetch(`${server.url}/identity/v3/auth/tokens`, {
      method: 'POST',
      body: `{"auth": "${WRONG_PASSWORD}`,
    });
    assert.equal(broken.status, 400);
    await new Promise((r) => setTimeout(r, 300));
    const log = server.stdout();
    assert.ok(log.includes('keystone v3: authentication refused'), 'refusals are logged (why, not with what)');
    for (const secret of [PASSWORD, WRONG_PASSWORD, minted])
      assert.ok(!log.includes(secret), 'a password or minted token reached the log');
  });

  it('keeps only a salted scrypt hash of each password at rest', () => {
    const db = new SQLite(path.join(dataDir, 'plankton.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('select * from user_passwords').all() as { user_uuid: string; hash: string }[];
      assert.equal(rows.length, 1);
      assert.equal(rows[0].user_uuid, user.uuid);
      assert.match(rows[0].hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      const dump = JSON.stringify(
        ['user_passwords', 'tokens', 'users', 'login_failures'].map((t) => db.prepare(`select * from ${t}`).all()),
      );
      assert.ok(!dump.includes(PASSWORD) && !dump.includes(WRONG_PASSWORD));
    } finally {
      db.close();
    }
  });

  it('keeps only the sha256 of each token at rest', () => {
    const db = new SQLite(path.join(dataDir, 'plankton.sqlite'), { readonly: true });
    try {
      const dump = JSON.stringify(db.prepare('select * from tokens').all());
      assert.ok(!dump.includes(user.token));
      assert.match(dump, /"hash":"[0-9a-f]{64}"/);
    } finally {
      db.close();
    }
  });
});
