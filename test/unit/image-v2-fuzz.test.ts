/**
 * Property-based checks of the pure v2 parsers: whatever arrives (random query strings, JSON and
 * json-patch bodies, paths, raw bytes), they either return a value or throw a `V2Error` with a
 * documented 4xx — never another exception (which the server would turn into a 500). FUZZ_RUNS
 * sets the cases per property (default 1000).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { V2Error } from '../../src/api/image/v2/faults.ts';
import { parseImageCreate } from '../../src/api/image/v2/image-create.ts';
import { parseImagePatch, planImageChanges } from '../../src/api/image/v2/image-patch.ts';
import { listLinks } from '../../src/api/image/v2/links.ts';
import { parseListQuery } from '../../src/api/image/v2/list-query.ts';
import { parseImportRequest, parseMemberCreate, parseMemberStatus } from '../../src/api/image/v2/request-bodies.ts';
import { resolveV2Route } from '../../src/api/image/v2/routes.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const FORMATS = { diskFormats: ['diskdump', 'raw'], containerFormats: ['bare'] };
const ME = { projectId: 'a1a1a1a1-0000-4000-8000-000000000001', isAdmin: false };

/** Runs `fn`; a V2Error must be a 4xx; anything else fails the property. */
function only4xx(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof V2Error, `not a V2Error: ${String((err as Error)?.stack ?? err)}`);
    assert.ok(err.status >= 400 && err.status < 500, `status ${err.status}`);
    assert.ok(err.message.length > 0);
  }
}

const KEYS = [
  'limit',
  'marker',
  'member_status',
  'tag',
  'sort',
  'sort_key',
  'sort_dir',
  'visibility',
  'changes-since',
  'os_hidden',
  'protected',
  'size_min',
  'size_max',
  'created_at',
  'updated_at',
  'name',
  'id',
  'status',
  'container_format',
  'disk_format',
  'owner',
  'os_distro',
  '__proto__',
  'constructor',
  '',
];
const VALUES = [
  '',
  'in:a,"b,c"',
  'in:"a',
  'gt:2016-12-13T01:02:03Z',
  'eq:',
  ':',
  'name:asc,size',
  'asc',
  'true',
  'False',
  '-1',
  '1e3',
  '99999999999999999999',
  'all',
  'shared',
  'pending',
  '"',
  '\\"',
  '%zz',
  '+',
  'fa40530a-5708-4c66-b6d4-af8887504577',
];
const queryValue = fc.oneof(
  fc.constantFrom(...VALUES),
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 6, unit: 'binary' }),
);
const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), queryValue), {
  maxLength: 8,
});

const PATHS = [
  '/name',
  '/tags',
  '/tags/-',
  '/visibility',
  '/protected',
  '/os_hidden',
  '/min_ram',
  '/disk_format',
  '/owner',
  '/id',
  '/locations',
  '/locations/0',
  '/os_glance_x',
  '/k',
  '/a~1b',
  '/a~2',
  '//',
  '/',
  'name',
  '/__proto__',
];
const jsonValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('raw', 'shared', 'x'.repeat(300), -1, 2 ** 31, 1.5, ['t'], null),
);
const operation = fc.oneof(
  fc.record(
    {
      op: fc.constantFrom('add', 'remove', 'replace', 'move', 'test'),
      path: fc.oneof(fc.constantFrom(...PATHS), jsonValue),
      value: jsonValue,
    },
    { requiredKeys: [] },
  ),
  fc.dictionary(
    fc.constantFrom('add', 'remove', 'replace', 'value', 'op', 'path'),
    fc.oneof(fc.constantFrom(...PATHS), jsonValue),
  ),
  jsonValue,
);
const patchBody = fc.oneof(
  fc.array(operation, { maxLength: 6 }).map((ops) => JSON.stringify(ops)),
  fc.string({ maxLength: 20 }),
);
const createBody = fc.oneof(
  fc
    .dictionary(
      fc.oneof(
        fc.constantFrom(
          'name',
          'visibility',
          'tags',
          'protected',
          'min_ram',
          'disk_format',
          'owner',
          'id',
          'status',
          'self',
          'locations',
          'os_glance_x',
          '__proto__',
          'os_distro',
        ),
        fc.string({ maxLength: 5 }),
      ),
      jsonValue,
      { maxKeys: 8 },
    )
    .map((o) => JSON.stringify(o)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 20 }),
);

describe('v2 parsers under random input', () => {
  it('list query and links', () => {
    fc.assert(
      fc.property(query, (pairs) => {
        const params = new URLSearchParams(pairs);
        only4xx(() => parseListQuery(params));
        const links = listLinks(params, 'm');
        assert.ok(links.first.startsWith('/v2/images'));
        assert.ok(links.next!.startsWith('/v2/images?') && links.next!.endsWith('marker=m'));
      }),
      { numRuns: RUNS },
    );
  });

  it('raw query strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (raw) => only4xx(() => parseListQuery(raw))),
      { numRuns: RUNS },
    );
  });

  it('PATCH bodies, both media types, then the plan', () => {
    const types = [
      'application/openstack-images-v2.1-json-patch',
      'application/openstack-images-v2.0-json-patch',
      'application/json',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        patchBody,
        fc.constantFrom('queued', 'active') as fc.Arbitrary<'queued' | 'active'>,
        (type, body, status) =>
          only4xx(() => {
            const patch = parseImagePatch(type, body, FORMATS);
            planImageChanges(
              patch,
              {
                status,
                diskFormat: 'raw',
                containerFormat: null,
                owner: ME.projectId,
                tags: [],
                properties: { k: 'v' },
              },
              ME,
            );
          }),
      ),
      { numRuns: RUNS },
    );
  });

  it('create, member and import bodies', () => {
    fc.assert(
      fc.property(createBody, (body) => {
        only4xx(() => parseImageCreate(body, FORMATS, ME));
        only4xx(() => parseMemberCreate(body));
        only4xx(() => parseMemberStatus(body));
        only4xx(() => parseImportRequest(body, ['glance-direct']));
      }),
      { numRuns: RUNS },
    );
  });

  it('paths and methods', () => {
    const seg = fc.oneof(
      fc.constantFrom(
        'images',
        'members',
        'tags',
        'actions',
        'file',
        'schemas',
        'info',
        'import',
        '%zz',
        '%2F',
        '',
        'x',
      ),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(
      fc.property(
        fc.array(seg, { maxLength: 5 }),
        fc.constantFrom('GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'),
        (segs, method) => {
          only4xx(() => resolveV2Route(method, `/${segs.join('/')}`));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
