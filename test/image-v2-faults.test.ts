/**
 * Every 4xx of openstack.md Appendix A, over HTTP against the real server, each with its exact
 * status, fault name, message and headers, and the JSON fault body
 * `{"<fault>": {"code", "message", "details": ""}}` glanceclient and openstacksdk parse (§1 item 14).
 * Import (stage, import method and state faults) is issue 12's import work: test/image-v2-import.test.ts.
 * A format mismatch or unsafe content (415) arrives with the inspector in uploads (issue 13).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const V2 = '/image/v2';
const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';
const ACCEPT_PATCH = 'application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch';
const UNKNOWN = '0b6f2a4e-1f6c-4a57-9c3e-2b7d9f0c1a55';
/** A small size cap, so the 413 needs no big upload. */
const SIZE_CAP = 4096;

interface Expected {
  readonly status: number;
  readonly fault: string;
  readonly message: string;
  readonly headers?: Record<string, string>;
}

/** Exact status, JSON content type, exactly one fault with code, message and empty details, and headers. */
async function assertFault(r: Response, want: Expected, what: string): Promise<void> {
  const text = await r.text();
  assert.equal(r.status, want.status, `${what}: ${text}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/, what);
  assert.deepEqual(
    JSON.parse(text),
    { [want.fault]: { code: want.status, message: want.message, details: '' } },
    `${what}: ${text}`,
  );
  for (const [k, v] of Object.entries(want.headers ?? {})) assert.equal(r.headers.get(k), v, `${what}: header ${k}`);
}

for (const dialect of DIALECTS) {
  describe(`image API v2 faults, Appendix A [${dialect}]`, () => {
    let s: TestServer;
    let A: TestUser;
    let B: TestUser;
    let admin: TestUser;

    const call = (
      user: TestUser | string | undefined,
      method: string,
      path: string,
      init: { body?: unknown; type?: string; raw?: string } = {},
    ) => {
      const headers: Record<string, string> = {};
      let body: BodyInit | undefined;
      if (init.raw !== undefined) body = init.raw;
      else if (Buffer.isBuffer(init.body)) body = new Uint8Array(init.body);
      else if (init.body !== undefined) body = JSON.stringify(init.body);
      if (body !== undefined) headers['Content-Type'] = init.type ?? 'application/json';
      const token = typeof user === 'string' ? user : user?.token;
      return s.fetch(V2 + path, { method, headers, body, token });
    };
    const create = async (user: TestUser, body: Record<string, unknown> = {}) => {
      const r = await call(user, 'POST', '/images', {
        body: { name: 'img', disk_format: 'raw', container_format: 'bare', ...body },
      });
      assert.equal(r.status, 201, await r.clone().text());
      return ((await r.json()) as { id: string }).id;
    };
    const upload = async (user: TestUser, id: string, data = Buffer.from('some image data')) => {
      const r = await call(user, 'PUT', `/images/${id}/file`, { body: data, type: 'application/octet-stream' });
      assert.equal(r.status, 204, await r.clone().text());
    };
    const patch = (user: TestUser, id: string, ops: unknown) =>
      call(user, 'PATCH', `/images/${id}`, { body: ops, type: PATCH_TYPE });
    const ok = async (r: Response | Promise<Response>, status: number) => {
      const res = await r;
      assert.equal(res.status, status, await res.clone().text());
    };

    before(async () => {
      s = await startTestServer(dialect, { imageSizeCap: String(SIZE_CAP) });
      A = await s.user('alice-faults@example.org');
      B = await s.user('bob-faults@example.org');
      admin = await s.user('root-faults@example.org', { admin: true });
    });
    after(() => s.close());

    it('401 unauthorized: no token, an unknown token', async () => {
      await assertFault(
        await call(undefined, 'GET', '/images'),
        { status: 401, fault: 'unauthorized', message: 'Access denied. No authentication token' },
        'no token',
      );
      await assertFault(
        await call('not-a-token', 'GET', `/images/${UNKNOWN}`),
        { status: 401, fault: 'unauthorized', message: 'Invalid token' },
        'bad token',
      );
    });

    it('404 itemNotFound: unknown, unreadable, non-UUID and extra-segment image paths, one reply', async () => {
      const privateToA = await create(A, { visibility: 'private' });
      const cases: [string, string][] = [
        [`/images/${UNKNOWN}`, UNKNOWN],
        [`/images/${privateToA}`, privateToA],
        ['/images/not-a-uuid', 'not-a-uuid'],
        ['/images/a%20b', 'a b'],
        [`/images/${UNKNOWN}/file`, UNKNOWN],
        [`/images/${privateToA}/members`, privateToA],
      ];
      for (const [path, id] of cases) {
        await assertFault(
          await call(B, 'GET', path),
          { status: 404, fault: 'itemNotFound', message: `No image found with ID ${id}` },
          path,
        );
      }
      await assertFault(
        await call(B, 'GET', '/images/a/b'),
        { status: 404, fault: 'itemNotFound', message: 'No image found with ID a/b' },
        'extra segment',
      );
    });

    it('403 read-only and reserved attributes on create and PATCH', async () => {
      // Values the schema accepts: a schema violation is checked first (400, Glance's order, §4.2).
      const readOnly: Record<string, unknown> = {
        status: 'active',
        checksum: 'd41d8cd98f00b204e9800998ecf8427e',
        size: 5,
        virtual_size: 5,
        os_hash_value: 'abc',
        created_at: '2020-01-01T00:00:00Z',
        self: '/v2/images/x',
        file: '/v2/images/x/file',
        schema: '/v2/schemas/image',
        direct_url: 'pithos://x',
        stores: 'default',
      };
      for (const [key, value] of Object.entries(readOnly)) {
        await assertFault(
          await call(A, 'POST', '/images', { body: { name: 'x', [key]: value } }),
          { status: 403, fault: 'forbidden', message: `Attribute '${key}' is read-only.` },
          `create ${key}`,
        );
      }
      const id = await create(A);
      for (const key of ['checksum', 'id', 'os_hash_value', 'updated_at']) {
        await assertFault(
          await patch(A, id, [{ op: 'replace', path: `/${key}`, value: 'v' }]),
          { status: 403, fault: 'forbidden', message: `Attribute '${key}' is read-only.` },
          `patch ${key}`,
        );
      }
      for (const key of ['os_glance_import_task', 'location', 'deleted']) {
        await assertFault(
          await call(A, 'POST', '/images', { body: { name: 'x', [key]: 'v' } }),
          { status: 403, fault: 'forbidden', message: `Attribute '${key}' is reserved.` },
          `create ${key}`,
        );
        await assertFault(
          await patch(A, id, [{ op: 'add', path: `/${key}`, value: 'v' }]),
          { status: 403, fault: 'forbidden', message: `Attribute '${key}' is reserved.` },
          `patch ${key}`,
        );
      }
    });

    it('400 schema violations on create and PATCH (the jsonschema sentence)', async () => {
      const schema = (m: string) => ({
        status: 400,
        fault: 'badRequest',
        message: `Provided object does not match schema 'image': ${m}`,
      });
      await assertFault(
        await call(A, 'POST', '/images', { body: { protected: 'yes' } }),
        schema("'yes' is not of type 'boolean'"),
        'protected',
      );
      await assertFault(
        await call(A, 'POST', '/images', { body: { visibility: 'everyone' } }),
        schema("'everyone' is not one of ['community', 'public', 'private', 'shared']"),
        'visibility',
      );
      await assertFault(
        await call(A, 'POST', '/images', { body: { os_distro: 7 } }),
        schema("7 is not of type 'string'"),
        'custom property not a string',
      );
      const r = await call(A, 'POST', '/images', { body: { disk_format: 'floppy' } });
      assert.equal(r.status, 400);
      const { message } = ((await r.json()) as { badRequest: { message: string } }).badRequest;
      assert.match(message, /^Provided object does not match schema 'image': 'floppy' is not one of \[None, .*'raw'/);
      const id = await create(A);
      await assertFault(
        await patch(A, id, [{ op: 'replace', path: '/min_ram', value: 'lots' }]),
        schema("'lots' is not of type 'integer'"),
        'patch min_ram',
      );
      await assertFault(
        await call(A, 'POST', '/images', { raw: '{"name": ', type: 'application/json' }),
        { status: 400, fault: 'badRequest', message: 'Malformed JSON in request body.' },
        'malformed JSON',
      );
    });

    it('415 for a PATCH media type other than the json-patch ones, with Accept-Patch', async () => {
      const id = await create(A);
      for (const type of ['application/json', 'application/json-patch+json', 'text/plain']) {
        await assertFault(
          await call(A, 'PATCH', `/images/${id}`, { body: [], type }),
          {
            status: 415,
            fault: 'badMediaType',
            message: 'Unsupported Content-Type',
            headers: { 'accept-patch': ACCEPT_PATCH },
          },
          type,
        );
      }
    });

    it('400 PATCH body and pointer errors (Glance messages)', async () => {
      const id = await create(A);
      const cases: [unknown, string][] = [
        [{ op: 'add', path: '/name', value: 'x' }, 'Request body must be a JSON array of operation objects.'],
        [['add'], 'Operations must be JSON objects.'],
        [
          [{ op: 'move', path: '/name' }],
          'Invalid operation: `move`. It must be one of the following: add, remove, replace.',
        ],
        [
          [{ path: '/name', value: 'x' }],
          'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.',
        ],
        [[{ op: 'add', value: 'x' }], "Unable to find 'path' in JSON Schema change"],
        [[{ op: 'add', path: 'name', value: 'x' }], 'Pointer `name` does not start with "/".'],
        [[{ op: 'add', path: '/tags/-', value: 'x' }], "Invalid JSON pointer for this resource: '/tags/-'"],
        [
          [{ op: 'add', path: '/a~2b', value: 'x' }],
          'Pointer `/a~2b` contains "~" not part of a recognized escape sequence.',
        ],
        [[{ op: 'add', path: '/name' }], 'Operation "add" requires a member named "value".'],
      ];
      for (const [body, message] of cases) {
        await assertFault(
          await patch(A, id, body),
          { status: 400, fault: 'badRequest', message },
          JSON.stringify(body),
        );
      }
      await assertFault(
        await call(A, 'PATCH', `/images/${id}`, { raw: '[{', type: PATCH_TYPE }),
        { status: 400, fault: 'badRequest', message: 'Malformed JSON in request body.' },
        'malformed',
      );
    });

    it('409 replace/remove of a missing property; 403 removing a base attribute; atomic', async () => {
      const id = await create(A, { os_distro: 'debian' });
      await assertFault(
        await patch(A, id, [{ op: 'replace', path: '/hw_disk_bus', value: 'virtio' }]),
        { status: 409, fault: 'conflict', message: 'Property hw_disk_bus does not exist.' },
        'replace missing',
      );
      await assertFault(
        await patch(A, id, [
          { op: 'replace', path: '/name', value: 'changed' },
          { op: 'remove', path: '/hw_disk_bus' },
        ]),
        { status: 409, fault: 'conflict', message: 'Property hw_disk_bus does not exist.' },
        'remove missing',
      );
      await assertFault(
        await patch(A, id, [{ op: 'remove', path: '/name' }]),
        { status: 403, fault: 'forbidden', message: 'Property name may not be removed.' },
        'remove base',
      );
      const now = (await (await call(A, 'GET', `/images/${id}`)).json()) as { name: string };
      assert.equal(now.name, 'img', 'a refused patch changes nothing');
    });

    it('403 format change after queued', async () => {
      const id = await create(A);
      await upload(A, id);
      for (const attribute of ['disk_format', 'container_format']) {
        await assertFault(
          await patch(A, id, [
            { op: 'replace', path: `/${attribute}`, value: attribute === 'disk_format' ? 'qcow2' : 'ovf' },
          ]),
          {
            status: 403,
            fault: 'forbidden',
            message: `Attribute ${attribute} can be only replaced for a queued image.`,
          },
          attribute,
        );
      }
    });

    it('403 owner change by PATCH (Glance: admins only; Plankton: an image never changes owner)', async () => {
      const id = await create(A);
      await assertFault(
        await patch(A, id, [{ op: 'replace', path: '/owner', value: B.uuid }]),
        { status: 403, fault: 'forbidden', message: "Owner can't be updated by non admin." },
        'owner by the owner',
      );
      await assertFault(
        await patch(A, id, [{ op: 'add', path: '/owner', value: A.uuid }]),
        { status: 403, fault: 'forbidden', message: "Owner can't be updated by non admin." },
        'owner to itself',
      );
      const adminsOwn = await create(admin);
      await assertFault(
        await patch(admin, adminsOwn, [{ op: 'replace', path: '/owner', value: B.uuid }]),
        { status: 403, fault: 'forbidden', message: 'Moving an image to another owner is not supported.' },
        'owner by an admin',
      );
      // Creating an image for someone else is the same refusal (§4.2 step 6).
      await assertFault(
        await call(A, 'POST', '/images', { body: { name: 'x', owner: B.uuid } }),
        { status: 403, fault: 'forbidden', message: `You are not permitted to create images owned by '${B.uuid}'.` },
        'create for another owner',
      );
      const img = (await (await call(A, 'GET', `/images/${id}`)).json()) as { owner: string };
      assert.equal(img.owner, A.uuid);
      const own = (await (await call(admin, 'GET', `/images/${adminsOwn}`)).json()) as { owner: string };
      assert.equal(own.owner, admin.uuid);
    });

    it('upload: 409 not queued, 400 without formats, 415 wrong Content-Type, 413 over the size cap', async () => {
      const active = await create(A);
      await upload(A, active);
      await assertFault(
        await call(A, 'PUT', `/images/${active}/file`, { body: Buffer.from('x'), type: 'application/octet-stream' }),
        { status: 409, fault: 'conflict', message: 'Image status transition from active to saving is not allowed' },
        'not queued',
      );
      const bare = await create(A, { disk_format: null, container_format: null });
      await assertFault(
        await call(A, 'PUT', `/images/${bare}/file`, { body: Buffer.from('x'), type: 'application/octet-stream' }),
        {
          status: 400,
          fault: 'badRequest',
          message: 'Properties disk_format, container_format must be set prior to saving data.',
        },
        'no formats',
      );
      const queued = await create(A);
      await assertFault(
        await call(A, 'PUT', `/images/${queued}/file`, { body: Buffer.from('x'), type: 'application/json' }),
        { status: 415, fault: 'badMediaType', message: 'Unsupported Content-Type' },
        'wrong type',
      );
      await assertFault(
        await call(A, 'PUT', `/images/${queued}/file`, {
          body: Buffer.alloc(SIZE_CAP + 1, 7),
          type: 'application/octet-stream',
        }),
        {
          status: 413,
          fault: 'overLimit',
          message: `Image exceeds the storage quota: the limit is ${SIZE_CAP} bytes.`,
        },
        'over the size cap',
      );
      // Refused uploads leave the image queued (§4.7 step 6).
      const after = (await (await call(A, 'GET', `/images/${queued}`)).json()) as { status: string };
      assert.equal(after.status, 'queued');
    });

    it('415 for a format mismatch or unsafe content (Glance wording); the image back to queued, nothing kept', async () => {
      // Real qcow2 headers from qemu-img, cut to the size cap: the inspector reads only the header region.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v2-faults-'));
      try {
        const qemuImg = (...args: string[]) => execFileSync('qemu-img', args, { cwd: dir, stdio: 'pipe' });
        qemuImg('create', '-q', '-f', 'qcow2', 'plain.qcow2', '1M');
        qemuImg('create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', 'plain.qcow2', 'backed.qcow2');
        const head = (name: string) => fs.readFileSync(path.join(dir, name)).subarray(0, SIZE_CAP);
        const cases = [
          {
            what: 'disk_format mismatch',
            declared: 'vmdk',
            data: head('plain.qcow2'),
            message: 'Image disk_format vmdk does not match stream data qcow2',
          },
          {
            what: 'qcow2 with a backing file',
            declared: 'qcow2',
            data: head('backed.qcow2'),
            message: 'Image failed safety checks: backing_file',
          },
        ];
        for (const c of cases) {
          const id = await create(A, { disk_format: c.declared });
          await assertFault(
            await call(A, 'PUT', `/images/${id}/file`, { body: c.data, type: 'application/octet-stream' }),
            { status: 415, fault: 'badMediaType', message: c.message },
            c.what,
          );
          const shown = (await (await call(A, 'GET', `/images/${id}`)).json()) as Record<string, unknown>;
          assert.equal(shown.status, 'queued', c.what);
          assert.equal(shown.size, null, c.what);
          assert.equal(shown.checksum, null, c.what);
          assert.equal((await call(A, 'GET', `/images/${id}/file`)).status, 204, `${c.what}: no data kept`);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('403 delete protected; non-owners may not modify, delete, upload or add members', async () => {
      const prot = await create(A, { protected: true });
      await assertFault(
        await call(A, 'DELETE', `/images/${prot}`),
        { status: 403, fault: 'forbidden', message: `Image ${prot} is protected and cannot be deleted.` },
        'protected',
      );
      const pub = await create(A, { visibility: 'public' });
      await assertFault(
        await patch(B, pub, [{ op: 'replace', path: '/name', value: 'mine' }]),
        { status: 403, fault: 'forbidden', message: 'You are not permitted to modify this image.' },
        'patch by non-owner',
      );
      await assertFault(
        await call(B, 'DELETE', `/images/${pub}`),
        { status: 403, fault: 'forbidden', message: 'Only the image owner may delete the image.' },
        'delete by non-owner',
      );
      await assertFault(
        await call(B, 'PUT', `/images/${pub}/file`, { body: Buffer.from('x'), type: 'application/octet-stream' }),
        { status: 403, fault: 'forbidden', message: 'Only the image owner may upload data.' },
        'upload by non-owner',
      );
      const shared = await create(A);
      await ok(call(A, 'POST', `/images/${shared}/members`, { body: { member: B.uuid } }), 200);
      await assertFault(
        await call(B, 'POST', `/images/${shared}/members`, { body: { member: admin.uuid } }),
        { status: 403, fault: 'forbidden', message: 'You are not permitted to create image members for the image.' },
        'add member by a member',
      );
    });

    it('members: 403 on non-shared images, 409 duplicate, 403 owner setting a status / member deleting itself, 400 bodies', async () => {
      const priv = await create(A, { visibility: 'private' });
      const pub = await create(A, { visibility: 'public' });
      for (const id of [priv, pub]) {
        await assertFault(
          await call(A, 'POST', `/images/${id}/members`, { body: { member: B.uuid } }),
          { status: 403, fault: 'forbidden', message: 'Only shared images have members.' },
          `add member to ${id === priv ? 'private' : 'public'}`,
        );
        await assertFault(
          await call(A, 'GET', `/images/${id}/members`),
          { status: 403, fault: 'forbidden', message: 'Only shared images have members.' },
          'list members',
        );
      }
      const id = await create(A);
      await ok(call(A, 'POST', `/images/${id}/members`, { body: { member: B.uuid } }), 200);
      await assertFault(
        await call(A, 'POST', `/images/${id}/members`, { body: { member: B.uuid } }),
        { status: 409, fault: 'conflict', message: `Member ${B.uuid} is duplicated for image ${id}` },
        'duplicate',
      );
      await assertFault(
        await call(A, 'PUT', `/images/${id}/members/${B.uuid}`, { body: { status: 'accepted' } }),
        { status: 403, fault: 'forbidden', message: "You are not permitted to modify 'status' on this image member." },
        'owner sets status',
      );
      await assertFault(
        await call(B, 'DELETE', `/images/${id}/members/${B.uuid}`),
        { status: 403, fault: 'forbidden', message: 'You cannot delete image member.' },
        'member deletes itself',
      );
      await assertFault(
        await call(A, 'GET', `/images/${id}/members/${admin.uuid}`),
        {
          status: 404,
          fault: 'itemNotFound',
          message: `${admin.uuid} not found in the member list of the image ${id}.`,
        },
        'not a member',
      );
      const bodies: [unknown, string][] = [
        [{}, 'Member to be added not specified'],
        [{ member: '' }, "Member can't be empty"],
        [{ member: UNKNOWN }, `Member ${UNKNOWN} is not a known project.`],
      ];
      for (const [body, message] of bodies) {
        await assertFault(
          await call(A, 'POST', `/images/${id}/members`, { body }),
          { status: 400, fault: 'badRequest', message },
          JSON.stringify(body),
        );
      }
      await assertFault(
        await call(B, 'PUT', `/images/${id}/members/${B.uuid}`, { body: { status: 'maybe' } }),
        {
          status: 400,
          fault: 'badRequest',
          message: 'Incorrect request: Status must be "pending", "accepted" or "rejected".',
        },
        'bad status',
      );
    });

    it('tags: 400 over 255 characters, 404 unknown tag', async () => {
      const id = await create(A);
      await assertFault(
        await call(A, 'PUT', `/images/${id}/tags/${'t'.repeat(256)}`),
        { status: 400, fault: 'badRequest', message: 'Tag is too long (more than 255 characters).' },
        'long tag',
      );
      await assertFault(
        await call(A, 'DELETE', `/images/${id}/tags/nope`),
        { status: 404, fault: 'itemNotFound', message: 'Tag nope not found.' },
        'unknown tag',
      );
    });

    it('403 deactivated download for non-admins; deactivate from queued', async () => {
      const id = await create(A);
      await assertFault(
        await call(A, 'POST', `/images/${id}/actions/deactivate`),
        { status: 403, fault: 'forbidden', message: "Not allowed to deactivate image in status 'queued'" },
        'deactivate queued',
      );
      await upload(A, id);
      await ok(call(A, 'POST', `/images/${id}/actions/deactivate`), 204);
      await assertFault(
        await call(A, 'GET', `/images/${id}/file`),
        {
          status: 403,
          fault: 'forbidden',
          message: 'The requested image has been deactivated. Image data download is forbidden.',
        },
        'deactivated download',
      );
      await ok(call(admin, 'GET', `/images/${id}/file`), 200);
    });

    it('416 for an unsatisfiable Range, with Content-Range', async () => {
      const id = await create(A);
      await upload(A, id, Buffer.from('0123456789'));
      const r = await s.fetch(`${V2}/images/${id}/file`, { token: A.token, headers: { Range: 'bytes=100-200' } });
      await assertFault(
        r,
        {
          status: 416,
          fault: 'rangeNotSatisfiable',
          message: 'Requested range not satisfiable',
          headers: { 'content-range': 'bytes */10' },
        },
        'range',
      );
    });

    it('400 list parameter errors (§4.3 messages)', async () => {
      const cases: [string, string][] = [
        ['limit=ten', 'limit param must be an integer'],
        ['limit=-1', 'limit param must be positive'],
        [
          'sort_key=colour',
          'Invalid sort key: colour. It must be one of the following: name, status, container_format, disk_format, size, id, created_at, updated_at.',
        ],
        ['sort_dir=up', 'Invalid sort direction: up'],
        ['sort_key=name&sort_dir=asc&sort_dir=desc', 'Number of sort dirs does not match the number of sort keys'],
        ['sort=name:asc&sort_key=name', 'Old and new sorting syntax cannot be combined'],
        ['visibility=secret', 'Invalid visibility value: secret'],
        ['member_status=maybe', 'Invalid status: maybe'],
        ['changes-since=2020-01-01T00:00:00Z', 'The "changes-since" filter is no longer available on v2.'],
        [`marker=${UNKNOWN}`, `No image found with ID ${UNKNOWN}`],
      ];
      for (const [query, message] of cases) {
        await assertFault(
          await call(A, 'GET', `/images?${query}`),
          { status: 400, fault: 'badRequest', message },
          query,
        );
      }
      const filters: [string, string][] = [
        ['os_hidden=perhaps', "Invalid value 'perhaps' for 'os_hidden' filter. Valid values are 'true' or 'false'."],
        ['protected=2', "Invalid value '2' for 'protected' filter. Valid values are 'true' or 'false'."],
        ['created_at=yesterday', 'Bad "created_at" query filter format. Use ISO 8601 DateTime notation.'],
        ['size_min=big', 'Unable to filter on a range with a non-numeric value.'],
        ['name=like:x', "Unable to filter by unknown operator 'like'."],
      ];
      for (const [query, message] of filters) {
        await assertFault(
          await call(A, 'GET', `/images?${query}`),
          { status: 400, fault: 'badRequest', message },
          query,
        );
      }
    });

    it('NUL characters: 400 in names, properties and tags on every database; list filters with one match nothing', async () => {
      const nul = {
        status: 400,
        fault: 'badRequest',
        message: 'Image names, properties and tags may not contain the NUL character.',
      };
      for (const body of [{ name: 'a\u0000b' }, { os_distro: 'x\u0000' }, { 'k\u0000': 'v' }, { tags: ['t\u0000'] }]) {
        await assertFault(await call(A, 'POST', '/images', { body }), nul, `create ${JSON.stringify(body)}`);
      }
      const id = await create(A);
      for (const op of [
        { op: 'replace', path: '/name', value: '\u0000' },
        { op: 'add', path: '/os_distro', value: 'a\u0000' },
        { op: 'add', path: '/a\u0000', value: 'v' },
        { op: 'replace', path: '/tags', value: ['ok', 'n\u0000'] },
      ]) {
        await assertFault(await patch(A, id, [op]), nul, `patch ${JSON.stringify(op)}`);
      }
      await assertFault(await call(A, 'PUT', `/images/${id}/tags/a%00b`), nul, 'put tag');
      await assertFault(
        await call(A, 'DELETE', `/images/${id}/tags/a%00b`),
        { status: 404, fault: 'itemNotFound', message: 'Tag a\u0000b not found.' },
        'delete tag',
      );
      for (const query of [
        'name=%00',
        'id=%00',
        'tag=%00',
        'owner=%00',
        'checksum=%00',
        'os_distro=%00',
        'x%00=1',
        'name=in:a,%00',
      ]) {
        const r = await call(A, 'GET', `/images?${query}`);
        assert.equal(r.status, 200, `${query}: ${await r.clone().text()}`);
        assert.deepEqual(((await r.json()) as { images: unknown[] }).images, [], query);
      }
      const v1 = await s.fetch('/image/v1/images/detail?name=%00', { token: A.token });
      assert.equal(v1.status, 200, await v1.clone().text());
    });

    it('405 notAllowed with Allow', async () => {
      const id = await create(A);
      const cases: [string, string, string][] = [
        ['PUT', '/images', 'GET, POST'],
        ['POST', `/images/${id}`, 'GET, PATCH, DELETE'],
        ['POST', `/images/${id}/file`, 'GET, PUT'],
        ['GET', `/images/${id}/actions/deactivate`, 'POST'],
        ['DELETE', '/schemas/image', 'GET'],
      ];
      for (const [method, path, allow] of cases) {
        await assertFault(
          await call(A, method, path),
          { status: 405, fault: 'notAllowed', message: 'Method not allowed', headers: { allow } },
          `${method} ${path}`,
        );
      }
    });
  });
}
