/**
 * Expiry and quotas (issue 19 item 8) over HTTP on both mounts, and the exact container counters:
 * `X-Delete-At` / `X-Delete-After` / `X-Remove-Delete-At` on PUT, POST and COPY, expired objects
 * gone from reads and listings at once and reaped (periodic task, `plankton gc`) through the one
 * delete path; container quotas (Pithos policy, Swift `Quota-Bytes` / `Quota-Count`) and the
 * account quota (CLI, admin POST) answered 413 with nothing written, image uploads (v1, v2)
 * included; the counters compared with a COUNT over the rows after every kind of write. On every
 * database (SQLite; PostgreSQL with PG_URL).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanEnv } from './helpers/child-server.ts';
import { SWIFT_BIN, type Run, swift as swiftCli, swiftTokenArgs } from './helpers/cli-clients.ts';
import { DIALECTS } from './helpers/dialects.ts';
import { O, assertFault, call, eventually, type CallOptions, type Reply } from './helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/plankton.js');
const SWIFT_HTML = 'text/html; charset=UTF-8';
const SWIFT_TEXT = 'text/plain; charset=UTF-8';

type Mount = 'pithos' | 'swift';
const MOUNTS: readonly Mount[] = ['pithos', 'swift'];

const runCli = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { env: cleanEnv() }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      if (err && code === null) return reject(err);
      resolve({ code, stdout, stderr });
    });
  });

const nowSeconds = () => Math.floor(Date.now() / 1000);
/**
 * Seconds a short-lived test object lives: long enough for its PUTs to arrive before it expires
 * on a loaded machine (else the PUT itself is refused as "in past"); the tests wait it out.
 */
const LIFE = 6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const dialect of DIALECTS) {
  describe(`expiry, quotas and counters [${dialect}]`, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let admin: TestUser;

    /** The path of an account/container/object on a mount. */
    const at = (mount: Mount, account: string, container?: string, object?: string, query = ''): string => {
      let out = mount === 'swift' ? `/swift/v1/AUTH_${account}` : `${O}/${account}`;
      if (container !== undefined) out += `/${encodeURIComponent(container)}`;
      if (object !== undefined) out += `/${object.split('/').map(encodeURIComponent).join('/')}`;
      return out + (query ? `?${query}` : '');
    };
    const as =
      (u: TestUser) =>
      (method: string, p: string, opts: CallOptions = {}): Promise<Reply> =>
        call(s, method, p, { token: u.token, ...opts });

    /** The container's counters as HEAD shows them, and the same from the rows. */
    async function countersMatch(
      u: TestUser,
      container: string,
      what: string,
    ): Promise<{ count: number; bytes: number }> {
      const head = await as(u)('HEAD', at('pithos', u.uuid, container));
      assert.equal(head.status, 204, what);
      const db = s.services.metadata.db;
      const c = await db
        .selectFrom('containers')
        .select('id')
        .where('account', '=', u.uuid)
        .where('name', '=', container)
        .executeTakeFirstOrThrow();
      const rows = await db
        .selectFrom('objects')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size').as('bytes')])
        .where('container_id', '=', c.id)
        .executeTakeFirstOrThrow();
      const count = Number(rows.n);
      const bytes = Number(rows.bytes ?? 0);
      assert.equal(head.header('x-container-object-count'), String(count), `${what}: object count`);
      assert.equal(head.header('x-container-bytes-used'), String(bytes), `${what}: bytes used`);
      const all = await db
        .selectFrom('objects')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size').as('bytes')])
        .where('account', '=', u.uuid)
        .executeTakeFirstOrThrow();
      const acct = await as(u)('HEAD', at('pithos', u.uuid));
      assert.equal(acct.header('x-account-object-count'), String(Number(all.n)), `${what}: account object count`);
      assert.equal(acct.header('x-account-bytes-used'), String(Number(all.bytes ?? 0)), `${what}: account bytes`);
      return { count, bytes };
    }

    /** The names a container listing shows (JSON, both mounts alike). */
    const names = async (u: TestUser, mount: Mount, container: string): Promise<string[]> => {
      const r = await as(u)('GET', at(mount, u.uuid, container, undefined, 'format=json'));
      assert.ok(r.status === 200 || r.status === 204, `listing: ${r.status}`);
      return r.status === 204 ? [] : r.json().map((e: { name: string }) => e.name);
    };

    /** Asserts a 4xx in the mount's shape (Pithos: JSON fault; Swift: plain text for a 400, else its HTML page). */
    function assertMountFault(mount: Mount, r: Reply, status: number, message: string): void {
      if (mount === 'pithos') {
        assertFault(r, status, message);
        return;
      }
      assert.equal(r.status, status, r.text());
      assert.equal(r.header('content-type'), status === 400 ? SWIFT_TEXT : SWIFT_HTML);
      assert.match(r.text(), new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    }

    before(async () => {
      // No periodic reaping here: the tests reap when they mean to (the reaper's own test starts it).
      s = await startTestServer(dialect, { expiryReapInterval: '0' });
      alice = await s.user('alice-expiry');
      bob = await s.user('bob-expiry');
      admin = await s.user('admin-expiry', { admin: true });
    });
    after(async () => {
      await s?.close();
    });

    for (const mount of MOUNTS) {
      it(`${mount}: X-Delete-At / -After on PUT, POST and COPY; shown on HEAD; removable; bad values 400 with nothing written`, async () => {
        const A = as(alice);
        const c = `exp-${mount}`;
        assert.ok([201, 202].includes((await A('PUT', at(mount, alice.uuid, c))).status));
        const later = nowSeconds() + 3600;
        const put = await A('PUT', at(mount, alice.uuid, c, 'at'), { body: 'abc', headers: { 'X-Delete-At': later } });
        assert.equal(put.status, 201);
        assert.equal((await A('HEAD', at(mount, alice.uuid, c, 'at'))).header('x-delete-at'), String(later));

        const before = nowSeconds();
        await A('PUT', at(mount, alice.uuid, c, 'after'), { body: 'abcd', headers: { 'X-Delete-After': 600 } });
        const shown = Number((await A('GET', at(mount, alice.uuid, c, 'after'))).header('x-delete-at'));
        assert.ok(shown >= before + 600 && shown <= nowSeconds() + 601, `X-Delete-At ${shown} ≈ now + 600`);

        // POST sets, keeps (no header) and removes it.
        await A('PUT', at(mount, alice.uuid, c, 'plain'), { body: 'x' });
        assert.equal((await A('HEAD', at(mount, alice.uuid, c, 'plain'))).header('x-delete-at'), undefined);
        const post = await A('POST', at(mount, alice.uuid, c, 'plain'), { headers: { 'X-Delete-At': later } });
        assert.equal(post.status, mount === 'swift' ? 204 : 202);
        assert.equal((await A('HEAD', at(mount, alice.uuid, c, 'plain'))).header('x-delete-at'), String(later));
        await A('POST', at(mount, alice.uuid, c, 'plain'), { headers: { 'X-Object-Meta-Color': 'red' } });
        assert.equal((await A('HEAD', at(mount, alice.uuid, c, 'plain'))).header('x-delete-at'), String(later));
        await A('POST', at(mount, alice.uuid, c, 'plain'), { headers: { 'X-Remove-Delete-At': '1' } });
        assert.equal((await A('HEAD', at(mount, alice.uuid, c, 'plain'))).header('x-delete-at'), undefined);

        // A copy takes the request's expiry, never the source's.
        const copy = await A('PUT', at(mount, alice.uuid, c, 'copy'), {
          headers: { 'X-Copy-From': `/${c}/at`, 'X-Delete-After': '900' },
        });
        assert.equal(copy.status, 201);
        assert.ok(Number((await A('HEAD', at(mount, alice.uuid, c, 'copy'))).header('x-delete-at')) >= before + 900);
        await A('COPY', at(mount, alice.uuid, c, 'at'), { headers: { Destination: `/${c}/copy2` } });
        assert.equal((await A('HEAD', at(mount, alice.uuid, c, 'copy2'))).header('x-delete-at'), undefined);

        // Garbage and the past: Swift's 400 texts, nothing written.
        const bad: [Record<string, string | number>, string][] = [
          [{ 'X-Delete-At': 'soon' }, 'Non-integer X-Delete-At'],
          [{ 'X-Delete-At': '1.5' }, 'Non-integer X-Delete-At'],
          [{ 'X-Delete-At': nowSeconds() - 10 }, 'X-Delete-At in past'],
          [{ 'X-Delete-After': 'x' }, 'Non-integer X-Delete-After'],
          [{ 'X-Delete-After': '-5' }, 'X-Delete-After in past'],
          [{ 'X-Delete-After': '9007199254740991' }, 'Non-integer X-Delete-After'],
          [{ 'X-Delete-At': '99999999999999999999' }, 'Non-integer X-Delete-At'],
        ];
        for (const [headers, message] of bad) {
          const r = await A('PUT', at(mount, alice.uuid, c, 'bad'), { body: 'nope', headers });
          assertMountFault(mount, r, 400, message);
          assert.equal((await A('HEAD', at(mount, alice.uuid, c, 'bad'))).status, 404, 'nothing written');
          const p = await A('POST', at(mount, alice.uuid, c, 'plain'), { headers });
          assertMountFault(mount, p, 400, message);
          const cp = await A('PUT', at(mount, alice.uuid, c, 'bad'), {
            headers: { ...headers, 'X-Copy-From': `/${c}/at` },
          });
          assertMountFault(mount, cp, 400, message);
        }
        assert.equal((await A('HEAD', at(mount, alice.uuid, c, 'plain'))).header('x-delete-at'), undefined);
        await countersMatch(alice, c, `${mount} expiry headers`);
      });

      it(`${mount}: an expired object vanishes from GET, HEAD, listings and its public link at once; counted until reaped; a new PUT starts afresh`, async () => {
        const A = as(alice);
        const c = `vanish-${mount}`;
        await A('PUT', at(mount, alice.uuid, c));
        await A('PUT', at(mount, alice.uuid, c, 'stays'), { body: 'kept' });
        const soon = nowSeconds() + LIFE;
        await A('PUT', at(mount, alice.uuid, c, 'goes'), {
          body: 'short-lived',
          headers: { 'X-Delete-At': soon, 'X-Object-Sharing': `read=${bob.uuid}` },
        });
        const uuid = (await A('HEAD', at('pithos', alice.uuid, c, 'goes'))).header('x-object-uuid');
        await A('POST', at('pithos', alice.uuid, c, 'goes'), { headers: { 'X-Object-Public': 'true' } });
        const link = (await A('HEAD', at('pithos', alice.uuid, c, 'goes'))).header('x-object-public')!;
        assert.equal((await call(link, 'GET', new URL(link).pathname)).status, 200);
        assert.deepEqual(await names(alice, mount, c), ['goes', 'stays']);
        await sleep(Math.max(0, soon * 1000 - Date.now()) + 50);

        assert.equal((await A('GET', at(mount, alice.uuid, c, 'goes'))).status, 404);
        assert.equal((await A('HEAD', at(mount, alice.uuid, c, 'goes'))).status, 404);
        assert.equal((await as(bob)('GET', at(mount, alice.uuid, c, 'goes'))).status === 200, false);
        assert.equal((await call(link, 'GET', new URL(link).pathname)).status, 404, 'the public link is gone');
        assert.equal(
          (await A('POST', at(mount, alice.uuid, c, 'goes'), { headers: { 'X-Remove-Delete-At': '1' } })).status,
          404,
        );
        assert.deepEqual(await names(alice, mount, c), ['stays']);
        // Swift's rule: the row counts until it is reaped.
        assert.deepEqual(await countersMatch(alice, c, 'expired, not reaped'), { count: 2, bytes: 4 + 11 });

        // A new object at the name: a new uuid, no grants, no public link; the expired row is gone.
        await A('PUT', at(mount, alice.uuid, c, 'goes'), { body: 'new' });
        const fresh = await A('HEAD', at('pithos', alice.uuid, c, 'goes'));
        assert.notEqual(fresh.header('x-object-uuid'), uuid);
        assert.equal(fresh.header('x-object-sharing'), undefined);
        assert.equal(fresh.header('x-object-public'), undefined);
        assert.deepEqual(await countersMatch(alice, c, 'replaced'), { count: 2, bytes: 4 + 3 });
      });
    }

    it('reaping: the periodic task and `plankton gc` remove expired objects through the delete path; counters follow', async () => {
      const A = as(alice);
      const c = 'reap';
      await A('PUT', at('swift', alice.uuid, c));
      const soon = nowSeconds() + LIFE;
      for (const n of ['a', 'b', 'c'])
        await A('PUT', at('swift', alice.uuid, c, n), { body: n.repeat(10), headers: { 'X-Delete-At': soon } });
      await A('PUT', at('swift', alice.uuid, c, 'keep'), { body: 'keep', headers: { 'X-Delete-At': soon + 3600 } });
      assert.deepEqual(await countersMatch(alice, c, 'before expiry'), { count: 4, bytes: 34 });
      await sleep(Math.max(0, soon * 1000 - Date.now()) + 50);

      // The command, next to the serving process.
      const url = s.services.settings.databaseUrl;
      const gc = await runCli(['gc', '--data-dir', s.dataDir, ...(url ? ['--database-url', url] : [])]);
      assert.equal(gc.code, 0, gc.stderr);
      assert.match(gc.stdout, /removed 3 expired objects/);
      assert.deepEqual(await countersMatch(alice, c, 'after gc'), { count: 1, bytes: 4 });
      assert.deepEqual(await names(alice, 'swift', c), ['keep']);

      // The periodic task in serve.
      const t = await startTestServer(s.dialect, { expiryReapInterval: '1s' });
      try {
        const u = await t.user('reaper-user');
        const soon2 = nowSeconds() + LIFE;
        await call(t, 'PUT', `/swift/v1/AUTH_${u.uuid}/r`, { token: u.token });
        await call(t, 'PUT', `/swift/v1/AUTH_${u.uuid}/r/x`, {
          token: u.token,
          body: 'xx',
          headers: { 'X-Delete-At': soon2 },
        });
        const { startExpiryReaper } = await import('../src/domain/objects/expiry-reaper.ts');
        const logged: object[] = [];
        const reaper = startExpiryReaper(t.services.objects, 1, {
          info: (o) => logged.push(o),
          warn: (o) => logged.push(o),
        });
        try {
          const gone = await eventually(async () => {
            const h = await call(t, 'HEAD', `/swift/v1/AUTH_${u.uuid}/r`, { token: u.token });
            return h.header('x-container-object-count') === '0';
          }, 30_000);
          assert.ok(gone, 'reaped by the periodic task');
          assert.deepEqual(logged, [{ reaped: 1 }]);
        } finally {
          await reaper.stop();
        }
      } finally {
        await t.close();
      }
    });

    it('counters stay exact through put, overwrite, copy, move, delete, prefix delete and failed uploads', async () => {
      const A = as(alice);
      const c = 'count';
      const d = 'count2';
      await A('PUT', at('pithos', alice.uuid, c));
      await A('PUT', at('pithos', alice.uuid, d));
      await countersMatch(alice, c, 'empty');
      await A('PUT', at('pithos', alice.uuid, c, 'one'), { body: 'one' });
      await A('PUT', at('swift', alice.uuid, c, 'two'), { body: 'two!' });
      assert.deepEqual(await countersMatch(alice, c, 'two puts'), { count: 2, bytes: 7 });
      await A('PUT', at('pithos', alice.uuid, c, 'one'), { body: 'one, longer' });
      assert.deepEqual(await countersMatch(alice, c, 'overwrite'), { count: 2, bytes: 15 });
      await A('PUT', at('pithos', alice.uuid, d, 'cp'), { headers: { 'X-Copy-From': `/${c}/one` } });
      await countersMatch(alice, d, 'copy: destination');
      await A('PUT', at('pithos', alice.uuid, d, 'mv'), { headers: { 'X-Move-From': `/${c}/two` } });
      assert.deepEqual(await countersMatch(alice, c, 'move: source'), { count: 1, bytes: 11 });
      assert.deepEqual(await countersMatch(alice, d, 'move: destination'), { count: 2, bytes: 15 });
      await A('MOVE', at('pithos', alice.uuid, d, 'mv'), { headers: { Destination: `/${d}/cp` } });
      assert.deepEqual(await countersMatch(alice, d, 'move over an object'), { count: 1, bytes: 4 });
      await A('MOVE', at('pithos', alice.uuid, d, 'cp'), { headers: { Destination: `/${d}/renamed` } });
      assert.deepEqual(await countersMatch(alice, d, 'rename'), { count: 1, bytes: 4 });
      await A('POST', at('pithos', alice.uuid, d, 'renamed'), { headers: { 'X-Object-Meta-K': 'v' } });
      await countersMatch(alice, d, 'meta change');
      // Failed uploads: a wrong ETag, a client gone half-way, a container quota.
      const etag = await A('PUT', at('swift', alice.uuid, c, 'bad-etag'), {
        body: 'data',
        headers: { ETag: 'f'.repeat(32) },
      });
      assert.equal(etag.status, 422);
      assert.deepEqual(await countersMatch(alice, c, 'failed upload'), { count: 1, bytes: 11 });
      for (const n of ['p/1', 'p/2', 'p/3']) await A('PUT', at('pithos', alice.uuid, c, n), { body: n });
      await A('PUT', at('pithos', alice.uuid, c, 'p'), { body: '' });
      await A('DELETE', at('pithos', alice.uuid, c, 'p', 'delimiter=/'));
      assert.deepEqual(await countersMatch(alice, c, 'prefix delete'), { count: 1, bytes: 11 });
      await A('DELETE', at('swift', alice.uuid, c, 'one'));
      assert.deepEqual(await countersMatch(alice, c, 'delete'), { count: 0, bytes: 0 });
      // Listing the account: the same numbers per container.
      const list = (await A('GET', at('swift', alice.uuid, undefined, undefined, 'format=json&prefix=count'))).json();
      assert.deepEqual(
        list.map((e: { name: string; count: number; bytes: number }) => [e.name, e.count, e.bytes]),
        [
          ['count', 0, 0],
          ['count2', 1, 4],
        ],
      );
    });

    it('container quotas: Swift Quota-Bytes / Quota-Count and Pithos policy quota → 413 in each shape, nothing written; bad values 400', async () => {
      const A = as(alice);
      await A('PUT', at('swift', alice.uuid, 'q-swift'), { headers: { 'X-Container-Meta-Quota-Bytes': '10' } });
      const head = await A('HEAD', at('swift', alice.uuid, 'q-swift'));
      assert.equal(head.header('x-container-meta-quota-bytes'), '10');
      assert.equal((await A('PUT', at('swift', alice.uuid, 'q-swift', 'a'), { body: '123456' })).status, 201);
      const over = await A('PUT', at('swift', alice.uuid, 'q-swift', 'b'), { body: '12345' });
      assertMountFault('swift', over, 413, 'Upload exceeds quota.');
      assert.equal((await A('HEAD', at('swift', alice.uuid, 'q-swift', 'b'))).status, 404);
      // Streamed (chunked) past the quota: cut as it arrives.
      const chunked = await A('PUT', at('pithos', alice.uuid, 'q-swift', 'c'), {
        body: Buffer.alloc(64 * 1024, 1),
        chunked: 4096,
      });
      assertFault(chunked, 413, /^Quota error: Container quota exceeded: limit: 10/);
      // An overwrite frees what it replaces.
      assert.equal((await A('PUT', at('swift', alice.uuid, 'q-swift', 'a'), { body: '1234567890' })).status, 201);
      assert.deepEqual(await countersMatch(alice, 'q-swift', 'after quota refusals'), { count: 1, bytes: 10 });
      // Copy into a full container: 413 as well.
      await A('PUT', at('swift', alice.uuid, 'free'));
      await A('PUT', at('swift', alice.uuid, 'free', 'x'), { body: 'x' });
      const cp = await A('PUT', at('swift', alice.uuid, 'q-swift', 'x'), { headers: { 'X-Copy-From': '/free/x' } });
      assertMountFault('swift', cp, 413, 'Upload exceeds quota.');

      await A('PUT', at('swift', alice.uuid, 'q-count'), { headers: { 'X-Container-Meta-Quota-Count': '2' } });
      for (const n of ['1', '2'])
        assert.equal((await A('PUT', at('swift', alice.uuid, 'q-count', n), { body: n })).status, 201);
      assertMountFault(
        'swift',
        await A('PUT', at('swift', alice.uuid, 'q-count', '3'), { body: '3' }),
        413,
        'Upload exceeds quota.',
      );
      assert.equal(
        (await A('PUT', at('swift', alice.uuid, 'q-count', '2'), { body: 'again' })).status,
        201,
        'an overwrite adds no object',
      );
      // Removing the quota lifts it.
      await A('POST', at('swift', alice.uuid, 'q-count'), { headers: { 'X-Remove-Container-Meta-Quota-Count': 'x' } });
      assert.equal((await A('PUT', at('swift', alice.uuid, 'q-count', '3'), { body: '3' })).status, 201);

      await A('PUT', at('pithos', alice.uuid, 'q-pithos'), { headers: { 'X-Container-Policy-Quota': '5' } });
      const pithosOver = await A('PUT', at('pithos', alice.uuid, 'q-pithos', 'big'), { body: '123456' });
      assertFault(pithosOver, 413, 'Quota error: Container quota exceeded: limit: 5, usage: 0');

      for (const mount of MOUNTS)
        for (const [h, message] of [
          ['X-Container-Meta-Quota-Bytes', 'Invalid bytes quota.'],
          ['X-Container-Meta-Quota-Count', 'Invalid count quota.'],
        ]) {
          assertMountFault(
            mount,
            await A('POST', at(mount, alice.uuid, 'q-swift'), { headers: { [h]: '-1' } }),
            400,
            message,
          );
          assertMountFault(
            mount,
            await A('PUT', at(mount, alice.uuid, 'q-bad'), { headers: { [h]: 'lots' } }),
            400,
            message,
          );
        }
      assert.equal((await A('HEAD', at('swift', alice.uuid, 'q-bad'))).status, 404, 'no container made');
      assert.equal((await A('HEAD', at('swift', alice.uuid, 'q-swift'))).header('x-container-meta-quota-bytes'), '10');
    });

    it('account quota: set by the CLI or an admin POST, never by the user; 413 for objects and for v1 and v2 image uploads', async () => {
      const carol = await s.user('carol-quota');
      const C = as(carol);
      // The user may not set it (Swift's account_quotas: 403), on either mount.
      assertMountFault(
        'swift',
        await C('POST', at('swift', carol.uuid), { headers: { 'X-Account-Meta-Quota-Bytes': '1000000' } }),
        403,
        'Forbidden',
      );
      assertFault(await C('POST', at('pithos', carol.uuid), { headers: { 'X-Account-Policy-Quota': '1000000' } }), 403);
      assert.equal((await C('HEAD', at('pithos', carol.uuid))).header('x-account-policy-quota'), '0');

      const url = s.services.settings.databaseUrl;
      const storage = ['--data-dir', s.dataDir, ...(url ? ['--database-url', url] : [])];
      const set = await runCli(['account', 'quota', carol.name, '20', '--json', ...storage]);
      assert.equal(set.code, 0, set.stderr);
      assert.deepEqual(JSON.parse(set.stdout), { uuid: carol.uuid, quota: 20, bytes_used: 0 });
      const bad = await runCli(['account', 'quota', carol.name, 'lots', ...storage]);
      assert.equal(bad.code, 2);
      assert.equal((await C('HEAD', at('pithos', carol.uuid))).header('x-account-policy-quota'), '20');
      assert.equal((await C('HEAD', at('swift', carol.uuid))).header('x-account-meta-quota-bytes'), '20');

      await C('PUT', at('swift', carol.uuid, 'one'));
      await C('PUT', at('swift', carol.uuid, 'two'));
      assert.equal((await C('PUT', at('swift', carol.uuid, 'one', 'a'), { body: 'x'.repeat(15) })).status, 201);
      assertMountFault(
        'swift',
        await C('PUT', at('swift', carol.uuid, 'two', 'b'), { body: 'x'.repeat(6) }),
        413,
        'Upload exceeds quota.',
      );
      assertFault(
        await C('PUT', at('pithos', carol.uuid, 'two', 'b'), { body: 'x'.repeat(6) }),
        413,
        'Quota error: Account quota exceeded: limit: 20, usage: 15',
      );
      assert.equal((await C('PUT', at('swift', carol.uuid, 'two', 'b'), { body: 'x'.repeat(5) })).status, 201);

      // Images are objects: the same quota refuses their data, and nothing becomes active.
      const v1 = await s.fetch('/image/v1/images', {
        method: 'POST',
        token: carol.token,
        headers: {
          'Content-Type': 'application/octet-stream',
          'x-image-meta-name': 'too-big',
          'x-image-meta-disk_format': 'raw',
          'x-image-meta-container_format': 'bare',
        },
        body: new Uint8Array(100),
      });
      assert.equal(v1.status, 413, await v1.clone().text());
      const created = await s.fetch('/image/v2/images', {
        method: 'POST',
        token: carol.token,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'v2-too-big', disk_format: 'raw', container_format: 'bare' }),
      });
      assert.equal(created.status, 201);
      const img = (await created.json()) as { id: string };
      const up = await s.fetch(`/image/v2/images/${img.id}/file`, {
        method: 'PUT',
        token: carol.token,
        headers: { 'Content-Type': 'application/octet-stream' },
        body: new Uint8Array(100),
      });
      assert.equal(up.status, 413, await up.clone().text());
      const shown = (await (await s.fetch(`/image/v2/images/${img.id}`, { token: carol.token })).json()) as {
        status: string;
      };
      assert.notEqual(shown.status, 'active');
      const usage = await runCli(['account', 'quota', carol.uuid, '--json', ...storage]);
      assert.deepEqual(JSON.parse(usage.stdout), { uuid: carol.uuid, quota: 20, bytes_used: 20 });

      // An admin lifts it over HTTP (on his own account here: the account POST is the owner's).
      const AD = as(admin);
      assert.equal(
        (await AD('POST', at('swift', admin.uuid), { headers: { 'X-Account-Meta-Quota-Bytes': '3' } })).status,
        204,
      );
      assert.equal((await AD('HEAD', at('swift', admin.uuid))).header('x-account-meta-quota-bytes'), '3');
      await AD('PUT', at('swift', admin.uuid, 'c'));
      assertMountFault(
        'swift',
        await AD('PUT', at('swift', admin.uuid, 'c', 'o'), { body: 'four' }),
        413,
        'Upload exceeds quota.',
      );
      await AD('POST', at('swift', admin.uuid), { headers: { 'X-Remove-Account-Meta-Quota-Bytes': 'x' } });
      assert.equal((await AD('HEAD', at('swift', admin.uuid))).header('x-account-meta-quota-bytes'), undefined);
      assert.equal((await AD('PUT', at('swift', admin.uuid, 'c', 'o'), { body: 'four' })).status, 201);
      const noQuota = await runCli(['account', 'quota', carol.uuid, '0', ...storage]);
      assert.match(noQuota.stdout, /quota none/);
      assert.equal((await C('PUT', at('swift', carol.uuid, 'two', 'c'), { body: 'x'.repeat(100) })).status, 201);
    });

    it('/info announces the quota middlewares as Swift does (expiry has no /info entry in Swift)', async () => {
      const doc = (await call(s, 'GET', '/info')).json();
      assert.deepEqual(doc.container_quotas, {});
      assert.deepEqual(doc.account_quotas, {});
    });
  });
}

const swiftSkip = fs.existsSync(SWIFT_BIN) ? false : `${SWIFT_BIN} not found: install python3-swiftclient`;

describe('swift CLI: post -H X-Delete-After, stat shows X-Delete-At', { skip: swiftSkip }, () => {
  let s: TestServer;
  let u: TestUser;
  const swift = (...args: string[]): Promise<Run> =>
    swiftCli([...swiftTokenArgs(`${s.url}/swift/v1/AUTH_${u.uuid}`, u.token), ...args]);
  before(async () => {
    s = await startTestServer(DIALECTS[0], { expiryReapInterval: '0' });
    u = await s.user('swift-expiry');
    await call(s, 'PUT', `/swift/v1/AUTH_${u.uuid}/c`, { token: u.token });
    await call(s, 'PUT', `/swift/v1/AUTH_${u.uuid}/c/o`, { token: u.token, body: 'expiring' });
  });
  after(async () => {
    await s?.close();
  });

  it('sets the expiry; a bad one fails the command and changes nothing', async () => {
    const before = nowSeconds();
    const post = await swift('post', '-H', 'X-Delete-After:3600', 'c', 'o');
    assert.equal(post.code, 0, post.stderr);
    const stat = await swift('stat', 'c', 'o');
    assert.equal(stat.code, 0, stat.stderr);
    const m = /X-Delete-At:\s*(\d+)/i.exec(stat.stdout);
    assert.ok(m, stat.stdout);
    assert.ok(Number(m[1]) >= before + 3600 && Number(m[1]) <= nowSeconds() + 3601);
    const bad = await swift('post', '-H', 'X-Delete-At:yesterday', 'c', 'o');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /400/);
    assert.equal(
      (await call(s, 'HEAD', `/swift/v1/AUTH_${u.uuid}/c/o`, { token: u.token })).header('x-delete-at'),
      m[1],
    );
  });
});
