/**
 * v2 routing (openstack.md §4.1, §1 item 12) and the create, member and import bodies (§4.2,
 * §4.9, §4.10), with the traced client requests and Glance's error messages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { V2Error, type V2FaultKind } from '../../src/api/image/v2/faults.ts';
import { createdHeaders, parseImageCreate } from '../../src/api/image/v2/image-create.ts';
import {
  importInfoDocument,
  parseImportRequest,
  parseMemberCreate,
  parseMemberStatus,
} from '../../src/api/image/v2/request-bodies.ts';
import { isImageId, matchV2Route, resolveV2Route } from '../../src/api/image/v2/routes.ts';

const FORMATS = { diskFormats: ['diskdump', 'raw', 'qcow2'], containerFormats: ['bare', 'ovf'] };
const ID = 'e8c01929-5348-4de0-b2f8-040350599a92';
const ALICE = 'a1a1a1a1-0000-4000-8000-000000000001';
const ME = { projectId: ALICE, isAdmin: false };

function expectError(
  fn: () => unknown,
  status: number,
  kind: V2FaultKind,
  message: string,
  headers?: Record<string, string>,
) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof V2Error, String(err));
    assert.equal(err.status, status);
    assert.equal(err.kind, kind);
    assert.equal(err.message, message);
    if (headers) assert.deepEqual(err.headers, headers);
    return true;
  });
}

describe('v2 routes', () => {
  it('every route of §4.1', () => {
    const table: [string, string, readonly string[], Record<string, string>?][] = [
      ['', 'versions', ['GET']],
      ['/', 'versions', ['GET']],
      ['/images', 'images', ['GET', 'POST']],
      ['/images/', 'images', ['GET', 'POST']],
      [`/images/${ID}`, 'image', ['GET', 'PATCH', 'DELETE'], { imageId: ID }],
      [`/images/${ID}/file`, 'imageFile', ['GET', 'PUT'], { imageId: ID }],
      [`/images/${ID}/stage`, 'imageStage', ['PUT'], { imageId: ID }],
      [`/images/${ID}/import`, 'imageImport', ['POST'], { imageId: ID }],
      [`/images/${ID}/members`, 'members', ['GET', 'POST'], { imageId: ID }],
      [`/images/${ID}/members/${ALICE}`, 'member', ['GET', 'PUT', 'DELETE'], { imageId: ID, memberId: ALICE }],
      [`/images/${ID}/tags/my%20tag`, 'tag', ['PUT', 'DELETE'], { imageId: ID, tag: 'my tag' }],
      [`/images/${ID}/actions/deactivate`, 'deactivate', ['POST'], { imageId: ID }],
      [`/images/${ID}/actions/reactivate`, 'reactivate', ['POST'], { imageId: ID }],
      ['/schemas/image', 'schema', ['GET'], { schemaName: 'image' }],
      ['/schemas/members', 'schema', ['GET'], { schemaName: 'members' }],
      ['/info/import', 'importInfo', ['GET']],
    ];
    for (const [path, name, allow, params = {}] of table) {
      assert.deepEqual(matchV2Route(path), { name, allow, ...params }, path);
    }
  });

  it('unknown paths: 404, and under /images/ the "image" 404 openstacksdk relies on', () => {
    for (const path of [
      '/schemas/metadefs/namespace',
      '/schemas/metadefs/resource_type',
      '/schemas/task',
      '/info/stores',
      '/tasks',
      '/versions',
      '/imagesx',
    ]) {
      assert.equal(matchV2Route(path), undefined, path);
      expectError(() => resolveV2Route('GET', path), 404, 'notFound', 'Not Found');
    }
    expectError(() => resolveV2Route('GET', '/images/a/b%20c'), 404, 'imageNotFound', 'No image found with ID a/b c');
    expectError(
      () => resolveV2Route('GET', `/images/${ID}/tasks`),
      404,
      'imageNotFound',
      `No image found with ID ${ID}/tasks`,
    );
    expectError(
      () => resolveV2Route('GET', `/images/${ID}/file/x`),
      404,
      'imageNotFound',
      `No image found with ID ${ID}/file/x`,
    );
    expectError(
      () => resolveV2Route('GET', `/images/${ID}/members//`),
      404,
      'imageNotFound',
      `No image found with ID ${ID}/members/`,
    );
    // One trailing slash is forgiven.
    assert.equal(resolveV2Route('GET', `/images/${ID}/members/`).name, 'members');
    expectError(
      () => resolveV2Route('GET', '/images/%E0%A4%A'),
      404,
      'imageNotFound',
      'No image found with ID %E0%A4%A',
    );
    // A name routes like an id; the handler answers 404 after authentication.
    assert.deepEqual(resolveV2Route('GET', '/images/img1'), {
      name: 'image',
      allow: ['GET', 'PATCH', 'DELETE'],
      imageId: 'img1',
    });
    assert.equal(isImageId('img1'), false);
    assert.equal(isImageId(ID.toUpperCase()), true);
  });

  it('wrong method: 405 with Allow (no implicit HEAD)', () => {
    expectError(() => resolveV2Route('PUT', '/images'), 405, 'methodNotAllowed', 'Method not allowed', {
      Allow: 'GET, POST',
    });
    expectError(() => resolveV2Route('HEAD', `/images/${ID}`), 405, 'methodNotAllowed', 'Method not allowed', {
      Allow: 'GET, PATCH, DELETE',
    });
    expectError(() => resolveV2Route('POST', '/schemas/image'), 405, 'methodNotAllowed', 'Method not allowed', {
      Allow: 'GET',
    });
    assert.equal(resolveV2Route('PATCH', `/images/${ID}`).name, 'image');
  });
});

describe('POST /v2/images body', () => {
  const create = (body: unknown, caller = ME) =>
    parseImageCreate(typeof body === 'string' ? body : JSON.stringify(body), FORMATS, caller);

  it("the traced client bodies, with Glance's defaults", () => {
    // openstackclient image create --file … --property os_distro=debian img1
    assert.deepEqual(
      create({
        os_distro: 'debian',
        name: 'img1',
        container_format: 'bare',
        disk_format: 'qcow2',
        'owner_specified.openstack.md5': '',
        'owner_specified.openstack.sha256': '',
        'owner_specified.openstack.object': 'images/img1',
      }),
      {
        name: 'img1',
        visibility: 'shared',
        protected: false,
        osHidden: false,
        minRam: 0,
        minDisk: 0,
        diskFormat: 'qcow2',
        containerFormat: 'bare',
        owner: ALICE,
        tags: [],
        properties: {
          os_distro: 'debian',
          'owner_specified.openstack.md5': '',
          'owner_specified.openstack.sha256': '',
          'owner_specified.openstack.object': 'images/img1',
        },
      },
    );
    // Ansible via openstacksdk
    const ansible = create({
      visibility: 'private',
      tags: ['x', 'x'],
      name: 'a1',
      min_ram: 0,
      container_format: 'bare',
      disk_format: 'qcow2',
      min_disk: 0,
    });
    assert.equal(ansible.visibility, 'private');
    assert.deepEqual(ansible.tags, ['x']);
    // gophercloud: protected, ids, owner = own project
    const goph = create({
      id: ID.toUpperCase(),
      name: 'g',
      protected: true,
      os_hidden: true,
      owner: ALICE,
      min_ram: 512,
    });
    assert.equal(goph.id, ID);
    assert.equal(goph.protected, true);
    assert.equal(goph.minRam, 512);
    // Nothing at all: a nameless queued image.
    assert.deepEqual(create({}), {
      name: null,
      visibility: 'shared',
      protected: false,
      osHidden: false,
      minRam: 0,
      minDisk: 0,
      diskFormat: null,
      containerFormat: null,
      owner: ALICE,
      tags: [],
      properties: {},
    });
  });

  it("Glance's order of refusals", () => {
    expectError(() => create(''), 400, 'bodyExpected', 'Body expected in request.');
    expectError(() => create('{'), 400, 'malformedJson', 'Malformed JSON in request body.');
    expectError(
      () => create([]),
      400,
      'schemaViolation',
      "Provided object does not match schema 'image': [] is not of type 'object'",
    );
    for (const k of ['direct_url', 'self', 'file', 'schema', 'stores']) {
      expectError(
        () => create({ disk_format: 'bogus', [k]: 'x' }),
        403,
        'readOnlyAttribute',
        `Attribute '${k}' is read-only.`,
      );
    }
    expectError(
      () => create({ status: 'bogus', disk_format: 'vhd' }),
      400,
      'schemaViolation',
      "Provided object does not match schema 'image': 'bogus' is not one of ['queued', 'saving', 'active', 'killed', 'deleted', 'uploading', 'importing', 'pending_delete', 'deactivated']",
    );
    expectError(
      () => create({ id: 'nope' }),
      400,
      'schemaViolation',
      "Provided object does not match schema 'image': 'nope' does not match '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$'",
    );
    expectError(
      () => create({ distro: 1 }),
      400,
      'schemaViolation',
      "Provided object does not match schema 'image': 1 is not of type 'string'",
    );
    expectError(
      () => create({ [`${'k'.repeat(256)}`]: 'v' }),
      400,
      'badRequest',
      'Custom property should not be greater than 255 characters.',
    );
    for (const k of ['location', 'deleted', 'deleted_at', 'os_glance_x']) {
      expectError(
        () => create({ [k]: 'x', status: 'active' }),
        403,
        'reservedAttribute',
        `Attribute '${k}' is reserved.`,
      );
    }
    expectError(() => create({ locations: [] }), 403, 'reservedAttribute', "Attribute 'locations' is reserved.");
    for (const k of [
      'created_at',
      'updated_at',
      'status',
      'checksum',
      'os_hash_algo',
      'os_hash_value',
      'size',
      'virtual_size',
    ]) {
      const value = k === 'status' ? 'active' : k === 'size' || k === 'virtual_size' ? 1 : 'x';
      expectError(() => create({ [k]: value }), 403, 'readOnlyAttribute', `Attribute '${k}' is read-only.`);
    }
    expectError(
      () => create({ min_disk: -1 }),
      400,
      'badRequest',
      "Invalid value '-1' for parameter 'min_disk': Cannot be a negative value",
    );
    expectError(
      () => create({ owner: 'someone-else' }),
      403,
      'forbidden',
      "You are not permitted to create images owned by 'someone-else'.",
    );
    assert.equal(create({ owner: 'someone-else' }, { projectId: ALICE, isAdmin: true }).owner, 'someone-else');
    expectError(
      () => create({ tags: Array.from({ length: 129 }, (_, i) => `t${i}`) }),
      413,
      'tooManyTags',
      'The limit has been exceeded on the number of allowed image tags. Attempted: 129, Maximum: 128',
    );
    expectError(
      () => create(Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`p${i}`, 'v']))),
      413,
      'tooManyProperties',
      'The limit has been exceeded on the number of allowed image properties. Attempted: 129, Maximum: 128',
    );
  });

  it('201 headers: absolute Location, import methods only when offered', () => {
    assert.deepEqual(createdHeaders('http://h:1/', ID, ['glance-direct', 'web-download']), {
      Location: `http://h:1/image/v2/images/${ID}`,
      'OpenStack-image-import-methods': 'glance-direct,web-download',
    });
    assert.deepEqual(createdHeaders('http://h:1', ID, []), { Location: `http://h:1/image/v2/images/${ID}` });
  });
});

describe('member and import bodies', () => {
  it('add member', () => {
    assert.equal(parseMemberCreate(JSON.stringify({ member: ALICE })), ALICE);
    expectError(() => parseMemberCreate('{}'), 400, 'badRequest', 'Member to be added not specified');
    expectError(() => parseMemberCreate('[]'), 400, 'badRequest', 'Member to be added not specified');
    for (const empty of ['""', 'null', 'false', '0', '[]', '{}']) {
      expectError(() => parseMemberCreate(`{"member":${empty}}`), 400, 'badRequest', "Member can't be empty");
    }
    expectError(
      () => parseMemberCreate('{"member":5}'),
      400,
      'schemaViolation',
      "Provided object does not match schema 'member': 5 is not of type 'string'",
    );
    expectError(() => parseMemberCreate(''), 400, 'bodyExpected', 'Body expected in request.');
  });

  it('member status (openstackclient also sends the member id)', () => {
    assert.equal(parseMemberStatus(JSON.stringify({ member: ALICE, status: 'accepted' })), 'accepted');
    assert.equal(parseMemberStatus('{"status":"pending"}'), 'pending');
    expectError(() => parseMemberStatus('{"member":"x"}'), 400, 'badRequest', 'Status not specified');
    expectError(
      () => parseMemberStatus('{"status":"maybe"}'),
      400,
      'badRequest',
      'Incorrect request: Status must be "pending", "accepted" or "rejected".',
    );
  });

  it('import: glanceclient, openstacksdk and gophercloud bodies; errors', () => {
    const both = ['glance-direct', 'web-download'];
    assert.deepEqual(parseImportRequest('{"method":{"name":"glance-direct"}}', ['glance-direct']), {
      method: 'glance-direct',
    });
    assert.deepEqual(parseImportRequest('{"method":{"name":"glance-direct","uri":""}}', ['glance-direct']), {
      method: 'glance-direct',
    });
    assert.deepEqual(
      parseImportRequest('{"method":{"name":"web-download","uri":"https://x/y.img"},"all_stores":false}', both),
      { method: 'web-download', uri: 'https://x/y.img' },
    );
    expectError(() => parseImportRequest('{}', both), 400, 'badRequest', "Import request requires a 'method' field.");
    expectError(
      () => parseImportRequest('{"method":{}}', both),
      400,
      'badRequest',
      "Import request requires a 'name' field.",
    );
    expectError(
      () => parseImportRequest('{"method":{"name":"web-download","uri":"https://x"}}', ['glance-direct']),
      400,
      'unknownImportMethod',
      "Unknown import method name 'web-download'.",
    );
    expectError(
      () => parseImportRequest('{"method":{"name":"copy-image"}}', both),
      400,
      'unknownImportMethod',
      "Unknown import method name 'copy-image'.",
    );
    expectError(
      () => parseImportRequest('{"method":{"name":"glance-direct"},"all_stores":"yes"}', both),
      400,
      'badRequest',
      "'all_stores' must be boolean value only",
    );
    expectError(
      () => parseImportRequest('{"method":{"name":"glance-direct"},"all_stores_must_succeed":1}', both),
      400,
      'badRequest',
      "'all_stores_must_succeed' must be boolean value only",
    );
    expectError(
      () => parseImportRequest('{"method":{"name":"web-download","uri":""}}', both),
      400,
      'badRequest',
      "Import request requires a 'uri' field.",
    );
    assert.deepEqual(importInfoDocument(['glance-direct']), {
      'import-methods': { description: 'Import methods available.', type: 'array', value: ['glance-direct'] },
    });
  });
});
