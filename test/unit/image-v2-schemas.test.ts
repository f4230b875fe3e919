/**
 * The v2 schema documents (openstack.md §3.4) and the validator that words failures like Python's
 * jsonschema. Where python3-jsonschema and glanceclient's warlock are installed (they come with
 * python3-glanceclient, which CI installs), the same cases run through them and must agree: the
 * server's 400s then read exactly like Glance's, and glanceclient accepts what the server renders.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { pythonRepr, schemaFailure } from '../../src/api/image/v2/schema-validation.ts';
import {
  imageSchema,
  imagesSchema,
  memberSchema,
  membersSchema,
  schemaDocument,
  UUID_PATTERN,
  type SchemaNode,
} from '../../src/api/image/v2/schemas.ts';

const FORMATS = { diskFormats: ['diskdump', 'raw', 'qcow2'], containerFormats: ['bare', 'ovf'] };

function python(code: string, input: unknown): unknown {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', code], { input: JSON.stringify(input), encoding: 'utf8' }));
}
const hasPython = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import jsonschema, warlock.model, glanceclient.v2.schemas'], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
})();
const noPython = hasPython
  ? false
  : '/usr/bin/python3 with jsonschema and glanceclient (python3-glanceclient) not installed';

describe('v2 schema documents', () => {
  it("image: formats from the settings, plus null, and Glance's other enums", () => {
    const s = imageSchema(FORMATS);
    assert.equal(s.name, 'image');
    assert.deepEqual(s.additionalProperties, { type: 'string' });
    assert.deepEqual(s.properties.disk_format.enum, [null, 'diskdump', 'raw', 'qcow2']);
    assert.deepEqual(s.properties.container_format.enum, [null, 'bare', 'ovf']);
    assert.deepEqual(s.properties.disk_format.type, ['null', 'string']);
    assert.deepEqual(s.properties.status.enum, [
      'queued',
      'saving',
      'active',
      'killed',
      'deleted',
      'uploading',
      'importing',
      'pending_delete',
      'deactivated',
    ]);
    assert.deepEqual(s.properties.visibility.enum, ['community', 'public', 'private', 'shared']);
    assert.equal(s.properties.checksum.maxLength, 32);
    assert.equal(s.properties.os_hash_algo.maxLength, 64);
    assert.equal(s.properties.os_hash_value.maxLength, 128);
    assert.equal(s.properties.id.pattern, UUID_PATTERN);
    assert.deepEqual(s.links, [
      { rel: 'self', href: '{self}' },
      { rel: 'enclosure', href: '{file}' },
      { rel: 'describedby', href: '{schema}' },
    ]);
    for (const k of [
      'status',
      'checksum',
      'os_hash_algo',
      'os_hash_value',
      'size',
      'virtual_size',
      'created_at',
      'updated_at',
      'direct_url',
      'self',
      'file',
      'stores',
      'schema',
    ]) {
      assert.equal(s.properties[k].readOnly, true, k);
    }
    for (const k of [
      'kernel_id',
      'ramdisk_id',
      'instance_uuid',
      'architecture',
      'os_distro',
      'os_version',
      'description',
      'cinder_encryption_key_id',
      'cinder_encryption_key_deletion_policy',
    ]) {
      assert.equal(s.properties[k].is_base, false, k);
    }
    for (const node of Object.values(s.properties)) if (node.is_base !== false) assert.equal(node.is_base, undefined);
    assert.equal(s.properties.min_ram.type, 'integer');
    assert.deepEqual(s.properties.tags, {
      type: 'array',
      description: s.properties.tags.description,
      items: { type: 'string', maxLength: 255 },
    });
  });

  it('images, member, members', () => {
    const images = imagesSchema(FORMATS);
    assert.equal(images.name, 'images');
    assert.deepEqual(images.properties.images.items, imageSchema(FORMATS));
    assert.deepEqual(
      images.links.map((l) => l.rel),
      ['first', 'next', 'describedby'],
    );
    const member = memberSchema();
    assert.equal(member.additionalProperties, false);
    assert.deepEqual(member.properties.status.enum, ['pending', 'accepted', 'rejected']);
    assert.deepEqual(Object.keys(member.properties), [
      'member_id',
      'image_id',
      'created_at',
      'updated_at',
      'status',
      'schema',
    ]);
    assert.deepEqual(membersSchema().properties.members.items, member);
  });

  it('schemaDocument serves the four names and nothing else (→ 404)', () => {
    assert.deepEqual(schemaDocument('image', FORMATS), imageSchema(FORMATS));
    assert.deepEqual(schemaDocument('members', FORMATS), membersSchema());
    for (const n of ['metadefs/namespace', 'metadefs/resource_type', 'task', 'tasks', '', 'Image']) {
      assert.equal(schemaDocument(n, FORMATS), undefined, n);
    }
  });
});

describe('v2 schema validation messages', () => {
  const props = imageSchema(FORMATS).properties;
  const cases: [string, SchemaNode, unknown][] = [
    ['visibility', props.visibility, 'foo'],
    ['visibility', props.visibility, 3],
    ['protected', props.protected, 'True'],
    ['protected', props.protected, null],
    ['os_hidden', props.os_hidden, 1],
    ['min_ram', props.min_ram, 1.5],
    ['min_ram', props.min_ram, '512'],
    ['min_disk', props.min_disk, true],
    ['name', props.name, 42],
    ['name', props.name, 'x'.repeat(256)],
    ['name', props.name, ['a']],
    ['disk_format', props.disk_format, 'vhd'],
    ['container_format', props.container_format, 'docker'],
    ['tags', props.tags, 'a'],
    ['tags', props.tags, ['ok', 7]],
    ['tags', props.tags, ['t'.repeat(256)]],
    ['kernel_id', props.kernel_id, 'not-a-uuid'],
    ['owner', props.owner, { a: 1 }],
    ['custom', imageSchema(FORMATS).additionalProperties, 5],
    ['custom', imageSchema(FORMATS).additionalProperties, false],
    ['custom', imageSchema(FORMATS).additionalProperties, { k: [1, "it's"] }],
    ['cinder', props.cinder_encryption_key_deletion_policy, 'never'],
  ];

  it('failures are worded like jsonschema and conforming values pass', () => {
    assert.equal(
      schemaFailure('foo', props.visibility),
      "'foo' is not one of ['community', 'public', 'private', 'shared']",
    );
    assert.equal(schemaFailure('True', props.protected), "'True' is not of type 'boolean'");
    assert.equal(schemaFailure(42, props.name), "42 is not of type 'null', 'string'");
    assert.equal(schemaFailure('vhd', props.disk_format), "'vhd' is not one of [None, 'diskdump', 'raw', 'qcow2']");
    assert.equal(schemaFailure(['ok', 7], props.tags), "7 is not of type 'string'");
    assert.equal(schemaFailure('x'.repeat(256), props.name), `'${'x'.repeat(256)}' is too long`);
    for (const [node, value] of [
      [props.name, null],
      [props.name, 'n'],
      [props.min_ram, 0],
      [props.tags, []],
      [props.disk_format, null],
      [props.kernel_id, 'e8c01929-5348-4de0-b2f8-040350599a92'],
      [props.visibility, 'community'],
    ] as const) {
      assert.equal(schemaFailure(value, node), null);
    }
  });

  it('pythonRepr follows Python', () => {
    assert.equal(pythonRepr(null), 'None');
    assert.equal(pythonRepr([true, false, 1, 'a']), "[True, False, 1, 'a']");
    assert.equal(pythonRepr("it's"), '"it\'s"');
    assert.equal(pythonRepr('a\nb\\'), "'a\\nb\\\\'");
    assert.equal(pythonRepr({ k: 'v' }), "{'k': 'v'}");
  });

  it('agrees with python3-jsonschema on every case', { skip: noPython }, () => {
    const code = `
import json, sys, jsonschema
out = []
for node, value in json.load(sys.stdin):
    try:
        jsonschema.validate(value, node)
        out.append(None)
    except jsonschema.ValidationError as e:
        out.append(e.message)
print(json.dumps(out))`;
    const expected = python(
      code,
      cases.map(([, node, value]) => [node, value]),
    ) as (string | null)[];
    cases.forEach(([name, node, value], i) => {
      assert.equal(schemaFailure(value, node), expected[i], `${name}: ${JSON.stringify(value)}`);
    });
  });
});
