import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const PASSWORD = 'ui-password-5c1e9';

/** The Set-Cookie lines of a response, by cookie name. */
function setCookies(res: Response): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of res.headers.getSetCookie()) out.set(line.slice(0, line.indexOf('=')), line);
  return out;
}

/** `name=value` of a Set-Cookie line. */
const pair = (line: string) => line.split(';')[0];
const cookieValue = (line: string) => pair(line).slice(pair(line).indexOf('=') + 1);

for (const dialect of DIALECTS) {
  describe(`web catalog session and security [${dialect}]`, () => {
    let server: TestServer;
    let alice: TestUser;
    let bob: TestUser;

    before(async () => {
      server = await startTestServer(dialect);
      alice = await server.user(`ui-alice-${dialect}`);
      bob = await server.user(`ui-bob-${dialect}`);
      await server.services.passwords.set(alice.uuid, PASSWORD);
    });
    after(() => server.close());

    const origin = () => new URL(server.url).origin;

    async function login(body: unknown, headers: Record<string, string> = {}) {
      return fetch(`${server.url}/ui/session`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: origin(), ...headers },
        body: JSON.stringify(body),
      });
    }

    /** A logged-in session: the Cookie header and the CSRF token. */
    async function session(body: unknown) {
      const res = await login(body);
      assert.equal(res.status, 200, await res.clone().text());
      const c = setCookies(res);
      const sessionLine = c.get('plankton_session')!;
      const csrfLine = c.get('plankton_csrf')!;
      return {
        cookie: `${pair(sessionLine)}; ${pair(csrfLine)}`,
        csrf: cookieValue(csrfLine),
        secret: cookieValue(sessionLine).slice(2),
        lines: { session: sessionLine, csrf: csrfLine },
      };
    }

    it('serves the page with a strict CSP, every asset from this origin, immutable', async () => {
      const res = await fetch(`${server.url}/ui`);
      assert.equal(res.status, 200);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /style-src 'self'(;|$)/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      const page = await res.text();
      assert.doesNotMatch(page, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
      assert.doesNotMatch(page, /\sstyle=|<style/, 'no inline style');
      const urls = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
      assert.ok(urls.length >= 2);
      for (const u of urls) {
        assert.match(u, /^\/ui\/assets\/[0-9a-f]+\//, `${u} is served by Plankton`);
        const asset = await fetch(server.url + u);
        assert.equal(asset.status, 200, u);
        assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
        assert.ok(asset.headers.get('content-security-policy'));
      }
      const app = await (await fetch(server.url + urls.find((u) => u.endsWith('app.js'))!)).text();
      for (const m of app.matchAll(/from '([^']+)'/g))
        assert.match(m[1], /^\.\//, 'modules import each other relatively');
      assert.equal((await fetch(`${server.url}/ui/assets/0000/app.js`)).status, 404);
    });

    it('a password login sets HttpOnly SameSite=Strict cookies; logout revokes the minted token', async () => {
      const s = await session({ username: alice.name, password: PASSWORD });
      assert.match(s.lines.session, /; HttpOnly/);
      assert.match(s.lines.session, /; SameSite=Strict/);
      assert.match(s.lines.session, /; Path=\//);
      assert.doesNotMatch(s.lines.session, /Secure/, 'plain http: no Secure flag');
      assert.doesNotMatch(s.lines.csrf, /HttpOnly/, 'the page reads the CSRF cookie');
      assert.notEqual(s.secret, alice.token, 'a new token was minted');
      // The minted token works on the public APIs until logout.
      assert.equal((await server.fetch('/image/v2/images', { token: s.secret })).status, 200);
      const who = await fetch(`${server.url}/ui/session`, { headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf } });
      assert.equal(who.status, 200);
      const body = await who.json();
      assert.equal(body.user.name, alice.name);
      assert.equal(JSON.stringify(body).includes(s.secret), false, 'the secret is never handed to the page');

      const out = await fetch(`${server.url}/ui/session`, {
        method: 'DELETE',
        headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf, Origin: origin() },
      });
      assert.equal(out.status, 204);
      assert.match(setCookies(out).get('plankton_session') ?? '', /Max-Age=0/);
      assert.equal((await server.fetch('/image/v2/images', { token: s.secret })).status, 401, 'revoked');
      const after = await fetch(`${server.url}/ui/api/image/v2/images`, {
        headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf },
      });
      assert.equal(after.status, 401);
    });

    it('a pasted token logs in; logout forgets it without revoking it', async () => {
      const s = await session({ token: bob.token });
      assert.equal(s.secret, bob.token);
      const out = await fetch(`${server.url}/ui/session`, {
        method: 'DELETE',
        headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf },
      });
      assert.equal(out.status, 204);
      assert.equal((await server.fetch('/image/v2/images', { token: bob.token })).status, 200);
    });

    it('refuses wrong credentials, non-JSON and cross-origin logins', async () => {
      assert.equal((await login({ username: alice.name, password: 'wrong-password-1' })).status, 401);
      assert.equal((await login({ token: 'x'.repeat(43) })).status, 401);
      assert.equal((await login({})).status, 400);
      const form = await fetch(`${server.url}/ui/session`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin() },
        body: `username=${alice.name}&password=${PASSWORD}`,
      });
      assert.equal(form.status, 400);
      const foreign = await login({ token: alice.token }, { Origin: 'https://evil.example' });
      assert.equal(foreign.status, 403);
      assert.equal(foreign.headers.getSetCookie().length, 0);
    });

    it('refuses a cross-site form POST and any call without the CSRF token', async () => {
      const s = await session({ token: alice.token });
      // What a browser sends for an attacker's auto-submitting form (if the cookie got through at all).
      const crossSite = await fetch(`${server.url}/ui/api/image/v2/images`, {
        method: 'POST',
        headers: {
          Cookie: s.cookie,
          'Content-Type': 'text/plain',
          Origin: 'https://evil.example',
          'Sec-Fetch-Site': 'cross-site',
        },
        body: '{"name":"planted"}',
      });
      assert.equal(crossSite.status, 403);
      const noHeader = await fetch(`${server.url}/ui/api/image/v2/images`, {
        method: 'POST',
        headers: { Cookie: s.cookie, 'Content-Type': 'application/json' },
        body: '{"name":"planted"}',
      });
      assert.equal(noHeader.status, 403);
      const wrongToken = await fetch(`${server.url}/ui/api/image/v2/images`, {
        method: 'POST',
        headers: { Cookie: s.cookie, 'Content-Type': 'application/json', 'X-CSRF-Token': 'A'.repeat(43) },
        body: '{"name":"planted"}',
      });
      assert.equal(wrongToken.status, 403);
      const logoutCsrf = await fetch(`${server.url}/ui/session`, { method: 'DELETE', headers: { Cookie: s.cookie } });
      assert.equal(logoutCsrf.status, 403);
      const listed = await (await server.fetch('/image/v2/images?name=planted', { token: alice.token })).json();
      assert.equal(listed.images.length, 0, 'nothing was created');
      // With the header the same call works.
      const ok = await fetch(`${server.url}/ui/api/image/v2/images`, {
        method: 'POST',
        headers: { Cookie: s.cookie, 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf, Origin: origin() },
        body: '{"name":"made-by-ui","disk_format":"raw","container_format":"bare"}',
      });
      assert.equal(ok.status, 201);
    });

    it('proxies only the public APIs, never with a token in the URL, and the cookie works nowhere else', async () => {
      const s = await session({ token: alice.token });
      const h = { Cookie: s.cookie, 'X-CSRF-Token': s.csrf };
      assert.equal((await fetch(`${server.url}/ui/api/healthz`, { headers: h })).status, 403);
      assert.equal((await fetch(`${server.url}/ui/api/image/v1/images`, { headers: h })).status, 403);
      // Of v1, only the register of an existing object (a POST naming a location) is reachable.
      const v1 = (path: string, headers: Record<string, string>) =>
        fetch(`${server.url}/ui/api/image/v1${path}`, { method: 'POST', headers: { ...h, ...headers } });
      assert.equal((await v1('/images', { 'X-Image-Meta-Name': 'x' })).status, 403);
      assert.equal((await v1('/images/detail', { 'X-Image-Meta-Location': 'pithos://a/b/c' })).status, 403);
      const noCsrf = await fetch(`${server.url}/ui/api/image/v1/images`, {
        method: 'POST',
        headers: { Cookie: s.cookie, 'X-Image-Meta-Name': 'x', 'X-Image-Meta-Location': `pithos://${alice.uuid}/c/o` },
      });
      assert.equal(noCsrf.status, 403);
      // With both, the v1 API itself answers (here: no such object).
      const missing = await v1('/images', {
        'X-Image-Meta-Name': 'x',
        'X-Image-Meta-Location': `pithos://${alice.uuid}/c/o`,
      });
      assert.equal(missing.status, 404);
      const q = await fetch(`${server.url}/ui/api/image/v2/images?X-Auth-Token=${bob.token}`, { headers: h });
      assert.equal(q.status, 400);
      // The public APIs ignore the cookie: it is accepted on /ui only.
      assert.equal((await fetch(`${server.url}/image/v2/images`, { headers: h })).status, 401);
    });

    it('answers bad requests under /ui with a 4xx fault, never a 500', async () => {
      const cases: [string, RequestInit, number][] = [
        ['/ui/nothing-here', {}, 404],
        ['/ui/assets/../index.html', {}, 404],
        ['/ui/session', { method: 'PUT' }, 405],
        ['/ui/session', {}, 401],
        ['/ui/api/image/v2/images', {}, 401],
        ['/ui/download/not-an-id', {}, 404],
        ['/ui/download/00000000-0000-0000-0000-000000000000', { method: 'POST' }, 405],
        ['/ui/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{' }, 400],
        ['/ui/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[1]' }, 400],
      ];
      for (const [path, init, status] of cases) {
        const res = await fetch(server.url + path, init);
        assert.equal(res.status, status, `${init.method ?? 'GET'} ${path}`);
        const body = await res.json();
        assert.equal(typeof Object.values(body as Record<string, { message: string }>)[0].message, 'string');
        assert.ok(res.headers.get('content-security-policy'), 'the CSP is on every /ui answer');
      }
      const cookieOnly = await session({ token: alice.token });
      const badSession = await fetch(`${server.url}/ui/api/image/v2/images`, {
        headers: { Cookie: 'plankton_session=t.not-a-token; plankton_csrf=x', 'X-CSRF-Token': 'x' },
      });
      assert.equal(badSession.status, 403, 'a CSRF token that does not match the session');
      const expired = await fetch(`${server.url}/ui/api/image/v2/images`, {
        headers: {
          Cookie: cookieOnly.cookie.replace(cookieOnly.secret, 'A'.repeat(43)),
          'X-CSRF-Token': cookieOnly.csrf,
        },
      });
      assert.equal(expired.status, 403, 'the CSRF token is bound to the session secret');
    });

    it("one user never sees another's private images through the page's calls", async () => {
      const created = await server.fetch('/image/v2/images', {
        method: 'POST',
        token: alice.token,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'alice-private', disk_format: 'raw', container_format: 'bare' }),
      });
      const img = await created.json();
      const s = await session({ token: bob.token });
      const h = { Cookie: s.cookie, 'X-CSRF-Token': s.csrf };
      for (const query of [
        '',
        '?visibility=private',
        '?visibility=shared&member_status=all',
        `?owner=${alice.uuid}`,
        '?name=contains:alice-priv',
      ]) {
        const list = await (await fetch(`${server.url}/ui/api/image/v2/images${query}`, { headers: h })).json();
        assert.ok(!list.images.some((i: { id: string }) => i.id === img.id), `listed by ${query}`);
      }
      assert.equal((await fetch(`${server.url}/ui/api/image/v2/images/${img.id}`, { headers: h })).status, 404);
      assert.equal((await fetch(`${server.url}/ui/download/${img.id}`, { headers: { Cookie: s.cookie } })).status, 404);
      // Nor her tokens, her containers, or her objects to register.
      const tokens = await fetch(`${server.url}/ui/api/identity/v3/users/${alice.uuid}/application_credentials`, {
        headers: h,
      });
      assert.equal(tokens.status, 403);
      const containers = await fetch(`${server.url}/ui/api/object-store/v1/${alice.uuid}?format=json`, { headers: h });
      assert.equal(containers.status, 404, 'unreadable means not found');
      const register = await fetch(`${server.url}/ui/api/image/v1/images`, {
        method: 'POST',
        headers: {
          ...h,
          'X-Image-Meta-Name': 'stolen',
          'X-Image-Meta-Location': `pithos://${alice.uuid}/images/${img.id}`,
        },
      });
      assert.equal(register.status, 404);
    });
  });
}
