import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from '../helpers/dialects.ts';
import { startTestServer, type TestServer, type TestUser } from '../helpers/test-server.ts';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/** Concurrent requests on one resource end in one consistent state, never a 5xx. */
for (const dialect of DIALECTS)
  for (const workers of [1, 2]) {
    describe(`races [${dialect}${workers > 1 ? `, --workers ${workers}` : ''}]`, () => {
      let s: TestServer;
      let alice: TestUser;
      let base: string;
      before(async () => {
        s = await startTestServer(dialect, {}, { workers });
        alice = await s.user();
        base = `/object-store/v1/${alice.uuid}/c`;
        await s.fetch(base, { method: 'PUT', token: alice.token });
      });
      after(() => s.close());

      it('parallel uploads of one name leave one complete version', async () => {
        const bodies = Array.from({ length: 12 }, (_, i) => new Uint8Array(randomBytes(100_000 + i * 700_000)));
        const replies = await Promise.all(
          bodies.map((b) => s.fetch(`${base}/same`, { method: 'PUT', token: alice.token, body: b })),
        );
        assert.deepEqual(
          replies.map((r) => r.status),
          bodies.map(() => 201),
        );
        const got = new Uint8Array(await (await s.fetch(`${base}/same`, { token: alice.token })).arrayBuffer());
        assert.ok(
          bodies.some((b) => md5(b) === md5(got)),
          'the object is none of the uploads',
        );
        const listing = await (await s.fetch(`${base}?format=json`, { token: alice.token })).json();
        assert.equal(listing.filter((o: { name: string }) => o.name === 'same').length, 1);
      });

      it('parallel registrations of one location yield one image id', async () => {
        await s.fetch(`${base}/disk.img`, { method: 'PUT', token: alice.token, body: 'disk' });
        const replies = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            s.fetch('/image/v1/images', {
              method: 'POST',
              token: alice.token,
              headers: { 'X-Image-Meta-Name': `n${i}`, 'X-Image-Meta-Location': `pithos://${alice.uuid}/c/disk.img` },
            }),
          ),
        );
        const statuses = replies.map((r) => r.status);
        assert.ok(
          statuses.every((st) => st === 200 || st === 409),
          `statuses ${statuses}`,
        );
        assert.ok(statuses.includes(200));
        const ids = new Set(replies.filter((r) => r.status === 200).map((r) => r.headers.get('x-image-meta-id')));
        assert.equal(ids.size, 1);
        const rows = await s.services.metadata.db.selectFrom('images').select('id').execute();
        assert.equal(rows.filter((r) => ids.has(r.id)).length, 1);
      });

      it('parallel member changes end consistent', async () => {
        const up = await s.fetch('/image/v1/images', {
          method: 'POST',
          token: alice.token,
          headers: { 'X-Image-Meta-Name': 'm', 'Content-Type': 'application/octet-stream' },
          body: 'data',
        });
        const id = (await up.json()).image.id;
        const members = await Promise.all(Array.from({ length: 12 }, () => s.user()));
        const adds = await Promise.all(
          members.map((m) =>
            s.fetch(`/image/v1/images/${id}/members/${m.uuid}`, { method: 'PUT', token: alice.token }),
          ),
        );
        assert.deepEqual(
          adds.map((r) => r.status),
          members.map(() => 204),
        );
        const listed = (
          await (await s.fetch(`/image/v1/images/${id}/members`, { token: alice.token })).json()
        ).members.map((m: { member_id: string }) => m.member_id);
        for (const m of members) assert.ok(listed.includes(m.uuid), 'a concurrent member add was lost');
        assert.equal(new Set(listed).size, listed.length, 'a member is listed twice');

        const removed = members.slice(0, 6);
        const dels = await Promise.all(
          removed.map((m) =>
            s.fetch(`/image/v1/images/${id}/members/${m.uuid}`, { method: 'DELETE', token: alice.token }),
          ),
        );
        assert.deepEqual(
          dels.map((r) => r.status),
          removed.map(() => 204),
        );
        const after = (
          await (await s.fetch(`/image/v1/images/${id}/members`, { token: alice.token })).json()
        ).members.map((m: { member_id: string }) => m.member_id);
        assert.deepEqual(
          after.filter((u: string) => members.some((m) => m.uuid === u)).sort(),
          members
            .slice(6)
            .map((m) => m.uuid)
            .sort(),
        );
      });
    });
  }
