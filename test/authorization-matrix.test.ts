/**
 * Every endpoint × caller × target of test/authz/rules.ts against the running server, and
 * docs/authorization.md kept equal to what the rules generate.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CALLERS,
  RULES,
  TARGETS,
  authorizationDoc,
  type CallerKind,
  type Rule,
  type TargetKind,
} from './authz/rules.ts';
import { DIALECTS } from './helpers/dialects.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

interface Fixture {
  /** A fresh owner per fixture, so account-level grants of other fixtures never leak in. */
  readonly owner: TestUser;
  readonly container: string;
  readonly imageId?: string;
  readonly publicUrl?: string;
}

for (const dialect of DIALECTS) {
  describe(`authorization matrix [${dialect}]`, () => {
    let s: TestServer;
    let users: Record<'reader' | 'writer' | 'other' | 'extra', TestUser>;
    let expiredToken: string;
    before(async () => {
      s = await startTestServer(dialect);
      users = { reader: await s.user(), writer: await s.user(), other: await s.user(), extra: await s.user() };
      const late = await s.user();
      const issued = await s.services.tokens.issue(late.uuid, 60);
      await s.services.metadata.db
        .updateTable('tokens')
        .set({ expires_at: Date.now() * 1000 - 1 })
        .where('token_id', '=', issued.tokenId)
        .execute();
      expiredToken = issued.secret;
    });
    after(() => s.close());

    const tokenOf = (c: CallerKind, f: Fixture): string | undefined =>
      ({
        owner: f.owner.token,
        reader: users.reader.token,
        writer: users.writer.token,
        other: users.other.token,
        anonymous: undefined,
        'bad token': 'x'.repeat(43),
        'expired token': expiredToken,
      })[c];

    /** A fresh container with object `o` (and an image on it for image rules) in the target's state. */
    async function fixture(i: number, rule: Rule, target: TargetKind): Promise<Fixture> {
      const ownerUser = await s.user();
      const os = (p: string) => `/object-store/v1/${ownerUser.uuid}${p}`;
      const owner = (p: string, init: RequestInit = {}) => s.fetch(p, { ...init, token: ownerUser.token });
      const container = `r${i}-${target}`;
      assert.equal((await owner(os(`/${container}`), { method: 'PUT' })).status, 201);
      assert.equal((await owner(os(`/${container}/o`), { method: 'PUT', body: 'some data' })).status, 201);
      const sharing = `read=${users.reader.uuid}; write=${users.writer.uuid}`;
      if (rule.api !== 'image') {
        if (target === 'shared')
          await owner(os(`/${container}/o?update`), { method: 'POST', headers: { 'X-Object-Sharing': sharing } });
        if (target === 'public') {
          await owner(os(`/${container}/o?update`), { method: 'POST', headers: { 'X-Object-Public': 'true' } });
          return {
            owner: ownerUser,
            container,
            publicUrl: (await owner(os(`/${container}/o`), { method: 'HEAD' })).headers.get('x-object-public')!,
          };
        }
        return { owner: ownerUser, container };
      }
      const reg = await owner('/image/v1/images', {
        method: 'POST',
        headers: {
          'X-Image-Meta-Name': 'img',
          'X-Image-Meta-Location': `pithos://${ownerUser.uuid}/${container}/o`,
          'X-Image-Meta-Is-Public': target === 'public' ? 'True' : 'False',
        },
      });
      assert.equal(reg.status, 200, await reg.clone().text());
      const imageId = reg.headers.get('x-image-meta-id')!;
      if (target === 'shared') {
        await owner(os(`/${container}/o?update`), {
          method: 'POST',
          headers: { 'X-Object-Sharing': `read=${ownerUser.uuid},${users.reader.uuid}; write=${users.writer.uuid}` },
        });
      }
      return { owner: ownerUser, container, imageId };
    }

    async function perform(rule: Rule, target: TargetKind, f: Fixture, caller: CallerKind): Promise<number> {
      const token = tokenOf(caller, f);
      const os = (p: string) => `/object-store/v1/${f.owner.uuid}${p}`;
      const call = (p: string, init: RequestInit = {}) => s.fetch(p, { ...init, token });
      const obj = os(`/${f.container}/o`);
      const img = `/image/v1/images/${f.imageId}`;
      const e = rule.endpoint;
      if (e.startsWith('POST /identity')) {
        return (
          await s.fetch(
            '/identity/v2.0/tokens',
            token === undefined
              ? { method: 'POST' }
              : {
                  method: 'POST',
                  headers: { 'Content-Type': 'application/json' },
                  body: JSON.stringify({ auth: { token: { id: token } } }),
                },
          )
        ).status;
      }
      if (e.startsWith('POST /account'))
        return (
          await call('/account/v1.0/user_catalogs', { method: 'POST', body: JSON.stringify({ uuids: [f.owner.uuid] }) })
        ).status;
      if (e === 'HEAD object') return (await call(obj, { method: 'HEAD' })).status;
      if (e === 'GET object') return (await call(obj)).status;
      if (e === 'GET object ?hashmap') return (await call(`${obj}?hashmap&format=json`)).status;
      if (e === 'PUT object (overwrite)') return (await call(obj, { method: 'PUT', body: 'new data' })).status;
      if (e === 'PUT object (new name in the container)')
        return (await call(os(`/${f.container}/new-${caller}`), { method: 'PUT', body: 'x' })).status;
      if (e === 'POST object (X-Object-Meta-*)')
        return (await call(`${obj}?update`, { method: 'POST', headers: { 'X-Object-Meta-Color': 'blue' } })).status;
      if (e === 'POST object (X-Object-Sharing)') {
        const same = target === 'shared' ? `read=${users.reader.uuid}; write=${users.writer.uuid}` : '';
        return (await call(`${obj}?update`, { method: 'POST', headers: { 'X-Object-Sharing': same } })).status;
      }
      if (e === 'DELETE object') return (await call(obj, { method: 'DELETE' })).status;
      if (e === 'HEAD container') return (await call(os(`/${f.container}`), { method: 'HEAD' })).status;
      if (e === 'GET container (listing)') return (await call(os(`/${f.container}?format=json`))).status;
      if (e === 'HEAD account') return (await call(os(''), { method: 'HEAD' })).status;
      if (e.startsWith('GET /public')) return (await call(f.publicUrl!)).status;
      const sw = (p: string) => `/swift/v1/AUTH_${f.owner.uuid}${p}`;
      const swObj = sw(`/${f.container}/o`);
      if (e === 'Swift HEAD object') return (await call(swObj, { method: 'HEAD' })).status;
      if (e === 'Swift GET object') return (await call(swObj)).status;
      if (e === 'Swift PUT object (overwrite)') return (await call(swObj, { method: 'PUT', body: 'new data' })).status;
      if (e === 'Swift POST object (X-Object-Meta-*)')
        return (await call(swObj, { method: 'POST', headers: { 'X-Object-Meta-Color': 'blue' } })).status;
      if (e === 'Swift DELETE object') return (await call(swObj, { method: 'DELETE' })).status;
      if (e === 'Swift GET container (listing)') return (await call(sw(`/${f.container}?format=json`))).status;
      if (e === 'Swift HEAD account') return (await call(sw(''), { method: 'HEAD' })).status;
      if (e.startsWith('GET /info')) return (await call('/info')).status;
      if (e === 'HEAD image') return (await call(img, { method: 'HEAD' })).status;
      if (e === 'GET image (data)') return (await call(img)).status;
      if (e === 'PUT image (name)')
        return (await call(img, { method: 'PUT', headers: { 'X-Image-Meta-Name': `by ${caller}` } })).status;
      if (e === 'PUT image (is_public)')
        return (
          await call(img, {
            method: 'PUT',
            headers: { 'X-Image-Meta-Is-Public': target === 'public' ? 'True' : 'False' },
          })
        ).status;
      if (e === 'DELETE image (unregister)') return (await call(img, { method: 'DELETE' })).status;
      if (e === 'GET image members') return (await call(`${img}/members`)).status;
      if (e === 'PUT image member') return (await call(`${img}/members/${users.extra.uuid}`, { method: 'PUT' })).status;
      if (e === 'DELETE image member')
        return (await call(`${img}/members/${users.extra.uuid}`, { method: 'DELETE' })).status;
      const v2 = `/image/v2/images/${f.imageId}`;
      const v2json = (method: string, body: unknown, type = 'application/json') =>
        call(v2Path, { method, headers: { 'Content-Type': type }, body: JSON.stringify(body) });
      let v2Path = v2;
      if (e === 'v2 GET image') return (await call(v2)).status;
      if (e === 'v2 GET image file') return (await call(`${v2}/file`)).status;
      if (e === 'v2 PATCH image (name)')
        return (
          await v2json(
            'PATCH',
            [{ op: 'replace', path: '/name', value: `by ${caller}` }],
            'application/openstack-images-v2.1-json-patch',
          )
        ).status;
      if (e === 'v2 DELETE image') return (await call(v2, { method: 'DELETE' })).status;
      if (e === 'v2 PUT image tag') return (await call(`${v2}/tags/t`, { method: 'PUT' })).status;
      if (e === 'v2 POST image deactivate') return (await call(`${v2}/actions/deactivate`, { method: 'POST' })).status;
      if (e === 'v2 PUT image stage')
        return (
          await call(`${v2}/stage`, {
            method: 'PUT',
            headers: { 'Content-Type': 'application/octet-stream' },
            body: 'staged',
          })
        ).status;
      if (e === 'v2 POST image import (glance-direct)') {
        v2Path = `${v2}/import`;
        return (await v2json('POST', { method: { name: 'glance-direct' } })).status;
      }
      if (e === 'v2 GET image members') return (await call(`${v2}/members`)).status;
      v2Path = `${v2}/members`;
      if (e === 'v2 POST image member') return (await v2json('POST', { member: users.extra.uuid })).status;
      if (e.startsWith('POST image (register')) {
        return (
          await call('/image/v1/images', {
            method: 'POST',
            headers: {
              'X-Image-Meta-Name': 'again',
              'X-Image-Meta-Location': `pithos://${f.owner.uuid}/${f.container}/o`,
              'X-Image-Meta-Is-Public': target === 'public' ? 'True' : 'False',
            },
          })
        ).status;
      }
      throw new Error(`no request for rule "${e}"`);
    }

    it('every endpoint × caller × target answers as the rules say', async () => {
      // The owner goes last: his requests may delete or change the target.
      const order: CallerKind[] = ['anonymous', 'bad token', 'expired token', 'other', 'reader', 'writer', 'owner'];
      const wrong: string[] = [];
      let cells = 0;
      for (const [i, rule] of RULES.entries()) {
        for (const target of TARGETS) {
          const expected = rule.expect[target];
          if (!expected) continue;
          const f = await fixture(i, rule, target);
          for (const caller of order) {
            const want = expected[CALLERS.indexOf(caller)];
            if (want === null) continue;
            const got = await perform(rule, target, f, caller);
            cells++;
            if (got !== want)
              wrong.push(`${rule.api}: ${rule.endpoint} [${target}] as ${caller}: got ${got}, want ${want}`);
          }
        }
      }
      assert.deepEqual(wrong, [], `${wrong.length} of ${cells} cells differ from the rules`);
      assert.ok(cells > 400);
    });
  });
}

describe('docs/authorization.md', () => {
  it('is what test/authz/rules.ts generates (run `npm run docs:authz` after changing the rules)', () => {
    const file = path.resolve(import.meta.dirname, '../docs/authorization.md');
    assert.equal(fs.readFileSync(file, 'utf8'), `${authorizationDoc()}\n`);
  });
});
