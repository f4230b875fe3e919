/**
 * gophercloud (Terraform's OpenStack provider, Packer) against a real Plankton server, through
 * the Go harness in test/clients/gophercloud built on Debian's gophercloud 0.12 (openstack.md
 * §2.5, §4.1, §6.4). Identity: password, token and application-credential logins, the catalog
 * as gophercloud reads it, its 401. Image v2: the calls of `openstack_images_image_v2`,
 * with its exact status codes, interoperable import (glance-direct) included.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import {
  gophercloud,
  gophercloudBinary,
  gophercloudMissing,
  type GophercloudAuth,
  type GophercloudRun,
} from './helpers/gophercloud.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

if (gophercloudMissing) process.stderr.write(`# skipping: ${gophercloudMissing}\n`);

const PASSWORD = 'gophercloud-password-1';
const REGION = 'RegionOne';

/** The `auth` command's output (test/clients/gophercloud/auth.go). */
interface AuthOutput {
  kind: string;
  token: string;
  expires_at: string;
  user: { id: string; name: string; domain: { id: string; name: string } };
  project: { id: string; name: string; domain: { id: string; name: string } };
  roles: { id: string; name: string }[];
  catalog: {
    type: string;
    name: string;
    endpoints: { interface: string; region: string; region_id: string; url: string }[];
  }[];
  endpoints: Record<string, { endpoint?: string; resource_base?: string; error?: { type: string } }>;
}

/** An image as gophercloud decoded it (imageJSON in images.go). */
interface GoImage {
  id: string;
  name: string;
  status: string;
  tags: string[] | null;
  container_format: string;
  disk_format: string;
  min_disk: number;
  min_ram: number;
  owner: string;
  protected: boolean;
  visibility: string;
  checksum: string;
  size: number;
  properties: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
  import_methods: string[] | null;
}

interface GoMember {
  image_id: string;
  member_id: string;
  status: string;
  created_at: string;
}

/** The run succeeded; its result. */
function ok<T>(r: GophercloudRun<T>, what: string): T {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
  assert.ok(r.result !== undefined, `${what}: no result`);
  return r.result;
}

/** The run failed with gophercloud's error of this HTTP status; the error. */
function failedWith(r: GophercloudRun<unknown>, status: number, what: string) {
  assert.equal(r.code, 1, `${what}: expected a failure, got exit ${r.code}\n${r.stdout}${r.stderr}`);
  assert.ok(r.error, `${what}: no error printed`);
  assert.equal(r.error.type, `gophercloud.ErrDefault${status}`, `${what}: ${r.error.message}`);
  assert.equal(r.error.status, status);
  return r.error;
}

/** A real Go timestamp (not the zero time gophercloud leaves when it cannot parse one). */
function assertTimestamp(value: string, what: string) {
  assert.ok(!value.startsWith('0001-01-01'), `${what} was not decoded: ${value}`);
  assert.ok(Number.isFinite(Date.parse(value)), `${what}: ${value}`);
}

for (const dialect of DIALECTS) {
  describe(`gophercloud [${dialect}]`, { skip: gophercloudMissing }, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let aliceTokenId: string;
    let work: string;

    before(async () => {
      // Build first, so a broken build reports itself rather than as a failed login.
      await gophercloudBinary();
      s = await startTestServer(dialect, { region: REGION });
      alice = await s.user('alice@example.org');
      bob = await s.user('bob@example.org');
      await s.services.passwords.set(alice.uuid, PASSWORD);
      aliceTokenId = (await s.services.tokens.resolve(alice.token)).tokenId;
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-gophercloud-'));
    });
    after(async () => {
      await s?.close();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    const at = (suffix = '/identity'): GophercloudAuth => ({ OS_AUTH_URL: s.url + suffix });
    const alicePassword = (suffix?: string): GophercloudAuth => ({
      ...at(suffix),
      OS_USERNAME: alice.name,
      OS_PASSWORD: PASSWORD,
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_NAME: alice.name,
    });
    const aliceToken = (): GophercloudAuth => ({ ...at(), OS_TOKEN: alice.token });
    const bobToken = (): GophercloudAuth => ({ ...at(), OS_TOKEN: bob.token });

    /** The catalog has identity, image and object-store, each public/internal/admin in our region,
     * and gophercloud's own service constructors resolve them to usable bases. */
    function assertCatalog(out: AuthOutput, user: TestUser) {
      const expected: Record<string, string> = {
        identity: `${s.url}/identity`,
        image: `${s.url}/image`,
        'object-store': `${s.url}/swift/v1/AUTH_${user.uuid}`,
      };
      assert.deepEqual(out.catalog.map((e) => e.type).sort(), Object.keys(expected).sort());
      for (const entry of out.catalog) {
        assert.deepEqual(entry.endpoints.map((e) => e.interface).sort(), ['admin', 'internal', 'public'], entry.type);
        for (const e of entry.endpoints) {
          assert.equal(e.url, expected[entry.type], `${entry.type} ${e.interface}`);
          assert.ok(e.region === REGION || e.region_id === REGION, `${entry.type} region`);
        }
      }
      // What gophercloud builds on: the image client appends v2/ to the unversioned endpoint.
      assert.deepEqual(out.endpoints.image, { endpoint: `${s.url}/image/`, resource_base: `${s.url}/image/v2/` });
      assert.deepEqual(out.endpoints.identity, {
        endpoint: `${s.url}/identity/v3/`,
        resource_base: `${s.url}/identity/v3/`,
      });
      const store = `${s.url}/swift/v1/AUTH_${user.uuid}/`;
      assert.deepEqual(out.endpoints['object-store'], { endpoint: store, resource_base: store });
    }

    function assertAlice(out: AuthOutput) {
      assert.equal(out.user.id, alice.uuid);
      assert.equal(out.user.name, alice.name);
      assert.deepEqual(out.user.domain, { id: 'default', name: 'Default' });
      assert.deepEqual(out.project, { id: alice.uuid, name: alice.name, domain: { id: 'default', name: 'Default' } });
      assertTimestamp(out.expires_at, 'expires_at');
      assert.ok(Date.parse(out.expires_at) > Date.now(), 'token not yet expired');
    }

    describe('identity', { concurrency: true }, () => {
      for (const suffix of ['/identity', '/identity/v3']) {
        it(`password by user name + domain, project by name, at ${suffix}`, async () => {
          const out = ok(await gophercloud<AuthOutput>(alicePassword(suffix), 'auth'), 'password auth');
          assert.equal(out.kind, 'tokens.CreateResult', 'POST /v3/auth/tokens');
          assertAlice(out);
          assertCatalog(out, alice);
          assert.notEqual(out.token, alice.token, 'a password login mints its own token');
          // The minted token is a Plankton token: the object store accepts it.
          const r = await s.fetch(`/object-store/v1/${alice.uuid}`, { token: out.token });
          assert.ok(r.status === 200 || r.status === 204, `account GET with the minted token: ${r.status}`);
        });
      }

      it('password by user id, project by id', async () => {
        const out = ok(
          await gophercloud<AuthOutput>(
            {
              ...at(),
              OS_USER_ID: alice.uuid,
              OS_PASSWORD: PASSWORD,
              OS_PROJECT_ID: alice.uuid,
            },
            'auth',
          ),
          'password auth by id',
        );
        assertAlice(out);
        assertCatalog(out, alice);
      });

      it("password method with one of the user's tokens as the password", async () => {
        const out = ok(
          await gophercloud<AuthOutput>({ ...alicePassword(), OS_PASSWORD: alice.token }, 'auth'),
          'token as password',
        );
        assertAlice(out);
      });

      it('a bare token: gophercloud GETs /v3/auth/tokens and keeps the same token', async () => {
        const out = ok(await gophercloud<AuthOutput>(aliceToken(), 'auth'), 'token auth');
        assert.equal(out.kind, 'tokens.GetResult', 'no scope: passthrough GET, no POST');
        assert.equal(out.token, alice.token);
        assertAlice(out);
        assertCatalog(out, alice);
      });

      it('a token with a project scope: POST with the token method', async () => {
        const out = ok(
          await gophercloud<AuthOutput>(
            { ...aliceToken(), OS_PROJECT_NAME: alice.name, OS_PROJECT_DOMAIN_NAME: 'Default' },
            'auth',
          ),
          'scoped token auth',
        );
        assert.equal(out.kind, 'tokens.CreateResult');
        assert.equal(out.token, alice.token, 'the token method returns the same token');
        assertAlice(out);
        assertCatalog(out, alice);
      });

      it('an application credential (id = token_id, secret = the token), no scope', async () => {
        const out = ok(
          await gophercloud<AuthOutput>(
            {
              ...at(),
              OS_APPLICATION_CREDENTIAL_ID: aliceTokenId,
              OS_APPLICATION_CREDENTIAL_SECRET: alice.token,
            },
            'auth',
          ),
          'application credential auth',
        );
        assert.equal(out.kind, 'tokens.CreateResult');
        assertAlice(out);
        assertCatalog(out, alice);
      });

      it('another user gets their own project and object-store account', async () => {
        const out = ok(await gophercloud<AuthOutput>(bobToken(), 'auth'), 'bob token auth');
        assert.equal(out.project.id, bob.uuid);
        assertCatalog(out, bob);
      });

      it('region and interface filters: every interface in RegionOne, nothing elsewhere', async () => {
        for (const iface of ['public', 'internal', 'admin']) {
          const out = ok(
            await gophercloud<AuthOutput>({ ...aliceToken(), OS_REGION_NAME: REGION, OS_INTERFACE: iface }, 'auth'),
            iface,
          );
          assert.equal(out.endpoints.image.resource_base, `${s.url}/image/v2/`, iface);
        }
        const out = ok(
          await gophercloud<AuthOutput>({ ...aliceToken(), OS_REGION_NAME: 'Elsewhere' }, 'auth'),
          'other region',
        );
        for (const service of ['identity', 'image', 'object-store']) {
          assert.equal(out.endpoints[service].error?.type, '*gophercloud.ErrEndpointNotFound', service);
        }
      });

      it("refusals are gophercloud's ErrDefault401 with one Keystone-shaped message", async () => {
        const refusals: [string, GophercloudAuth][] = [
          ['wrong password', { ...alicePassword(), OS_PASSWORD: 'not-the-password' }],
          ['unknown user', { ...alicePassword(), OS_USERNAME: 'nobody@example.org' }],
          ['unknown token', { ...at(), OS_TOKEN: 'not-a-token' }],
          [
            'wrong application credential secret',
            { ...at(), OS_APPLICATION_CREDENTIAL_ID: aliceTokenId, OS_APPLICATION_CREDENTIAL_SECRET: bob.token },
          ],
          [
            'unknown application credential',
            {
              ...at(),
              OS_APPLICATION_CREDENTIAL_ID: 'no-such-credential',
              OS_APPLICATION_CREDENTIAL_SECRET: alice.token,
            },
          ],
        ];
        const bodies = new Set<string>();
        for (const [what, auth] of refusals) {
          const err = failedWith(await gophercloud(auth, 'auth'), 401, what);
          assert.match(err.url ?? '', /\/identity\/v3\/auth\/tokens$/, what);
          const body = JSON.parse(err.body ?? '') as { error: { code: number; title: string; message: string } };
          assert.equal(body.error.code, 401, what);
          assert.equal(body.error.title, 'Unauthorized', what);
          bodies.add(body.error.message);
        }
        assert.equal(bodies.size, 1, `one message for every refusal: ${[...bodies].join(' | ')}`);
        // The refusals did not lock out the right password.
        assertAlice(ok(await gophercloud<AuthOutput>(alicePassword(), 'auth'), 'password after refusals'));
      });
    });

    describe('Image v2 (Terraform openstack_images_image_v2)', () => {
      /** A data file of `size` pseudo-random bytes; its path and MD5. */
      function dataFile(name: string, size: number): { file: string; md5: string; size: number } {
        const data = Buffer.alloc(size);
        let x = size ^ 0x9e3779b9;
        for (let i = 0; i < size; i++) {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          data[i] = x >>> 24;
        }
        const file = path.join(work, name);
        fs.writeFileSync(file, data);
        return { file, md5: createHash('md5').update(data).digest('hex'), size };
      }

      const createImage = async (auth: GophercloudAuth, args: string[]) =>
        ok(await gophercloud<GoImage>(auth, 'image-create', args), `image-create ${args.join(' ')}`);

      it('create, upload, wait, verify the checksum, read, update, download, delete', async () => {
        const data = dataFile('tf.img', 5 * 1024 * 1024 + 123); // more than one 4 MiB block
        const created = await createImage(aliceToken(), [
          '--name',
          'tf-image',
          '--container-format',
          'bare',
          '--disk-format',
          'raw',
          '--visibility',
          'private',
          '--min-disk',
          '1',
          '--min-ram',
          '64',
          '--tags',
          'terraform,test',
          '--property',
          'os_distro=debian',
          '--property',
          'build=42',
        ]);
        assert.equal(created.status, 'queued');
        assert.equal(created.name, 'tf-image');
        assert.equal(created.owner, alice.uuid);
        assert.equal(created.visibility, 'private');
        assert.deepEqual([...(created.tags ?? [])].sort(), ['terraform', 'test']);
        assert.equal(created.checksum, '');
        assert.equal(created.size, 0);
        assert.equal(created.min_disk, 1);
        assert.equal(created.min_ram, 64);
        assert.equal(created.properties?.os_distro, 'debian');
        assert.equal(created.properties?.build, '42', 'custom properties are strings');
        // glance-direct is offered (issue 12): the create reply's import-methods header says so.
        assert.deepEqual(created.import_methods, ['glance-direct']);
        assertTimestamp(created.created_at, 'created_at');
        assertTimestamp(created.updated_at, 'updated_at');

        ok(await gophercloud(aliceToken(), 'image-upload', ['--id', created.id, '--file', data.file]), 'upload (204)');
        const active = ok(await gophercloud<GoImage>(aliceToken(), 'image-wait', ['--id', created.id]), 'wait');
        assert.equal(active.status, 'active');
        assert.equal(active.checksum, data.md5, "Terraform compares checksum with the file's MD5");
        assert.equal(active.size, data.size);

        const got = ok(await gophercloud<GoImage>(aliceToken(), 'image-get', ['--id', created.id]), 'get');
        assert.equal(got.checksum, data.md5);
        assert.equal(got.properties?.os_distro, 'debian');

        const updated = ok(
          await gophercloud<GoImage>(aliceToken(), 'image-update', [
            '--id',
            created.id,
            '--name',
            'tf-image-2',
            '--min-ram',
            '128',
            '--tags',
            'renamed',
            '--add',
            'hw_disk_bus=virtio',
            '--replace',
            'build=43',
            '--remove',
            'os_distro',
          ]),
          'update (200)',
        );
        assert.equal(updated.name, 'tf-image-2');
        assert.equal(updated.min_ram, 128);
        assert.deepEqual(updated.tags, ['renamed']);
        assert.equal(updated.properties?.hw_disk_bus, 'virtio');
        assert.equal(updated.properties?.build, '43');
        assert.equal(updated.properties?.os_distro, undefined);
        assert.equal(updated.checksum, data.md5, 'data untouched by a metadata update');

        failedWith(
          await gophercloud(aliceToken(), 'image-update', ['--id', created.id, '--checksum', data.md5]),
          403,
          'checksum is read-only',
        );

        const out = path.join(work, 'tf.out');
        const dl = ok(
          await gophercloud<{ bytes: number; md5: string; content_md5: string }>(aliceToken(), 'image-download', [
            '--id',
            created.id,
            '--file',
            out,
          ]),
          'download',
        );
        assert.equal(dl.bytes, data.size);
        assert.equal(dl.md5, data.md5);
        assert.equal(dl.content_md5, data.md5, 'Content-MD5 is the hex MD5');
        assert.ok(fs.readFileSync(out).equals(fs.readFileSync(data.file)));

        ok(await gophercloud(aliceToken(), 'image-delete', ['--id', created.id]), 'delete (204)');
        failedWith(await gophercloud(aliceToken(), 'image-get', ['--id', created.id]), 404, 'deleted image');
      });

      it('a protected image refuses deletion until unprotected', async () => {
        const img = await createImage(aliceToken(), [
          '--name',
          'tf-protected',
          '--protected',
          'true',
          '--container-format',
          'bare',
          '--disk-format',
          'raw',
        ]);
        assert.equal(img.protected, true);
        failedWith(await gophercloud(aliceToken(), 'image-delete', ['--id', img.id]), 403, 'protected');
        ok(await gophercloud(aliceToken(), 'image-get', ['--id', img.id]), 'still there');
      });

      it('list follows next links page by page, with filters and sorting', async () => {
        const tag = `page-${dialect}`;
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          const img = await createImage(aliceToken(), [
            '--name',
            `tf-page-${i}`,
            '--tags',
            tag,
            '--container-format',
            'bare',
            '--disk-format',
            'raw',
          ]);
          ids.push(img.id);
        }
        const listed = ok(
          await gophercloud<{ images: GoImage[]; pages: string[][] }>(aliceToken(), 'image-list', [
            '--tag',
            tag,
            '--limit',
            '2',
            '--sort-key',
            'name',
            '--sort-dir',
            'asc',
          ]),
          'paged list',
        );
        assert.deepEqual(
          listed.pages.map((p) => p.length),
          [2, 2, 1],
        );
        assert.deepEqual(
          listed.images.map((i) => i.name),
          [0, 1, 2, 3, 4].map((i) => `tf-page-${i}`),
        );
        assert.deepEqual(listed.pages.flat(), ids);
        for (const img of listed.images) assertTimestamp(img.created_at, 'listed created_at');

        const newStyle = ok(
          await gophercloud<{ images: GoImage[] }>(aliceToken(), 'image-list', [
            '--tag',
            tag,
            '--sort',
            'name:desc',
            '--limit',
            '3',
          ]),
          'sort=name:desc',
        );
        assert.deepEqual(
          newStyle.images.map((i) => i.name),
          [4, 3, 2, 1, 0].map((i) => `tf-page-${i}`),
        );

        const byName = ok(
          await gophercloud<{ images: GoImage[] }>(aliceToken(), 'image-list', ['--name', 'tf-page-3']),
          'name filter',
        );
        assert.deepEqual(
          byName.images.map((i) => i.id),
          [ids[3]],
        );

        const recent = ok(
          await gophercloud<{ images: GoImage[] }>(aliceToken(), 'image-list', [
            '--tag',
            tag,
            '--created-after',
            '2000-01-01T00:00:00Z',
          ]),
          'created_at=gt:…',
        );
        assert.equal(recent.images.length, 5);

        const bobSees = ok(
          await gophercloud<{ images: GoImage[] }>(bobToken(), 'image-list', ['--tag', tag]),
          'bob lists',
        );
        assert.deepEqual(bobSees.images, [], 'private images of another owner stay hidden');
      });

      it('members: the owner shares, the member accepts, the owner revokes', async () => {
        const img = await createImage(aliceToken(), [
          '--name',
          'tf-shared',
          '--visibility',
          'shared',
          '--container-format',
          'bare',
          '--disk-format',
          'raw',
        ]);
        const added = ok(
          await gophercloud<GoMember>(aliceToken(), 'member-create', ['--id', img.id, '--member', bob.uuid]),
          'add member (200)',
        );
        assert.deepEqual(
          { image_id: added.image_id, member_id: added.member_id, status: added.status },
          { image_id: img.id, member_id: bob.uuid, status: 'pending' },
        );
        assertTimestamp(added.created_at, 'member created_at');

        const members = ok(
          await gophercloud<{ members: GoMember[] }>(aliceToken(), 'member-list', ['--id', img.id]),
          'member list',
        );
        assert.deepEqual(
          members.members.map((m) => m.member_id),
          [bob.uuid],
        );

        const pending = ok(
          await gophercloud<{ images: GoImage[] }>(bobToken(), 'image-list', ['--member-status', 'pending']),
          'pending list',
        );
        assert.ok(pending.images.some((i) => i.id === img.id));
        const notYet = ok(await gophercloud<{ images: GoImage[] }>(bobToken(), 'image-list'), 'default list');
        assert.ok(!notYet.images.some((i) => i.id === img.id), 'listed only once accepted');

        failedWith(
          await gophercloud(aliceToken(), 'member-update', [
            '--id',
            img.id,
            '--member',
            bob.uuid,
            '--status',
            'accepted',
          ]),
          403,
          'only the member changes its status',
        );
        const accepted = ok(
          await gophercloud<GoMember>(bobToken(), 'member-update', [
            '--id',
            img.id,
            '--member',
            bob.uuid,
            '--status',
            'accepted',
          ]),
          'accept',
        );
        assert.equal(accepted.status, 'accepted');
        const shown = ok(
          await gophercloud<GoMember>(aliceToken(), 'member-get', ['--id', img.id, '--member', bob.uuid]),
          'member get',
        );
        assert.equal(shown.status, 'accepted');
        const listed = ok(await gophercloud<{ images: GoImage[] }>(bobToken(), 'image-list'), 'accepted list');
        assert.ok(listed.images.some((i) => i.id === img.id));

        ok(
          await gophercloud(aliceToken(), 'member-delete', ['--id', img.id, '--member', bob.uuid]),
          'remove member (204)',
        );
        failedWith(await gophercloud(bobToken(), 'image-get', ['--id', img.id]), 404, 'no longer shared');

        const priv = await createImage(aliceToken(), ['--name', 'tf-private', '--visibility', 'private']);
        failedWith(
          await gophercloud(aliceToken(), 'member-create', ['--id', priv.id, '--member', bob.uuid]),
          403,
          'only shared images have members',
        );
      });

      it('interoperable import: glance-direct stage then import', async () => {
        const info = ok(
          await gophercloud<{ 'import-methods': { value: string[] } }>(aliceToken(), 'import-info'),
          'import info',
        );
        assert.ok(info['import-methods'].value.includes('glance-direct'));
        const data = dataFile('staged.img', 70_000);
        const img = await createImage(aliceToken(), [
          '--name',
          'tf-import',
          '--container-format',
          'bare',
          '--disk-format',
          'raw',
        ]);
        ok(await gophercloud(aliceToken(), 'image-stage', ['--id', img.id, '--file', data.file]), 'stage (204)');
        const staged = ok(await gophercloud<GoImage>(aliceToken(), 'image-get', ['--id', img.id]), 'staged');
        assert.ok(['uploading', 'importing', 'active'].includes(staged.status), staged.status);
        ok(
          await gophercloud(aliceToken(), 'image-import', ['--id', img.id, '--method', 'glance-direct']),
          'import (202)',
        );
        const active = ok(await gophercloud<GoImage>(aliceToken(), 'image-wait', ['--id', img.id]), 'wait');
        assert.equal(active.status, 'active');
        assert.equal(active.checksum, data.md5);
        assert.equal(active.size, data.size);
      });

      it('an upload from standard input, and errors gophercloud maps', async () => {
        const img = await createImage(aliceToken(), [
          '--name',
          'tf-stdin',
          '--container-format',
          'bare',
          '--disk-format',
          'raw',
        ]);
        const bytes = 'plankton via gophercloud\n'.repeat(100);
        ok(
          await gophercloud(aliceToken(), 'image-upload', ['--id', img.id, '--file', '-'], { input: bytes }),
          'upload stdin',
        );
        const active = ok(await gophercloud<GoImage>(aliceToken(), 'image-wait', ['--id', img.id]), 'wait');
        assert.equal(active.checksum, createHash('md5').update(bytes).digest('hex'));
        failedWith(
          await gophercloud(aliceToken(), 'image-upload', ['--id', img.id, '--file', '-'], { input: 'again' }),
          409,
          'upload to an active image',
        );
        failedWith(await gophercloud(bobToken(), 'image-get', ['--id', img.id]), 404, "another user's private image");
        failedWith(await gophercloud(aliceToken(), 'image-get', ['--id', 'not-an-image']), 404, 'not an id');
      });
    });
  });
}
