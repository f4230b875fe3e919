/**
 * The pure parts of the image API: header parsing (image-api.md §3.2, §3.5), value types (§3.3),
 * quoting and rendering (§3.4, §6), routes (§1), list parameters (§5.2), the members body (§5.9)
 * and the order of the request checks (§5.3, §5.6). No database: these run once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLocation, readImageHeaders, renderLocation } from '../src/api/image/v1/image-metadata-headers.ts';
import { imageDetail, imageHeaders, imageSummary } from '../src/api/image/v1/image-rendering.ts';
import { matchImageRoute } from '../src/api/image/v1/image-routes.ts';
import { parseIsoMicros, parseListParameters } from '../src/api/image/v1/list-parameters.ts';
import { parseMemberships } from '../src/api/image/v1/members-body.ts';
import { versionsDocument } from '../src/api/image/v1/versions-document.ts';
import { quote } from '../src/api/http/percent.ts';
import { DEFAULT_CONTAINER_FORMATS, DEFAULT_DISK_FORMATS } from '../src/config.ts';
import { ServiceError } from '../src/errors.ts';
import { checkCreateRequest, checkUpdateRequest, type DataDeclaration } from '../src/api/image/v1/request-checks.ts';
import { toImageView, type ImageFacts } from '../src/domain/images/image-model.ts';
import { normalizeKey, parseBoolean, parseChecksum, parseCount } from '../src/domain/images/image-values.ts';

/** rawHeaders as Node gives them: values as latin1 strings of the octets sent. */
const raw = (...pairs: [string, string | Buffer][]): string[] =>
  pairs.flatMap(([k, v]) => [k, typeof v === 'string' ? v : v.toString('latin1')]);

/** The message of the ServiceError `fn` throws. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ServiceError, `a ServiceError, got ${err}`);
    return `${err.status} ${err.message}`;
  }
  assert.fail('no error thrown');
}

const OWNER = 'a1a1a1a1-0000-4000-8000-000000000001';
const LIMITS = { diskFormats: DEFAULT_DISK_FORMATS, containerFormats: DEFAULT_CONTAINER_FORMATS, sizeCap: 1000 };
const NO_DATA: DataDeclaration = { present: false };

describe('normalize and value types (§3.2, §3.3)', () => {
  it('normalises names as WSGI did', () => {
    assert.equal(normalizeKey('OS-Family'), 'os_family');
    assert.equal(normalizeKey('ROOT_PARTITION'), 'root_partition');
    assert.equal(normalizeKey('a.b:c'), 'a_b_c');
    assert.equal(normalizeKey('☂'), '☂');
    assert.equal(normalizeKey('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'), '_'.repeat(32));
    assert.equal(normalizeKey('ÄÉ'), 'äé');
  });

  it('reads booleans, with None meaning absent', () => {
    for (const t of ['true', 'TRUE', ' 1 ', 'yes', 'on', 'y', 't']) assert.equal(parseBoolean(t), true, t);
    for (const f of ['false', 'False', '', '0', 'no', 'nope']) assert.equal(parseBoolean(f), false, f);
    assert.equal(parseBoolean('None'), undefined);
    assert.equal(parseBoolean(' none '), undefined);
  });

  it('reads non-negative integers up to 2^53−1', () => {
    assert.equal(parseCount('42'), 42);
    assert.equal(parseCount(' +7 '), 7);
    assert.equal(parseCount('9007199254740991'), 2 ** 53 - 1);
    for (const bad of ['', '-1', '1.5', 'foo', '9007199254740992', '１']) assert.equal(parseCount(bad), undefined, bad);
  });

  it('reads checksums of 32 or 64 hex digits, lower-cased', () => {
    assert.equal(parseChecksum('B6D81B360A5672D80C27430F39153E2C'), 'b6d81b360a5672d80c27430f39153e2c');
    assert.equal(parseChecksum('a'.repeat(64)), 'a'.repeat(64));
    for (const bad of ['wrong_checksum', 'a'.repeat(31), 'a'.repeat(40), 'g'.repeat(32)])
      assert.equal(parseChecksum(bad), undefined);
  });
});

describe('request metadata from raw headers (§3.2)', () => {
  it('merges dash and underscore spellings, decodes names and property values, keeps other values raw', () => {
    const m = readImageHeaders(
      raw(
        ['X-Image-Meta-Disk-Format', 'raw'],
        ['X-Image-Meta-Disk_format', 'extdump'],
        ['X-Image-Meta-Name', 'a%20b%2Fc~'],
        ['X-Image-Meta-Property-OS-Family', 'Linux'],
        ['x-image-meta-property-KEY2', '%E2%98%81'],
        ['x-image-meta-property-%E2%98%82', 'umbrella'],
        ['X-Image-Meta-Size', '%31'],
        ['Content-Type', 'application/octet-stream'],
      ),
    );
    assert.deepEqual(Object.fromEntries(m.fields), { disk_format: 'extdump', name: 'a b/c~', size: '%31' });
    assert.deepEqual(Object.fromEntries(m.properties), { os_family: 'Linux', key2: '☁', '☂': 'umbrella' });
    assert.equal(m.copyFrom, false);
    assert.equal(m.purgeProps, false);
  });

  it('accepts raw UTF-8 octets as well as percent-encoded ones', () => {
    const m = readImageHeaders(
      raw(['X-Image-Meta-Name', Buffer.from('TestImage☂')], ['X-Image-Meta-Property-K', Buffer.from('☁')]),
    );
    assert.equal(m.fields.get('name'), 'TestImage☂');
    assert.equal(m.properties.get('k'), '☁');
  });

  it('refuses bad UTF-8 and malformed percent-encoding in names and properties', () => {
    const message = '400 Could not decode request as UTF-8 string';
    assert.equal(
      failure(() => readImageHeaders(raw(['X-Image-Meta-Name', Buffer.from([0xc2])]))),
      message,
    );
    assert.equal(
      failure(() => readImageHeaders(raw(['X-Image-Meta-Name', 'a%zz']))),
      message,
    );
    assert.equal(
      failure(() => readImageHeaders(raw(['X-Image-Meta-Name', '100%']))),
      message,
    );
    assert.equal(
      failure(() => readImageHeaders(raw(['X-Image-Meta-Property-K', '%C2']))),
      message,
    );
    assert.equal(
      failure(() => readImageHeaders(raw(['X-Image-Meta-Property-%FF', 'v']))),
      message,
    );
    // `+` is not a space, and a literal % must be sent as %25.
    assert.equal(readImageHeaders(raw(['X-Image-Meta-Name', 'a+b%25'])).fields.get('name'), 'a+b%');
  });

  it('flags an empty property key and reads the control headers', () => {
    const m = readImageHeaders(
      raw(
        ['X-Image-Meta-Property-', 'v'],
        ['x-glance-api-copy-from', 'http://x'],
        ['X-Glance-Registry-Purge-Props', 'TRUE'],
      ),
    );
    assert.equal(m.emptyPropertyKey, true);
    assert.equal(m.copyFrom, true);
    assert.equal(m.purgeProps, true);
    assert.equal(readImageHeaders(raw(['x-glance-registry-purge-props', 'false'])).purgeProps, false);
  });

  it('a later header wins', () => {
    const m = readImageHeaders(
      raw(
        ['X-Image-Meta-Name', 'one'],
        ['x-image-meta-name', 'two'],
        ['X-Image-Meta-Property-A', '1'],
        ['x-image-meta-property-a', '2'],
      ),
    );
    assert.equal(m.fields.get('name'), 'two');
    assert.equal(m.properties.get('a'), '2');
  });
});

describe('location (§3.5)', () => {
  it('accepts pithos://account/container/object with slashes kept in the object', () => {
    assert.deepEqual(parseLocation(`pithos://${OWNER}/images/disk.img`), {
      account: OWNER,
      container: 'images',
      name: 'disk.img',
    });
    assert.deepEqual(parseLocation(`pithos://${OWNER}/%E2%98%82/dir/file`), {
      account: OWNER,
      container: '☂',
      name: 'dir/file',
    });
    assert.deepEqual(parseLocation('pithos://u/c/a//b/'), { account: 'u', container: 'c', name: 'a//b/' });
  });

  it('rejects anything else', () => {
    for (const bad of [
      '',
      'pitho://u/c/o',
      'pithos://u/o',
      'pithos:/x/u/c/o',
      'pithos:///c/o',
      'pithos://u//o',
      'pithos://u/c/',
      'pithos://u/c/%zz',
      'pithos://u/c/%FF',
    ]) {
      assert.equal(parseLocation(bad), undefined, bad);
    }
  });

  it('renders every component with q, inner slashes kept', () => {
    assert.equal(
      renderLocation({ account: OWNER, container: '☂', name: 'dir/my file~' }),
      `pithos://${OWNER}/%E2%98%82/dir/my%20file%7E`,
    );
  });
});

describe('quoting q(s) (§3.4)', () => {
  it('keeps A–Z a–z 0–9 _ . - / and encodes every other octet in upper-case hex', () => {
    assert.equal(quote('a b/c~'), 'a%20b/c%7E');
    assert.equal(quote('☂'), '%E2%98%82');
    assert.equal(quote('x\r\ny'), 'x%0D%0Ay');
    assert.equal(quote('Az09_.-/'), 'Az09_.-/');
  });
});

const FACTS: ImageFacts = {
  id: 'b2b17e9a-8a2b-406b-9735-73a9ee589204',
  name: 'Debian Test',
  diskFormat: 'diskdump',
  containerFormat: 'bare',
  status: 'available',
  origin: 'location',
  minRam: 0,
  minDisk: 0,
  protected: false,
  createdAt: 1392487853_863673,
  recordUpdatedAt: 1392487853_863673,
  declaredSize: null,
  declaredChecksum: null,
  object: { account: OWNER, container: 'images', name: 'disk.img' },
  objectVersionTs: 1392487800_000000,
  size: 8390108,
  objectHash: '745c7fa72a6a007dea84bfba1120701b59d2f9973e2f9e746ba535bb4fe040d0',
  md5: null,
  isPublic: false,
  readGrants: [OWNER],
  properties: { osfamily: 'linux', root_partition: '1' },
  osHidden: false,
  community: false,
  sharedFlag: false,
  virtualSize: null,
  osHashAlgo: null,
  osHashValue: null,
  tags: [],
};

describe('rendering (§4.3, §6)', () => {
  it('renders the headers of the E3 example, with underscore names', () => {
    assert.deepEqual(imageHeaders(toImageView(FACTS)), {
      'x-image-meta-id': FACTS.id,
      'x-image-meta-name': 'Debian%20Test',
      'x-image-meta-disk_format': 'diskdump',
      'x-image-meta-container_format': 'bare',
      'x-image-meta-size': '8390108',
      'x-image-meta-checksum': FACTS.objectHash,
      'x-image-meta-location': `pithos://${OWNER}/images/disk.img`,
      'x-image-meta-created_at': '2014-02-15 18:10:53',
      'x-image-meta-updated_at': '2014-02-15 18:10:53',
      'x-image-meta-deleted_at': '',
      'x-image-meta-status': 'available',
      'x-image-meta-is_public': 'False',
      'x-image-meta-owner': OWNER,
      'x-image-meta-is_snapshot': 'False',
      'x-image-meta-description': '',
      'x-image-meta-min_ram': '0',
      'x-image-meta-min_disk': '0',
      'x-image-meta-protected': 'False',
      'x-image-meta-property-osfamily': 'linux',
      'x-image-meta-property-root_partition': '1',
    });
  });

  it('quotes names and property values, never lets them break a header', () => {
    const h = imageHeaders(
      toImageView({ ...FACTS, name: 'a b/c~\r\nX-Evil: 1', properties: { key2: '☁', os_family: 'Linux' } }),
    );
    assert.equal(h['x-image-meta-name'], 'a%20b/c%7E%0D%0AX-Evil%3A%201');
    assert.equal(h['x-image-meta-property-key2'], '%E2%98%81');
    assert.equal(h['x-image-meta-property-os_family'], 'Linux');
  });

  it('computes the checksum per §4.3 and sends it with data only when it is an MD5', () => {
    const md5 = 'b6d81b360a5672d80c27430f39153e2c';
    const uploaded = toImageView({ ...FACTS, origin: 'upload', md5 });
    assert.equal(uploaded.checksum, md5);
    assert.equal(uploaded.etag, md5);
    assert.equal(imageHeaders(uploaded, { checksum: 'md5-only' })['x-image-meta-checksum'], md5);
    const registered = toImageView({ ...FACTS, origin: 'location', md5 });
    assert.equal(
      registered.checksum,
      FACTS.objectHash,
      'a registered image shows the object hash even when the MD5 is known',
    );
    assert.equal('x-image-meta-checksum' in imageHeaders(registered, { checksum: 'md5-only' }), false);
    assert.equal(
      toImageView({ ...FACTS, origin: 'upload', md5: null }).checksum,
      FACTS.objectHash,
      'unknown MD5: the object hash',
    );
    for (const status of ['queued', 'saving', 'error'] as const)
      assert.equal(toImageView({ ...FACTS, status }).checksum, '');
  });

  it('takes updated_at from the later of record and object version', () => {
    assert.equal(
      toImageView({ ...FACTS, objectVersionTs: FACTS.recordUpdatedAt + 5_000_000 }).updatedAt,
      FACTS.recordUpdatedAt + 5_000_000,
    );
  });

  it('renders the detail object of §6.2 and the six-key summary', () => {
    const view = toImageView({ ...FACTS, properties: { key1: 'val1', key2: '☁' }, isPublic: true });
    assert.deepEqual(imageDetail(view), {
      id: FACTS.id,
      name: 'Debian Test',
      status: 'available',
      disk_format: 'diskdump',
      container_format: 'bare',
      size: 8390108,
      checksum: FACTS.objectHash,
      location: `pithos://${OWNER}/images/disk.img`,
      created_at: '2014-02-15 18:10:53',
      updated_at: '2014-02-15 18:10:53',
      deleted_at: '',
      is_public: true,
      owner: OWNER,
      properties: { key1: 'val1', key2: '☁' },
      is_snapshot: false,
      min_ram: 0,
      min_disk: 0,
      protected: false,
    });
    assert.deepEqual(Object.keys(imageSummary(view)).sort(), [
      'container_format',
      'disk_format',
      'id',
      'name',
      'size',
      'status',
    ]);
  });

  it('lists both version prefixes in the versions document', () => {
    const doc = versionsDocument('http://h:1');
    assert.deepEqual(
      doc.versions.map((v) => [v.id, v.status, v.links[0].href]),
      [
        ['v1.0', 'CURRENT', 'http://h:1/image/v1.0/'],
        ['v1', 'CURRENT', 'http://h:1/image/v1/'],
      ],
    );
    assert.equal(doc.versions[0].media_types[0].type, 'application/vnd.openstack.compute.v2+json');
  });
});

describe('routes (§1)', () => {
  const ID = 'b2b17e9a-8a2b-406b-9735-73a9ee589204';
  it('matches every endpoint on both prefixes, anchored', () => {
    for (const p of ['/image', '/image/', '/image/.json', '/image/versions', '/image/versions/'])
      assert.deepEqual(matchImageRoute(p), { route: 'versions', allow: ['GET'] }, p);
    for (const v of ['/image/v1', '/image/v1.0']) {
      const version = v.slice('/image/'.length);
      assert.equal(matchImageRoute(`${v}/images`)?.route, 'images');
      for (const p of ['images', 'images/', 'images/detail'])
        assert.equal(matchImageRoute(`${v}/${p}`)?.version, version, 'the list body follows the prefix');
      assert.equal(matchImageRoute(`${v}/images/`)?.route, 'images');
      assert.equal(matchImageRoute(`${v}/images/detail`)?.route, 'detail');
      assert.deepEqual(matchImageRoute(`${v}/images/${ID}`), {
        route: 'image',
        allow: ['GET', 'HEAD', 'PUT', 'DELETE'],
        version,
        id: ID,
      });
      assert.equal(matchImageRoute(`${v}/images/${ID}/members`)?.route, 'members');
      assert.deepEqual(matchImageRoute(`${v}/images/${ID}/members/bob@x.org`), {
        route: 'member',
        allow: ['DELETE', 'PUT'],
        version,
        id: ID,
        member: 'bob@x.org',
      });
      assert.deepEqual(matchImageRoute(`${v}/shared-images/${ID}`), {
        route: 'sharedImages',
        allow: ['GET'],
        version,
        member: ID,
      });
    }
  });

  it('matches on the percent-decoded path', () => {
    assert.equal(matchImageRoute('/image/v1/images/%64etail')?.route, 'detail');
    assert.equal(matchImageRoute('/image/v1/images/a%2Fb'), undefined);
  });

  it('gives E17 to everything else, trailing slashes included', () => {
    for (const p of [
      `/image/v1/images/${ID}/`,
      '/image/v1/images/detail/',
      '/image/v1',
      '/image/v1/',
      '/image/v2/images',
      '/image/v1/nonexistent',
      '/image/v1.1/images',
      '/image/v1/images/a.b',
      '/image/versionsx',
      '/image/v1/images/%FF',
    ]) {
      assert.equal(matchImageRoute(p), undefined, p);
    }
  });
});

describe('list parameters (§5.2)', () => {
  const q = (s: string) => new Map(new URLSearchParams(s));
  it('defaults to created_at desc with no filters', () => {
    assert.deepEqual(parseListParameters(q('')), {
      sortKey: 'created_at',
      sortDir: 'desc',
      publicNone: false,
      properties: {},
    });
  });

  it('reads every filter', () => {
    const p = parseListParameters(
      q(
        'sort_key=name&sort_dir=asc&size_max=10&size_min=+1&min_ram=512&min_disk=0&is_public=FALSE&protected=1' +
          '&changes-since=2014-02-15T18:10:53Z&limit=20&marker=B2B17E9A8A2B406B973573A9EE589204&name=n&disk_format=raw' +
          '&container_format=bare&status=AVAILABLE&property-OS-Family=Linux&unknown=1',
      ),
    );
    assert.deepEqual(p, {
      sortKey: 'name',
      sortDir: 'asc',
      publicNone: false,
      isPublic: false,
      protected: true,
      sizeMax: 10,
      sizeMin: 1,
      minRam: 512,
      minDisk: 0,
      changesSince: 1392487853_000000,
      limit: 20,
      marker: 'b2b17e9a-8a2b-406b-9735-73a9ee589204',
      name: 'n',
      diskFormat: 'raw',
      containerFormat: 'bare',
      status: 'available',
      properties: { os_family: 'Linux' },
    });
    assert.equal(parseListParameters(q('is_public=None')).publicNone, true);
  });

  it('validates in order with the spec messages', () => {
    const cases: [string, string][] = [
      ['sort_key=foo&sort_dir=up', "Invalid 'sort_key'"],
      ['sort_dir=up&size_max=x', "Invalid 'sort_dir'"],
      ['sort_dir=ASC', "Invalid 'sort_dir'"],
      ['size_max=', 'Malformed request.'],
      ['size_min=abc', 'Malformed request.'],
      ['min_ram=1.5', 'Malformed request.'],
      ['min_disk=x&is_public=x', 'Malformed request.'],
      ['is_public=maybe', 'is_public must be None, True, or False'],
      ['protected=none', 'protected must be True, or False'],
      ['changes-since=yesterday', 'Unrecognized changes-since value'],
      ['changes-since=2014-02-30', 'Unrecognized changes-since value'],
      ['limit=ten', 'limit param must be an integer'],
      ['limit=1e3', 'limit param must be an integer'],
      ['limit=-1', 'limit param must be positive'],
      ['marker=not-a-uuid', 'Invalid marker format'],
    ];
    for (const [query, message] of cases)
      assert.equal(
        failure(() => parseListParameters(q(query))),
        `400 ${message}`,
        query,
      );
    assert.equal(parseListParameters(q('limit=0')).limit, 0);
  });

  it('parses ISO 8601 dates and times to microseconds', () => {
    assert.equal(parseIsoMicros('2014-02-15'), Date.UTC(2014, 1, 15) * 1000);
    assert.equal(parseIsoMicros('2014-02-15 18:10:53.863673'), 1392487853_863673);
    assert.equal(parseIsoMicros('2014-02-15T20:10:53+02:00'), 1392487853_000000);
    assert.equal(parseIsoMicros('2014-02-15T16:10:53-0200'), 1392487853_000000);
    assert.equal(parseIsoMicros('2014-02-15T18:10'), 1392487800_000000);
    for (const bad of ['', '2014', '2014-13-01', '2014-02-15T25:00:00', '2014-02-15X18:10:53', 'now'])
      assert.equal(parseIsoMicros(bad), null, bad);
  });
});

describe('members body (§5.9)', () => {
  const B = 'b2b2b2b2-0000-4000-8000-000000000002';
  it('reads member ids in canonical form, keeping * and duplicates for the service to drop', () => {
    assert.deepEqual(
      parseMemberships({
        memberships: [{ member_id: B.toUpperCase(), can_share: true }, { member_id: '*' }, { member_id: B }],
      }),
      [B, '*', B],
    );
    assert.deepEqual(parseMemberships({ memberships: [] }), []);
  });

  it('rejects bad documents with the spec messages, in order', () => {
    const cases: [unknown, string][] = [
      [[], "Malformed request. Missing attribute 'memberships'."],
      [{}, "Malformed request. Missing attribute 'memberships'."],
      [{ memberships: null }, "Malformed request. Missing attribute 'memberships'."],
      [{ memberships: 1 }, "Malformed request. Invalid 'memberships' field"],
      [{ memberships: [1] }, "Invalid 'memberships' field"],
      [{ memberships: [{ member_id: 'x' }, 1] }, "Invalid 'memberships' field"],
      [{ memberships: [{}] }, "Malformed request. Missing attribute 'member_id'."],
      [
        { memberships: [{ member_id: 'bad' }, { member_id: null }] },
        "Malformed request. Missing attribute 'member_id'.",
      ],
      [{ memberships: [{ member_id: 'bad' }] }, "Invalid member id 'bad'"],
      [{ memberships: [{ member_id: 5 }] }, "Invalid member id '5'"],
    ];
    for (const [doc, message] of cases)
      assert.equal(
        failure(() => parseMemberships(doc)),
        `400 ${message}`,
        JSON.stringify(doc),
      );
  });
});

describe('request checks in the order of §5.3 and §5.6', () => {
  const meta = (...pairs: [string, string][]) => readImageHeaders(raw(...pairs));
  const create = (data: DataDeclaration, ...pairs: [string, string][]) =>
    checkCreateRequest(meta(...pairs), data, LIMITS);
  const LOC: [string, string] = ['X-Image-Meta-Location', `pithos://${OWNER}/images/disk.img`];
  const NAME: [string, string] = ['X-Image-Meta-Name', 'n'];

  it('picks the mode from the location and the data', () => {
    assert.equal(create(NO_DATA, NAME, LOC).mode, 'register');
    assert.equal(create({ present: true }, NAME).mode, 'upload');
    assert.equal(create(NO_DATA, NAME).mode, 'reserve');
    assert.equal(
      failure(() => create({ present: true }, NAME, LOC)),
      "400 It's invalid to provide multiple image sources.",
    );
  });

  it('reports the first failure (T1.x, S11)', () => {
    const cases: [[string, string][], string][] = [
      [[LOC], "Image 'name' parameter is required"],
      [[['X-Image-Meta-Name', ''], LOC], 'Invalid image name'],
      [[NAME, ['X-Image-Meta-Location', '']], "Invalid location ''"],
      [[NAME, ['X-Image-Meta-Location', 'pitho://u/images/foo']], "Invalid location 'pitho://u/images/foo'"],
      [[NAME, ['X-Image-Meta-Location', 'pithos://u/foo']], "Invalid location 'pithos://u/foo'"],
      [[NAME, LOC, ['X-Image-Meta-Id', '1234']], 'Invalid image id'],
      [[NAME, LOC, ['X-Image-Meta-Lolo', '1234']], 'Invalid parameters'],
      [[NAME, LOC, ['X-Image-Meta-Status', 'x']], 'Invalid parameters'],
      [[NAME, LOC, ['X-Image-Meta-Property-', 'x']], 'Invalid parameters'],
      [[NAME, LOC, ['X-Image-Meta-Store', 'pitho']], "Invalid store 'pitho'. Only 'pithos' store is supported"],
      [[NAME, LOC, ['X-Image-Meta-Disk-Format', 'diskdumpp']], "Invalid disk format 'diskdumpp'"],
      [[NAME, LOC, ['X-Image-Meta-Container-Format', 'baree']], "Invalid container format 'baree'"],
      [[NAME, LOC, ['X-Image-Meta-Size', 'foo'], ['X-Image-Meta-Checksum', 'bad']], "Invalid 'size' field"],
      [[NAME, LOC, ['X-Image-Meta-Size', '42'], ['X-Image-Meta-Checksum', 'wrong_checksum']], 'Invalid checksum field'],
      [[NAME, LOC, ['X-Image-Meta-Min-Ram', '-1']], "Invalid 'min_ram' field"],
      [[NAME, LOC, ['X-Image-Meta-Min-Disk', 'x']], "Invalid 'min_disk' field"],
      [
        [NAME, LOC, [`X-Image-Meta-Property-${'k'.repeat(94)}`, 'v']],
        'Metadata keys should be less than 111 characters',
      ],
      [
        [NAME, LOC, ['X-Image-Meta-Property-K', 'v'.repeat(257)]],
        'Metadata values should be less than 256 characters.',
      ],
      [[['X-Image-Meta-Name', '☂'.repeat(257)], LOC], 'Metadata values should be less than 256 characters.'],
      [
        [NAME, LOC, ...Array.from({ length: 29 }, (_, i): [string, string] => [`X-Image-Meta-Property-P${i}`, 'v'])],
        'Pithos+ resources cannot have more than 32 metadata items per domain',
      ],
      [[NAME, ['X-Image-Meta-Size', '1001']], 'Denying attempt to upload image larger than 1000 bytes.'],
      [[NAME, LOC, ['x-glance-api-copy-from', 'http://x']], 'External sources are not supported'],
    ];
    for (const [pairs, message] of cases)
      assert.equal(
        failure(() => create(NO_DATA, ...pairs)),
        `400 ${message}`,
        JSON.stringify(pairs).slice(0, 120),
      );
  });

  it('allows 93-character keys, 256-character values and 28 properties; drops empty values', () => {
    const r = create(
      NO_DATA,
      NAME,
      LOC,
      [`X-Image-Meta-Property-${'k'.repeat(93)}`, 'v'.repeat(256)],
      ['X-Image-Meta-Property-Empty', ''],
      ...Array.from({ length: 27 }, (_, i): [string, string] => [`X-Image-Meta-Property-P${i}`, '☂']),
    );
    assert.equal(Object.keys(r.properties).length, 28);
    assert.equal('empty' in r.properties, false);
  });

  it('reads typed values', () => {
    const r = create(
      NO_DATA,
      NAME,
      LOC,
      ['X-Image-Meta-Id', 'B2B17E9A8A2B406B973573A9EE589204'],
      ['X-Image-Meta-Store', 'pithos'],
      ['X-Image-Meta-Size', '42'],
      ['X-Image-Meta-Checksum', 'A'.repeat(64)],
      ['X-Image-Meta-Is-Public', 'True'],
      ['X-Image-Meta-Protected', 'None'],
      ['X-Image-Meta-Min-Ram', '512'],
      ['X-Image-Meta-Owner', `${OWNER} (alice)`],
    );
    assert.equal(r.id, 'b2b17e9a-8a2b-406b-9735-73a9ee589204');
    assert.equal(r.size, 42);
    assert.equal(r.checksum, 'a'.repeat(64));
    assert.deepEqual(r.attributes, { name: 'n', isPublic: true, minRam: 512 });
    assert.equal(r.owner, `${OWNER} (alice)`);
  });

  it('checks an upload declaration last (step 12)', () => {
    assert.equal(
      failure(() => create({ present: true, mediaType: 'text/plain' }, NAME)),
      '400 Content-Type must be application/octet-stream',
    );
    assert.equal(
      failure(() => create({ present: true, contentLength: 5 }, NAME, ['X-Image-Meta-Size', '6'])),
      "400 Invalid 'size' field",
    );
    assert.equal(
      failure(() => create({ present: true, contentLength: 1001 }, NAME)),
      '400 Denying attempt to upload image larger than 1000 bytes.',
    );
    assert.equal(
      create({ present: true, mediaType: 'application/octet-stream', contentLength: 6 }, NAME, [
        'X-Image-Meta-Size',
        '6',
      ]).size,
      6,
    );
  });

  it('checks updates with their own messages (§5.6, S15, S29)', () => {
    const update = (...pairs: [string, string][]) => checkUpdateRequest(meta(...pairs), LIMITS);
    for (const field of [
      'Location',
      'Id',
      'Store',
      'Created-At',
      'Deleted',
      'Is-Snapshot',
      'Description',
      'Copy-From',
      'Properties',
      'Lolo',
    ]) {
      assert.equal(
        failure(() => update([`X-Image-Meta-${field}`, 'x'])),
        '400 Invalid metadata',
        field,
      );
    }
    assert.equal(
      failure(() => update(['X-Image-Meta-Property-', 'x'])),
      '400 Invalid metadata',
    );
    assert.equal(
      failure(() => update(['x-glance-api-copy-from', 'x'])),
      '400 External sources are not supported',
    );
    assert.equal(
      failure(() => update(['X-Image-Meta-Name', ''])),
      '400 Invalid image name',
    );
    assert.equal(
      failure(() => update(['X-Image-Meta-Disk-Format', ''])),
      "400 Invalid disk format ''",
    );
    const r = update(
      ['X-Image-Meta-Property-Foo', ''],
      ['X-Image-Meta-Property-Bar', 'b'],
      ['X-Image-Meta-Status', 'AVAILABLE'],
      ['X-Image-Meta-Owner', 'x'],
      ['X-Image-Meta-Is-Public', 'false'],
    );
    assert.deepEqual(r.setProperties, { bar: 'b' });
    assert.deepEqual(r.deleteProperties, ['foo']);
    assert.equal(r.status, 'AVAILABLE');
    assert.deepEqual(r.attributes, { isPublic: false });
  });
});
