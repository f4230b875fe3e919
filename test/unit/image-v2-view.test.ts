/**
 * The v2 image and member objects (openstack.md §3.3, §4.10), the versions document (§3.1) and
 * the v2 fault rendering (Appendix A). Where python3-glanceclient is installed, rendered images go
 * through glanceclient's validating model built from our schema, as its create/update replies do.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { V2_FAULTS, v2Error, v2ErrorResponse, type V2FaultKind } from '../../src/api/image/v2/faults.ts';
import {
  renderV2Image,
  renderV2ImageList,
  renderV2Member,
  renderV2Members,
  v2StatusOfV1,
  v2Timestamp,
  type V2ImageSource,
} from '../../src/api/image/v2/image-view.ts';
import { listLinks } from '../../src/api/image/v2/links.ts';
import { imageSchema } from '../../src/api/image/v2/schemas.ts';
import { imageVersionsDocument, VERSIONS_PATHS } from '../../src/api/image/v2/versions.ts';

const FORMATS = { diskFormats: ['diskdump', 'raw', 'qcow2'], containerFormats: ['bare', 'ovf'] };
const ID = 'e8c01929-5348-4de0-b2f8-040350599a92';
const OWNER = 'a1a1a1a1-0000-4000-8000-000000000001';
const T0 = Date.UTC(2026, 11, 2, 18, 35, 14) * 1000 + 123_456;

const ACTIVE: V2ImageSource = {
  id: ID,
  name: 'img1',
  status: 'active',
  visibility: 'shared',
  protected: false,
  osHidden: false,
  checksum: '4af83c2b2281719b0cbd421464b6ccf2',
  osHashAlgo: 'sha512',
  osHashValue: '9b'.repeat(64),
  size: 1048576,
  virtualSize: null,
  diskFormat: 'qcow2',
  containerFormat: 'bare',
  minRam: 0,
  minDisk: 0,
  owner: OWNER,
  createdAt: T0,
  updatedAt: T0 + 1_000_000,
  tags: [],
  properties: {
    os_distro: 'debian',
    'owner_specified.openstack.md5': '',
    'owner_specified.openstack.sha256': '',
    'owner_specified.openstack.object': 'images/img1',
  },
};
const QUEUED: V2ImageSource = {
  ...ACTIVE,
  name: null,
  status: 'queued',
  checksum: null,
  osHashAlgo: null,
  osHashValue: null,
  size: null,
  diskFormat: null,
  containerFormat: null,
  tags: ['a', 'b'],
  properties: {},
};

describe('v2 image object', () => {
  it("renders §3.3's example exactly", () => {
    assert.deepEqual(renderV2Image(ACTIVE), {
      id: ID,
      name: 'img1',
      status: 'active',
      disk_format: 'qcow2',
      container_format: 'bare',
      visibility: 'shared',
      size: 1048576,
      virtual_size: null,
      checksum: '4af83c2b2281719b0cbd421464b6ccf2',
      os_hash_algo: 'sha512',
      os_hash_value: '9b'.repeat(64),
      protected: false,
      os_hidden: false,
      min_ram: 0,
      min_disk: 0,
      owner: OWNER,
      created_at: '2026-12-02T18:35:14Z',
      updated_at: '2026-12-02T18:35:15Z',
      tags: [],
      os_distro: 'debian',
      'owner_specified.openstack.md5': '',
      'owner_specified.openstack.sha256': '',
      'owner_specified.openstack.object': 'images/img1',
      self: `/v2/images/${ID}`,
      file: `/v2/images/${ID}/file`,
      schema: '/v2/schemas/image',
    });
  });

  it('queued: nulls present, never a properties object, never locations', () => {
    const v = renderV2Image(QUEUED);
    for (const k of [
      'name',
      'size',
      'checksum',
      'os_hash_algo',
      'os_hash_value',
      'disk_format',
      'container_format',
      'virtual_size',
    ]) {
      assert.ok(Object.hasOwn(v, k), k);
      assert.equal(v[k], null, k);
    }
    assert.deepEqual(v.tags, ['a', 'b']);
    assert.equal(Object.hasOwn(v, 'properties'), false);
    assert.equal(Object.hasOwn(v, 'locations'), false);
    assert.equal(Object.hasOwn(v, 'direct_url'), false);
    assert.equal(renderV2Image({ ...QUEUED, directUrl: 'pithos://a/images/x' }).direct_url, 'pithos://a/images/x');
  });

  it('custom properties never shadow base attributes (v1 lets anyone call a property "size")', () => {
    const v = renderV2Image({
      ...ACTIVE,
      properties: { size: 'big', status: 'x', self: 'y', locations: 'z', properties: 'p', os_version: '12' },
    });
    assert.equal(v.size, 1048576);
    assert.equal(v.status, 'active');
    assert.equal(v.self, `/v2/images/${ID}`);
    assert.equal(Object.hasOwn(v, 'locations'), false);
    assert.equal(v.properties, 'p'); // a string, which gophercloud decodes fine
    assert.equal(v.os_version, '12');
  });

  it('timestamps: UTC, seconds, Z (RFC 3339 for gophercloud)', () => {
    assert.equal(v2Timestamp(0), '1970-01-01T00:00:00Z');
    assert.equal(v2Timestamp(T0), '2026-12-02T18:35:14Z');
    assert.match(v2Timestamp(Date.now() * 1000), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('v1 statuses map onto v2', () => {
    assert.equal(v2StatusOfV1('available'), 'active');
    assert.equal(v2StatusOfV1('error'), 'killed');
    assert.equal(v2StatusOfV1('queued'), 'queued');
    assert.equal(v2StatusOfV1('saving'), 'saving');
  });

  it('list body: images plus links', () => {
    const body = renderV2ImageList([ACTIVE, QUEUED], listLinks('limit=2', QUEUED.id));
    assert.equal(body.images.length, 2);
    assert.equal(body.first, '/v2/images?limit=2');
    assert.equal(body.next, `/v2/images?limit=2&marker=${ID}`);
    assert.equal(body.schema, '/v2/schemas/images');
  });

  const hasGlanceclient = (() => {
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import warlock, glanceclient.v2.schemas'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it("glanceclient's validating model accepts every rendering, and refuses a bad checksum", {
    skip: hasGlanceclient ? false : 'python3-glanceclient not installed',
  }, () => {
    const code = `
import json, sys
import warlock
from glanceclient.v2.schemas import SchemaBasedModel
req = json.load(sys.stdin)
Model = warlock.model_factory(req['schema'], base_class=SchemaBasedModel)
out = []
for body in req['images']:
    body.pop('self', None)  # as glanceclient does before building the model
    try:
        Model(**body)
        out.append(None)
    except ValueError as e:
        out.append(str(e).splitlines()[0])
print(json.dumps(out))`;
    const images = [
      ACTIVE,
      QUEUED,
      { ...ACTIVE, status: 'deactivated' as const, visibility: 'community' as const, osHidden: true },
      { ...ACTIVE, diskFormat: 'diskdump' },
      { ...ACTIVE, checksum: 'ab'.repeat(32) },
    ].map(renderV2Image);
    const out = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', code], {
        input: JSON.stringify({ schema: imageSchema(FORMATS), images }),
        encoding: 'utf8',
      }),
    ) as (string | null)[];
    assert.deepEqual(out.slice(0, 4), [null, null, null, null]);
    assert.match(out[4] ?? '', /is too long/);
  });
});

describe('v2 member object', () => {
  it('renders one member and the list', () => {
    const m = { imageId: ID, memberId: OWNER, status: 'pending' as const, createdAt: T0, updatedAt: T0 };
    assert.deepEqual(renderV2Member(m), {
      member_id: OWNER,
      image_id: ID,
      status: 'pending',
      created_at: '2026-12-02T18:35:14Z',
      updated_at: '2026-12-02T18:35:14Z',
      schema: '/v2/schemas/member',
    });
    assert.deepEqual(renderV2Members([m]), { members: [renderV2Member(m)], schema: '/v2/schemas/members' });
    assert.deepEqual(renderV2Members([]), { members: [], schema: '/v2/schemas/members' });
  });
});

describe('versions document', () => {
  it("v2.15 CURRENT, Zed's SUPPORTED list, then the v1 entries; hrefs from the public URL", () => {
    const doc = imageVersionsDocument('http://cloud.example.org:8080/');
    assert.deepEqual(
      doc.versions.map((v) => [v.id, v.status]),
      [
        ['v2.15', 'CURRENT'],
        ['v2.9', 'SUPPORTED'],
        ['v2.7', 'SUPPORTED'],
        ['v2.6', 'SUPPORTED'],
        ['v2.5', 'SUPPORTED'],
        ['v2.4', 'SUPPORTED'],
        ['v2.3', 'SUPPORTED'],
        ['v2.2', 'SUPPORTED'],
        ['v2.1', 'SUPPORTED'],
        ['v2.0', 'SUPPORTED'],
        ['v1.0', 'CURRENT'],
        ['v1', 'CURRENT'],
      ],
    );
    for (const v of doc.versions.filter((x) => x.id.startsWith('v2'))) {
      assert.deepEqual(v.links, [{ rel: 'self', href: 'http://cloud.example.org:8080/image/v2/' }]);
    }
    assert.deepEqual(doc.versions.at(-2), {
      id: 'v1.0',
      status: 'CURRENT',
      links: [{ rel: 'self', href: 'http://cloud.example.org:8080/image/v1.0/' }],
      media_types: [{ base: 'application/json', type: 'application/vnd.openstack.compute.v2+json' }],
    });
    // gophercloud ≥ 2.8: every id v<N>[.<M>], every status one it knows; no v2.12 (tasks).
    for (const v of doc.versions) assert.match(v.id, /^v\d+(\.\d+)?$/);
    assert.equal(
      doc.versions.some((v) => v.id === 'v2.12'),
      false,
    );
    assert.deepEqual([...VERSIONS_PATHS], ['/image', '/image/', '/image/versions', '/image/v2', '/image/v2/']);
  });
});

describe('v2 faults', () => {
  it("renders the fault body and the error's headers", () => {
    assert.deepEqual(v2ErrorResponse(v2Error('imageNotFound', 'a/b c')), {
      status: 404,
      headers: { 'Content-Type': 'application/json; charset=UTF-8' },
      body: { itemNotFound: { code: 404, message: 'No image found with ID a/b c', details: '' } },
    });
    assert.deepEqual(v2ErrorResponse(v2Error('methodNotAllowed', ['GET', 'PATCH', 'DELETE'])), {
      status: 405,
      headers: { 'Content-Type': 'application/json; charset=UTF-8', Allow: 'GET, PATCH, DELETE' },
      body: { notAllowed: { code: 405, message: 'Method not allowed', details: '' } },
    });
    assert.deepEqual(
      v2ErrorResponse(v2Error('unsupportedPatchType')).headers['Accept-Patch'],
      'application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch',
    );
    assert.equal(v2ErrorResponse(v2Error('tooManyTags', 129, 128)).body.overLimit.code, 413);
    assert.equal(v2ErrorResponse(v2Error('rangeNotSatisfiable', 10)).headers['Content-Range'], 'bytes */10');
  });

  it('Appendix A messages', () => {
    const m = (kind: V2FaultKind, ...args: unknown[]) =>
      (v2Error as (k: V2FaultKind, ...a: unknown[]) => Error)(kind, ...args).message;
    assert.equal(m('readOnlyAttribute', 'size'), "Attribute 'size' is read-only.");
    assert.equal(m('reservedAttribute', 'location'), "Attribute 'location' is reserved.");
    assert.equal(m('propertyDoesNotExist', 'k'), 'Property k does not exist.');
    assert.equal(m('propertyNotRemovable', 'name'), 'Property name may not be removed.');
    assert.equal(m('formatNotQueued', 'disk_format'), 'Attribute disk_format can be only replaced for a queued image.');
    assert.equal(m('uploadNotQueued', 'active'), 'Image status transition from active to saving is not allowed');
    assert.equal(m('formatsRequired'), 'Properties disk_format, container_format must be set prior to saving data.');
    assert.equal(m('imageProtected', ID), `Image ${ID} is protected and cannot be deleted.`);
    assert.equal(m('notSharedImage'), 'Only shared images have members.');
    assert.equal(m('unknownImportMethod', 'copy-image'), "Unknown import method name 'copy-image'.");
    assert.equal(m('imageDeactivated'), 'The requested image has been deactivated. Image data download is forbidden.');
    assert.equal(m('forbidden'), 'Not allowed');
  });

  it('every kind renders a 4xx/5xx JSON body whose values are objects with a message (glanceclient parses it so)', () => {
    const sample: Record<string, unknown[]> = { methodNotAllowed: [['GET']] };
    for (const kind of Object.keys(V2_FAULTS) as V2FaultKind[]) {
      const args = sample[kind] ?? ['x', 'y'];
      const r = v2ErrorResponse(
        (v2Error as (k: V2FaultKind, ...a: unknown[]) => ReturnType<typeof v2Error>)(kind, ...args),
      );
      assert.ok(r.status >= 400 && r.status < 600, kind);
      const values = Object.values(r.body);
      assert.equal(values.length, 1, kind);
      assert.equal(typeof values[0].message, 'string', kind);
      assert.ok(values[0].message.length > 0, kind);
      assert.equal(values[0].code, r.status, kind);
    }
  });
});
