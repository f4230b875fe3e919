/**
 * The Keystone v3 subset over HTTP (openstack.md §2): discovery, the three login methods, scopes,
 * token validation and revocation, the v3 catalog, the read-only look-ups, Keystone-shaped
 * faults for bad input, and the failed-password throttle.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DIALECTS } from './helpers/dialects.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const PASSWORD = 'correct horse battery staple';
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;
const KEYSTONE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const UNAUTHORIZED = {
  error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
};

type Json = Record<string, any>;

function postAuth(s: TestServer, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return s.fetch('/identity/v3/auth/tokens', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
  });
}

const byToken = (id: string, scope?: unknown) => ({
  auth: { identity: { methods: ['token'], token: { id } }, ...(scope === undefined ? {} : { scope }) },
});
const byPassword = (user: Json, password: string, scope?: unknown) => ({
  auth: {
    identity: { methods: ['password'], password: { user: { ...user, password } } },
    ...(scope === undefined ? {} : { scope }),
  },
});
const byAppCredential = (id: string | undefined, secret: string) => ({
  auth: {
    identity: {
      methods: ['application_credential'],
      application_credential: { ...(id === undefined ? { name: 'x', user: { name: 'y' } } : { id }), secret },
    },
  },
});

/** A Keystone error body whose code is the status. */
async function keystoneError(r: Response, status: number): Promise<Json> {
  assert.equal(r.status, status);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  const body = await r.json();
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, status);
  assert.equal(typeof body.error.title, 'string');
  assert.equal(typeof body.error.message, 'string');
  return body;
}

for (const dialect of DIALECTS) {
  describe(`identity v3 [${dialect}]`, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let admin: TestUser;
    const tokenIdOf = async (user: TestUser, secret: string) => {
      const caller = await s.services.tokens.resolve(secret);
      assert.equal(caller.user.uuid, user.uuid);
      return caller.tokenId;
    };

    before(async () => {
      s = await startTestServer(dialect, { region: 'Plankton-1' });
      alice = await s.user('alice@example.org');
      bob = await s.user('bob@example.org');
      admin = await s.user('root@example.org', { admin: true });
      await s.services.passwords.set(alice.uuid, PASSWORD);
    });
    after(() => s.close());

    it('discovers v3 only: 300 on /identity, 200 on /identity/v3, no token needed', async () => {
      for (const path of ['/identity', '/identity/']) {
        const r = await s.fetch(path, { headers: { Accept: 'application/json' }, redirect: 'manual' });
        assert.equal(r.status, 300);
        assert.equal(r.headers.get('location'), `${s.url}/identity/v3/`);
        const body = await r.json();
        assert.equal(body.versions.values.length, 1, 'v2.0 is not listed: the generic plugins would pick it');
        const [v] = body.versions.values;
        assert.equal(v.id, 'v3.14');
        assert.equal(v.status, 'stable');
        assert.deepEqual(v.links, [{ rel: 'self', href: `${s.url}/identity/v3/` }]);
        assert.equal(v['media-types'][0].type, 'application/vnd.openstack.identity-v3+json');
      }
      for (const path of ['/identity/v3', '/identity/v3/']) {
        const r = await s.fetch(path);
        assert.equal(r.status, 200);
        assert.equal((await r.json()).version.links[0].href, `${s.url}/identity/v3/`);
        const head = await s.fetch(path, { method: 'HEAD' });
        assert.equal(head.status, 200);
        assert.equal(await head.text(), '');
      }
      const post = await s.fetch('/identity/v3', { method: 'POST' });
      assert.equal(post.headers.get('allow'), 'GET, HEAD');
      await keystoneError(post, 405);
      await keystoneError(await s.fetch('/identity/v3/nothing-here'), 404);
      // kamaki's endpoint is untouched.
      const v2 = await s.fetch('/identity/v2.0/tokens', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ auth: { token: { id: alice.token } } }),
      });
      assert.equal(v2.status, 200);
      assert.equal((await v2.json()).access.token.id, alice.token);
    });

    it('token method: 201, the same token back in X-Subject-Token, scoped to the own project with the v3 catalog, nothing written', async () => {
      const before = (await s.services.tokens.list(alice.uuid)).length;
      const r = await postAuth(s, byToken(alice.token), { 'X-Auth-Token': alice.token });
      assert.equal(r.status, 201);
      assert.equal(r.headers.get('x-subject-token'), alice.token);
      const { token } = await r.json();
      assert.deepEqual(token.methods, ['token']);
      assert.deepEqual(token.user, {
        id: alice.uuid,
        name: alice.name,
        domain: { id: 'default', name: 'Default' },
        password_expires_at: null,
      });
      assert.deepEqual(token.project, { id: alice.uuid, name: alice.name, domain: { id: 'default', name: 'Default' } });
      assert.match(token.expires_at, KEYSTONE_TIME);
      assert.match(token.issued_at, KEYSTONE_TIME);
      const caller = await s.services.tokens.resolve(alice.token);
      assert.equal(Date.parse(token.expires_at), Math.floor(caller.expiresAt / 1000));
      assert.deepEqual(
        token.roles.map((x: Json) => x.name),
        ['member', 'reader'],
      );
      assert.equal(token.audit_ids.length, 1);
      assert.equal(token.is_domain, false);

      const types = token.catalog.map((e: Json) => e.type);
      assert.deepEqual(types, ['identity', 'image', 'object-store']);
      const urls: Record<string, string> = {
        identity: `${s.url}/identity`,
        image: `${s.url}/image`,
        // The Swift mount (issue 19); the Astakos catalog keeps the Pithos one for kamaki.
        'object-store': `${s.url}/swift/v1/AUTH_${alice.uuid}`,
      };
      for (const entry of token.catalog) {
        assert.ok(entry.id && entry.name);
        assert.deepEqual(
          entry.endpoints.map((e: Json) => e.interface),
          ['public', 'internal', 'admin'],
        );
        for (const e of entry.endpoints) {
          assert.equal(e.url, urls[entry.type]);
          assert.equal(e.region, 'Plankton-1');
          assert.equal(e.region_id, 'Plankton-1');
        }
      }
      assert.equal((await s.services.tokens.list(alice.uuid)).length, before, 'the token method writes nothing');
      // The object-store URL of the catalog works with the token.
      assert.equal((await s.fetch(urls['object-store'], { token: alice.token })).status < 300, true);
    });

    it('password method: a real password by name (domain by name or id) or by id mints a 12h token; a token as the password returns that token', async () => {
      const logins = [
        byPassword({ name: alice.name, domain: { name: 'Default' } }, PASSWORD, {
          project: { name: alice.name, domain: { name: 'Default' } },
        }),
        byPassword({ name: alice.name, domain: { id: 'default' } }, PASSWORD, {
          project: { name: alice.name, domain: { id: 'default' } },
        }),
        byPassword({ name: alice.name, domain: { name: 'default' } }, PASSWORD),
        byPassword({ id: alice.uuid }, PASSWORD, { project: { id: alice.uuid } }),
        byPassword({ id: alice.uuid.toUpperCase() }, PASSWORD, { project: { id: alice.uuid } }),
      ];
      const minted = new Set<string>();
      for (const body of logins) {
        const r = await postAuth(s, body);
        assert.equal(r.status, 201, JSON.stringify(body));
        const secret = r.headers.get('x-subject-token')!;
        assert.match(secret, TOKEN_RE);
        assert.notEqual(secret, alice.token);
        minted.add(secret);
        const { token } = await r.json();
        assert.deepEqual(token.methods, ['password']);
        assert.equal(token.project.id, alice.uuid);
        const lifetime = Date.parse(token.expires_at) - Date.parse(token.issued_at);
        assert.ok(Math.abs(lifetime - 12 * 3600 * 1000) < 2000, `12h lifetime, got ${lifetime} ms`);
        assert.equal(
          (await s.fetch(`/object-store/v1/${alice.uuid}`, { token: secret })).status < 300,
          true,
          'the minted token works',
        );
      }
      assert.equal(minted.size, logins.length, 'each password login mints its own token');
      const list = await s.services.tokens.list(alice.uuid);
      assert.equal(list.filter((t) => t.note === 'keystone-v3 session').length, logins.length);

      const withToken = await postAuth(s, byPassword({ name: bob.name, domain: { id: 'default' } }, bob.token));
      assert.equal(withToken.status, 201);
      assert.equal(withToken.headers.get('x-subject-token'), bob.token);
      // Another user's token is not a password.
      await keystoneError(await postAuth(s, byPassword({ id: bob.uuid }, alice.token)), 401);
    });

    it('purges expired minted tokens when the user mints the next one', async () => {
      const short = await startTestServer(dialect, { v3TokenTtl: '1s' });
      try {
        const u = await short.user('carol@example.org');
        await short.services.passwords.set(u.uuid, PASSWORD);
        const first = await postAuth(short, byPassword({ id: u.uuid }, PASSWORD));
        assert.equal(first.status, 201);
        const expired = first.headers.get('x-subject-token')!;
        await sleep(1200);
        await keystoneError(await postAuth(short, byToken(expired)), 401);
        assert.equal((await short.services.tokens.list(u.uuid)).length, 2, 'the user token and the expired minted one');
        assert.equal((await postAuth(short, byPassword({ id: u.uuid }, PASSWORD))).status, 201);
        const left = await short.services.tokens.list(u.uuid);
        assert.equal(left.length, 2, 'the expired minted token is gone, the new one is there');
        assert.ok(left.every((t) => t.state === 'active'));
      } finally {
        await short.close();
      }
    });

    it('application_credential method: id = token_id, secret = the token', async () => {
      const id = await tokenIdOf(alice, alice.token);
      const r = await postAuth(s, byAppCredential(id, alice.token));
      assert.equal(r.status, 201);
      assert.equal(r.headers.get('x-subject-token'), alice.token);
      const { token } = await r.json();
      assert.deepEqual(token.methods, ['application_credential']);
      assert.equal(token.project.id, alice.uuid);
      assert.ok(token.catalog.length === 3);
      assert.deepEqual(
        await keystoneError(await postAuth(s, byAppCredential(await tokenIdOf(bob, bob.token), alice.token)), 401),
        UNAUTHORIZED,
      );
      assert.deepEqual(
        await keystoneError(await postAuth(s, byAppCredential(undefined, alice.token)), 401),
        UNAUTHORIZED,
        'by name is not supported',
      );
    });

    it('scopes: own project by id or name, "unscoped" without catalog; any other project, domain or system scope is 401', async () => {
      const unscoped = await postAuth(s, byToken(alice.token, 'unscoped'));
      assert.equal(unscoped.status, 201);
      const { token } = await unscoped.json();
      assert.equal(token.project, undefined);
      assert.equal(token.catalog, undefined);
      assert.equal(token.roles, undefined);
      for (const scope of [
        { project: { id: alice.uuid } },
        { project: { name: alice.name, domain: { name: 'Default' } } },
        { project: { name: alice.name } },
      ]) {
        assert.equal((await postAuth(s, byToken(alice.token, scope))).status, 201, JSON.stringify(scope));
      }
      const foreign = [
        { project: { id: bob.uuid } },
        { project: { name: bob.name, domain: { id: 'default' } } },
        { project: { name: alice.name, domain: { name: 'Other' } } },
        { domain: { id: 'default' } },
        { system: { all: true } },
      ];
      for (const scope of foreign) {
        assert.deepEqual(
          await keystoneError(await postAuth(s, byToken(alice.token, scope)), 401),
          UNAUTHORIZED,
          JSON.stringify(scope),
        );
      }
      // Admins too: no impersonation.
      await keystoneError(await postAuth(s, byToken(admin.token, { project: { id: alice.uuid } })), 401);
    });

    it('answers one identical 401 for unknown user, wrong password or secret, revoked or expired token, disabled user, other domain, foreign scope', async () => {
      const dave = await s.user('dave@example.org');
      await s.services.passwords.set(dave.uuid, PASSWORD);
      await s.services.users.setFlag(dave.uuid, 'active', false);
      const revoked = await s.services.tokens.issue(alice.uuid, 3600);
      await s.services.tokens.revoke(revoked.secret);
      const expired = await s.services.tokens.issue(alice.uuid, 1);
      await sleep(1100);
      const cases: [string, unknown][] = [
        ['unknown user by name', byPassword({ name: 'nobody@example.org', domain: { id: 'default' } }, PASSWORD)],
        ['unknown user by id', byPassword({ id: '00000000-0000-4000-8000-000000000000' }, PASSWORD)],
        ['wrong password', byPassword({ id: bob.uuid }, 'wrong password!')],
        ['user without a password', byPassword({ id: bob.uuid }, PASSWORD)],
        ['disabled user, right password', byPassword({ id: dave.uuid }, PASSWORD)],
        ['disabled user, token method', byToken(dave.token)],
        ['user of another domain', byPassword({ name: alice.name, domain: { name: 'Other' } }, PASSWORD)],
        ['unknown token', byToken('A'.repeat(43))],
        ['revoked token', byToken(revoked.secret)],
        ['expired token', byToken(expired.secret)],
        ['wrong application credential secret', byAppCredential(revoked.tokenId, 'B'.repeat(43))],
        ['foreign scope', byPassword({ id: alice.uuid }, PASSWORD, { project: { id: bob.uuid } })],
      ];
      const bodies = new Set<string>();
      for (const [what, body] of cases) {
        const r = await postAuth(s, body);
        assert.equal(r.status, 401, what);
        assert.equal(r.headers.get('www-authenticate'), `Keystone uri="${s.url}/identity"`);
        bodies.add(await r.text());
      }
      assert.deepEqual(
        [...bodies].map((b) => JSON.parse(b)),
        [UNAUTHORIZED],
        'one message for every failure',
      );
    });

    it('GET and HEAD validate a token (catalog included, X-Subject-Token echoed); DELETE revokes it', async () => {
      const headers = (caller: string, subject: string) => ({ 'X-Auth-Token': caller, 'X-Subject-Token': subject });
      const own = await s.fetch('/identity/v3/auth/tokens', { headers: headers(alice.token, alice.token) });
      assert.equal(own.status, 200);
      assert.equal(own.headers.get('x-subject-token'), alice.token);
      const { token } = await own.json();
      assert.equal(token.project.id, alice.uuid, 'gophercloud reads the catalog of a token-only login from here');
      assert.equal(
        token.catalog.find((e: Json) => e.type === 'object-store').endpoints[0].url,
        `${s.url}/swift/v1/AUTH_${alice.uuid}`,
      );
      const nocatalog = await s.fetch('/identity/v3/auth/tokens?nocatalog', {
        headers: headers(alice.token, alice.token),
      });
      assert.equal((await nocatalog.json()).token.catalog, undefined);
      assert.equal(
        (await s.fetch('/identity/v3/auth/tokens', { method: 'HEAD', headers: headers(alice.token, alice.token) }))
          .status,
        200,
      );

      await keystoneError(
        await s.fetch('/identity/v3/auth/tokens', { headers: headers('A'.repeat(43), alice.token) }),
        401,
      );
      await keystoneError(await s.fetch('/identity/v3/auth/tokens'), 401);
      await keystoneError(await s.fetch('/identity/v3/auth/tokens', { headers: { 'X-Auth-Token': alice.token } }), 400);
      await keystoneError(
        await s.fetch('/identity/v3/auth/tokens', { headers: headers(alice.token, 'A'.repeat(43)) }),
        404,
      );
      assert.equal(
        (await s.fetch('/identity/v3/auth/tokens', { method: 'HEAD', headers: headers(alice.token, 'A'.repeat(43)) }))
          .status,
        404,
      );
      await keystoneError(await s.fetch('/identity/v3/auth/tokens', { headers: headers(bob.token, alice.token) }), 404);
      assert.equal(
        (await s.fetch('/identity/v3/auth/tokens', { headers: headers(admin.token, alice.token) })).status,
        200,
        'admins may validate any token',
      );

      const victim = await s.services.tokens.issue(alice.uuid, 3600);
      await keystoneError(
        await s.fetch('/identity/v3/auth/tokens', { method: 'DELETE', headers: headers(bob.token, victim.secret) }),
        404,
      );
      const del = await s.fetch('/identity/v3/auth/tokens', {
        method: 'DELETE',
        headers: headers(alice.token, victim.secret),
      });
      assert.equal(del.status, 204);
      assert.equal(del.headers.get('content-type'), null);
      await keystoneError(
        await s.fetch('/identity/v3/auth/tokens', { headers: headers(alice.token, victim.secret) }),
        404,
      );
      assert.equal((await s.fetch(`/object-store/v1/${alice.uuid}`, { token: victim.secret })).status, 401);
      await keystoneError(
        await s.fetch('/identity/v3/auth/tokens', { method: 'DELETE', headers: headers(alice.token, victim.secret) }),
        404,
      );
      const other = await s.services.tokens.issue(bob.uuid, 3600);
      assert.equal(
        (await s.fetch('/identity/v3/auth/tokens', { method: 'DELETE', headers: headers(admin.token, other.secret) }))
          .status,
        204,
        'admins may revoke any token',
      );
      const put = await s.fetch('/identity/v3/auth/tokens', {
        method: 'PUT',
        headers: headers(alice.token, alice.token),
      });
      assert.equal(put.headers.get('allow'), 'POST, GET, HEAD, DELETE');
      await keystoneError(put, 405);
    });

    it('serves read-only projects, users and the default domain to any authenticated caller', async () => {
      const get = (path: string, token = bob.token) => s.fetch(path, { token });
      const project = (await (await get(`/identity/v3/projects/${alice.uuid}`)).json()).project;
      assert.deepEqual(
        { id: project.id, name: project.name, domain_id: project.domain_id, enabled: project.enabled },
        { id: alice.uuid, name: alice.name, domain_id: 'default', enabled: true },
      );
      assert.equal(project.links.self, `${s.url}/identity/v3/projects/${alice.uuid}`);
      await keystoneError(await get('/identity/v3/projects/alice'), 404);
      const byName = await (await get(`/identity/v3/projects?name=${encodeURIComponent(alice.name)}`)).json();
      assert.deepEqual(
        byName.projects.map((p: Json) => p.id),
        [alice.uuid],
      );
      assert.deepEqual((await (await get('/identity/v3/projects?name=nobody')).json()).projects, []);
      await keystoneError(await get('/identity/v3/projects'), 403);
      const all = await (await get('/identity/v3/projects', admin.token)).json();
      assert.ok(all.projects.length >= 3);
      const mine = await (await get('/identity/v3/auth/projects')).json();
      assert.deepEqual(
        mine.projects.map((p: Json) => p.id),
        [bob.uuid],
      );
      const catalog = await (await get('/identity/v3/auth/catalog')).json();
      assert.equal(catalog.catalog.length, 3);

      const user = (await (await get(`/identity/v3/users/${alice.uuid}`)).json()).user;
      assert.deepEqual(
        { id: user.id, name: user.name, domain_id: user.domain_id },
        { id: alice.uuid, name: alice.name, domain_id: 'default' },
      );
      await keystoneError(await get('/identity/v3/users/nobody'), 404);
      assert.deepEqual(
        (await (await get(`/identity/v3/users?name=${encodeURIComponent(bob.name)}`)).json()).users.map(
          (u: Json) => u.id,
        ),
        [bob.uuid],
      );

      const domain = (await (await get('/identity/v3/domains/default')).json()).domain;
      assert.deepEqual(
        { id: domain.id, name: domain.name, enabled: domain.enabled },
        { id: 'default', name: 'Default', enabled: true },
      );
      await keystoneError(await get('/identity/v3/domains/Default'), 404);
      assert.deepEqual(
        (await (await get('/identity/v3/domains?name=Default')).json()).domains.map((d: Json) => d.id),
        ['default'],
      );
      await keystoneError(await s.fetch(`/identity/v3/projects/${alice.uuid}`), 401);
      await keystoneError(
        await s.fetch(`/identity/v3/projects/${alice.uuid}`, { method: 'DELETE', token: admin.token }),
        405,
      );
    });

    it('answers bad input with a Keystone-shaped 4xx, never a 5xx', async () => {
      const long = 'x'.repeat(10_000);
      const cases: [string, string | Buffer | unknown, number][] = [
        ['malformed JSON', '{"auth": ', 400],
        ['not an object', '[1, 2]', 400],
        ['no auth', {}, 400],
        ['no identity', { auth: {} }, 400],
        ['missing methods', { auth: { identity: { token: { id: alice.token } } } }, 400],
        ['empty methods', { auth: { identity: { methods: [], token: { id: alice.token } } } }, 400],
        ['methods not strings', { auth: { identity: { methods: [1], token: { id: alice.token } } } }, 400],
        [
          'unknown method',
          { auth: { identity: { methods: ['totp'], totp: { user: { id: alice.uuid, passcode: '1' } } } } },
          400,
        ],
        [
          'several methods',
          {
            auth: {
              identity: {
                methods: ['token', 'password'],
                token: { id: alice.token },
                password: { user: { id: alice.uuid, password: PASSWORD } },
              },
            },
          },
          400,
        ],
        ['method without its object', { auth: { identity: { methods: ['password'] } } }, 400],
        ['token id not a string', byToken(5 as unknown as string), 400],
        ['password not a string', byPassword({ id: alice.uuid }, null as unknown as string), 400],
        ['user without id or name', byPassword({}, PASSWORD), 400],
        ['domain not an object', byPassword({ name: alice.name, domain: 'default' }, PASSWORD), 400],
        ['scope of a wrong type', byToken(alice.token, 42), 400],
        ['scope without a project', byToken(alice.token, { projet: {} }), 400],
        ['other domain', byPassword({ name: alice.name, domain: { id: 'other' } }, PASSWORD), 401],
        ["other user's project", byToken(alice.token, { project: { id: bob.uuid } }), 401],
        ['10,000-character user name', byPassword({ name: long, domain: { id: 'default' } }, PASSWORD), 401],
        ['10,000-character user id', byPassword({ id: long }, PASSWORD), 401],
        [
          '10,000-character project name',
          byToken(alice.token, { project: { name: long, domain: { id: 'default' } } }),
          401,
        ],
        ['10,000-character token', byToken(long), 401],
        ['10,000-character password', byPassword({ id: bob.uuid }, long), 400],
        [
          'non-UTF-8 bytes',
          Buffer.concat([
            Buffer.from('{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "'),
            Buffer.from([0xff, 0xfe]),
            Buffer.from('", "password": "x"}}}}}'),
          ]),
          400,
        ],
        ['a body over 64 KiB', JSON.stringify(byPassword({ id: alice.uuid }, 'y'.repeat(70_000))), 413],
      ];
      for (const [what, body, status] of cases) {
        const r = await postAuth(s, body);
        assert.equal(r.status, status, what);
        const err = await keystoneError(r, status);
        if (status === 400) assert.notEqual(err.error.message, '', what);
      }
      // Non-UTF-8 bytes in a user name given as valid JSON escapes reach the domain: unknown user.
      await keystoneError(
        await postAuth(s, byPassword({ name: '\udcff\u0000', domain: { id: 'default' } }, PASSWORD)),
        401,
      );
    });
  });

  // Each test has its own server (own database), so they run side by side: scrypt is slow on purpose.
  describe(`identity v3 login throttle [${dialect}]`, { concurrency: true }, () => {
    /** A server with this throttle window and one user with a password. */
    async function throttleServer(
      window: number,
    ): Promise<{ s: TestServer; user: TestUser; attempt: (user: Json, password: string) => Promise<Response> }> {
      const s = await startTestServer(dialect, { loginWindow: `${window}s` });
      const user = await s.user();
      await s.services.passwords.set(user.uuid, PASSWORD);
      return { s, user, attempt: (u, password) => postAuth(s, byPassword(u, password)) };
    }

    it('throttles a 1,000-wrong-password loop (429 + Retry-After) and lets the right password in after the window', async (t) => {
      // Longer than the loop takes on a loaded machine (a few seconds: ten scrypt checks, the rest
      // refused at once), so the wait afterwards is what remains of it. Were the loop ever slower,
      // the window would slide and the bound below allows for it.
      const WINDOW = 20;
      const { s, user: erin, attempt } = await throttleServer(WINDOW);
      t.after(() => s.close());
      const started = Date.now();
      let refused = 0;
      let throttled = 0;
      for (let i = 0; i < 1000; i++) {
        const r = await attempt({ id: erin.uuid }, `wrong password ${i}`);
        if (r.status === 401) refused++;
        else {
          const body = await keystoneError(r, 429);
          assert.equal(body.error.title, 'Too Many Requests');
          const retry = Number(r.headers.get('retry-after'));
          assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= WINDOW, `Retry-After ${retry}`);
          throttled++;
          continue;
        }
        await r.body?.cancel();
      }
      const elapsed = (Date.now() - started) / 1000;
      // At most 10 failures per user are checked per window, however fast the loop runs.
      assert.ok(refused <= 10 * (Math.floor(elapsed / WINDOW) + 1), `${refused} passwords checked in ${elapsed} s`);
      assert.equal(refused + throttled, 1000);

      // Throttled: even the right password is refused, so the loop learns nothing.
      let probe: Response;
      do probe = await attempt({ id: erin.uuid }, 'one more wrong');
      while (probe.status === 401);
      assert.equal(probe.status, 429);
      const retry = Number(probe.headers.get('retry-after'));
      await probe.body?.cancel();
      if (retry >= 2) assert.equal((await attempt({ id: erin.uuid }, PASSWORD)).status, 429);
      // Tokens are never throttled.
      assert.equal((await postAuth(s, byToken(erin.token))).status, 201);

      await sleep(retry * 1000 + 300);
      const ok = await attempt({ name: erin.name, domain: { name: 'Default' } }, PASSWORD);
      await ok.body?.cancel();
      assert.equal(ok.status, 201, 'the right password works once the window has passed');
    });

    it('throttles per client address too, whatever the user names, known or not', async (t) => {
      // A window long enough for 30 slow scrypt checks; unknown names count like real ones.
      const { s, user: frank, attempt } = await throttleServer(300);
      t.after(() => s.close());
      let firstThrottle = -1;
      for (let i = 0; i < 40 && firstThrottle < 0; i++) {
        const r = await attempt({ name: `nobody-${i % 4}@example.org`, domain: { id: 'default' } }, 'guess');
        if (r.status === 429) firstThrottle = i;
        else assert.equal(r.status, 401);
        await r.body?.cancel();
      }
      assert.equal(firstThrottle, 30, 'the 31st failure in the window is refused: 30 per address');
      // frank never failed: this 429 is the address's.
      const r = await attempt({ id: frank.uuid }, PASSWORD);
      await keystoneError(r, 429);
    });
  });
}
