/**
 * The real Debian `openstack` CLI (python3-openstackclient: osc-lib, keystoneauth1, openstacksdk)
 * and keystoneauth1's generic plugins from Python, logging in to Plankton's Keystone v3 subset
 * (openstack.md §2.5). Passwords are set with the real `plankton` CLI.
 *
 * The clients never see the machine's configuration: no OS_* variables, HOME, XDG folders and the
 * working directory in a temp folder (openstacksdk looks for clouds.yaml in all of them).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { cleanEnv } from './helpers/child-server.ts';
import { DIALECTS } from './helpers/dialects.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const OPENSTACK = '/usr/bin/openstack';
const PYTHON = '/usr/bin/python3';
const missing =
  fs.existsSync(OPENSTACK) && fs.existsSync(PYTHON)
    ? false
    : `${OPENSTACK} or ${PYTHON} not found: install python3-openstackclient to run the openstack CLI tests`;
if (missing) process.stderr.write(`# skipping: ${missing}\n`);

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '../bin/plankton.js');
const PASSWORD = 'plankton-v3-password';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** A home for the Python clients with nothing in it, and an environment without OS_* settings. */
function isolatedEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OS_') && !k.startsWith('PLANKTON_')) env[k] = v;
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CONFIG_DIRS: path.join(home, 'etc'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    LANG: 'C.UTF-8',
    PYTHONDONTWRITEBYTECODE: '1',
    ...extra,
  };
}

async function capture(p: Promise<{ stdout: string; stderr: string }>): Promise<Result> {
  try {
    const { stdout, stderr } = await p;
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** `plankton <args>` on the test server's database, with `input` on standard input. */
function plankton(args: string[], input: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

for (const dialect of DIALECTS) {
  // Every test is a few slow Python start-ups against one server: run them side by side.
  describe(`openstack CLI identity [${dialect}]`, { skip: missing, concurrency: true }, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: { uuid: string; name: string; token: string };
    let aliceTokenId: string;
    let home: string;
    let storage: string[];

    const openstack = (args: string[], extraEnv: Record<string, string> = {}) =>
      capture(
        run(OPENSTACK, args, { cwd: home, env: isolatedEnv(home, extraEnv), encoding: 'utf8', timeout: 120_000 }),
      );

    /** `openstack … token issue -f json`, asserting success; the issued token's fields. */
    async function tokenIssue(args: string[], extraEnv: Record<string, string> = {}): Promise<Record<string, string>> {
      const r = await openstack([...args, 'token', 'issue', '-f', 'json'], extraEnv);
      assert.equal(r.code, 0, `openstack ${args.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    }

    before(async () => {
      s = await startTestServer(dialect, { region: 'RegionOne' });
      home = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-openstack-home-'));
      storage =
        dialect === 'postgres' ? ['--database-url', s.services.settings.databaseUrl!] : ['--data-dir', s.dataDir];
      alice = await s.user('alice@example.org');
      aliceTokenId = (await s.services.tokens.resolve(alice.token)).tokenId;
      // Passwords through the real CLI: one set afterwards, one given at creation.
      const set = await plankton(['user', 'password', alice.name, '--stdin', ...storage], `${PASSWORD}\n`);
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stdout, new RegExp(`password set for ${alice.name}`));
      const created = await plankton(
        ['user', 'create', 'bob@example.org', '--password-stdin', '--json', ...storage],
        `${PASSWORD}-bob\n`,
      );
      assert.equal(created.code, 0, created.stderr);
      bob = JSON.parse(created.stdout);
    });
    after(async () => {
      await s.close();
      fs.rmSync(home, { recursive: true, force: true });
    });

    for (const suffix of ['/identity', '/identity/v3']) {
      it(`token plugins (generic and v3token), by project name and by id, at ${suffix}`, async () => {
        const url = s.url + suffix;
        const byName = await tokenIssue([
          '--os-auth-type',
          'token',
          '--os-auth-url',
          url,
          '--os-token',
          alice.token,
          '--os-project-name',
          alice.name,
          '--os-project-domain-name',
          'Default',
        ]);
        assert.deepEqual(
          { id: byName.id, project_id: byName.project_id, user_id: byName.user_id },
          { id: alice.token, project_id: alice.uuid, user_id: alice.uuid },
        );
        const noScope = await tokenIssue(['--os-auth-type', 'token', '--os-auth-url', url, '--os-token', alice.token]);
        assert.equal(noScope.project_id, alice.uuid, 'no scope: the own project');
        const byId = await tokenIssue([
          '--os-auth-type',
          'v3token',
          '--os-auth-url',
          url,
          '--os-token',
          alice.token,
          '--os-project-id',
          alice.uuid,
        ]);
        assert.equal(byId.id, alice.token);
        assert.equal(byId.project_id, alice.uuid);
      });

      it(`password plugin with a real password, by name and by id, at ${suffix}`, async () => {
        const url = s.url + suffix;
        const byName = await tokenIssue([
          '--os-auth-url',
          url,
          '--os-username',
          alice.name,
          '--os-password',
          PASSWORD,
          '--os-project-name',
          alice.name,
          '--os-user-domain-name',
          'Default',
          '--os-project-domain-name',
          'Default',
        ]);
        assert.match(byName.id, /^[A-Za-z0-9_-]{43}$/);
        assert.notEqual(byName.id, alice.token, 'a password login mints a token');
        assert.equal(byName.user_id, alice.uuid);
        const hours = (Date.parse(byName.expires.replace(/\+0000$/, 'Z')) - Date.now()) / 3_600_000;
        assert.ok(hours > 11 && hours <= 12, `a 12h token, got ${hours} h`);
        const byId = await tokenIssue([
          '--os-auth-url',
          url,
          '--os-user-id',
          bob.uuid,
          '--os-password',
          `${PASSWORD}-bob`,
          '--os-project-id',
          bob.uuid,
        ]);
        assert.equal(byId.project_id, bob.uuid);
        // OS_IDENTITY_API_VERSION=3 without domain options: openstackclient sends the domain by id.
        const implicit = await tokenIssue(
          [
            '--os-auth-url',
            url,
            '--os-username',
            bob.name,
            '--os-password',
            `${PASSWORD}-bob`,
            '--os-project-name',
            bob.name,
          ],
          { OS_IDENTITY_API_VERSION: '3' },
        );
        assert.equal(implicit.project_id, bob.uuid);
        // A token as the password (OS_PASSWORD=$(plankton token issue … --quiet)): that same token.
        const tokenAsPassword = await tokenIssue(
          ['--os-auth-url', url, '--os-user-id', alice.uuid, '--os-project-id', alice.uuid],
          { OS_PASSWORD: alice.token, OS_IDENTITY_API_VERSION: '3' },
        );
        assert.equal(tokenAsPassword.id, alice.token);
      });

      it(`v3applicationcredential plugin: id = token_id, secret = the token, at ${suffix}`, async () => {
        const t = await tokenIssue([
          '--os-auth-type',
          'v3applicationcredential',
          '--os-auth-url',
          s.url + suffix,
          '--os-application-credential-id',
          aliceTokenId,
          '--os-application-credential-secret',
          alice.token,
        ]);
        assert.deepEqual(
          { id: t.id, project_id: t.project_id, user_id: t.user_id },
          { id: alice.token, project_id: alice.uuid, user_id: alice.uuid },
        );
      });
    }

    it("refuses a wrong password with Keystone's message, and a wrong application credential", async () => {
      const wrong = await openstack([
        '--os-auth-url',
        `${s.url}/identity`,
        '--os-username',
        alice.name,
        '--os-password',
        'not the password',
        '--os-project-name',
        alice.name,
        '--os-user-domain-name',
        'Default',
        '--os-project-domain-name',
        'Default',
        'token',
        'issue',
      ]);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /The request you have made requires authentication\. \(HTTP 401\)/);
      assert.doesNotMatch(wrong.stderr, /Traceback/);
      const badCredential = await openstack([
        '--os-auth-type',
        'v3applicationcredential',
        '--os-auth-url',
        `${s.url}/identity`,
        '--os-application-credential-id',
        'ffffffffffff',
        '--os-application-credential-secret',
        alice.token,
        'token',
        'issue',
      ]);
      assert.equal(badCredential.code, 1);
      assert.match(badCredential.stderr, /HTTP 401/);
    });

    it('catalog list: identity, image (unversioned) and the object store of the own account, in RegionOne', async () => {
      const r = await openstack([
        '--os-auth-type',
        'v3applicationcredential',
        '--os-auth-url',
        `${s.url}/identity`,
        '--os-application-credential-id',
        aliceTokenId,
        '--os-application-credential-secret',
        alice.token,
        'catalog',
        'list',
        '-f',
        'json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const catalog: { Name: string; Type: string; Endpoints: { interface: string; region: string; url: string }[] }[] =
        JSON.parse(r.stdout);
      const urls = Object.fromEntries(catalog.map((e) => [e.Type, [...new Set(e.Endpoints.map((x) => x.url))]]));
      assert.deepEqual(urls, {
        identity: [`${s.url}/identity`],
        image: [`${s.url}/image`],
        'object-store': [`${s.url}/swift/v1/AUTH_${alice.uuid}`],
      });
      for (const e of catalog) {
        assert.deepEqual(e.Endpoints.map((x) => x.interface).sort(), ['admin', 'internal', 'public']);
        assert.ok(e.Endpoints.every((x) => x.region === 'RegionOne'));
      }
    });

    it('token revoke: a minted token stops working', async () => {
      const minted = await tokenIssue([
        '--os-auth-url',
        `${s.url}/identity/v3`,
        '--os-user-id',
        alice.uuid,
        '--os-password',
        PASSWORD,
        '--os-project-id',
        alice.uuid,
      ]);
      assert.equal((await s.fetch(`/object-store/v1/${alice.uuid}`, { token: minted.id })).status < 300, true);
      const revoke = await openstack([
        '--os-auth-type',
        'token',
        '--os-auth-url',
        `${s.url}/identity`,
        '--os-token',
        alice.token,
        'token',
        'revoke',
        minted.id,
      ]);
      assert.equal(revoke.code, 0, revoke.stderr);
      assert.equal((await s.fetch(`/object-store/v1/${alice.uuid}`, { token: minted.id })).status, 401);
      const again = await openstack([
        '--os-auth-type',
        'token',
        '--os-auth-url',
        `${s.url}/identity`,
        '--os-token',
        minted.id,
        'token',
        'issue',
      ]);
      assert.equal(again.code, 1);
      assert.equal(
        (await s.fetch(`/object-store/v1/${alice.uuid}`, { token: alice.token })).status < 300,
        true,
        "the caller's own token still works",
      );
    });

    it('the clouds.yaml block of the first-start banner works with --os-cloud', async () => {
      const cloudHome = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-openstack-cloud-'));
      try {
        fs.mkdirSync(path.join(cloudHome, '.config', 'openstack'), { recursive: true });
        const { banner } = await import('../src/cli/serve-command.ts');
        const text = banner(s.url, { uuid: alice.uuid, token: alice.token, tokenId: aliceTokenId }, 'RegionOne');
        const yaml = text
          .slice(text.indexOf('  clouds:'), text.indexOf('\nMore users:'))
          .split('\n')
          .map((l) => l.slice(2))
          .join('\n');
        assert.match(yaml, /^clouds:\n {2}plankton:\n/);
        fs.writeFileSync(path.join(cloudHome, '.config', 'openstack', 'clouds.yaml'), yaml);
        const r = await capture(
          run(OPENSTACK, ['--os-cloud', 'plankton', 'token', 'issue', '-f', 'json'], {
            cwd: cloudHome,
            env: isolatedEnv(cloudHome),
            encoding: 'utf8',
            timeout: 120_000,
          }),
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal(JSON.parse(r.stdout).id, alice.token);
        // The command line of the banner, as printed.
        const line = /^ {2}(openstack --os-auth-type v3applicationcredential .*\\\n.*catalog list)$/m.exec(text)?.[1];
        assert.ok(line, 'the banner shows an openstack command line');
        const cl = await capture(
          run('bash', ['-c', line], { cwd: home, env: isolatedEnv(home), encoding: 'utf8', timeout: 120_000 }),
        );
        assert.equal(cl.code, 0, cl.stderr);
        assert.match(cl.stdout, /object-store/);
      } finally {
        fs.rmSync(cloudHome, { recursive: true, force: true });
      }
    });

    it("keystoneauth1's generic password and token plugins discover and choose v3", async () => {
      const script = `
import json, sys
from keystoneauth1 import session
from keystoneauth1.identity import generic, v3
url, name, password, token = sys.argv[1:5]
out = {}
for label, plugin in [
    ('password', generic.Password(auth_url=url, username=name, password=password, project_name=name,
                                  user_domain_name='Default', project_domain_name='Default')),
    ('token', generic.Token(auth_url=url, token=token)),
]:
    sess = session.Session(auth=plugin)
    ref = plugin.get_access(sess)
    out[label] = {
        'version': ref.version, 'v3_plugin': isinstance(plugin._plugin, (v3.Password, v3.Token)),
        'token': ref.auth_token, 'project_id': ref.project_id, 'user_domain_id': ref.user_domain_id,
        'image': ref.service_catalog.url_for(service_type='image', interface='public'),
        'object_store': ref.service_catalog.url_for(service_type='object-store', interface='internal', region_name='RegionOne'),
    }
print(json.dumps(out))
`;
      const r = await capture(
        run(PYTHON, ['-c', script, `${s.url}/identity`, alice.name, PASSWORD, alice.token], {
          cwd: home,
          env: isolatedEnv(home),
          encoding: 'utf8',
          timeout: 120_000,
        }),
      );
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      for (const label of ['password', 'token']) {
        const v = out[label];
        assert.equal(v.version, 'v3', label);
        assert.equal(v.v3_plugin, true, label);
        assert.equal(v.project_id, alice.uuid);
        assert.equal(v.user_domain_id, 'default');
        assert.equal(v.image, `${s.url}/image`);
        // The v3 catalog names the Swift mount (issue 19); kamaki keeps the Pithos one through v2.0.
        assert.equal(v.object_store, `${s.url}/swift/v1/AUTH_${alice.uuid}`);
      }
      assert.equal(out.token.token, alice.token);
      assert.notEqual(out.password.token, alice.token);
    });
  });
}
