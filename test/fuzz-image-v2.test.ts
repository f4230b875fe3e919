/**
 * Property-based fuzzing of the Image API v2 routes (openstack.md §4, Appendix A) on the running
 * server, with the fast-check harness of test/fuzz.test.ts: random paths and methods under
 * `/image/v2`, list query strings (filters, operators, sort, limit, marker), create bodies, PATCH
 * bodies in both json-patch media types (and others), member bodies, upload bodies. Whatever
 * arrives: never a 5xx, never a hang (a reply within the raw client's timeout), and every error
 * body is a v2 fault, `{"<fault>": {"code": <status>, "message": "…", …}}` (§1 item 14).
 * FUZZ_V2_RUNS sets the cases per property (default 100, six properties, on each database: about a minute on a loaded 2-core machine with both).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { DIALECTS } from './helpers/dialects.ts';
import { rawRequest } from './helpers/raw-http.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const RUNS = Number(process.env.FUZZ_V2_RUNS ?? 100);
const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'COPY'];
const PATCH_TYPES = [
  'application/openstack-images-v2.1-json-patch',
  'application/openstack-images-v2.0-json-patch',
  'application/openstack-images-v2.1-json-patch; charset=UTF-8',
  'application/json',
  'application/json-patch+json',
  'text/plain',
  '',
];

/**
 * Path characters: printable ASCII, percent escapes good and broken, dots, slashes; now and then a
 * raw high octet or control character, which the HTTP parser refuses (400) before any route runs.
 */
const segmentChar = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      'a',
      '0',
      '.',
      '..',
      '-',
      '~',
      '+',
      '%',
      '%2',
      '%zz',
      '%00',
      '%2F',
      '%E2%98%82',
      '%FF',
      '/',
      '//',
      '?',
      '&',
      '=',
    ),
  },
  { weight: 3, arbitrary: fc.stringMatching(/^[!-~]{1,3}$/) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)) },
);
const segment = fc.array(segmentChar, { maxLength: 8 }).map((a) => a.join(''));

/** Attribute and property names the image schema knows, plus reserved, read-only and random ones. */
const attribute = fc.oneof(
  fc.constantFrom(
    'name',
    'visibility',
    'protected',
    'os_hidden',
    'min_ram',
    'min_disk',
    'disk_format',
    'container_format',
    'owner',
    'tags',
    'status',
    'checksum',
    'size',
    'virtual_size',
    'id',
    'created_at',
    'self',
    'file',
    'schema',
    'direct_url',
    'locations',
    'location',
    'deleted',
    'os_glance_x',
    'os_distro',
    'kernel_id',
    'cinder_encryption_key_deletion_policy',
    '__proto__',
    'constructor',
    '',
  ),
  fc.string({ maxLength: 12 }),
  fc.integer({ min: 250, max: 300 }).map((n) => 'k'.repeat(n)),
);
/** Values: every JSON type, and the ones the schema cares about. */
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    'raw',
    'qcow2',
    'bare',
    'public',
    'private',
    'shared',
    'community',
    null,
    true,
    0,
    -1,
    2 ** 53,
    1e308,
    'x'.repeat(300),
  ),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
);
const pointer = fc.oneof(
  attribute.map((a) => `/${a}`),
  fc.constantFrom(
    '/tags/-',
    '/tags/0',
    '/locations/0',
    '/locations/-',
    '/',
    '',
    'name',
    '/a~1b',
    '/a~2',
    '/a/',
    '//name',
    '/~',
  ),
  fc.string({ maxLength: 10 }),
);
/** One json-patch operation in the v2.1 (`op`/`path`) or v2.0 (`replace: path`) form, sometimes broken. */
const operation = fc.oneof(
  fc.record(
    {
      op: fc.oneof(fc.constantFrom('add', 'replace', 'remove', 'move', 'test', ''), fc.jsonValue({ maxDepth: 0 })),
      path: pointer,
      value,
    },
    { requiredKeys: [] },
  ),
  fc
    .tuple(fc.constantFrom('add', 'replace', 'remove'), pointer, value, fc.boolean())
    .map(([op, p, v, withValue]) => (withValue ? { [op]: p, value: v } : { [op]: p })),
  fc.jsonValue({ maxDepth: 1 }),
);
const jsonBody = (structured: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 4, arbitrary: structured.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
    { weight: 1, arbitrary: fc.json().map((j) => Buffer.from(j)) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('{', '[', '', 'null', '[{}]', '{"a":1,"a":2}', '\u0000', '"\ud800"')
        .map((s) => Buffer.from(s)),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)) },
  );

for (const dialect of DIALECTS) {
  describe(`fuzzing Image API v2 [${dialect}]`, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    /** Protected, so a fuzzed DELETE cannot take it away from the other cases. */
    let fixed: string;
    /** The PATCH target (PATCH never deletes). */
    let patched: string;
    /** Shared with bob, for member calls. */
    let shared: string;

    /** Sends raw bytes and checks the properties; `who` picks the token. */
    async function send(
      method: string,
      path: string,
      headers: [string, string][],
      body: Buffer,
      who: 'alice' | 'bob' | 'none' = 'alice',
    ): Promise<void> {
      const token = who === 'alice' ? alice.token : who === 'bob' ? bob.token : undefined;
      const lines = [
        `${method} ${path} HTTP/1.1`,
        'Host: fuzz',
        'Connection: close',
        ...(token ? [`X-Auth-Token: ${token}`] : []),
        ...headers.map(([k, v]) => `${k}: ${v}`),
        `Content-Length: ${body.length}`,
      ];
      const request = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
      const r = await rawRequest(s.url, request);
      const what = `${method} ${JSON.stringify(path)} ${JSON.stringify(headers).slice(0, 200)} ${JSON.stringify(body.toString('utf8').slice(0, 200))}`;
      assert.ok(r.status >= 100 && r.status < 500, `${what} → ${r.status} ${r.body.toString().slice(0, 300)}`);
      if (r.status >= 400 && method !== 'HEAD') {
        let fault: unknown;
        assert.doesNotThrow(
          () => {
            fault = JSON.parse(r.body.toString('utf8'));
          },
          `${what} → ${r.status}: error body is not JSON: ${r.body.toString().slice(0, 200)}`,
        );
        assert.ok(fault !== null && typeof fault === 'object' && !Array.isArray(fault), `${what}: fault not an object`);
        const inner = Object.values(fault as object);
        assert.equal(inner.length, 1, `${what}: one fault`);
        const { code, message } = inner[0] as { code: unknown; message: unknown };
        assert.equal(code, r.status, `${what}: fault code`);
        assert.equal(typeof message, 'string', `${what}: fault message`);
      }
    }

    const createImage = async (body: Record<string, unknown>) => {
      const r = await s.fetch('/image/v2/images', {
        method: 'POST',
        token: alice.token,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ disk_format: 'raw', container_format: 'bare', ...body }),
      });
      assert.equal(r.status, 201, `set-up: ${await r.clone().text()}`);
      return ((await r.json()) as { id: string }).id;
    };

    before(async () => {
      s = await startTestServer(dialect);
      alice = await s.user(`alice-fuzz-v2-${dialect}`);
      bob = await s.user(`bob-fuzz-v2-${dialect}`);
      fixed = await createImage({ name: 'fixed', protected: true, os_distro: 'debian', tags: ['t1'] });
      const up = await s.fetch(`/image/v2/images/${fixed}/file`, {
        method: 'PUT',
        token: alice.token,
        headers: { 'Content-Type': 'application/octet-stream' },
        body: 'fuzz data',
      });
      assert.equal(up.status, 204, 'set-up: upload');
      patched = await createImage({ name: 'patched', os_distro: 'debian' });
      shared = await createImage({ name: 'shared' });
      const member = await s.fetch(`/image/v2/images/${shared}/members`, {
        method: 'POST',
        token: alice.token,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ member: bob.uuid }),
      });
      assert.equal(member.status, 200, 'set-up: member');
    });
    after(() => s.close());

    const prefixes = () => [
      '/image/v2',
      '/image/v2/images',
      `/image/v2/images/${fixed}`,
      `/image/v2/images/${fixed}/file`,
      `/image/v2/images/${fixed}/stage`,
      `/image/v2/images/${fixed}/import`,
      `/image/v2/images/${fixed}/tags`,
      `/image/v2/images/${fixed}/actions`,
      `/image/v2/images/${shared}/members`,
      `/image/v2/images/${shared}/members/${bob.uuid}`,
      '/image/v2/schemas',
      '/image/v2/info',
    ];

    it(`paths and methods (${RUNS} cases)`, { timeout: 600_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...METHODS),
          fc.nat(),
          fc.array(segment, { maxLength: 3 }),
          fc.constantFrom('alice', 'bob', 'none') as fc.Arbitrary<'alice' | 'bob' | 'none'>,
          async (method, p, segs, who) => {
            const list = prefixes();
            await send(method, list[p % list.length] + segs.map((x) => `/${x}`).join(''), [], Buffer.alloc(0), who);
          },
        ),
        { numRuns: RUNS },
      );
    });

    it(`list query strings: filters, operators, sort, limit, marker (${RUNS} cases)`, {
      timeout: 600_000,
    }, async () => {
      const key = fc.constantFrom(
        'limit',
        'marker',
        'sort',
        'sort_key',
        'sort_dir',
        'visibility',
        'member_status',
        'os_hidden',
        'protected',
        'name',
        'id',
        'status',
        'container_format',
        'disk_format',
        'created_at',
        'updated_at',
        'size_min',
        'size_max',
        'tag',
        'owner',
        'checksum',
        'os_hash_value',
        'changes-since',
        'os_distro',
      );
      const val = fc.oneof(
        segment,
        fc.constantFrom(
          '0',
          '-1',
          '1',
          '1000',
          '1001',
          '99999999999999999999',
          '1e3',
          '0x10',
          'asc',
          'desc',
          'name:asc',
          'name:asc,id',
          'size:up',
          'name,,',
          ':',
          'in:a,b',
          'in:"a,b",c',
          'in:"',
          'contains:',
          'contains:%_\\',
          'contains:a%00b',
          `contains:${'x'.repeat(300)}`,
          'gt:2016-12-13T01:02:03Z',
          'lte:2016-13-45',
          'neq:',
          'eq:2020-01-01',
          'True',
          'FALSE',
          'all',
          'shared',
          'community',
          'pending',
          fixed,
          shared,
          '00000000-0000-0000-0000-000000000000',
        ),
      );
      const pair = fc
        .tuple(fc.oneof({ weight: 4, arbitrary: key }, { weight: 1, arbitrary: segment }), val)
        .map(([k, v]) => `${k}=${v}`);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('GET', 'GET', 'GET', 'HEAD'),
          fc.array(pair, { maxLength: 4 }),
          fc.constantFrom('alice', 'bob') as fc.Arbitrary<'alice' | 'bob'>,
          async (method, pairs, who) => {
            await send(method, `/image/v2/images?${pairs.join('&')}`, [], Buffer.alloc(0), who);
          },
        ),
        { numRuns: RUNS },
      );
    });

    it(`PATCH bodies in both json-patch media types and others (${RUNS} cases)`, { timeout: 600_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(
          // Mostly the two json-patch types, so most cases reach the operations.
          fc.oneof(
            { weight: 4, arbitrary: fc.constantFrom(...PATCH_TYPES.slice(0, 3)) },
            { weight: 1, arbitrary: fc.constantFrom(...PATCH_TYPES) },
          ),
          jsonBody(fc.array(operation, { maxLength: 4 })),
          fc.constantFrom('alice', 'alice', 'bob') as fc.Arbitrary<'alice' | 'bob'>,
          async (type, body, who) => {
            await send('PATCH', `/image/v2/images/${patched}`, type ? [['Content-Type', type]] : [], body, who);
          },
        ),
        { numRuns: RUNS },
      );
    });

    it(`create bodies (${RUNS} cases)`, { timeout: 600_000 }, async () => {
      const image = fc.dictionary(attribute, value, { maxKeys: 6 });
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('application/json', 'application/json; charset=UTF-8', 'text/plain', ''),
          jsonBody(image),
          async (type, body) => {
            await send('POST', '/image/v2/images', type ? [['Content-Type', type]] : [], body);
          },
        ),
        { numRuns: RUNS },
      );
    });

    it(`member bodies: add and status (${RUNS} cases)`, { timeout: 600_000 }, async () => {
      const memberValue = fc.oneof(
        value,
        fc.constantFrom(bob.uuid, alice.uuid, '00000000-0000-0000-0000-000000000000'),
      );
      const addBody = fc.dictionary(fc.constantFrom('member', 'status', 'members', 'x'), memberValue, { maxKeys: 3 });
      const statusBody = fc.dictionary(
        fc.constantFrom('status', 'member', 'x'),
        fc.oneof(value, fc.constantFrom('accepted', 'rejected', 'pending', 'Accepted')),
        { maxKeys: 3 },
      );
      await fc.assert(
        fc.asyncProperty(
          fc.boolean(),
          jsonBody(addBody),
          jsonBody(statusBody),
          fc.constantFrom('alice', 'bob') as fc.Arbitrary<'alice' | 'bob'>,
          async (add, addData, statusData, who) => {
            const ct: [string, string][] = [['Content-Type', 'application/json']];
            if (add) await send('POST', `/image/v2/images/${shared}/members`, ct, addData, who);
            else await send('PUT', `/image/v2/images/${shared}/members/${bob.uuid}`, ct, statusData, who);
          },
        ),
        { numRuns: RUNS },
      );
    });

    it(`uploads and actions on fresh images (${Math.ceil(RUNS / 3)} cases)`, { timeout: 600_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(
            'file',
            'stage',
            'import',
            'actions/deactivate',
            'actions/reactivate',
            'tags/a%2Fb',
            'tags/x',
          ),
          fc.constantFrom('application/octet-stream', 'application/json', 'text/plain', ''),
          fc.oneof(
            fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
            jsonBody(fc.jsonValue({ maxDepth: 2 })),
          ),
          fc.constantFrom('PUT', 'POST', 'DELETE'),
          fc.boolean(),
          async (sub, type, body, method, withFormats) => {
            const id = await createImage(withFormats ? {} : { disk_format: null, container_format: null });
            await send(method, `/image/v2/images/${id}/${sub}`, type ? [['Content-Type', type]] : [], body);
          },
        ),
        { numRuns: Math.ceil(RUNS / 3) },
      );
    });
  });
}
