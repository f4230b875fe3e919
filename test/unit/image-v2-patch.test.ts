/**
 * PATCH bodies (openstack.md §4.5, Appendix A): media types, body and pointer syntax, read-only and
 * reserved attributes, values against the schema, then the plan against an image (409/403) and
 * the net change set. The patches the real clients send (§4.5 traces) are replayed, and where
 * glanceclient is installed its own patch generator (warlock + SchemaBasedModel) makes patches
 * from our schema and our rendered image.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { V2Error, type V2FaultKind } from '../../src/api/image/v2/faults.ts';
import {
  parseImagePatch,
  patchDraftOf,
  planImageChanges,
  type ImageChangeSet,
  type PatchTarget,
} from '../../src/api/image/v2/image-patch.ts';
import { renderV2Image, type V2ImageSource } from '../../src/api/image/v2/image-view.ts';
import { imageSchema } from '../../src/api/image/v2/schemas.ts';

const FORMATS = { diskFormats: ['diskdump', 'raw', 'qcow2'], containerFormats: ['bare', 'ovf'] };
const V21 = 'application/openstack-images-v2.1-json-patch';
const V20 = 'application/openstack-images-v2.0-json-patch';

const parse = (body: unknown, type = V21) =>
  parseImagePatch(type, typeof body === 'string' ? body : JSON.stringify(body), FORMATS);

function expectError(
  fn: () => unknown,
  status: number,
  kind: V2FaultKind,
  message: string,
  headers?: Record<string, string>,
) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof V2Error, `not a V2Error: ${String(err)}`);
    assert.equal(err.status, status);
    assert.equal(err.kind, kind);
    assert.equal(err.message, message);
    if (headers) assert.deepEqual(err.headers, headers);
    return true;
  });
}

const TARGET: PatchTarget = {
  status: 'queued',
  diskFormat: 'raw',
  containerFormat: 'bare',
  owner: 'a1a1a1a1-0000-4000-8000-000000000001',
  tags: ['t0'],
  properties: { distro: 'debian', k: 'v' },
};
const plan = (body: unknown, target: Partial<PatchTarget> = {}, isAdmin = false, type = V21): ImageChangeSet =>
  planImageChanges(parse(body, type), { ...TARGET, ...target }, { isAdmin });

describe('PATCH media types', () => {
  it('accepts both json-patch types, parameters and case aside', () => {
    assert.equal(patchDraftOf(V21), 10);
    assert.equal(patchDraftOf(V20), 4);
    assert.equal(patchDraftOf(`${V21}; charset=UTF-8`), 10);
    assert.equal(patchDraftOf('Application/OpenStack-Images-V2.1-Json-Patch'), 10);
  });
  it('anything else is 415 with Accept-Patch', () => {
    for (const t of [undefined, '', 'application/json', 'application/json-patch+json', 'application/octet-stream']) {
      expectError(() => parseImagePatch(t, '[]', FORMATS), 415, 'unsupportedPatchType', 'Unsupported Content-Type', {
        'Accept-Patch': `${V20}, ${V21}`,
      });
    }
  });
});

describe('PATCH body and pointer errors (400)', () => {
  const cases: [string, string, string][] = [
    ['empty body', '', 'Body expected in request.'],
    ['bad JSON', '[{', 'Malformed JSON in request body.'],
    ['an object', '{"op":"add"}', 'Request body must be a JSON array of operation objects.'],
    ['null', 'null', 'Request body must be a JSON array of operation objects.'],
    ['a scalar op', '[1]', 'Operations must be JSON objects.'],
    [
      'no op',
      '[{"path":"/name","value":"x"}]',
      'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.',
    ],
    [
      'bad op',
      '[{"op":"move","path":"/name"}]',
      'Invalid operation: `move`. It must be one of the following: add, remove, replace.',
    ],
    [
      'bad op type',
      '[{"op":true,"path":"/name"}]',
      'Invalid operation: `True`. It must be one of the following: add, remove, replace.',
    ],
    ['no path', '[{"op":"add","value":"x"}]', "Unable to find 'path' in JSON Schema change"],
    ['relative path', '[{"op":"add","path":"name","value":"x"}]', 'Pointer `name` does not start with "/".'],
    ['numeric path', '[{"op":"add","path":5,"value":"x"}]', 'Pointer `5` does not start with "/".'],
    ['adjacent', '[{"op":"add","path":"/a//b","value":"x"}]', 'Pointer `/a//b` contains adjacent "/".'],
    ['trailing', '[{"op":"add","path":"/name/","value":"x"}]', 'Pointer `/name/` end with "/".'],
    [
      'bad escape',
      '[{"op":"add","path":"/a~2","value":"x"}]',
      'Pointer `/a~2` contains "~" not part of a recognized escape sequence.',
    ],
    [
      'final tilde',
      '[{"op":"add","path":"/a~","value":"x"}]',
      'Pointer `/a~` contains "~" not part of a recognized escape sequence.',
    ],
    ['tags/-', '[{"op":"add","path":"/tags/-","value":"x"}]', "Invalid JSON pointer for this resource: '/tags/-'"],
    ['deep', '[{"op":"replace","path":"/a/b","value":"x"}]', "Invalid JSON pointer for this resource: '/a/b'"],
    ['root', '[{"op":"add","path":"/","value":"x"}]', "Invalid JSON pointer for this resource: '/'"],
    ['no value', '[{"op":"replace","path":"/name"}]', 'Operation "replace" requires a member named "value".'],
    [
      'v2.0 two ops',
      '[{"add":"/a","replace":"/a","value":"x"}]',
      'Operation objects must contain only one member named "add", "remove", or "replace".',
    ],
    [
      'v2.0 no op',
      '[{"path":"/a","value":"x"}]',
      'Operation objects must contain exactly one member named "add", "remove", or "replace".',
    ],
    [
      'custom key too long',
      JSON.stringify([{ op: 'add', path: `/${'k'.repeat(256)}`, value: 'v' }]),
      'Custom property should not be greater than 255 characters.',
    ],
    [
      'negative min_ram',
      '[{"op":"replace","path":"/min_ram","value":-1}]',
      "Invalid value '-1' for parameter 'min_ram': Cannot be a negative value",
    ],
    [
      'huge min_disk',
      '[{"op":"replace","path":"/min_disk","value":2147483648}]',
      "'min_disk' value out of range, must not exceed 2147483647.",
    ],
  ];
  for (const [name, body, message] of cases) {
    it(name, () =>
      expectError(
        () => parse(body, name.startsWith('v2.0') ? V20 : V21),
        400,
        body === '' ? 'bodyExpected' : body === '[{' ? 'malformedJson' : 'badRequest',
        message,
      ),
    );
  }

  it('schema violations carry the jsonschema sentence', () => {
    const s = "Provided object does not match schema 'image': ";
    expectError(
      () => parse([{ op: 'replace', path: '/visibility', value: 'foo' }]),
      400,
      'schemaViolation',
      `${s}'foo' is not one of ['community', 'public', 'private', 'shared']`,
    );
    expectError(
      () => parse([{ op: 'add', path: '/protected', value: 'True' }]),
      400,
      'schemaViolation',
      `${s}'True' is not of type 'boolean'`,
    );
    expectError(
      () => parse([{ op: 'add', path: '/disk_format', value: 'vhd' }]),
      400,
      'schemaViolation',
      `${s}'vhd' is not one of [None, 'diskdump', 'raw', 'qcow2']`,
    );
    expectError(
      () => parse([{ op: 'add', path: '/os_distro', value: 7 }]),
      400,
      'schemaViolation',
      `${s}7 is not of type 'string'`,
    );
    expectError(
      () => parse([{ op: 'add', path: '/k', value: null }]),
      400,
      'schemaViolation',
      `${s}None is not of type 'string'`,
    );
    expectError(
      () => parse([{ op: 'add', path: '/kernel_id', value: null }]),
      400,
      'schemaViolation',
      `${s}None is not of type 'string'`,
    );
    expectError(
      () => parse([{ op: 'replace', path: '/tags', value: ['ok', 1] }]),
      400,
      'schemaViolation',
      `${s}1 is not of type 'string'`,
    );
    expectError(
      () => parse([{ op: 'replace', path: '/min_ram', value: 1.5 }]),
      400,
      'schemaViolation',
      `${s}1.5 is not of type 'integer'`,
    );
  });
});

describe('PATCH read-only and reserved attributes (403)', () => {
  for (const k of [
    'created_at',
    'updated_at',
    'status',
    'checksum',
    'size',
    'virtual_size',
    'direct_url',
    'self',
    'file',
    'schema',
    'id',
    'os_hash_algo',
    'os_hash_value',
    'stores',
  ]) {
    it(`${k} is read-only, for every op`, () => {
      for (const op of ['add', 'replace', 'remove']) {
        expectError(
          () => parse([{ op, path: `/${k}`, value: 'x' }]),
          403,
          'readOnlyAttribute',
          `Attribute '${k}' is read-only.`,
        );
      }
    });
  }
  it('location, deleted, deleted_at and os_glance* are reserved', () => {
    for (const k of ['location', 'deleted', 'deleted_at', 'os_glance_failed_import', 'os_glance']) {
      expectError(
        () => parse([{ op: 'add', path: `/${k}`, value: 'x' }]),
        403,
        'reservedAttribute',
        `Attribute '${k}' is reserved.`,
      );
      expectError(
        () => parse([{ op: 'remove', path: `/${k}` }]),
        403,
        'reservedAttribute',
        `Attribute '${k}' is reserved.`,
      );
    }
  });
  it('locations are refused as invisible, after the whole body parsed', () => {
    expectError(
      () => parse([{ op: 'add', path: '/locations/0', value: { url: 'u', metadata: {} } }]),
      403,
      'locationsInvisible',
      "It's not allowed to add locations if locations are invisible.",
    );
    expectError(
      () => parse([{ op: 'replace', path: '/locations', value: [] }]),
      403,
      'locationsInvisible',
      "It's not allowed to update locations if locations are invisible.",
    );
    expectError(
      () =>
        parse([
          { op: 'remove', path: '/locations/0' },
          { op: 'add', path: '/status', value: 'x' },
        ]),
      403,
      'readOnlyAttribute',
      "Attribute 'status' is read-only.",
    );
  });
  it('the first failing operation decides, in body order', () => {
    expectError(
      () =>
        parse([
          { op: 'add', path: '/name', value: 1 },
          { op: 'add', path: '/id', value: 'x' },
        ]),
      400,
      'schemaViolation',
      "Provided object does not match schema 'image': 1 is not of type 'null', 'string'",
    );
    expectError(
      () =>
        parse([
          { op: 'add', path: '/id', value: 'x' },
          { op: 'add', path: '/name', value: 1 },
        ]),
      403,
      'readOnlyAttribute',
      "Attribute 'id' is read-only.",
    );
  });
});

describe('PATCH plan against the image', () => {
  it('the traced client patches (§4.5) give the right change sets', () => {
    // openstackclient image set --property k=v --name img1b
    assert.deepEqual(
      plan([
        { op: 'add', path: '/k', value: 'v2' },
        { op: 'add', path: '/name', value: 'img1b' },
      ]),
      { core: { name: 'img1b' }, setProperties: { k: 'v2' }, removeProperties: [] },
    );
    // openstackclient image unset --property k
    assert.deepEqual(plan([{ op: 'remove', path: '/k' }]), { core: {}, setProperties: {}, removeProperties: ['k'] });
    // openstackclient image set --tag t1 --tag t2
    assert.deepEqual(plan([{ op: 'add', path: '/tags', value: ['t1', 't2', 't1'] }]), {
      core: {},
      tags: ['t1', 't2'],
      setProperties: {},
      removeProperties: [],
    });
    // openstackclient image set --unprotected --shared
    assert.deepEqual(
      plan([
        { op: 'add', path: '/protected', value: false },
        { op: 'add', path: '/visibility', value: 'shared' },
      ]),
      { core: { protected: false, visibility: 'shared' }, setProperties: {}, removeProperties: [] },
    );
    // glanceclient image-update --property k2=v2 --name g1b --remove-property distro
    assert.deepEqual(
      plan([
        { op: 'remove', path: '/distro' },
        { op: 'add', path: '/k2', value: 'v2' },
        { op: 'replace', path: '/name', value: 'g1b' },
      ]),
      { core: { name: 'g1b' }, setProperties: { k2: 'v2' }, removeProperties: ['distro'] },
    );
    // openstacksdk update_image(img, os_distro='debian'); gophercloud replace of base attributes
    assert.deepEqual(
      plan([
        { op: 'add', path: '/os_distro', value: 'debian' },
        { op: 'replace', path: '/os_hidden', value: true },
        { op: 'replace', path: '/min_ram', value: 512 },
        { op: 'replace', path: '/min_disk', value: 0 },
        { op: 'replace', path: '/name', value: null },
      ]),
      {
        core: { osHidden: true, minRam: 512, minDisk: 0, name: null },
        setProperties: { os_distro: 'debian' },
        removeProperties: [],
      },
    );
  });

  it('net effect of several operations on one key; escapes and blanks in pointers', () => {
    assert.deepEqual(
      plan([
        { op: 'add', path: '/x', value: '1' },
        { op: 'replace', path: '/x', value: '2' },
        { op: 'remove', path: '/x' },
      ]),
      { core: {}, setProperties: {}, removeProperties: [] },
    );
    assert.deepEqual(
      plan([
        { op: 'remove', path: '/k' },
        { op: 'add', path: '/k', value: 'v' },
      ]),
      { core: {}, setProperties: {}, removeProperties: [] },
    );
    assert.deepEqual(
      plan([
        { op: 'add', path: '/a~1b~0c', value: '1' },
        { op: 'add', path: '/ owner_specified.openstack.md5 ', value: '' },
      ]),
      { core: {}, setProperties: { 'a/b~c': '1', 'owner_specified.openstack.md5': '' }, removeProperties: [] },
    );
    assert.deepEqual(
      plan([{ op: 'add', path: '/__proto__', value: 'p' }]).setProperties,
      JSON.parse('{"__proto__":"p"}'),
    );
  });

  it('409: replace or remove of a missing property', () => {
    expectError(
      () => plan([{ op: 'replace', path: '/nope', value: 'x' }]),
      409,
      'propertyDoesNotExist',
      'Property nope does not exist.',
    );
    expectError(
      () => plan([{ op: 'remove', path: '/nope' }]),
      409,
      'propertyDoesNotExist',
      'Property nope does not exist.',
    );
    expectError(
      () =>
        plan([
          { op: 'remove', path: '/k' },
          { op: 'remove', path: '/k' },
        ]),
      409,
      'propertyDoesNotExist',
      'Property k does not exist.',
    );
  });

  it('403: removing a base attribute', () => {
    for (const k of [
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
    ]) {
      expectError(
        () => plan([{ op: 'remove', path: `/${k}` }]),
        403,
        'propertyNotRemovable',
        `Property ${k} may not be removed.`,
      );
    }
  });

  it('403: formats change only while queued or importing; setting the same value is fine', () => {
    for (const status of ['active', 'saving', 'deactivated', 'uploading', 'killed'] as const) {
      expectError(
        () => plan([{ op: 'replace', path: '/disk_format', value: 'qcow2' }], { status }),
        403,
        'formatNotQueued',
        'Attribute disk_format can be only replaced for a queued image.',
      );
      expectError(
        () => plan([{ op: 'add', path: '/container_format', value: 'ovf' }], { status }),
        403,
        'formatNotQueued',
        'Attribute container_format can be only replaced for a queued image.',
      );
      assert.deepEqual(plan([{ op: 'replace', path: '/disk_format', value: 'raw' }], { status }).core, {
        diskFormat: 'raw',
      });
    }
    assert.deepEqual(plan([{ op: 'replace', path: '/disk_format', value: 'qcow2' }], { status: 'importing' }).core, {
      diskFormat: 'qcow2',
    });
    assert.deepEqual(plan([{ op: 'replace', path: '/disk_format', value: null }]).core, { diskFormat: null });
  });

  it('403: owner only by an admin', () => {
    expectError(
      () => plan([{ op: 'replace', path: '/owner', value: 'b' }]),
      403,
      'ownerNotAdmin',
      "Owner can't be updated by non admin.",
    );
    expectError(
      () => plan([{ op: 'add', path: '/owner', value: 'b' }]),
      403,
      'ownerNotAdmin',
      "Owner can't be updated by non admin.",
    );
    assert.deepEqual(plan([{ op: 'replace', path: '/owner', value: 'b' }], {}, true).core, { owner: 'b' });
  });

  it('v2.0 (draft 4): add of anything present is 409, replace works', () => {
    expectError(
      () => plan([{ add: '/name', value: 'x' }], {}, false, V20),
      409,
      'propertyAlreadyPresent',
      'Property name already present.',
    );
    expectError(
      () => plan([{ add: '/k', value: 'x' }], {}, false, V20),
      409,
      'propertyAlreadyPresent',
      'Property k already present.',
    );
    assert.deepEqual(
      plan([{ replace: '/name', value: 'x' }, { add: '/new', value: 'y' }, { remove: '/k' }], {}, false, V20),
      { core: { name: 'x' }, setProperties: { new: 'y' }, removeProperties: ['k'] },
    );
  });

  it('413: more than 128 properties or tags (only when growing)', () => {
    const many = Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`p${i}`, 'v']));
    expectError(
      () => plan([{ op: 'add', path: '/extra', value: 'v' }], { properties: many }),
      413,
      'tooManyProperties',
      'The limit has been exceeded on the number of allowed image properties. Attempted: 129, Maximum: 128',
    );
    assert.deepEqual(plan([{ op: 'replace', path: '/p1', value: 'w' }], { properties: many }).setProperties, {
      p1: 'w',
    });
    const tags = Array.from({ length: 129 }, (_, i) => `t${i}`);
    expectError(
      () => plan([{ op: 'replace', path: '/tags', value: tags }]),
      413,
      'tooManyTags',
      'The limit has been exceeded on the number of allowed image tags. Attempted: 129, Maximum: 128',
    );
  });

  it('atomic: a failing operation late in the body leaves nothing half-applied', () => {
    const target = { ...TARGET, properties: { ...TARGET.properties } };
    expectError(
      () =>
        planImageChanges(
          parse([
            { op: 'add', path: '/new', value: 'x' },
            { op: 'remove', path: '/k' },
            { op: 'remove', path: '/gone' },
          ]),
          target,
          { isAdmin: false },
        ),
      409,
      'propertyDoesNotExist',
      'Property gone does not exist.',
    );
    assert.deepEqual(target.properties, TARGET.properties);
  });
});

const PYTHON = '/usr/bin/python3';
const hasGlanceclient = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import warlock.model, glanceclient.v2.schemas'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('patches made by glanceclient itself', {
  skip: hasGlanceclient ? false : 'python3-glanceclient not installed',
}, () => {
  // glanceclient's update: model from the schema and the GET reply, setattr per change (validated),
  // delete removed properties, then `image.patch` (openstack.md §3.4).
  const code = `
import json, sys
import warlock
from glanceclient.v2.schemas import SchemaBasedModel
req = json.load(sys.stdin)
req['image'].pop('self', None)  # as glanceclient's _get does
Model = warlock.model_factory(req['schema'], base_class=SchemaBasedModel)
image = Model(**req['image'])
for k, v in req['set'].items():
    setattr(image, k, v)
for k in req['remove']:
    del image[k]
print(image.patch)`;
  const source: V2ImageSource = {
    id: 'e8c01929-5348-4de0-b2f8-040350599a92',
    name: 'img1',
    status: 'active',
    visibility: 'shared',
    protected: false,
    osHidden: false,
    checksum: '4af83c2b2281719b0cbd421464b6ccf2',
    osHashAlgo: 'sha512',
    osHashValue: 'ab'.repeat(64),
    size: 1048576,
    virtualSize: null,
    diskFormat: 'raw',
    containerFormat: 'bare',
    minRam: 0,
    minDisk: 0,
    owner: TARGET.owner,
    createdAt: 1_796_000_000_000_000,
    updatedAt: 1_796_000_001_000_000,
    tags: ['t0'],
    properties: { distro: 'debian', k: 'v' },
  };
  const glancePatch = (set: Record<string, unknown>, remove: string[]) =>
    execFileSync(PYTHON, ['-c', code], {
      input: JSON.stringify({ schema: imageSchema(FORMATS), image: renderV2Image(source), set, remove }),
      encoding: 'utf8',
      stdio: 'pipe',
    });

  it('image-update --name --property --remove-property --min-ram --os-distro, with tags', () => {
    const body = glancePatch({ name: 'g1b', k2: 'v2', min_ram: 512, os_distro: 'ubuntu', visibility: 'private' }, [
      'distro',
    ]);
    const changes = planImageChanges(
      parseImagePatch(V21, body, FORMATS),
      { ...TARGET, status: 'active' },
      { isAdmin: false },
    );
    assert.deepEqual(changes, {
      core: { name: 'g1b', minRam: 512, visibility: 'private' },
      tags: ['t0'],
      setProperties: { k2: 'v2', os_distro: 'ubuntu' },
      removeProperties: ['distro'],
    });
  });

  it('renaming a property with the same value: jsonpatch makes a `move`, which Glance refuses too', () => {
    const body = glancePatch({ os_distro: 'debian' }, ['distro']);
    assert.match(body, /"op": "move"/);
    expectError(
      () => parseImagePatch(V21, body, FORMATS),
      400,
      'badRequest',
      'Invalid operation: `move`. It must be one of the following: add, remove, replace.',
    );
  });

  it('a value the schema refuses is refused by glanceclient before sending', () => {
    assert.throws(() => glancePatch({ disk_format: 'vhd' }, []), /vhd/);
  });
});
