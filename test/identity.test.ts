import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';
import { rawRequest } from './helpers/raw-http.ts';
import { tokenHash } from '../src/domain/identity/tokens.ts';

const postTokens = (
  s: TestServer,
  body: string,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
) => s.fetch('/identity/v2.0/tokens', { method: 'POST', headers, body: Buffer.from(body) });

for (const dialect of DIALECTS) {
  describe(`identity [${dialect}]`, () => {
    let s: TestServer;
    let alice: TestUser;
    let admin: TestUser;
    before(async () => {
      s = await startTestServer(dialect);
      alice = await s.user('alice@example.org');
      admin = await s.user('root@example.org', { admin: true });
    });
    after(() => s.close());

    it('authenticates a token and returns the catalog at the public URL', async () => {
      const r = await postTokens(s, JSON.stringify({ auth: { token: { id: alice.token } } }));
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'application/json; charset=UTF-8');
      const { access } = await r.json();
      assert.equal(access.token.id, alice.token);
      assert.match(access.token.expires, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
      assert.deepEqual(access.token.tenant, { id: alice.uuid, name: alice.name });
      assert.equal(access.user.id, alice.uuid);
      assert.deepEqual(access.user.roles, [{ id: '1', name: 'default' }]);
      const byType = Object.fromEntries(access.serviceCatalog.map((e: any) => [e.type, e]));
      assert.equal(byType['object-store'].endpoints[0].publicURL, `${s.url}/object-store/v1`);
      assert.equal(byType.image.endpoints[0].publicURL, `${s.url}/image/v1.0`);
      assert.equal(byType.identity.endpoints[0].publicURL, `${s.url}/identity/v2.0`);
      const account = access.serviceCatalog.find((e: any) => e.name === 'astakos_account');
      assert.equal(account.endpoints[0].versionId, 'v1.0');
      assert.ok(account.endpoints[0]['SNF:uiURL']);
    });

    it('accepts passwordCredentials with the owner uuid and tenantName, and marks admins', async () => {
      const ok = await postTokens(
        s,
        JSON.stringify({
          auth: { passwordCredentials: { username: admin.uuid, password: admin.token }, tenantName: admin.uuid },
        }),
      );
      assert.equal(ok.status, 200);
      assert.deepEqual(
        (await ok.json()).access.user.roles.map((r: any) => r.name),
        ['default', 'admin'],
      );
      const wrongUser = await postTokens(
        s,
        JSON.stringify({ auth: { passwordCredentials: { username: alice.uuid, password: admin.token } } }),
      );
      assert.equal(wrongUser.status, 401);
      assert.equal((await wrongUser.json()).unauthorized.message, 'Invalid credentials');
      const wrongTenant = await postTokens(
        s,
        JSON.stringify({ auth: { token: { id: admin.token }, tenantName: 'x' } }),
      );
      assert.equal(wrongTenant.status, 400);
      assert.equal((await wrongTenant.json()).badRequest.message, 'Not conforming tenantName');
    });

    it('answers the catalog only for an empty body (public mode)', async () => {
      for (const init of [{ method: 'POST' }, { method: 'POST', body: '' }]) {
        const r = await s.fetch('/identity/v2.0/tokens/', init);
        assert.equal(r.status, 200);
        const body = await r.json();
        assert.deepEqual(Object.keys(body.access), ['serviceCatalog']);
      }
    });

    it('validates the body in the documented order', async () => {
      const cases: [Record<string, string>, string, string][] = [
        [{}, '{"auth":{}}', 'Missing Content-Type header field'],
        [{ 'Content-Type': 'text/plain' }, '{}', "Unsupported Content-type: 'text/plain'"],
        [{ 'Content-Type': 'application/json' }, '{not json', 'Could not decode request body as JSON'],
        [{ 'Content-Type': 'application/json' }, '[]', 'Malformed request: missing credentials'],
        [{ 'Content-Type': 'application/json' }, '{"auth":{"token":{}}}', 'Malformed request: missing credentials'],
        [{ 'Content-Type': 'application/json' }, '{"auth":{"token":{"id":null}}}', 'Malformed request: missing token'],
        [{ 'Content-Type': 'application/json' }, '{"auth":{"token":{"id":5}}}', 'Malformed request: missing token'],
      ];
      for (const [headers, body, message] of cases) {
        const r = await postTokens(s, body, headers);
        assert.equal(r.status, 400, body);
        assert.deepEqual(await r.json(), { badRequest: { code: 400, message, details: '' } });
      }
      const notUtf8 = await s.fetch('/identity/v2.0/tokens', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from([0x7b, 0xff, 0x7d]),
      });
      assert.equal((await notUtf8.json()).badRequest.message, 'Could not decode request as UTF-8 string');
    });

    it('refuses unknown, revoked, expired tokens and inactive users with 401', async () => {
      const unknown = await postTokens(s, JSON.stringify({ auth: { token: { id: 'nope' } } }));
      assert.equal(unknown.status, 401);
      assert.deepEqual(await unknown.json(), { unauthorized: { code: 401, message: 'Invalid token', details: '' } });

      const bob = await s.user();
      await s.services.tokens.revoke(bob.token);
      assert.equal(
        (await (await postTokens(s, JSON.stringify({ auth: { token: { id: bob.token } } }))).json()).unauthorized
          .message,
        'Invalid token',
      );

      const carol = await s.user();
      const short = await s.services.tokens.issue(carol.uuid, 1);
      await s.services.metadata.db
        .updateTable('tokens')
        .set({ expires_at: Date.now() * 1000 - 1 })
        .where('token_id', '=', short.tokenId)
        .execute();
      assert.equal(
        (await (await postTokens(s, JSON.stringify({ auth: { token: { id: short.secret } } }))).json()).unauthorized
          .message,
        'Authentication expired',
      );

      await s.services.users.setFlag(carol.uuid, 'active', false);
      assert.equal(
        (await (await postTokens(s, JSON.stringify({ auth: { token: { id: carol.token } } }))).json()).unauthorized
          .message,
        'User inactive',
      );
    });

    it('stores tokens only as their sha256', async () => {
      const rows = await s.services.metadata.db.selectFrom('tokens').selectAll().execute();
      const everything = JSON.stringify(rows);
      assert.ok(!everything.includes(alice.token));
      assert.ok(rows.some((r) => r.hash === tokenHash(alice.token)));
    });

    it('405 with Allow for other methods, 400 for unknown paths, 404 outside the APIs', async () => {
      const r = await s.fetch('/identity/v2.0/tokens', { method: 'GET' });
      assert.equal(r.status, 405);
      assert.equal(r.headers.get('allow'), 'POST');
      assert.equal((await r.json()).notAllowed.message, 'Method not allowed');
      // /identity/v3/… is the Keystone v3 subset now (openstack.md §9); other paths stay Astakos's.
      const unknown = await s.fetch('/identity/v2.0/auth', { method: 'POST' });
      assert.equal(unknown.status, 400);
      assert.equal((await unknown.json()).badRequest.message, 'API endpoint not found');
      const outside = await s.fetch('/elsewhere');
      assert.equal(outside.status, 404);
      assert.deepEqual(await outside.json(), { itemNotFound: { code: 404, message: 'Not found', details: '' } });
    });

    it('translates uuids and display names, naming every uuid asked', async () => {
      const unknownUuid = 'ffffffff-0000-4000-8000-000000000000';
      const asked = [alice.uuid.toUpperCase(), unknownUuid, 'garbage'];
      const r = await s.fetch('/account/v1.0/user_catalogs', {
        method: 'POST',
        token: alice.token,
        body: JSON.stringify({ uuids: asked, displaynames: ['root@example.org', 'nobody'] }),
      });
      assert.equal(r.status, 200);
      assert.deepEqual(await r.json(), {
        uuid_catalog: { [asked[0]]: alice.name, [unknownUuid]: unknownUuid, garbage: 'garbage' },
        displayname_catalog: { 'root@example.org': admin.uuid },
      });
    });

    it('validates user_catalogs bodies and needs a token', async () => {
      const noToken = await s.fetch('/account/v1.0/user_catalogs/', { method: 'POST', body: '{}' });
      assert.equal(noToken.status, 401);
      assert.equal((await noToken.json()).unauthorized.message, 'Access denied. No authentication token');
      const viaQuery = await s.fetch(`/account/v1.0/user_catalogs?X-Auth-Token=${alice.token}`, {
        method: 'POST',
        body: '{}',
      });
      assert.equal(viaQuery.status, 200);
      const cases: [string, string][] = [
        ['nope', 'Request body should be json formatted.'],
        ['[1]', 'Request body should be a json formatted dictionary'],
        ['{"uuids": 3}', 'Invalid uuids: 3'],
        ['{"uuids": [3]}', "Items in 'uuids' must be strings"],
        ['{"displaynames": "x"}', 'Invalid displaynames: "x"'],
        ['{"displaynames": [null]}', "Items in 'displaynames' must be strings"],
      ];
      for (const [body, message] of cases) {
        const r = await s.fetch('/account/v1.0/user_catalogs', { method: 'POST', token: alice.token, body });
        assert.equal(r.status, 400, body);
        assert.equal((await r.json()).badRequest.message, message);
      }
      const big = await s.fetch('/account/v1.0/user_catalogs', {
        method: 'POST',
        token: alice.token,
        body: `{"uuids":["${'a'.repeat(1024 * 1024)}"]}`,
      });
      assert.equal(big.status, 413);
      assert.equal((await big.json()).requestEntityTooLarge.message, 'Request body too large');
    });

    it('answers /healthz without a token', async () => {
      const r = await s.fetch('/healthz');
      assert.equal(r.status, 200);
      assert.deepEqual(await r.json(), { status: 'ok' });
      const head = await s.fetch('/healthz', { method: 'HEAD' });
      assert.equal(head.status, 200);
      const post = await s.fetch('/healthz', { method: 'POST' });
      assert.equal(post.status, 405);
      assert.equal(post.headers.get('allow'), 'GET, HEAD');
    });

    it('answers malformed HTTP and oversized headers with the fault body', async () => {
      const huge = await rawRequest(
        s.url,
        `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(140 * 1024)}\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(huge.status, 400);
      assert.equal(JSON.parse(huge.body.toString()).badRequest.message, 'Request headers too large');
      const bad = await rawRequest(s.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
      assert.equal(bad.status, 400);
      assert.equal(JSON.parse(bad.body.toString()).badRequest.message, 'Bad request');
      const okBig = await rawRequest(
        s.url,
        `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(okBig.status, 200);
    });
  });
}
