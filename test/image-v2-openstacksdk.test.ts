/**
 * Image API v2 with Debian's openstacksdk 0.101 (what Ansible's openstack.cloud.image and most
 * scripts use), logged in by name and password at Keystone v3: test/clients/openstacksdk/image_v2.py
 * does `conn.create_image(…, wait=True, validate_checksum=True)`, `find_image`, `download_image`,
 * `update_image_properties`, `image.update_image`, `add_tag`, `add_member`, `update_member` (as the
 * member), `remove_member`, `delete_image(wait=True)` (openstack.md §6.3); this file checks every
 * step's result and the server's own view of it. Not `use_import=True` (test/image-v2-import.test.ts).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { missingOpenstacksdk, runSdkScript } from './helpers/openstacksdk.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const missing = missingOpenstacksdk();
if (missing) process.stderr.write(`# skipping: ${missing}\n`);

const hex = (algo: string, b: Buffer) => createHash(algo).update(b).digest('hex');

describe('Image API v2 with openstacksdk', { skip: missing, concurrency: true }, () => {
  for (const dialect of DIALECTS) {
    describe(dialect, () => {
      let s: TestServer;
      let alice: TestUser;
      let bob: TestUser;
      let dir: string;
      const passwords = { alice: 'alice-sdk-password', bob: 'bob-sdk-password' };

      before(async () => {
        s = await startTestServer(dialect, { region: 'RegionOne' });
        alice = await s.user(`alice-sdk-${dialect}`);
        bob = await s.user(`bob-sdk-${dialect}`);
        await s.services.passwords.set(alice.uuid, passwords.alice);
        await s.services.passwords.set(bob.uuid, passwords.bob);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-v2-sdk-'));
      });
      after(async () => {
        await s?.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
      });

      it('create_image (wait, validate_checksum), download, update, tags, members, delete_image (wait)', async () => {
        // More than one 4 MiB block, not a multiple of it.
        const data = randomBytes(4 * 1024 * 1024 + 12_345);
        const file = path.join(dir, 'disk.raw');
        const download = path.join(dir, 'downloaded.raw');
        fs.writeFileSync(file, data);
        const name = `sdk-image-${dialect}`;

        const run = await runSdkScript('image_v2', {
          url: s.url,
          owner: { name: alice.name, password: passwords.alice },
          member: { name: bob.name, password: passwords.bob, id: bob.uuid },
          file,
          download,
          name,
        });
        assert.equal(run.status, 0, `image_v2.py failed:\n${run.stderr}\n${run.stdout}`);
        const step = (n: string) => {
          const o = run.steps.get(n);
          assert.ok(o, `step ${n} missing:\n${run.stdout}`);
          return o as Record<string, any>;
        };

        const created = step('create_image');
        const id = created.id as string;
        assert.equal(created.name, name);
        assert.equal(created.status, 'active');
        assert.equal(created.size, data.length);
        assert.equal(created.checksum, hex('md5', data));
        assert.equal(created.hash_algo, 'sha512');
        assert.equal(created.hash_value, hex('sha512', data));
        assert.equal(created.visibility, 'shared');
        // validate_checksum makes the SDK send the file's real digests as properties.
        assert.equal(created.properties['owner_specified.openstack.md5'], hex('md5', data));
        assert.equal(created.properties['owner_specified.openstack.sha256'], hex('sha256', data));
        assert.equal(created.properties['owner_specified.openstack.object'], `images/${name}`);

        assert.equal(step('find_image').id, id);
        assert.equal(step('download_image').md5, hex('md5', data));
        assert.ok(fs.readFileSync(download).equals(data), 'downloaded bytes equal the file');

        const updated = step('update_image');
        assert.equal(updated.name, `${name}-renamed`);
        assert.equal(updated.min_ram, 256);
        assert.equal(updated.os_distro, 'debian');
        assert.equal(updated.hw_disk_bus, 'virtio');
        const got = step('get_image');
        assert.deepEqual(got.tags, ['sdk']);
        assert.equal(got.name, `${name}-renamed`);

        assert.deepEqual([step('add_member').member_id, step('add_member').status], [bob.uuid, 'pending']);
        assert.deepEqual(step('members').member_ids, [bob.uuid]);
        assert.ok(step('member_sees_pending').ids.includes(id));
        assert.deepEqual([step('update_member').member_id, step('update_member').status], [bob.uuid, 'accepted']);
        assert.ok(step('member_sees_shared').ids.includes(id));
        assert.deepEqual(step('remove_member').member_ids, []);

        assert.equal(step('delete_image').deleted, true);
        assert.deepEqual(step('delete_image').left, []);
        assert.equal((await s.fetch(`/image/v2/images/${id}`, { token: alice.token })).status, 404);
        // The data came through the image API, so its placeholder object went with it (Decision 1).
        const object = await s.fetch(`/object-store/v1/${alice.uuid}/images/${id}`, {
          method: 'HEAD',
          token: alice.token,
        });
        assert.equal(object.status, 404);
      });
    });
  }
});
