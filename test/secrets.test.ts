import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { plankton, startChildServer, type ChildServer } from './helpers/child-server.ts';
import { eventually } from './helpers/object-store.ts';

/** Tokens are stored only hashed and never reach a log line, whichever way they are presented. */
describe('secrets', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-secrets-'));
  let server: ChildServer;
  let user: { uuid: string; token: string };
  before(async () => {
    user = JSON.parse(await plankton(['user', 'create', 'secret@example.org', '--json', '--data-dir', dataDir]));
    server = await startChildServer(['--data-dir', dataDir], { logLevel: 'debug' });
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('never logs a token, in a header, a query string, a body, or a failed attempt', async () => {
    const T = user.token;
    const base = `${server.url}/object-store/v1/${user.uuid}`;
    await fetch(`${server.url}/identity/v2.0/tokens`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ auth: { token: { id: T } } }) });
    await fetch(`${base}/c`, { method: 'PUT', headers: { 'X-Auth-Token': T } });
    await fetch(`${base}/c?X-Auth-Token=${T}&format=json`);
    await fetch(`${base}/c/o?format=json&X-Auth-Token=${T}`, { method: 'PUT', body: 'x' });
    await fetch(`${server.url}/image/v1/images?X-Auth-Token=${T}`);
    const wrong = T.slice(0, -4) + 'AAAA';
    await fetch(`${base}?X-Auth-Token=${wrong}`);
    const last = await fetch(`${server.url}/identity/v2.0/tokens`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ auth: { token: { id: wrong } } }) });
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
