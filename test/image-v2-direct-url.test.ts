/**
 * `direct_url` on the v2 image show (openstack.md §4.4 [P]): the owner sees where the data lives
 * in the object store, anyone else who may see the image does not, and lists never carry it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

for (const dialect of DIALECTS) {
  describe(`v2 direct_url [${dialect}]`, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let id: string;

    before(async () => {
      s = await startTestServer(dialect);
      alice = await s.user();
      bob = await s.user();
      const r = await s.fetch('/image/v2/images', {
        method: 'POST',
        token: alice.token,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          name: 'public one',
          disk_format: 'raw',
          container_format: 'bare',
          visibility: 'public',
        }),
      });
      assert.equal(r.status, 201);
      id = (await r.json()).id;
    });
    after(() => s.close());

    it('shows the object location to the owner only, and in no list', async () => {
      const own = await (await s.fetch(`/image/v2/images/${id}`, { token: alice.token })).json();
      assert.equal(own.direct_url, `pithos://${alice.uuid}/images/${id}`);
      const other = await s.fetch(`/image/v2/images/${id}`, { token: bob.token });
      assert.equal(other.status, 200);
      assert.equal(Object.hasOwn(await other.json(), 'direct_url'), false);
      const list = await (await s.fetch('/image/v2/images', { token: alice.token })).json();
      assert.ok(list.images.length > 0);
      for (const i of list.images) assert.equal(Object.hasOwn(i, 'direct_url'), false);
    });
  });
}
