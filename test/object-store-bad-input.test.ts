/**
 * Bad input to the object store: each case gets its documented 4xx with the fault body, never a
 * 5xx, and changes nothing that is stored (spec/object-store.md §1, §5.1, §7.3, §7.4, §8, §10, §13).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { rawRequest } from './helpers/raw-http.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';
import {
  EMPTY_SHA256,
  O,
  Store,
  assertFault,
  blockFiles,
  call,
  p,
  sha256,
  type CallOptions,
} from './helpers/object-store.ts';

const HELLO = sha256('hello');
const SIZE_MISMATCH = "The object's size does not match with the object's hashmap length";

for (const dialect of DIALECTS) {
  describe(`object store: bad input [${dialect}]`, () => {
    let s: TestServer;
    let alice: Store;
    let bob: Store;
    let A: string;

    /** Everything a bad request could have changed: the metadata rows and the block files. */
    async function snapshot(): Promise<string> {
      const db = s.services.metadata.db;
      const [containers, objects, grants, accounts] = await Promise.all([
        db.selectFrom('containers').selectAll().orderBy('id').execute(),
        db.selectFrom('objects').selectAll().orderBy('id').execute(),
        db.selectFrom('grants').selectAll().orderBy('object_id').orderBy('kind').orderBy('position').execute(),
        db.selectFrom('accounts').selectAll().orderBy('uuid').execute(),
      ]);
      return JSON.stringify({ containers, objects, grants, accounts, blocks: blockFiles(s.dataDir) });
    }

    async function expectBad(
      method: string,
      target: string,
      opts: CallOptions,
      status: number,
      message: string | RegExp,
      as: Store = alice,
    ): Promise<void> {
      const before = await snapshot();
      const r = await as.req(method, target, opts);
      assert.ok(r.status < 500 || (status === 501 && r.status === 501), `${method} ${target}: ${r.status}`);
      assertFault(r, status, message);
      assert.equal(await snapshot(), before, `${method} ${target} changed nothing`);
    }

    before(async () => {
      s = await startTestServer(dialect);
      alice = new Store(s, await s.user());
      bob = new Store(s, await s.user());
      A = alice.uuid;
      await alice.putContainer('b', { 'X-Container-Meta-Keep': 'me' });
      await alice.put('b', 'o', 'original', { 'X-Object-Meta-Keep': 'me' });
      await bob.putContainer('bobc');
      await bob.put('bobc', 'x', 'bob data');
    });
    after(() => s.close());

    it('malformed hashmap documents → 400, nothing created', async () => {
      const put = (body: string | Buffer, message: string | RegExp, name = 'h') =>
        expectBad(
          'PUT',
          p(A, 'b', name, 'hashmap=True&format=json'),
          { body, headers: { 'Content-Type': 'application/octet-stream' } },
          400,
          message,
        );
      for (const body of [
        'not json',
        '[]',
        '5',
        'null',
        '{"hashes": "abc", "bytes": 1}',
        '{"bytes": 1}',
        '{"hashes": []}',
        '{"hashes": [], "bytes": "x"}',
        '{"hashes": [], "bytes": 1.5}',
        '{"hashes": [], "bytes": null}',
        '{"hashes": [], "bytes": true}',
        '',
      ]) {
        await put(body, 'Invalid data formatting');
      }
      await put(Buffer.from([0x7b, 0xff, 0x7d]), 'Invalid data formatting');
      await put('{"hashes": ["xyz"], "bytes": 1}', 'Invalid hash: xyz');
      await put(`{"hashes": ["${HELLO.slice(1)}"], "bytes": 1}`, `Invalid hash: ${HELLO.slice(1)}`);
      await put(`{"hashes": ["${HELLO.slice(1)}g"], "bytes": 1}`, `Invalid hash: ${HELLO.slice(1)}g`);
      await put('{"hashes": [5], "bytes": 1}', /^Invalid hash: /);
      await put('{"hashes": [], "bytes": 5}', SIZE_MISMATCH);
      await put(`{"hashes": ["${HELLO}", "${HELLO}"], "bytes": 5}`, SIZE_MISMATCH);
      await put('{"hashes": [], "bytes": -1}', SIZE_MISMATCH);
      await put(`{"hashes": ["${HELLO}"], "bytes": 0}`, SIZE_MISMATCH);
      await put(`{"hashes": ["${EMPTY_SHA256}", "${EMPTY_SHA256}"], "bytes": 0}`, SIZE_MISMATCH);
      await put(`{"hashes": ["${HELLO}"], "bytes": 4194305}`, SIZE_MISMATCH);
      // Over an existing object: it stays as it was.
      await put('{"hashes": "abc"}', 'Invalid data formatting', 'o');

      // A hashmap body over 32 MiB is refused from its Content-Length.
      const before = await snapshot();
      const big = await rawRequest(
        s.url,
        [
          `PUT ${p(A, 'b', 'h', 'hashmap')} HTTP/1.1`,
          'Host: x',
          `X-Auth-Token: ${alice.user.token}`,
          `Content-Length: ${33 * 1024 * 1024}`,
          '',
          '{"hashes": [',
        ].join('\r\n'),
      );
      assert.equal(big.status, 400);
      assert.equal(JSON.parse(big.body.toString()).badRequest.message, 'Maximum size is reached');
      assert.equal(await snapshot(), before);
    });

    it('bad names: NUL, invalid UTF-8, too long; 1024/256 characters are fine', async () => {
      for (const method of ['GET', 'PUT', 'HEAD', 'DELETE', 'POST']) {
        const opts = method === 'PUT' ? { body: 'x' } : {};
        for (const target of [
          `${O}/${A}/b/a%00b`,
          `${O}/${A}/b/%FF`,
          `${O}/${A}/b/%C3%28`,
          `${O}/${A}/b%00/x`,
          `${O}/${A}/%FFc`,
        ]) {
          if (method === 'HEAD') {
            assert.equal((await alice.req(method, target)).status, 400);
            continue;
          }
          await expectBad(method, target, opts, 400, 'Bad character in path');
        }
      }
      await expectBad('PUT', p(A, 'b', 'x'.repeat(1025)), { body: 'x' }, 400, 'Object name too large.');
      await expectBad('PUT', p(A, 'b', '☂'.repeat(1025)), { body: 'x' }, 400, 'Object name too large.');
      await expectBad('GET', p(A, 'b', 'x'.repeat(1025)), {}, 400, 'Object name too large.');
      await expectBad('PUT', p(A, 'c'.repeat(257)), {}, 400, 'Container name too large');
      await expectBad('PUT', p(A, '☂'.repeat(257), 'o'), { body: 'x' }, 400, 'Container name too large');
      await expectBad(
        'COPY',
        p(A, 'b', 'o'),
        { headers: { Destination: `/b/${'x'.repeat(1025)}` } },
        400,
        'Object name too large.',
      );

      // Limits count code points, not UTF-16 units or bytes.
      assert.equal((await alice.req('PUT', p(A, 'b', '𝄞'.repeat(1024)), { body: 'long' })).status, 201);
      assert.equal((await alice.req('GET', p(A, 'b', '𝄞'.repeat(1024)))).text(), 'long');
      assert.equal((await alice.req('DELETE', p(A, 'b', '𝄞'.repeat(1024)))).status, 204);
      assert.equal((await alice.req('PUT', p(A, '☂'.repeat(256)))).status, 201);
      assert.equal((await alice.req('DELETE', p(A, '☂'.repeat(256)))).status, 204);
    });

    it('`.`, `..`, `../x` and backslashes are ordinary names, never path steps', async () => {
      const names = ['.', '..', '../x', '../../etc/passwd', 'a\\b', './y', 'x/../z'];
      for (const n of names) {
        const r = await alice.req('PUT', `${O}/${A}/b/${n.replace(/\\/g, '%5C')}`, { body: `content of ${n}` });
        assert.equal(r.status, 201, `${n}: ${r.status} ${r.text()}`);
      }
      for (const n of names) {
        const r = await alice.req('GET', `${O}/${A}/b/${n.replace(/\\/g, '%5C')}`);
        assert.equal(r.status, 200, n);
        assert.equal(r.text(), `content of ${n}`, n);
      }
      const listed = (await alice.req('GET', p(A, 'b', undefined, 'format=json'))).json().map((e: any) => e.name);
      for (const n of names) assert.ok(listed.includes(n), `${n} listed`);
      assert.equal((await alice.req('GET', `${O}/${A}/b/x/../o`)).status, 404, 'x/../o is not o');
      assert.equal((await alice.req('GET', `${O}/${A}/b/./o`)).status, 404, './o is not o');

      // A container named `..`, and an object in it.
      assert.equal((await alice.req('PUT', `${O}/${A}/..`)).status, 201);
      assert.equal((await alice.req('HEAD', `${O}/${A}/..`)).status, 204);
      assert.equal((await alice.req('PUT', `${O}/${A}/../o`, { body: 'dotdot' })).status, 201);
      assert.equal((await alice.req('GET', `${O}/${A}/../o`)).text(), 'dotdot');
      assert.equal((await alice.req('GET', p(A, 'b', 'o'))).text(), 'original');
      const containers = (await alice.req('GET', p(A, undefined, undefined, 'format=json')))
        .json()
        .map((e: any) => e.name);
      assert.ok(containers.includes('..'));
      // `..` in the account segment is an account named `..`, not the top level.
      assertFault(await alice.req('GET', `${O}/..`), 404, 'Account does not exist');
      assertFault(await alice.req('GET', `${O}/../${A}`), 404, 'Container does not exist');
      assertFault(await alice.req('GET', `${O}/${A}/b/nope/..`), 404, 'Object does not exist');

      // Nothing named after an object reached the file system.
      const walk = (d: string): string[] =>
        fs
          .readdirSync(d, { withFileTypes: true })
          .flatMap((e) => (e.isDirectory() ? [e.name, ...walk(path.join(d, e.name))] : [e.name]));
      for (const f of walk(s.dataDir))
        assert.match(
          f,
          /^([0-9a-f]{2}|[0-9a-f]{64}|blocks|\.tmp|.*\.(db|sqlite3?)(-wal|-shm|-journal)?|plankton.*)$/,
          f,
        );
      for (const n of names) await alice.req('DELETE', `${O}/${A}/b/${n.replace(/\\/g, '%5C')}`);
      await alice.req('DELETE', `${O}/${A}/..?delimiter=/`);
      await alice.req('DELETE', `${O}/${A}/..`);
    });

    it('headers: raw octets ≥ 0x80 and invalid percent-encoded UTF-8 → 400 "Bad character in headers."', async () => {
      const bad = 'Bad character in headers.';
      await expectBad('PUT', p(A, 'b', 'new'), { body: 'x', headers: { 'X-Object-Meta-A': 'caf\u00e9' } }, 400, bad);
      await expectBad('PUT', p(A, 'b', 'o'), { body: 'x', headers: { 'X-Object-Meta-A': 'caf\u00e9' } }, 400, bad);
      await expectBad('POST', p(A, 'b', 'o', 'update'), { headers: { 'X-Object-Meta-A': '\u00ff' } }, 400, bad);
      await expectBad('GET', p(A, 'b', 'o'), { headers: { 'User-Agent': 'gr\u00fcn' } }, 400, bad);
      await expectBad('PUT', p(A, 'b', 'new'), { body: 'x', headers: { 'Content-Type': 'text/pl\u00e4in' } }, 400, bad);
      await expectBad('PUT', p(A, 'b', 'new'), { body: 'x', headers: { 'X-Object-Meta-A': '%FF' } }, 400, bad);
      await expectBad('PUT', p(A, 'b', 'new'), { body: 'x', headers: { 'X-Object-Meta-%FF': 'x' } }, 400, bad);
      await expectBad('POST', p(A, 'b', 'o', 'update'), { headers: { 'X-Object-Sharing': 'read=%C3%28' } }, 400, bad);
      await expectBad('PUT', p(A, 'b'), { headers: { 'X-Container-Meta-A': '%E2%98' } }, 400, bad);
      await expectBad('POST', p(A), { headers: { 'X-Account-Meta-A': '%C0%AF' } }, 400, bad);
      await expectBad('PUT', p(A, 'b', 'new'), { headers: { 'X-Copy-From': '/b/%FF' } }, 400, bad);
      await expectBad('COPY', p(A, 'b', 'o'), { headers: { Destination: '/b/%FF' } }, 400, bad);
    });

    it('X-Object-Sharing and X-Object-Public: malformed values → 400', async () => {
      const stranger = randomUUID();
      const cases: [string, string][] = [
        ['foo=bar', 'Bad X-Object-Sharing header value: missing prefix'],
        [`read=${bob.uuid};${bob.uuid}`, 'Bad X-Object-Sharing header value: missing prefix'],
        ['read=', 'Bad X-Object-Sharing header value: invalid length'],
        ['read=,,', 'Bad X-Object-Sharing header value: invalid length'],
        [`read=${bob.uuid};write=`, 'Bad X-Object-Sharing header value: invalid length'],
        [`read=${stranger}`, `Bad X-Object-Sharing header value: unknown account: ${stranger}`],
        [`read=${bob.uuid}:group`, `Bad X-Object-Sharing header value: unknown account: ${bob.uuid}:group`],
        ['write=notauuid', 'Bad X-Object-Sharing header value: unknown account: notauuid'],
        [`read=${bob.uuid},NotAUser`, 'Bad X-Object-Sharing header value: unknown account: notauser'],
      ];
      for (const [value, message] of cases) {
        await expectBad('POST', p(A, 'b', 'o', 'update'), { headers: { 'X-Object-Sharing': value } }, 400, message);
        await expectBad('PUT', p(A, 'b', 'new'), { body: 'x', headers: { 'X-Object-Sharing': value } }, 400, message);
        await expectBad(
          'PUT',
          p(A, 'b', 'new', 'hashmap'),
          { body: JSON.stringify({ bytes: 0, hashes: [] }), headers: { 'X-Object-Sharing': value } },
          400,
          message,
        );
      }
      for (const value of ['yes', 'truee', '1', 'on']) {
        await expectBad(
          'POST',
          p(A, 'b', 'o', 'update'),
          { headers: { 'X-Object-Public': value } },
          400,
          'Bad X-Object-Public header value',
        );
        await expectBad(
          'PUT',
          p(A, 'b', 'new'),
          { body: 'x', headers: { 'X-Object-Public': value } },
          400,
          'Bad X-Object-Public header value',
        );
      }
      // All or nothing: a valid meta change with an invalid sharing value changes nothing.
      await expectBad(
        'POST',
        p(A, 'b', 'o', 'update'),
        { headers: { 'X-Object-Meta-New': 'x', 'X-Object-Sharing': 'nope' } },
        400,
        /^Bad X-Object-Sharing/,
      );
      await expectBad(
        'POST',
        p(A, 'b', 'o', 'update'),
        { headers: { 'X-Object-Meta-New': 'x', 'X-Object-Public': 'nope' } },
        400,
        'Bad X-Object-Public header value',
      );
    });

    it('listing parameters: invalid limit (0 and format=xml are valid since issue 19: test/swift-api.test.ts)', async () => {
      for (const limit of ['-1', '10001', 'abc', '1.5', '1e3', '+5', '99999999999999999999']) {
        for (const target of [
          p(A, undefined, undefined, `limit=${encodeURIComponent(limit)}`),
          p(A, 'b', undefined, `format=json&limit=${encodeURIComponent(limit)}`),
          `${O}?limit=${encodeURIComponent(limit)}`,
        ]) {
          await expectBad('GET', target, {}, 400, 'Invalid limit');
        }
      }
      for (const target of [
        p(A, undefined, undefined, 'format=xml'),
        p(A, 'b', undefined, 'format=xml'),
        `${O}?format=xml`,
      ]) {
        const r = await alice.req('GET', target);
        assert.equal(r.status, 200, target);
        assert.match(r.text(), /^<\?xml version="1\.0" encoding="UTF-8"\?>/);
      }
      assert.equal((await alice.req('GET', p(A, 'b', undefined, 'format=json&limit=10000'))).status, 200);
      await alice.putContainer('lim');
      for (const n of ['1', '2', '3']) await alice.put('lim', n, n);
      assert.equal(
        (await alice.req('GET', p(A, 'lim', undefined, 'format=json&limit=1&limit=2'))).json().length,
        2,
        'the last value wins',
      );
      assert.equal(
        (await alice.req('GET', p(A, 'lim', undefined, 'limit=2&format=json&limit=1'))).json().length,
        1,
        'the last value wins',
      );
      assert.equal((await alice.req('DELETE', p(A, 'lim', undefined, 'delimiter=/'))).status, 204);
      assert.equal((await alice.req('DELETE', p(A, 'lim'))).status, 204);
    });

    it('container policy values and meta limits → 400, nothing changed', async () => {
      for (const [name, value, message] of [
        ['Quota', '-1', 'The quota policy value should be a positive integer.'],
        ['Quota', 'abc', 'The quota policy value should be a positive integer.'],
        ['Quota', '1.5', 'The quota policy value should be a positive integer.'],
        ['Versioning', 'sometimes', "The versioning policy value should be either 'auto' or 'none'."],
        ['Foo', '1', "The only allowed policies are 'quota' or 'versioning'."],
      ]) {
        await expectBad('PUT', p(A, 'newc'), { headers: { [`X-Container-Policy-${name}`]: value } }, 400, message);
        await expectBad(
          'PUT',
          p(A, 'b'),
          { headers: { [`X-Container-Policy-${name}`]: value, 'X-Container-Meta-Other': 'x' } },
          400,
          message,
        );
        await expectBad(
          'POST',
          p(A, 'b', undefined, 'update'),
          { headers: { [`X-Container-Policy-${name}`]: value } },
          400,
          message,
        );
      }
      const many = (n: number, prefix = 'X-Object-Meta-') =>
        Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}K${i}`, 'v']));
      const tooMany = 'Pithos+ resources cannot have more than 32 metadata items per domain';
      await expectBad('PUT', p(A, 'b', 'new'), { body: 'x', headers: many(33) }, 400, tooMany);
      await expectBad('POST', p(A, 'b', 'o', 'update'), { headers: many(32) }, 400, tooMany); // 32 + Keep
      await expectBad('POST', p(A, 'b', undefined, 'update'), { headers: many(32, 'X-Container-Meta-') }, 400, tooMany);
      await expectBad(
        'POST',
        p(A, undefined, undefined, 'update'),
        { headers: many(33, 'X-Account-Meta-') },
        400,
        tooMany,
      );
      await expectBad('PUT', p(A, 'b', 'new'), { body: 'x', headers: many(91) }, 400, 'Too many headers.');
      await expectBad(
        'PUT',
        p(A, 'b', 'new'),
        { body: 'x', headers: { [`X-Object-Meta-${'k'.repeat(129)}`]: 'v' } },
        400,
        'Header name too large.',
      );
      await expectBad(
        'PUT',
        p(A, 'b', 'new'),
        { body: 'x', headers: { 'X-Object-Meta-K': 'v'.repeat(257) } },
        400,
        'Header value too large.',
      );
      await expectBad('PUT', p(A, 'b', 'new'), { headers: { 'X-Copy-From': '/b/o', ...many(33) } }, 400, tooMany);
      const atLimits = await alice.req('PUT', p(A, 'b', 'ok'), {
        body: 'x',
        headers: { ...many(30), [`X-Object-Meta-${'k'.repeat(128)}`]: 'v', 'X-Object-Meta-V': 'v'.repeat(256) },
      });
      assert.equal(atLimits.status, 201, `at the limits: ${atLimits.text()}`);
      await alice.req('DELETE', p(A, 'b', 'ok'));
    });

    it("writes into another user's account → 404, nothing changed there", async () => {
      const B = bob.uuid;
      await expectBad('PUT', p(B, 'alice-was-here'), {}, 404, 'Container does not exist');
      await expectBad('PUT', p(B, 'bobc'), {}, 404, 'Container does not exist');
      await expectBad('PUT', p(B, 'bobc', 'x'), { body: 'overwritten' }, 404, 'Container does not exist');
      await expectBad(
        'PUT',
        p(B, 'bobc', 'new', 'hashmap'),
        { body: JSON.stringify({ bytes: 0, hashes: [] }) },
        404,
        'Container does not exist',
      );
      await expectBad(
        'POST',
        p(B, 'bobc', undefined, 'update'),
        { body: 'block', headers: { 'Content-Type': 'application/octet-stream' } },
        404,
        'Container does not exist',
      );
      await expectBad(
        'POST',
        p(B, 'bobc', undefined, 'update'),
        { headers: { 'X-Container-Meta-A': '1' } },
        404,
        'Container does not exist',
      );
      await expectBad('DELETE', p(B, 'bobc', undefined, 'delimiter=/'), {}, 404, 'Container does not exist');
      await expectBad('DELETE', p(B, 'bobc', 'x'), {}, 404, 'Object does not exist');
      await expectBad(
        'POST',
        p(B, 'bobc', 'x', 'update'),
        { headers: { 'X-Object-Meta-A': '1' } },
        404,
        'Object does not exist',
      );
      await expectBad('POST', p(B), { headers: { 'X-Account-Meta-A': '1' } }, 404, 'Account does not exist');
      await expectBad(
        'COPY',
        p(A, 'b', 'o'),
        { headers: { Destination: '/bobc/copy', 'Destination-Account': B } },
        404,
        'Container does not exist',
      );
      await expectBad(
        'PUT',
        p(B, 'bobc', 'copy'),
        { headers: { 'X-Copy-From': '/b/o', 'X-Source-Account': A } },
        404,
        'Container does not exist',
      );
      await expectBad(
        'PUT',
        p(A, 'b', 'stolen'),
        { headers: { 'X-Copy-From': '/bobc/x', 'X-Source-Account': B } },
        404,
        'Object does not exist',
      );
      await expectBad('PUT', p(randomUUID(), 'c'), {}, 404, 'Container does not exist');
      assert.equal((await bob.req('GET', p(B, 'bobc', 'x'))).text(), 'bob data');
    });

    it('bad bytes after a request in flight: that request gets its one response, never a second one joined to it', async () => {
      // A CR/LF in a header value ends the client's headers early; the rest parses as a broken second request.
      // The parser fails on it while the first is still being answered: a raw 400 written then would be
      // joined to, or replace, the first response (fuzz.test.ts "headers" saw both).
      const split = await rawRequest(
        s.url,
        [
          `PUT ${p(A, 'b', 'split')} HTTP/1.1`,
          'Host: x',
          `X-Auth-Token: ${alice.user.token}`,
          'Connection: close',
          'X-Object-Meta-Foo: a\r\n\r\nContent-Length: 0',
          '',
          '',
        ].join('\r\n'),
      );
      assert.equal(split.status, 411, 'the first request had no Content-Length');
      assert.deepEqual(JSON.parse(split.body.toString()), {
        lengthRequired: { code: 411, message: 'Missing or invalid Content-Length header', details: '' },
      });
      // A complete request followed by garbage, without Connection: close: one 201, then the server closes.
      const pipelined = await rawRequest(
        s.url,
        `PUT ${p(A, 'b', 'piped')} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${alice.user.token}\r\n` +
          'X-Object-Meta-Foo: bar\r\nContent-Length: 4\r\n\r\ndataNOT A REQUEST\r\n\r\n',
      );
      assert.equal(pipelined.status, 201);
      assert.equal(pipelined.body.length, 0, `one response only: ${pipelined.body.toString().slice(0, 200)}`);
      const head = await alice.req('HEAD', p(A, 'b', 'piped'));
      assert.equal(head.status, 200);
      assert.equal(head.headers['x-object-meta-foo'], 'bar');
    });

    it('raw PUT length rules and unsupported features', async () => {
      const before = await snapshot();
      const noLength = await rawRequest(
        s.url,
        [
          `PUT ${p(A, 'b', 'nolength')} HTTP/1.1`,
          'Host: x',
          `X-Auth-Token: ${alice.user.token}`,
          'Connection: close',
          '',
          '',
        ].join('\r\n'),
      );
      assert.equal(noLength.status, 411);
      assert.deepEqual(JSON.parse(noLength.body.toString()), {
        lengthRequired: { code: 411, message: 'Missing or invalid Content-Length header', details: '' },
      });
      const badLength = await rawRequest(
        s.url,
        [
          `PUT ${p(A, 'b', 'badlength')} HTTP/1.1`,
          'Host: x',
          `X-Auth-Token: ${alice.user.token}`,
          'Content-Length: abc',
          'Connection: close',
          '',
          '',
        ].join('\r\n'),
      );
      assert.equal(badLength.status, 400, 'malformed HTTP is a 400 from the parser');
      assert.equal(await snapshot(), before);
      await expectBad(
        'PUT',
        p(A, 'b', 'new'),
        { body: 'x', headers: { 'X-Object-Manifest': 'segments' } },
        400,
        'X-Object-Manifest must be in the format container/prefix',
      );
      await expectBad('GET', p(A, 'b', 'o', 'version=list'), {}, 400, 'No format specified for version list.');
      // Partial updates (object-partial-updates.test.ts has the rest): bad ones write nothing.
      await expectBad(
        'POST',
        p(A, 'b', 'o'),
        { body: 'data', headers: { 'Content-Type': 'application/octet-stream' } },
        400,
        'Missing Content-Range header',
      );
      await expectBad(
        'POST',
        p(A, 'b', 'o', 'update'),
        { headers: { 'X-Object-Bytes': '-5' } },
        400,
        'Invalid X-Object-Bytes header',
      );
      await expectBad(
        'POST',
        p(A, 'b', 'o', 'update'),
        { headers: { 'X-Source-Object': '/b/o' } },
        400,
        'Missing Content-Range header',
      );
      await expectBad(
        'POST',
        p(A, 'b', 'o', 'update'),
        { body: 'data', headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': 'bytes 99999-/*' } },
        416,
        'Supplied offset is beyond object limits',
      );
      await expectBad('GET', p(A, 'b', 'o', 'version=x1'), {}, 404, 'Version does not exist');
    });
  });

  describe(`object store: PLANKTON_OBJECT_MAX_UPLOAD [${dialect}]`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(dialect, { objectMaxUpload: '1000' });
    });
    after(() => s.close());

    it('a raw PUT or hashmap over the limit → 400 "Maximum size is reached", nothing stored', async () => {
      const u = new Store(s, await s.user());
      await u.putContainer('c');
      assertFault(
        await u.req('PUT', p(u.uuid, 'c', 'big'), { body: Buffer.alloc(1001, 1) }),
        400,
        'Maximum size is reached',
      );
      // Chunked: no length up front, so the limit is found mid-body; the server still answers the
      // fault (it reads and drops the rest of the body rather than reset the connection).
      assertFault(
        await u.req('PUT', p(u.uuid, 'c', 'big'), { body: Buffer.alloc(5000, 1), chunked: 100 }),
        400,
        'Maximum size is reached',
      );
      assertFault(
        await u.req('PUT', p(u.uuid, 'c', 'big', 'hashmap'), {
          body: JSON.stringify({ bytes: 1001, hashes: [HELLO] }),
        }),
        400,
        'Maximum size is reached',
      );
      assert.equal((await u.req('HEAD', p(u.uuid, 'c', 'big'))).status, 404);
      assert.deepEqual(blockFiles(s.dataDir), []);
      assert.equal(
        (await u.req('PUT', p(u.uuid, 'c', 'big'), { body: Buffer.alloc(1000, 1) })).status,
        201,
        'exactly the limit is fine',
      );
      assert.equal(
        (await call(s, 'HEAD', p(u.uuid, 'c', 'big'), { token: u.user.token })).header('content-length'),
        '1000',
      );
    });
  });
}
