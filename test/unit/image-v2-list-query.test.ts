/**
 * `GET /v2/images` query parsing (openstack.md §4.3) and the `first`/`next`/`schema` links (§1
 * item 7), including every query string the traced clients send (§4.3 "Client usage", §6).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { V2Error, type V2FaultKind } from '../../src/api/image/v2/faults.ts';
import { listLinks, nextMarkerOf, formEncode } from '../../src/api/image/v2/links.ts';
import { parseIsoMicros, parseListQuery, splitInList } from '../../src/api/image/v2/list-query.ts';

function expectError(fn: () => unknown, message: string, kind: V2FaultKind = 'badRequest') {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof V2Error, String(err));
    assert.equal(err.status, 400);
    assert.equal(err.kind, kind);
    assert.equal(err.message, message);
    return true;
  });
}

const ID = 'fa40530a-5708-4c66-b6d4-af8887504577';
const DEFAULT_SORT = [
  { key: 'created_at', dir: 'desc' },
  { key: 'id', dir: 'desc' },
];

describe('list query: defaults and the traced client queries', () => {
  it('empty query (openstackclient image list)', () => {
    assert.deepEqual(parseListQuery(''), {
      limit: 25,
      sort: DEFAULT_SORT,
      memberStatus: 'accepted',
      osHidden: false,
      tags: [],
      properties: {},
    });
  });

  it('glanceclient image-list: limit=200&sort_key=name&sort_dir=asc, then next with marker', () => {
    const f = parseListQuery(`?limit=200&sort_key=name&sort_dir=asc&marker=${ID.toUpperCase()}`);
    assert.equal(f.limit, 200);
    assert.equal(f.marker, ID);
    assert.deepEqual(f.sort, [
      { key: 'name', dir: 'asc' },
      { key: 'created_at', dir: 'asc' },
      { key: 'id', dir: 'asc' },
    ]);
  });

  it('glanceclient filters: visibility, member_status, owner, property, tag, sort=', () => {
    const f = parseListQuery('visibility=shared&member_status=pending&owner=x&os_distro=u&limit=1&tag=t&sort=name:asc');
    assert.deepEqual(f, {
      limit: 1,
      sort: [
        { key: 'name', dir: 'asc' },
        { key: 'created_at', dir: 'asc' },
        { key: 'id', dir: 'asc' },
      ],
      memberStatus: 'pending',
      osHidden: false,
      tags: ['t'],
      properties: { os_distro: 'u' },
      visibility: 'shared',
      owner: 'x',
    });
  });

  it('openstackclient: --public --limit --name --status --tag; openstacksdk os_hidden=True and names with spaces', () => {
    const f = parseListQuery('limit=1&name=img1b&visibility=public&status=active&tag=t2');
    assert.deepEqual(f.name, { op: 'eq', value: 'img1b' });
    assert.deepEqual(f.status, { op: 'eq', value: 'active' });
    assert.equal(f.visibility, 'public');
    assert.equal(parseListQuery('os_hidden=True').osHidden, true);
    assert.deepEqual(parseListQuery('name=a%2Fb+c').name, { op: 'eq', value: 'a/b c' });
  });

  it('gophercloud: created_at with an operator, size bounds, formats, id, sort', () => {
    const f = parseListQuery(
      'created_at=gt:2016-12-13T01:02:03Z&updated_at=lte:2016-12-14&size_min=1&size_max=+20' +
        '&container_format=bare&disk_format=in:raw,qcow2&id=in:a,"b,c"&sort=size:desc,name',
    );
    assert.deepEqual(f.createdAt, { op: 'gt', at: Date.UTC(2016, 11, 13, 1, 2, 3) * 1000 });
    assert.deepEqual(f.updatedAt, { op: 'lte', at: Date.UTC(2016, 11, 14) * 1000 });
    assert.equal(f.sizeMin, 1);
    assert.equal(f.sizeMax, 20);
    assert.deepEqual(f.containerFormat, { op: 'eq', value: 'bare' });
    assert.deepEqual(f.diskFormat, { op: 'in', values: ['raw', 'qcow2'] });
    assert.deepEqual(f.id, { op: 'in', values: ['a', 'b,c'] });
    assert.deepEqual(f.sort, [
      { key: 'size', dir: 'desc' },
      { key: 'name', dir: 'desc' },
      { key: 'created_at', dir: 'desc' },
      { key: 'id', dir: 'desc' },
    ]);
  });

  it('a whole ISO time is an equality, not an operator', () => {
    assert.deepEqual(parseListQuery('created_at=2016-12-13T01:02:03Z').createdAt, {
      op: 'eq',
      at: Date.UTC(2016, 11, 13, 1, 2, 3) * 1000,
    });
    assert.deepEqual(parseListQuery('name=2016-12-13T01:02:03Z').name, { op: 'eq', value: '2016-12-13T01:02:03Z' });
    assert.deepEqual(parseListQuery('name=eq:a:b').name, { op: 'eq', value: 'a:b' });
  });

  it('repeated tags, sort keys and dirs; last value of single keys; custom properties verbatim', () => {
    const f = parseListQuery(
      'tag=a&tag=+b+&sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc&name=x&name=y&hw_disk_bus=scsi&owner_specified.openstack.md5=',
    );
    assert.deepEqual(f.tags, ['a', 'b']);
    assert.deepEqual(f.sort, [
      { key: 'name', dir: 'asc' },
      { key: 'size', dir: 'desc' },
      { key: 'created_at', dir: 'desc' },
      { key: 'id', dir: 'desc' },
    ]);
    assert.deepEqual(f.name, { op: 'eq', value: 'y' });
    assert.deepEqual(f.properties, { hw_disk_bus: 'scsi', 'owner_specified.openstack.md5': '' });
    assert.deepEqual(parseListQuery('__proto__=x').properties, JSON.parse('{"__proto__":"x"}'));
  });

  it('visibility all, member_status all, protected, os_hidden, checksum, os_hash_value; deleted is ignored', () => {
    const f = parseListQuery(
      'visibility=all&member_status=all&protected=false&os_hidden=FALSE&checksum=c&os_hash_value=h&deleted=true',
    );
    assert.equal(f.visibility, 'all');
    assert.equal(f.memberStatus, 'all');
    assert.equal(f.protected, false);
    assert.equal(f.osHidden, false);
    assert.equal(f.checksum, 'c');
    assert.equal(f.osHashValue, 'h');
    assert.deepEqual(f.properties, {});
  });

  it('limit: default 25, capped at 1000, options change both, 0 allowed', () => {
    assert.equal(parseListQuery('limit=5000').limit, 1000);
    assert.equal(parseListQuery('limit=99999999999999999999999').limit, 1000);
    assert.equal(parseListQuery('limit=0').limit, 0);
    assert.equal(parseListQuery('limit= 7 ').limit, 7);
    assert.equal(parseListQuery('', { defaultLimit: 10 }).limit, 10);
    assert.equal(parseListQuery('limit=50', { maxLimit: 20 }).limit, 20);
    assert.equal(parseListQuery(new URLSearchParams([['limit', '3']])).limit, 3);
  });
});

describe("list query: 400s with Glance's messages", () => {
  const cases: [string, string, V2FaultKind?][] = [
    ['limit=x', 'limit param must be an integer'],
    ['limit=', 'limit param must be an integer'],
    ['limit=1.5', 'limit param must be an integer'],
    ['limit=-1', 'limit param must be positive'],
    ['visibility=bogus', 'Invalid visibility value: bogus'],
    ['visibility=', 'Invalid visibility value: '],
    ['member_status=maybe', 'Invalid status: maybe'],
    ['changes-since=2016-01-01', 'The "changes-since" filter is no longer available on v2.'],
    [
      'sort_key=owner',
      'Invalid sort key: owner. It must be one of the following: name, status, container_format, disk_format, size, id, created_at, updated_at.',
    ],
    ['sort=name:up', 'Invalid sort direction: up'],
    [
      'sort=',
      'Invalid sort key: . It must be one of the following: name, status, container_format, disk_format, size, id, created_at, updated_at.',
    ],
    ['sort_dir=sideways', 'Invalid sort direction: sideways'],
    ['sort=name&sort_key=size', 'Old and new sorting syntax cannot be combined'],
    ['sort=name&sort_dir=asc', 'Old and new sorting syntax cannot be combined'],
    [
      'sort_key=name&sort_key=size&sort_key=id&sort_dir=asc&sort_dir=desc',
      'Number of sort dirs does not match the number of sort keys',
    ],
    ['sort_dir=asc&sort_dir=desc', 'Number of sort dirs does not match the number of sort keys'],
    ['os_hidden=yes', "Invalid value 'yes' for 'os_hidden' filter. Valid values are 'true' or 'false'."],
    ['protected=True', "Invalid value 'True' for 'protected' filter. Valid values are 'true' or 'false'."],
    ['size_min=ten', 'Unable to filter on a range with a non-numeric value.'],
    ['size_max=1e3', 'Unable to filter on a range with a non-numeric value.'],
    ['created_at=yesterday', 'Bad "created_at" query filter format. Use ISO 8601 DateTime notation.'],
    ['updated_at=gt:2016-02-30', 'Bad "updated_at" query filter format. Use ISO 8601 DateTime notation.'],
    ['created_at=after:2016-01-01', 'Unable to filter on a unknown operator.'],
    ['name=like:x', "Unable to filter by unknown operator 'like'."],
    ['status=neq:active', "Unable to filter by unknown operator 'neq'."],
    ['name=in:a,b"c"', 'Invalid filter value a,b"c". There is no comma before opening quotation mark.'],
    ['name=in:"a"b', 'Invalid filter value "a"b. There is no comma after closing quotation mark.'],
    ['name=in:"a', 'Invalid filter value "a. The quote is not closed.'],
    ['marker=not-a-uuid', 'No image found with ID not-a-uuid', 'markerNotFound'],
  ];
  for (const [query, message, kind] of cases) it(query, () => expectError(() => parseListQuery(query), message, kind));

  it("checks run in Glance's order: deserializer, controller, database", () => {
    expectError(() => parseListQuery('os_hidden=x&limit=x&visibility=x'), 'Invalid visibility value: x');
    expectError(() => parseListQuery('os_hidden=x&limit=x'), 'limit param must be an integer');
    expectError(
      () => parseListQuery('size_min=x&os_hidden=x'),
      "Invalid value 'x' for 'os_hidden' filter. Valid values are 'true' or 'false'.",
    );
  });
});

describe('in: lists and ISO times', () => {
  it('splitInList', () => {
    assert.deepEqual(splitInList('a,b'), ['a', 'b']);
    assert.deepEqual(splitInList('"a,b",c'), ['a,b', 'c']);
    assert.deepEqual(splitInList('a,,b'), ['a', '', 'b']);
    assert.deepEqual(splitInList('"x\\"y",z'), ['x\\"y', 'z']);
    assert.deepEqual(splitInList(''), []);
  });
  it('parseIsoMicros', () => {
    assert.equal(parseIsoMicros('2016-12-13T01:02:03.5+01:00'), Date.UTC(2016, 11, 13, 0, 2, 3) * 1000 + 500_000);
    assert.equal(parseIsoMicros('2016-12-13 01:02:03-0130'), Date.UTC(2016, 11, 13, 2, 32, 3) * 1000);
    assert.equal(parseIsoMicros('2016-12-13T01:02'), Date.UTC(2016, 11, 13, 1, 2) * 1000);
    for (const bad of [
      '2016-13-01',
      '2016-02-30',
      '2016-12-13T25:00:00Z',
      'yesterday',
      '',
      '2016-12-13T01:02:03+24:00',
    ]) {
      assert.equal(parseIsoMicros(bad), null, bad);
    }
  });
});

describe('list links', () => {
  it('first without marker, next with marker at the end, schema', () => {
    assert.deepEqual(listLinks('', undefined), { first: '/v2/images', schema: '/v2/schemas/images' });
    assert.deepEqual(listLinks('?limit=2', ID), {
      first: '/v2/images?limit=2',
      next: `/v2/images?limit=2&marker=${ID}`,
      schema: '/v2/schemas/images',
    });
    // glanceclient's page after page: the old marker is dropped, the new one appended.
    assert.deepEqual(listLinks(`limit=1&marker=${ID}&sort_key=name&sort_dir=asc`, 'b'), {
      first: '/v2/images?limit=1&sort_key=name&sort_dir=asc',
      next: '/v2/images?limit=1&sort_key=name&sort_dir=asc&marker=b',
      schema: '/v2/schemas/images',
    });
  });

  it('keeps repeated keys and encodes like Python urlencode', () => {
    const links = listLinks('tag=a&tag=b%20c&name=x%2By&sort=name:asc,size&p=%C3%A9~', 'm');
    assert.equal(links.first, '/v2/images?tag=a&tag=b+c&name=x%2By&sort=name%3Aasc%2Csize&p=%C3%A9~');
    assert.equal(links.next, `${links.first}&marker=m`);
    assert.equal(formEncode('a b/c'), 'a+b%2Fc');
    // The next link, parsed again, gives the same filter plus the marker.
    assert.deepEqual(new URLSearchParams(links.next!.split('?')[1]).getAll('tag'), ['a', 'b c']);
  });

  it('next only when the page is full and not empty', () => {
    assert.equal(nextMarkerOf(['a', 'b'], 2), 'b');
    assert.equal(nextMarkerOf(['a'], 2), undefined);
    assert.equal(nextMarkerOf([], 0), undefined);
  });
});
