/**
 * Pithos account groups (issue 19 item 7): `X-Account-Group-<name>` on account POST (replaced
 * without `?update`, merged with it, an empty value removes), shown to the owner on HEAD/GET, and
 * named in `X-Object-Sharing` as `read=<owner-uuid>:<group>`; membership is resolved on every
 * request, so a member removed loses access at once (object GET, listings, "shared with me").
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { call } from './helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

for (const dialect of DIALECTS) {
  describe(`Pithos account groups [${dialect}]`, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let dave: TestUser;
    const px = (...segments: string[]) => [`/object-store/v1/${alice.uuid}`, ...segments].join('/');
    const sharedWith = async (u: TestUser) =>
      (await call(s, 'GET', '/object-store/v1?format=json', { token: u.token }))
        .json()
        .map((e: { name: string }) => e.name);

    before(async () => {
      s = await startTestServer(dialect);
      alice = await s.user('grp-alice');
      bob = await s.user('grp-bob');
      carol = await s.user('grp-carol');
      dave = await s.user('grp-dave');
      assert.equal((await call(s, 'PUT', px('docs'), { token: alice.token })).status, 201);
      assert.equal(
        (await call(s, 'PUT', px('docs', 'plan.txt'), { token: alice.token, body: 'the plan' })).status,
        201,
      );
    });
    after(async () => {
      await s?.close();
    });

    it('groups are set, shown to the owner only, merged with ?update, replaced without it', async () => {
      let r = await call(s, 'POST', `${px()}?update`, {
        token: alice.token,
        headers: { 'X-Account-Group-Team': `${bob.uuid},${carol.name}`, 'X-Account-Group-Ops': dave.uuid },
      });
      assert.equal(r.status, 202);
      r = await call(s, 'HEAD', px(), { token: alice.token });
      assert.equal(r.header('x-account-group-team'), `${bob.uuid},${carol.uuid}`);
      assert.equal(r.header('x-account-group-ops'), dave.uuid);
      // ?update with an empty value removes one group, the others stay
      r = await call(s, 'POST', `${px()}?update`, { token: alice.token, headers: { 'X-Account-Group-Ops': '' } });
      assert.equal(r.status, 202);
      r = await call(s, 'HEAD', px(), { token: alice.token });
      assert.equal(r.header('x-account-group-ops'), undefined);
      assert.equal(r.header('x-account-group-team'), `${bob.uuid},${carol.uuid}`);
      // without ?update the given groups are the whole set
      await call(s, 'POST', `${px()}?update`, { token: alice.token, headers: { 'X-Account-Group-Ops': dave.uuid } });
      r = await call(s, 'POST', px(), {
        token: alice.token,
        headers: { 'X-Account-Group-Team': `${bob.uuid},${carol.uuid}` },
      });
      assert.equal(r.status, 202);
      r = await call(s, 'GET', `${px()}?format=json`, { token: alice.token });
      assert.equal(r.header('x-account-group-ops'), undefined, 'replaced away');
      assert.equal(r.header('x-account-group-team'), `${bob.uuid},${carol.uuid}`);
      // meta POSTs without group headers leave the groups alone
      await call(s, 'POST', `${px()}?update`, { token: alice.token, headers: { 'X-Account-Meta-Color': 'blue' } });
      r = await call(s, 'HEAD', px(), { token: alice.token });
      assert.equal(r.header('x-account-group-team'), `${bob.uuid},${carol.uuid}`);
      // someone else's account: no POST, and no view of the groups
      r = await call(s, 'POST', `${px()}?update`, { token: bob.token, headers: { 'X-Account-Group-Team': bob.uuid } });
      assert.equal(r.status, 404);
    });

    it('bad group headers are a 400 and change nothing', async () => {
      for (const value of ['00000000-0000-4000-8000-00000000dead', 'no-such-user', `${bob.uuid},\u00e9`]) {
        const r = await call(s, 'POST', `${px()}?update`, {
          token: alice.token,
          headers: { 'X-Account-Group-Team': value, 'X-Account-Meta-Color': 'red' },
        });
        assert.equal(r.status, 400, `${value} → ${r.status}`);
      }
      const r = await call(s, 'HEAD', px(), { token: alice.token });
      assert.equal(r.header('x-account-group-team'), `${bob.uuid},${carol.uuid}`);
      assert.equal(r.header('x-account-meta-color'), 'blue', 'nothing partly written');
    });

    it('read=<owner>:<group> grants every member, resolved on each request', async () => {
      let r = await call(s, 'POST', px('docs', 'plan.txt'), {
        token: alice.token,
        headers: { 'X-Object-Sharing': `read=${alice.uuid}:team` },
      });
      assert.equal(r.status, 202);
      r = await call(s, 'HEAD', px('docs', 'plan.txt'), { token: alice.token });
      assert.match(decodeURIComponent(r.header('x-object-sharing') ?? ''), new RegExp(`^read=${alice.uuid}:team$`));
      for (const u of [bob, carol]) {
        r = await call(s, 'GET', px('docs', 'plan.txt'), { token: u.token });
        assert.equal(r.status, 200, u.name);
        assert.equal(r.text(), 'the plan');
        assert.deepEqual(await sharedWith(u), [alice.uuid]);
        r = await call(s, 'GET', `${px('docs')}?format=json`, { token: u.token });
        assert.deepEqual(
          r.json().map((e: { name: string }) => e.name),
          ['plan.txt'],
        );
      }
      // the Swift mount honours the same grant
      r = await call(s, 'GET', `/swift/v1/AUTH_${alice.uuid}/docs/plan.txt`, { token: bob.token });
      assert.equal(r.status, 200);
      assert.equal((await call(s, 'GET', px('docs', 'plan.txt'), { token: dave.token })).status, 404);
      assert.deepEqual(await sharedWith(dave), []);
      // a reader through a group may not write
      r = await call(s, 'PUT', px('docs', 'plan.txt'), { token: bob.token, body: 'changed' });
      assert.equal(r.status, 403);

      // bob leaves the team: he loses access at once, carol keeps it
      r = await call(s, 'POST', `${px()}?update`, {
        token: alice.token,
        headers: { 'X-Account-Group-Team': carol.uuid },
      });
      assert.equal(r.status, 202);
      assert.equal((await call(s, 'GET', px('docs', 'plan.txt'), { token: bob.token })).status, 404);
      assert.deepEqual(await sharedWith(bob), []);
      assert.equal(
        (await call(s, 'GET', `/swift/v1/AUTH_${alice.uuid}/docs/plan.txt`, { token: bob.token })).status,
        403,
      );
      assert.equal((await call(s, 'GET', px('docs', 'plan.txt'), { token: carol.token })).status, 200);

      // write=<owner>:<group>: members overwrite
      r = await call(s, 'POST', px('docs', 'plan.txt'), {
        token: alice.token,
        headers: { 'X-Object-Sharing': `write=${alice.uuid}:team` },
      });
      assert.equal(r.status, 202);
      r = await call(s, 'PUT', px('docs', 'plan.txt'), { token: carol.token, body: 'carol was here' });
      assert.equal(r.status, 201);
      // the group removed altogether: nobody through it
      await call(s, 'POST', `${px()}?update`, { token: alice.token, headers: { 'X-Account-Group-Team': '' } });
      assert.equal((await call(s, 'GET', px('docs', 'plan.txt'), { token: carol.token })).status, 404);
    });

    it('only the owner’s existing groups may be named', async () => {
      await call(s, 'POST', `${px()}?update`, { token: alice.token, headers: { 'X-Account-Group-Crew': bob.uuid } });
      await call(s, 'POST', `/object-store/v1/${bob.uuid}?update`, {
        token: bob.token,
        headers: { 'X-Account-Group-Mine': dave.uuid },
      });
      for (const value of [
        `read=${alice.uuid}:nosuch`,
        `read=${bob.uuid}:mine`,
        `read=${alice.uuid}:`,
        'read=x:crew',
      ]) {
        const r = await call(s, 'POST', px('docs', 'plan.txt'), {
          token: alice.token,
          headers: { 'X-Object-Sharing': value },
        });
        assert.equal(r.status, 400, value);
      }
      const r = await call(s, 'PUT', px('docs', 'crew.txt'), {
        token: alice.token,
        body: 'crew',
        headers: { 'X-Object-Sharing': `read=${alice.uuid.toUpperCase()}:CREW` },
      });
      assert.equal(r.status, 201, 'uuid spelling and group case do not matter');
      assert.equal((await call(s, 'GET', px('docs', 'crew.txt'), { token: bob.token })).status, 200);
    });
  });
}
