/**
 * The zod schemas of every JSON request body (src/api/http/json-body.ts and each API's body
 * module), below HTTP: good documents give what the handlers use; bad types, missing fields,
 * extra fields and huge values give the API's exact 400, never zod's own wording or a throw of
 * another kind.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { validateBody } from '../../src/api/http/json-body.ts';
import { parseTokensBody, parseUserCatalogsBody } from '../../src/api/identity/request-bodies.ts';
import { parseAuthBody } from '../../src/api/identity/v3/auth-body.ts';
import { KeystoneFault } from '../../src/api/identity/v3/faults.ts';
import { parseMemberships } from '../../src/api/image/v1/members-body.ts';
import { V2Error } from '../../src/api/image/v2/faults.ts';
import { parseImportRequest, parseMemberCreate, parseMemberStatus } from '../../src/api/image/v2/request-bodies.ts';
import { ServiceError } from '../../src/errors.ts';

const UUID = 'a1a1a1a1-0000-4000-8000-000000000001';
const HUGE = 'x'.repeat(1_000_000);
/** Zod's own wording ("Invalid input: expected …") must never reach a client. */
const ZOD_WORDING = /^Invalid input(:| for field '[^']*': Invalid input)|expected .*, received/;

/** The message of the 400 `fn` throws, checking its kind. */
function fault400<E extends Error & { status: number }>(fn: () => unknown, kind: new (...args: never[]) => E): string {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof kind, `expected a ${kind.name}, got ${String(caught)}`);
  assert.equal(caught.status, 400);
  assert.doesNotMatch(caught.message, ZOD_WORDING);
  return caught.message;
}

describe('validateBody', () => {
  it('returns the parsed value, or the fault built from the first problem only', () => {
    const schema = z.object({ a: z.string({ error: 'a!' }), b: z.string({ error: 'b!' }) }, { error: 'obj!' });
    assert.deepEqual(
      validateBody(schema, { a: 'x', b: 'y' }, () => new Error('no')),
      { a: 'x', b: 'y' },
    );
    const seen: string[] = [];
    assert.throws(
      () =>
        validateBody(schema, { a: 1, b: 2 }, (p) => {
          seen.push(p.message);
          return new Error(p.message);
        }),
      /^Error: a!$/,
    );
    assert.deepEqual(seen, ['a!']);
    assert.throws(() => validateBody(schema, [], (p) => new Error(p.message)), /obj!/);
  });
});

describe('v1 PUT …/members body', () => {
  const msg = (doc: unknown) => fault400(() => parseMemberships(doc), ServiceError);

  it('ignores extra fields and keeps order and duplicates', () => {
    assert.deepEqual(
      parseMemberships({ memberships: [{ member_id: UUID, can_share: 'yes', x: [1] }, { member_id: '*' }], more: 1 }),
      [UUID, '*'],
    );
  });

  it('bad types and missing fields', () => {
    assert.equal(msg('memberships'), "Malformed request. Missing attribute 'memberships'.");
    assert.equal(msg({ memberships: 'x' }), "Malformed request. Invalid 'memberships' field");
    assert.equal(msg({ memberships: [null] }), "Invalid 'memberships' field");
    assert.equal(msg({ memberships: [[]] }), "Invalid 'memberships' field");
    assert.equal(msg({ memberships: [{ can_share: true }] }), "Malformed request. Missing attribute 'member_id'.");
    assert.equal(msg({ memberships: [{ member_id: true }] }), "Invalid member id 'true'");
    assert.equal(msg({ memberships: [{ member_id: { a: 1 } }] }), 'Invalid member id \'{"a":1}\'');
    // The first bad id is the one named.
    assert.equal(msg({ memberships: [{ member_id: 'one' }, { member_id: 'two' }] }), "Invalid member id 'one'");
  });

  it('huge values: a long id is refused naming it, a long list is read whole', () => {
    assert.equal(msg({ memberships: [{ member_id: HUGE }] }), `Invalid member id '${HUGE}'`);
    const many = Array.from({ length: 50_000 }, () => ({ member_id: UUID }));
    assert.equal(parseMemberships({ memberships: many }).length, 50_000);
    assert.equal(msg({ memberships: [...many, { member_id: 1e308 }] }), `Invalid member id '${JSON.stringify(1e308)}'`);
  });
});

describe('identity v2.0 POST /tokens body', () => {
  const msg = (doc: unknown) => fault400(() => parseTokensBody(doc), ServiceError);

  it('token and password forms; the token wins; extra fields ignored', () => {
    assert.equal(parseTokensBody({ auth: { token: { id: 's', x: 1 }, y: 2 }, z: 3 }).secret, 's');
    const byPassword = parseTokensBody({ auth: { passwordCredentials: { username: 'u', password: 'p' } } });
    assert.equal(byPassword.secret, 'p');
    assert.equal(byPassword.byPassword?.username, 'u');
    const both = parseTokensBody({ auth: { token: { id: 't' }, passwordCredentials: { password: 'p' } } });
    assert.deepEqual([both.secret, both.byPassword], ['t', undefined]);
    const tenant = parseTokensBody({ auth: { token: { id: 't' }, tenantName: 'n' } });
    assert.equal(tenant.auth.tenantName, 'n');
    assert.equal(Object.hasOwn(parseTokensBody({ auth: { token: { id: 't' } } }).auth, 'tenantName'), false);
  });

  it('bad types and missing fields', () => {
    for (const doc of [null, 5, [], {}, { auth: null }, { auth: [] }, { auth: {} }, { auth: { token: 'x' } }]) {
      assert.equal(msg(doc), 'Malformed request: missing credentials', JSON.stringify(doc));
    }
    assert.equal(msg({ auth: { passwordCredentials: { username: 'u' } } }), 'Malformed request: missing credentials');
    assert.equal(msg({ auth: { token: { id: 5 } } }), 'Malformed request: missing token');
    assert.equal(msg({ auth: { passwordCredentials: { password: ['p'] } } }), 'Malformed request: missing token');
  });

  it('huge values pass the schema (the token lookup refuses them)', () => {
    assert.equal(parseTokensBody({ auth: { token: { id: HUGE } } }).secret.length, HUGE.length);
  });
});

describe('identity POST /account/v1.0/user_catalogs body', () => {
  const msg = (doc: unknown) => fault400(() => parseUserCatalogsBody(doc), ServiceError);

  it('lists, absent or null lists as empty, extra fields ignored', () => {
    assert.deepEqual(parseUserCatalogsBody({ uuids: ['a'], displaynames: null, other: 1 }), {
      uuids: ['a'],
      displaynames: [],
    });
    assert.deepEqual(parseUserCatalogsBody({}), { uuids: [], displaynames: [] });
  });

  it('bad types', () => {
    assert.equal(msg([]), 'Request body should be a json formatted dictionary');
    assert.equal(msg({ uuids: { a: 1 } }), 'Invalid uuids: {"a":1}');
    assert.equal(msg({ uuids: ['a', 2] }), "Items in 'uuids' must be strings");
    assert.equal(msg({ uuids: [], displaynames: 'x' }), 'Invalid displaynames: "x"');
    // uuids are checked first.
    assert.equal(msg({ displaynames: 1, uuids: 2 }), 'Invalid uuids: 2');
  });

  it('huge values', () => {
    assert.equal(parseUserCatalogsBody({ uuids: Array(100_000).fill(HUGE.slice(0, 10)) }).uuids.length, 100_000);
  });
});

describe('Keystone v3 POST auth/tokens body', () => {
  const msg = (doc: unknown) => fault400(() => parseAuthBody(doc, '203.0.113.9'), KeystoneFault);
  const token = (extra: object = {}) => ({ auth: { identity: { methods: ['token'], token: { id: 't' } }, ...extra } });

  it('the three methods and the scopes; extra fields ignored', () => {
    assert.deepEqual(parseAuthBody({ ...token({ x: 1 }), y: 2 }, 'a'), {
      credential: { method: 'token', secret: 't' },
      scope: { kind: 'default' },
    });
    const password = parseAuthBody(
      {
        auth: {
          identity: { methods: ['password'], password: { user: { name: 'alice', password: 'pw', extra: 1 } } },
          scope: { project: { name: 'alice', domain: { name: 'Default' } } },
        },
      },
      '203.0.113.9',
    );
    assert.deepEqual(password, {
      credential: {
        method: 'password',
        user: { name: 'alice', domain: { id: 'default' } },
        password: 'pw',
        address: '203.0.113.9',
      },
      scope: { kind: 'project', project: { name: 'alice', domain: { name: 'Default' } } },
    });
    const app = parseAuthBody(
      { auth: { identity: { methods: ['application_credential'], application_credential: { id: 'i', secret: 's' } } } },
      'a',
    );
    assert.deepEqual(app.credential, { method: 'application_credential', id: 'i', secret: 's' });
    assert.deepEqual(parseAuthBody(token({ scope: 'unscoped' }), 'a').scope, { kind: 'unscoped' });
    assert.deepEqual(parseAuthBody(token({ scope: { system: { all: true } } }), 'a').scope, { kind: 'other' });
    assert.deepEqual(parseAuthBody(token({ scope: { project: { id: UUID } } }), 'a').scope, {
      kind: 'project',
      project: { id: UUID },
    });
  });

  it('bad types and missing fields name the field', () => {
    const cases: [unknown, string][] = [
      [[], "Invalid input for field 'auth': an object is required"],
      [{ auth: 1 }, "Invalid input for field 'auth': an object is required"],
      [{ auth: {} }, "Invalid input for field 'identity': an object is required"],
      [
        { auth: { identity: { methods: 'token' } } },
        "Invalid input for field 'identity/methods': a list with one authentication method is required",
      ],
      [
        { auth: { identity: { methods: [] } } },
        "Invalid input for field 'identity/methods': a list with one authentication method is required",
      ],
      [
        { auth: { identity: { methods: [7] } } },
        "Invalid input for field 'identity/methods': a list with one authentication method is required",
      ],
      [
        { auth: { identity: { methods: ['token', 'password'] } } },
        'Only one authentication method per request is supported.',
      ],
      [
        { auth: { identity: { methods: ['totp'] } } },
        'Unsupported authentication method; use token, password or application_credential.',
      ],
      [
        { auth: { identity: { methods: ['toString'] } } },
        'Unsupported authentication method; use token, password or application_credential.',
      ],
      [
        { auth: { identity: { methods: ['token'] } } },
        "Invalid input for field 'identity/token': an object is required",
      ],
      [
        { auth: { identity: { methods: ['token'], token: { id: '' } } } },
        "Invalid input for field 'identity/token/id': a non-empty string is required",
      ],
      [
        { auth: { identity: { methods: ['password'], password: { user: 'alice' } } } },
        "Invalid input for field 'identity/password/user': an object is required",
      ],
      [
        { auth: { identity: { methods: ['password'], password: { user: { password: 'p' } } } } },
        "Invalid input for field 'identity/password/user': an id, or a name and a domain, is required",
      ],
      [
        { auth: { identity: { methods: ['password'], password: { user: { id: 'u' } } } } },
        "Invalid input for field 'identity/password/user/password': a non-empty string is required",
      ],
      [
        { auth: { identity: { methods: ['password'], password: { user: { name: 'a', domain: {}, password: 'p' } } } } },
        "Invalid input for field 'identity/password/user/domain': an id or a name is required",
      ],
      [
        { auth: { identity: { methods: ['application_credential'], application_credential: { id: 'i' } } } },
        "Invalid input for field 'identity/application_credential/secret': a non-empty string is required",
      ],
      [token({ scope: 3 }), 'Invalid input for field \'scope\': an object or "unscoped" is required'],
      [token({ scope: {} }), "Invalid input for field 'scope': a project is required"],
      [
        token({ scope: { project: {} } }),
        "Invalid input for field 'scope/project': an id, or a name and a domain, is required",
      ],
      [
        token({ scope: { project: { name: 'p', domain: 'd' } } }),
        "Invalid input for field 'scope/project/domain': an object is required",
      ],
    ];
    for (const [doc, message] of cases) assert.equal(msg(doc), message, JSON.stringify(doc));
  });

  it('huge values pass the schema unchanged (the domain bounds them)', () => {
    const doc = {
      auth: { identity: { methods: ['password'], password: { user: { id: UUID, password: HUGE } } } },
    };
    const parsed = parseAuthBody(doc, 'a').credential;
    assert.equal(parsed.method === 'password' && parsed.password.length, HUGE.length);
  });
});

describe('Image v2 member and import bodies', () => {
  const v2 = (fn: () => unknown) => fault400(fn, V2Error);

  it('extra fields are ignored', () => {
    assert.equal(parseMemberCreate(JSON.stringify({ member: UUID, status: 'x', more: [1] })), UUID);
    assert.equal(parseMemberStatus(JSON.stringify({ status: 'rejected', member: 5, more: {} })), 'rejected');
    assert.deepEqual(
      parseImportRequest('{"method":{"name":"glance-direct","x":1},"stores":["a"],"y":2}', ['glance-direct']),
      {
        method: 'glance-direct',
      },
    );
  });

  it('bad types and missing fields', () => {
    assert.equal(
      v2(() => parseMemberCreate('"member"')),
      'Member to be added not specified',
    );
    assert.equal(
      v2(() => parseMemberCreate('{"member":[1]}')),
      "Provided object does not match schema 'member': [1] is not of type 'string'",
    );
    assert.equal(
      v2(() => parseMemberStatus('[]')),
      'Status not specified',
    );
    assert.equal(
      v2(() => parseMemberStatus('{"status":null}')),
      'Incorrect request: Status must be "pending", "accepted" or "rejected".',
    );
    const methods = ['glance-direct', 'web-download'];
    assert.equal(
      v2(() => parseImportRequest('[]', methods)),
      "Import request requires a 'method' field.",
    );
    assert.equal(
      v2(() => parseImportRequest('{"method":"x"}', methods)),
      "Import request requires a 'name' field.",
    );
    assert.equal(
      v2(() => parseImportRequest('{"method":{"name":["x"]}}', methods)),
      "Unknown import method name '['x']'.",
    );
    assert.equal(
      v2(() => parseImportRequest('{"method":{"name":"web-download"}}', ['glance-direct'])),
      "Unknown import method name 'web-download'.",
    );
    assert.equal(
      v2(() => parseImportRequest('{"method":{"name":"glance-direct"},"all_stores":"yes"}', methods)),
      "'all_stores' must be boolean value only",
    );
    assert.equal(
      v2(() =>
        parseImportRequest('{"method":{"name":"glance-direct"},"all_stores_must_succeed":1,"all_stores":1}', methods),
      ),
      "'all_stores_must_succeed' must be boolean value only",
    );
    assert.equal(
      v2(() => parseImportRequest('{"method":{"name":"glance-direct"},"all_stores_must_succeed":false}', methods)),
      "'all_stores_must_succeed' may be false only with multiple stores",
    );
    assert.equal(
      v2(() => parseImportRequest('{"method":{"name":"web-download","uri":5}}', methods)),
      "Import request requires a 'uri' field.",
    );
  });

  it('huge values', () => {
    assert.equal(
      v2(() => parseMemberCreate(JSON.stringify({ member: 1e308 }))),
      "Provided object does not match schema 'member': 1e+308 is not of type 'string'",
    );
    assert.equal(parseMemberCreate(JSON.stringify({ member: HUGE })), HUGE);
    assert.equal(
      v2(() => parseImportRequest(JSON.stringify({ method: { name: HUGE } }), ['glance-direct'])),
      `Unknown import method name '${HUGE}'.`,
    );
  });
});
