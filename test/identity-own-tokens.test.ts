/**
 * A user's own tokens through Keystone v3 application credentials (README, "Your own tokens"):
 * issue with a name and a lifetime (secret shown once), list, show, revoke — and the rules:
 * only a password session issues, one user never sees or revokes another's, admins may look.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { keystoneOpenstackCli } from './helpers/openstack-clients.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const PASSWORD = 'correct horse battery staple';
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;
const TTL_SECONDS = 7 * 86400;

type Json = Record<string, any>;

for (const dialect of DIALECTS) {
  describe(`own tokens as application credentials [${dialect}]`, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let admin: TestUser;
    /** A token minted by alice's password login (a session that proved the password). */
    let aliceSession: string;
    let bobSession: string;
    const creds = (user: TestUser, id?: string) =>
      `/identity/v3/users/${user.uuid}/application_credentials${id === undefined ? '' : `/${id}`}`;
    const issue = (token: string, user: TestUser, body: unknown) =>
      s.fetch(creds(user), {
        method: 'POST',
        token,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const passwordLogin = async (user: TestUser): Promise<string> => {
      const r = await s.fetch('/identity/v3/auth/tokens', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          auth: { identity: { methods: ['password'], password: { user: { id: user.uuid, password: PASSWORD } } } },
        }),
      });
      assert.equal(r.status, 201);
      return r.headers.get('x-subject-token') ?? '';
    };
    const fault = async (r: Response, status: number): Promise<string> => {
      assert.equal(r.status, status);
      const body = await r.json();
      assert.equal(body.error.code, status);
      return body.error.message;
    };

    before(async () => {
      s = await startTestServer(dialect, { tokenTtl: `${TTL_SECONDS}s` });
      alice = await s.user('alice@example.org');
      bob = await s.user('bob@example.org');
      admin = await s.user('root@example.org', { admin: true });
      await s.services.passwords.set(alice.uuid, PASSWORD);
      await s.services.passwords.set(bob.uuid, PASSWORD);
      aliceSession = await passwordLogin(alice);
      bobSession = await passwordLogin(bob);
    });
    after(() => s.close());

    it('issues a named token with a lifetime: the secret once, and it works everywhere a token does', async () => {
      const expires = new Date(Date.now() + 86400_000);
      const r = await issue(aliceSession, alice, {
        application_credential: { name: 'backup job', expires_at: expires.toISOString().replace('Z', '') },
      });
      assert.equal(r.status, 201);
      const { application_credential: c } = (await r.json()) as Json;
      assert.match(c.secret, TOKEN_RE);
      assert.equal(c.name, 'backup job');
      assert.equal(c.project_id, alice.uuid);
      assert.ok(Math.abs(Date.parse(c.expires_at) - expires.getTime()) < 5000, c.expires_at);
      // The secret is a token: the image API takes it, and so does the application_credential login.
      assert.equal((await s.fetch('/image/v2/images', { token: c.secret })).status, 200);
      const login = await s.fetch('/identity/v3/auth/tokens', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: { methods: ['application_credential'], application_credential: { id: c.id, secret: c.secret } },
          },
        }),
      });
      assert.equal(login.status, 201);

      // Listed and shown with its name and dates, never with a secret.
      const list = (await (await s.fetch(creds(alice), { token: aliceSession })).json()) as Json;
      const listed = list.application_credentials.find((x: Json) => x.id === c.id);
      assert.equal(listed.name, 'backup job');
      assert.equal(listed.expires_at, c.expires_at);
      assert.ok(Date.parse(listed.created_at) <= Date.now());
      for (const x of list.application_credentials) assert.equal(x.secret, undefined);
      assert.ok(!JSON.stringify(list).includes(c.secret));
      const byName = (await (
        await s.fetch(`${creds(alice)}?name=backup%20job`, { token: alice.token })
      ).json()) as Json;
      assert.deepEqual(
        byName.application_credentials.map((x: Json) => x.id),
        [c.id],
      );
      const shown = await s.fetch(creds(alice, c.id), { token: alice.token });
      assert.equal(shown.status, 200);
      const one = ((await shown.json()) as Json).application_credential;
      assert.equal(one.id, c.id);
      assert.equal(one.secret, undefined);
    });

    it('without an expiry, a token gets the default lifetime; a longer one is refused', async () => {
      const r = await issue(aliceSession, alice, { application_credential: { name: 'default life' } });
      assert.equal(r.status, 201);
      const c = ((await r.json()) as Json).application_credential;
      const lifetime = (Date.parse(c.expires_at) - Date.now()) / 1000;
      assert.ok(Math.abs(lifetime - TTL_SECONDS) < 120, String(lifetime));
      const tooLong = new Date(Date.now() + (TTL_SECONDS + 3600) * 1000).toISOString();
      assert.match(
        await fault(
          await issue(aliceSession, alice, { application_credential: { name: 'x', expires_at: tooLong } }),
          400,
        ),
        /at most/,
      );
    });

    it('refuses bad input with a Keystone 400, writing nothing', async () => {
      const before = ((await (await s.fetch(creds(alice), { token: aliceSession })).json()) as Json)
        .application_credentials.length;
      const past = new Date(Date.now() - 1000).toISOString();
      for (const body of [
        {},
        { application_credential: 'x' },
        { application_credential: {} },
        { application_credential: { name: '' } },
        { application_credential: { name: 'x'.repeat(256) } },
        { application_credential: { name: 'x', expires_at: past } },
        { application_credential: { name: 'x', expires_at: 'tomorrow' } },
        { application_credential: { name: 'x', secret: 'mine' } },
        { application_credential: { name: 'x', description: 'words' } },
        { application_credential: { name: 'x', unrestricted: true } },
        { application_credential: { name: 'x', roles: [{ name: 'reader' }] } },
        { application_credential: { name: 'x', access_rules: [{ path: '/', method: 'GET', service: 'image' }] } },
      ])
        await fault(await issue(aliceSession, alice, body), 400);
      const notJson = await s.fetch(creds(alice), { method: 'POST', token: aliceSession, body: '{' });
      await fault(notJson, 400);
      const after = ((await (await s.fetch(creds(alice), { token: aliceSession })).json()) as Json)
        .application_credentials.length;
      assert.equal(after, before);
    });

    it('issues only from a password session, and only for yourself', async () => {
      // alice.token was issued by the operator (not a password login): it may list, not issue.
      assert.match(
        await fault(await issue(alice.token, alice, { application_credential: { name: 'x' } }), 403),
        /password/,
      );
      // A token issued here cannot extend itself either.
      const r = await issue(aliceSession, alice, { application_credential: { name: 'child' } });
      const child = ((await r.json()) as Json).application_credential.secret;
      await fault(await issue(child, alice, { application_credential: { name: 'grandchild' } }), 403);
      await fault(await issue(bobSession, alice, { application_credential: { name: 'x' } }), 403);
      await fault(await issue(await passwordLogin(alice), bob, { application_credential: { name: 'x' } }), 403);
    });

    it("one user never sees nor revokes another's tokens; an admin may look and revoke", async () => {
      const c = (
        (await (await issue(aliceSession, alice, { application_credential: { name: 'secret-ish' } })).json()) as Json
      ).application_credential;
      await fault(await s.fetch(creds(alice), { token: bob.token }), 403);
      await fault(await s.fetch(creds(alice, c.id), { token: bob.token }), 403);
      await fault(await s.fetch(creds(alice, c.id), { method: 'DELETE', token: bob.token }), 403);
      // Under bob's own path, alice's token_id is simply not there.
      await fault(await s.fetch(creds(bob, c.id), { token: bob.token }), 404);
      await fault(await s.fetch(creds(bob, c.id), { method: 'DELETE', token: bob.token }), 404);
      const bobs = ((await (await s.fetch(creds(bob), { token: bob.token })).json()) as Json).application_credentials;
      assert.ok(bobs.every((x: Json) => x.id !== c.id && x.project_id === bob.uuid));
      assert.equal((await s.fetch('/image/v2/images', { token: c.secret })).status, 200);

      const seen = (await (await s.fetch(creds(alice), { token: admin.token })).json()) as Json;
      assert.ok(seen.application_credentials.some((x: Json) => x.id === c.id));
      await fault(
        await s.fetch(creds({ ...alice, uuid: '00000000-0000-4000-8000-00000000dead' }), { token: admin.token }),
        404,
      );
      assert.equal((await s.fetch(creds(alice, c.id), { method: 'DELETE', token: admin.token })).status, 204);
      assert.equal((await s.fetch('/image/v2/images', { token: c.secret })).status, 401);
    });

    it('works with `openstack application credential create|list|show|delete`', {
      skip: dialect !== 'sqlite' && 'the CLI run once is enough',
    }, async () => {
      const login = { url: s.url, username: alice.name, password: PASSWORD };
      const osc = async (...args: string[]) => {
        const r = await keystoneOpenstackCli(login, ['application', 'credential', ...args]);
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
      };
      const created = JSON.parse(await osc('create', 'from-osc', '-f', 'json'));
      assert.equal(created.name, 'from-osc');
      assert.match(created.secret, TOKEN_RE);
      assert.equal((await s.fetch('/image/v2/images', { token: created.secret })).status, 200);
      const listed = JSON.parse(await osc('list', '-f', 'json'));
      assert.ok(listed.some((c: Json) => c.ID === created.id && c.Name === 'from-osc'));
      const shown = JSON.parse(await osc('show', 'from-osc', '-f', 'json'));
      assert.equal(shown.id, created.id);
      assert.equal(shown.secret, undefined);
      // Beyond PLANKTON_TOKEN_TTL: refused, and the CLI prints why.
      const far = await keystoneOpenstackCli(login, [
        'application',
        'credential',
        'create',
        'far',
        '--expiration',
        '2099-01-01T00:00:00',
      ]);
      assert.notEqual(far.status, 0);
      assert.match(far.stderr, /at most .*\(HTTP 400\)/);
      await osc('delete', 'from-osc');
      assert.equal((await s.fetch('/image/v2/images', { token: created.secret })).status, 401);
    });

    it('revokes one token: it stops working, leaves the list, and a second revoke is a 404', async () => {
      const c = (
        (await (await issue(aliceSession, alice, { application_credential: { name: 'short' } })).json()) as Json
      ).application_credential;
      assert.equal((await s.fetch(creds(alice, c.id), { method: 'DELETE', token: aliceSession })).status, 204);
      assert.equal((await s.fetch('/image/v2/images', { token: c.secret })).status, 401);
      const list = ((await (await s.fetch(creds(alice), { token: aliceSession })).json()) as Json)
        .application_credentials;
      assert.ok(list.every((x: Json) => x.id !== c.id));
      await fault(await s.fetch(creds(alice, c.id), { method: 'DELETE', token: aliceSession }), 404);
      await fault(await s.fetch(creds(alice, c.id), { method: 'PUT', token: aliceSession }), 405);
      await fault(await s.fetch(creds(alice), { token: 'not-a-token' }), 401);
    });
  });
}
