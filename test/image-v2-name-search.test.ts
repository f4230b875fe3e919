/**
 * Plankton's `name=contains:<text>` filter on the v2 image list (src/api/image/v2/README.md, "Name
 * search"): substring, ignoring case, wildcards taken literally, combined with the other filters
 * and paging, and never a way to see someone else's private images.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

type Json = Record<string, any>;

for (const dialect of DIALECTS) {
  describe(`v2 list: name=contains: [${dialect}]`, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    const create = async (user: TestUser, name: string, extra: Json = {}) => {
      const r = await s.fetch('/image/v2/images', {
        method: 'POST',
        token: user.token,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name, disk_format: 'raw', container_format: 'bare', ...extra }),
      });
      assert.equal(r.status, 201);
      return ((await r.json()) as Json).id as string;
    };
    const names = async (user: TestUser, query: string): Promise<string[]> => {
      const r = await s.fetch(`/image/v2/images?${query}`, { token: user.token });
      assert.equal(r.status, 200, await r.clone().text());
      return ((await r.json()) as Json).images.map((i: Json) => i.name).sort();
    };

    before(async () => {
      s = await startTestServer(dialect);
      alice = await s.user();
      bob = await s.user();
      for (const n of ['Debian 12 amd64', 'debian-11', 'Ubuntu 24.04', '100%_pure', '100 pure', 'back\\slash'])
        await create(alice, n, n.startsWith('Ubuntu') ? { tags: ['lts'] } : {});
      await create(bob, 'Debian of bob (private)');
      await create(bob, 'Debian of bob (public)', { visibility: 'public' });
    });
    after(() => s.close());

    it('finds names containing the text, ignoring case, among the images the caller may list', async () => {
      assert.deepEqual(await names(alice, 'name=contains:debian'), [
        'Debian 12 amd64',
        'Debian of bob (public)',
        'debian-11',
      ]);
      assert.deepEqual(await names(alice, `name=${encodeURIComponent('contains:AN 1')}`), ['Debian 12 amd64']);
      assert.deepEqual(await names(bob, `name=contains:DEBIAN&owner=${bob.uuid}`), [
        'Debian of bob (private)',
        'Debian of bob (public)',
      ]);
      assert.deepEqual(await names(alice, `name=contains:DEBIAN&owner=${bob.uuid}`), ['Debian of bob (public)']);
      assert.deepEqual(await names(alice, 'name=contains:nothing-like-this'), []);
    });

    it('takes %, _ and \\ literally', async () => {
      assert.deepEqual(await names(alice, `name=${encodeURIComponent('contains:%')}`), ['100%_pure']);
      assert.deepEqual(await names(alice, 'name=contains:_'), ['100%_pure']);
      assert.deepEqual(await names(alice, `name=${encodeURIComponent('contains:\\')}`), ['back\\slash']);
      assert.deepEqual(await names(alice, `name=${encodeURIComponent('contains:0 p')}`), ['100 pure']);
    });

    it('combines with the other filters and pages with the marker', async () => {
      assert.deepEqual(await names(alice, 'name=contains:u&tag=lts'), ['Ubuntu 24.04']);
      const seen: string[] = [];
      let query = 'name=contains:e&owner=' + alice.uuid + '&limit=1&sort_key=name&sort_dir=asc';
      for (let page = 0; page < 10; page++) {
        const r = await s.fetch(`/image/v2/images?${query}`, { token: alice.token });
        const doc = (await r.json()) as Json;
        seen.push(...doc.images.map((i: Json) => i.name));
        if (!doc.next) break;
        query = doc.next.split('?')[1];
      }
      assert.deepEqual(
        seen,
        ['100 pure', '100%_pure', 'Debian 12 amd64', 'debian-11'].sort((a, b) => (a < b ? -1 : 1)),
      );
    });

    it('an empty text filters nothing; an exact name that starts with contains: is eq:contains:…', async () => {
      const all = await names(alice, `owner=${alice.uuid}`);
      assert.equal(all.length, 6);
      assert.deepEqual(await names(alice, `owner=${alice.uuid}&name=contains:`), all);
      await create(alice, 'contains:x');
      assert.deepEqual(await names(alice, 'name=eq:contains:x'), ['contains:x']);
      const tooLong = await s.fetch(`/image/v2/images?name=contains:${'a'.repeat(256)}`, { token: alice.token });
      assert.equal(tooLong.status, 400);
      // A NUL is in no stored name (PostgreSQL could not even look for one): nothing matches.
      assert.deepEqual(await names(alice, 'name=contains:a%00b'), []);
      const unknownOp = await s.fetch('/image/v2/images?name=startswith:x', { token: alice.token });
      assert.equal(unknownOp.status, 400);
    });
  });
}
