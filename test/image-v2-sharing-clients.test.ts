/**
 * Sharing and paging through the real Debian clients logged in with a user name and a password at
 * Keystone v3 (`OS_AUTH_URL=<P>/identity/v3`, openstack.md §2.5), the image endpoint taken from the
 * catalog: `openstack image add project` (the project given by name, resolved through
 * `GET /v3/projects/<name>` → 404 → `?name=`, §2.4), `image member list`, `image set --accept` /
 * `--reject` run as the member (its project id from its own token), `image list --shared` /
 * `--member-status`, `image remove project`; `glance member-create` / `member-list` /
 * `member-update` / `member-delete`, `image-tag-update` / `image-tag-delete`; and lists longer than
 * a page (`openstack image list` follows `next`, `glance image-list --page-size`).
 *
 * Clients are slow to start: the two databases run side by side.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import {
  keystoneGlanceCli,
  keystoneOpenstackCli,
  missingOpenStackClients,
  type KeystoneLogin,
} from './helpers/openstack-clients.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const missing = missingOpenStackClients();
if (missing) process.stderr.write(`# skipping: ${missing}\n`);

/** Glance's default page (list-query.ts): the paging test makes more images than this. */
const DEFAULT_PAGE = 25;

interface Member {
  'Image ID': string;
  'Member ID': string;
  Status: string;
}

describe('Image API v2 sharing and paging, clients logged in through Keystone v3', {
  skip: missing,
  concurrency: true,
}, () => {
  for (const dialect of DIALECTS) {
    // The databases side by side, but one test after another within each: they share bob, and a
    // glance test's accepted share would show in the openstack test's `--shared` list.
    describe(dialect, { concurrency: false }, () => {
      let s: TestServer;
      let alice: TestUser & KeystoneLogin;
      let bob: TestUser & KeystoneLogin;
      let carol: TestUser & KeystoneLogin;
      let dir: string;
      let file: string;

      const osc = async (who: KeystoneLogin, args: string[]) => {
        const r = await keystoneOpenstackCli(who, args);
        assert.equal(r.status, 0, `openstack ${args.join(' ')}\n${r.stderr}`);
        return r.stdout;
      };
      const oscJson = async <T>(who: KeystoneLogin, args: string[]) =>
        JSON.parse(await osc(who, [...args, '-f', 'json'])) as T;
      const glance = async (who: KeystoneLogin, args: string[]) => {
        const r = await keystoneGlanceCli(who, args);
        assert.equal(r.status, 0, `glance ${args.join(' ')}\n${r.stderr}`);
        return r.stdout;
      };
      /** The ids `openstack image list [args]` shows to this user. */
      const listed = async (who: KeystoneLogin, args: string[] = []) =>
        (await oscJson<{ ID: string }[]>(who, ['image', 'list', ...args])).map((i) => i.ID);
      const memberOf = async (id: string, member: string) => {
        const r = await s.fetch(`/image/v2/images/${id}/members/${member}`, { token: alice.token });
        return r.status === 200 ? ((await r.json()) as { status: string }).status : r.status;
      };

      /** A user with a password set (as `plankton user create --password-stdin` does). */
      const userWithPassword = async (name: string) => {
        const u = await s.user(name);
        const password = `${name}-secret-pw`;
        await s.services.passwords.set(u.uuid, password);
        return { ...u, url: s.url, username: u.name, password };
      };
      const createImage = async (owner: TestUser, name: string) => {
        const r = await s.fetch('/image/v2/images', {
          method: 'POST',
          token: owner.token,
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ name, disk_format: 'raw', container_format: 'bare' }),
        });
        assert.equal(r.status, 201);
        return ((await r.json()) as { id: string }).id;
      };

      before(async () => {
        s = await startTestServer(dialect, { region: 'RegionOne' });
        alice = await userWithPassword('alice-share');
        bob = await userWithPassword('bob-share');
        carol = await userWithPassword('carol-pages');
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-v2-share-'));
        file = path.join(dir, 'disk.raw');
        fs.writeFileSync(file, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff)));
      });
      after(async () => {
        await s?.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
      });

      it('openstack: add project by name, member list, --accept / --reject as the member, --shared, --member-status, remove project', async () => {
        const created = await oscJson<{ id: string }>(alice, [
          'image',
          'create',
          '--file',
          file,
          '--disk-format',
          'raw',
          '--container-format',
          'bare',
          'shared-img',
        ]);
        const id = created.id;

        // By name: openstackclient resolves "bob-share" through /identity/v3/projects.
        const added = await oscJson<{ member_id: string; status: string }>(alice, [
          'image',
          'add',
          'project',
          'shared-img',
          bob.name,
        ]);
        assert.deepEqual([added.member_id, added.status], [bob.uuid, 'pending']);
        const members = await oscJson<Member[]>(alice, ['image', 'member', 'list', 'shared-img']);
        assert.deepEqual(
          members.map((m) => [m['Image ID'], m['Member ID'], m.Status]),
          [[id, bob.uuid, 'pending']],
        );

        // Pending: not in bob's lists, only with --member-status pending.
        assert.ok(!(await listed(bob)).includes(id));
        assert.ok(!(await listed(bob, ['--shared'])).includes(id));
        assert.deepEqual(await listed(bob, ['--member-status', 'pending']), [id]);

        await osc(bob, ['image', 'set', '--accept', id]);
        assert.equal(await memberOf(id, bob.uuid), 'accepted');
        assert.deepEqual(await listed(bob, ['--shared']), [id]);
        assert.ok((await listed(bob)).includes(id));

        await osc(bob, ['image', 'set', '--reject', id]);
        assert.equal(await memberOf(id, bob.uuid), 'rejected');
        assert.ok(!(await listed(bob)).includes(id));
        assert.deepEqual(await listed(bob, ['--member-status', 'rejected']), [id]);
        // The member still reads the image by id whatever its status (openstack.md §4.4).
        const shown = await oscJson<{ id: string; visibility: string }>(bob, ['image', 'show', id]);
        assert.deepEqual([shown.id, shown.visibility], [id, 'shared']);

        // The owner may not answer for the member.
        const byOwner = await keystoneOpenstackCli(alice, ['image', 'set', '--accept', '--project', bob.name, id]);
        assert.notEqual(byOwner.status, 0);
        assert.match(byOwner.stderr, /403: .*You are not permitted to modify 'status' on this image member\./);
        assert.equal(await memberOf(id, bob.uuid), 'rejected');

        await osc(alice, ['image', 'remove', 'project', 'shared-img', bob.name]);
        assert.equal(await memberOf(id, bob.uuid), 404);
        assert.deepEqual(await oscJson<Member[]>(alice, ['image', 'member', 'list', 'shared-img']), []);
        assert.equal((await s.fetch(`/image/v2/images/${id}`, { token: bob.token })).status, 404);
      });

      it('glance: member-create / member-list / member-update as the member / member-delete, image-tag-update / -delete', async () => {
        const id = await createImage(alice, 'glance-shared');
        const createdOut = await glance(alice, ['member-create', id, bob.uuid]);
        assert.match(createdOut, new RegExp(`\\|\\s*${id}\\s*\\|\\s*${bob.uuid}\\s*\\|\\s*pending\\s*\\|`));
        const listOut = await glance(alice, ['member-list', '--image-id', id]);
        assert.match(listOut, new RegExp(`\\|\\s*${id}\\s*\\|\\s*${bob.uuid}\\s*\\|\\s*pending\\s*\\|`));

        await glance(bob, ['member-update', id, bob.uuid, 'accepted']);
        assert.equal(await memberOf(id, bob.uuid), 'accepted');
        // The owner changing the member's status is refused (403), and nothing changes.
        const byOwner = await keystoneGlanceCli(alice, ['member-update', id, bob.uuid, 'rejected']);
        assert.notEqual(byOwner.status, 0);
        assert.match(byOwner.stderr, /You are not permitted to modify 'status' on this image member\./);
        assert.equal(await memberOf(id, bob.uuid), 'accepted');

        const tagged = await glance(alice, ['image-tag-update', id, 'blue']);
        assert.match(tagged, /blue/);
        await glance(alice, ['image-tag-update', id, 'green']);
        const tags = async () =>
          ((await (await s.fetch(`/image/v2/images/${id}`, { token: alice.token })).json()) as { tags: string[] }).tags;
        assert.deepEqual((await tags()).sort(), ['blue', 'green']);
        await glance(alice, ['image-tag-delete', id, 'blue']);
        assert.deepEqual(await tags(), ['green']);
        const unknownTag = await keystoneGlanceCli(alice, ['image-tag-delete', id, 'no-such-tag']);
        assert.notEqual(unknownTag.status, 0);
        assert.match(unknownTag.stderr, /Tag no-such-tag not found\./);

        await glance(alice, ['member-delete', id, bob.uuid]);
        assert.equal(await memberOf(id, bob.uuid), 404);
        assert.doesNotMatch(await glance(alice, ['member-list', '--image-id', id]), new RegExp(bob.uuid));
      });

      it(`lists longer than a page (${DEFAULT_PAGE}): openstack follows next, glance --page-size, openstack --limit`, async () => {
        const ids = new Set<string>();
        for (let i = 0; i < DEFAULT_PAGE + 6; i++)
          ids.add(await createImage(carol, `page-${String(i).padStart(2, '0')}`));

        const all = await listed(carol);
        assert.equal(all.length, ids.size, 'every image listed exactly once');
        assert.deepEqual(new Set(all), ids);

        const glanceOut = await glance(carol, ['image-list', '--page-size', '4']);
        const glanceIds = [...glanceOut.matchAll(/^\|\s*([0-9a-f-]{36})\s*\|/gm)].map((m) => m[1]);
        assert.equal(glanceIds.length, ids.size);
        assert.deepEqual(new Set(glanceIds), ids);

        // `--limit` turns the SDK's paging off: one page of that size.
        const limited = await listed(carol, ['--limit', '5']);
        assert.equal(limited.length, 5);
        assert.equal(new Set(limited).size, 5);
        for (const id of limited) assert.ok(ids.has(id));
      });
    });
  }
});
