/**
 * The image inspector wired into every way an image comes in (issue 13): real images made here
 * with qemu-img and xorriso, each uploaded through v1 (in the create body, and reserve + upload),
 * through v2 (`PUT /file`) and registered from an object. Unsafe images are refused (v1 400, v2
 * 415) and leave nothing behind: the image stays queued or does not exist, no listing shows it
 * active, no object version holds the data. Safe ones become available with the virtual_size
 * `qemu-img info` reports, shown in v2 and as v1's `virtual_size` property. Then the format-match
 * rule and PLANKTON_REQUIRE_FORMAT_MATCH, hostile headers, and `plankton image inspect <image-id>`.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_DISK_FORMATS } from '../src/config.ts';
import { DIALECTS } from './helpers/dialects.ts';
import { fault, image, location, metaHeaders, putObject, V1 } from './helpers/image-client.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const BIN = fileURLToPath(new URL('../bin/plankton.js', import.meta.url));
const MiB = 1024 * 1024;
const V2 = '/image/v2';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-inspect-up-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => path.join(dir, name);
const run = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const qemuImg = (...args: string[]) => run('qemu-img', args);
const qemuVirtualSize = (file: string, driver: string): number =>
  JSON.parse(qemuImg('info', '--output=json', '-f', driver, file))['virtual-size'];

interface Fixture {
  /** The disk_format the image declares (its real format). */
  readonly declared: string;
  /** Safety checks it must fail; empty: accepted. */
  readonly checks: readonly string[];
  /** qemu-img's driver for the expected virtual_size (safe images only). */
  readonly qemu?: string;
}
const fixtures: Record<string, Fixture> = {};
const bytesOf = (name: string) => fs.readFileSync(at(name));

function patched(name: string, offset: number, values: Buffer | number[]): Buffer {
  const copy = Buffer.from(bytesOf(name));
  copy.set(values, offset);
  return copy;
}
const le64 = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b;
};
const be64 = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b;
};

before(() => {
  const data = Buffer.alloc(3 * MiB + 1234);
  for (let i = 0; i < MiB; i++) data[i] = (i * 2654435761) >>> 24;
  fs.writeFileSync(at('data.raw'), data);
  const add = (name: string, f: Fixture, make: () => void) => {
    make();
    fixtures[name] = f;
  };
  add('disk.raw', { declared: 'raw', checks: [], qemu: 'raw' }, () => fs.copyFileSync(at('data.raw'), at('disk.raw')));
  add('v2.qcow2', { declared: 'qcow2', checks: [], qemu: 'qcow2' }, () =>
    qemuImg('convert', '-q', '-O', 'qcow2', '-o', 'compat=0.10', 'data.raw', 'v2.qcow2'),
  );
  add('v3.qcow2', { declared: 'qcow2', checks: [], qemu: 'qcow2' }, () =>
    qemuImg('create', '-q', '-f', 'qcow2', 'v3.qcow2', '1G'),
  );
  add('backing.qcow2', { declared: 'qcow2', checks: ['backing_file'] }, () =>
    qemuImg('create', '-q', '-f', 'qcow2', '-b', 'v3.qcow2', '-F', 'qcow2', 'backing.qcow2'),
  );
  add('datafile.qcow2', { declared: 'qcow2', checks: ['data_file'] }, () =>
    qemuImg('create', '-q', '-f', 'qcow2', '-o', `data_file=${at('datafile.bin')}`, 'datafile.qcow2', '64M'),
  );
  // incompatible_features is a big-endian u64 at 72: bit 13 lives in byte 78.
  add('unknown-feature.qcow2', { declared: 'qcow2', checks: ['unknown_features'] }, () =>
    fs.writeFileSync(at('unknown-feature.qcow2'), patched('v3.qcow2', 78, [0x20])),
  );
  add('sparse.vmdk', { declared: 'vmdk', checks: [], qemu: 'vmdk' }, () =>
    qemuImg('convert', '-q', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', 'data.raw', 'sparse.vmdk'),
  );
  add('stream.vmdk', { declared: 'vmdk', checks: [], qemu: 'vmdk' }, () =>
    qemuImg('convert', '-q', '-O', 'vmdk', '-o', 'subformat=streamOptimized', 'data.raw', 'stream.vmdk'),
  );
  add(
    'passwd.vmdk',
    {
      declared: 'vmdk',
      checks: ['vmdk_extent_path', 'vmdk_extent_type', 'vmdk_create_type', 'vmdk_descriptor_file'],
    },
    () =>
      fs.writeFileSync(
        at('passwd.vmdk'),
        '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\n\nRW 16 FLAT "/etc/passwd" 0\n',
      ),
  );
  add('disk.vhd', { declared: 'vhd', checks: [], qemu: 'vpc' }, () =>
    qemuImg('convert', '-q', '-O', 'vpc', 'data.raw', 'disk.vhd'),
  );
  add('disk.vhdx', { declared: 'vhdx', checks: [], qemu: 'vhdx' }, () =>
    qemuImg('convert', '-q', '-O', 'vhdx', 'data.raw', 'disk.vhdx'),
  );
  add('disk.vdi', { declared: 'vdi', checks: [], qemu: 'vdi' }, () =>
    qemuImg('convert', '-q', '-O', 'vdi', 'data.raw', 'disk.vdi'),
  );
  add('disk.iso', { declared: 'iso', checks: [], qemu: 'raw' }, () => {
    fs.mkdirSync(at('iso-tree'));
    fs.writeFileSync(at('iso-tree/hello.txt'), 'hello\n');
    run('xorriso', ['-as', 'mkisofs', '-quiet', '-V', 'PLANKTON', '-o', 'disk.iso', 'iso-tree']);
  });
  // Hostile headers: each must be a clean refusal, never a 500.
  add('truncated.qcow2', { declared: 'qcow2', checks: ['qcow2_header'] }, () =>
    fs.writeFileSync(at('truncated.qcow2'), bytesOf('v3.qcow2').subarray(0, 40)),
  );
  add('far-backing.qcow2', { declared: 'qcow2', checks: ['backing_file'] }, () =>
    fs.writeFileSync(at('far-backing.qcow2'), patched('v3.qcow2', 8, be64(2n ** 50n))),
  );
  add('far-descriptor.vmdk', { declared: 'vmdk', checks: ['vmdk_descriptor'] }, () =>
    fs.writeFileSync(at('far-descriptor.vmdk'), patched('sparse.vmdk', 28, le64(10n ** 9n))),
  );
  add('huge-descriptor.vmdk', { declared: 'vmdk', checks: ['vmdk_descriptor'] }, () =>
    fs.writeFileSync(at('huge-descriptor.vmdk'), patched('sparse.vmdk', 36, le64(2n ** 40n))),
  );
  // Unsafe whatever is declared: a qcow2 with a backing file declared raw is still refused.
  add('backing-as-raw.qcow2', { declared: 'raw', checks: ['backing_file'] }, () =>
    fs.copyFileSync(at('backing.qcow2'), at('backing-as-raw.qcow2')),
  );
});

/** vhdx is not in Plankton's default list; the server allows it here to upload one. */
const DISK_FORMATS = [...DEFAULT_DISK_FORMATS, 'vhdx'].join(',');

const refusalMessage = (checks: readonly string[]) => `Image failed safety checks: ${checks.join(', ')}`;

for (const dialect of DIALECTS) {
  describe(`inspected uploads and registrations [${dialect}]`, () => {
    let s: TestServer;
    let A: TestUser;
    before(async () => {
      s = await startTestServer(dialect, { diskFormats: DISK_FORMATS });
      A = await s.user();
    });
    after(() => s.close());

    const v2 = (method: string, p: string, init: { json?: unknown; data?: Buffer } = {}) =>
      s.fetch(V2 + p, {
        method,
        token: A.token,
        headers:
          init.json !== undefined
            ? { 'Content-Type': 'application/json' }
            : init.data
              ? { 'Content-Type': 'application/octet-stream' }
              : {},
        body: init.json !== undefined ? JSON.stringify(init.json) : init.data ? new Uint8Array(init.data) : undefined,
      });
    const v2Show = async (id: string) => (await (await v2('GET', `/images/${id}`)).json()) as Record<string, any>;
    const v2Fault = async (r: Response) => Object.entries((await r.json()) as Record<string, any>)[0];
    /** Names of the objects in the caller's `images` container (where uploads live). */
    const uploadObjects = async (): Promise<{ name: string; bytes: number }[]> => {
      const r = await s.fetch(`/object-store/v1/${A.uuid}/images?format=json`, { token: A.token });
      if (r.status === 404) return [];
      assert.ok(r.status === 200 || r.status === 204, `listing: ${r.status}`);
      return r.status === 204 ? [] : ((await r.json()) as { name: string; bytes: number }[]);
    };
    const v1Ids = async () => {
      const r = await image(s, A, 'GET', `${V1}/images/detail`);
      assert.equal(r.status, 200);
      return ((await r.json()) as { images: { id: string; status: string }[] }).images;
    };

    for (const name of [
      'disk.raw',
      'v2.qcow2',
      'v3.qcow2',
      'backing.qcow2',
      'datafile.qcow2',
      'unknown-feature.qcow2',
      'sparse.vmdk',
      'stream.vmdk',
      'passwd.vmdk',
      'disk.vhd',
      'disk.vhdx',
      'disk.vdi',
      'disk.iso',
      'truncated.qcow2',
      'far-backing.qcow2',
      'far-descriptor.vmdk',
      'huge-descriptor.vmdk',
      'backing-as-raw.qcow2',
    ]) {
      it(name, async () => {
        const f = fixtures[name];
        const bytes = bytesOf(name);
        const safe = f.checks.length === 0;
        const expectedVirtual = safe ? qemuVirtualSize(at(name), f.qemu!) : undefined;
        const headerFormat = f.declared !== 'raw';

        // v2: create, PUT /file.
        const created = await v2('POST', '/images', {
          json: { name, disk_format: f.declared, container_format: 'bare' },
        });
        assert.equal(created.status, 201);
        const id2 = ((await created.json()) as { id: string }).id;
        const put = await v2('PUT', `/images/${id2}/file`, { data: bytes });
        if (safe) {
          assert.equal(put.status, 204, await put.clone().text());
          const shown = await v2Show(id2);
          assert.equal(shown.status, 'active');
          assert.equal(shown.virtual_size, expectedVirtual, 'v2 virtual_size = qemu-img info');
          assert.equal(shown.size, bytes.length);
        } else {
          assert.equal(put.status, 415);
          const [faultName, body] = await v2Fault(put);
          assert.equal(faultName, 'badMediaType');
          assert.equal(body.message, refusalMessage(f.checks));
          const shown = await v2Show(id2);
          assert.equal(shown.status, 'queued', 'back to queued');
          assert.equal(shown.size, null);
          assert.equal(shown.virtual_size, null);
          assert.equal((await v2('GET', `/images/${id2}/file`)).status, 204, 'no data');
          const placeholder = (await uploadObjects()).find((o) => o.name === id2);
          assert.equal(placeholder?.bytes, 0, 'no version with the data');
          const active = await (await v2('GET', '/images?status=active')).json();
          assert.ok(!(active as { images: { id: string }[] }).images.some((i) => i.id === id2));
        }

        // v1: create with data in the body.
        const objectsBefore = await uploadObjects();
        const idsBefore = (await v1Ids()).map((i) => i.id);
        const v1Create = await image(s, A, 'POST', `${V1}/images`, {
          headers: {
            'X-Image-Meta-Name': name,
            'X-Image-Meta-Disk-Format': f.declared,
            'X-Image-Meta-Container-Format': 'bare',
            'Content-Type': 'application/octet-stream',
          },
          body: new Uint8Array(bytes),
        });
        if (safe) {
          assert.equal(v1Create.status, 200, await v1Create.clone().text());
          const created1 = ((await v1Create.json()) as { image: Record<string, any> }).image;
          assert.equal(created1.status, 'available');
          const head = metaHeaders(await image(s, A, 'HEAD', `${V1}/images/${created1.id}`));
          if (headerFormat) assert.equal(head['x-image-meta-property-virtual_size'], String(expectedVirtual));
          else assert.equal(head['x-image-meta-property-virtual_size'], undefined, 'raw: its size says it');
          const v2view = await v2Show(created1.id);
          assert.equal(v2view.virtual_size, expectedVirtual);
        } else {
          assert.equal(v1Create.status, 400);
          const fv1 = await fault(v1Create);
          assert.equal(fv1.name, 'badRequest');
          assert.equal(fv1.message, refusalMessage(f.checks));
          assert.deepEqual(
            (await v1Ids()).map((i) => i.id),
            idsBefore,
            'no image created',
          );
          assert.deepEqual(await uploadObjects(), objectsBefore, 'no object kept');
        }

        // v1: reserve, then upload.
        const reserved = await image(s, A, 'POST', `${V1}/images`, {
          headers: {
            'X-Image-Meta-Name': name,
            'X-Image-Meta-Disk-Format': f.declared,
            'X-Image-Meta-Container-Format': 'bare',
          },
        });
        assert.equal(reserved.status, 200);
        const id1 = ((await reserved.json()) as { image: { id: string } }).image.id;
        const upload1 = await image(s, A, 'PUT', `${V1}/images/${id1}`, {
          headers: { 'Content-Type': 'application/octet-stream' },
          body: new Uint8Array(bytes),
        });
        const after1 = metaHeaders(await image(s, A, 'HEAD', `${V1}/images/${id1}`));
        if (safe) {
          assert.equal(upload1.status, 200, await upload1.clone().text());
          assert.equal(after1['x-image-meta-status'], 'available');
          assert.equal(after1['x-image-meta-size'], String(bytes.length));
        } else {
          assert.equal(upload1.status, 400);
          assert.equal((await fault(upload1)).message, refusalMessage(f.checks));
          assert.equal(after1['x-image-meta-status'], 'queued');
          assert.equal(after1['x-image-meta-size'], '0');
          assert.equal((await uploadObjects()).find((o) => o.name === id1)?.bytes, 0);
        }

        // Registration of an existing object (kamaki image register).
        const objectName = `reg-${name}`;
        const uuid = await putObject(s, A, 'pithos', objectName, bytes);
        const reg = await image(s, A, 'POST', `${V1}/images/`, {
          headers: {
            'X-Image-Meta-Name': name,
            'X-Image-Meta-Location': location(A.uuid, 'pithos', objectName),
            'X-Image-Meta-Disk-Format': f.declared,
            'X-Image-Meta-Container-Format': 'bare',
          },
        });
        if (safe) {
          assert.equal(reg.status, 200, await reg.clone().text());
          assert.equal((await v2Show(uuid)).virtual_size, expectedVirtual);
        } else {
          assert.equal(reg.status, 400);
          assert.equal((await fault(reg)).message, refusalMessage(f.checks));
          assert.equal((await image(s, A, 'HEAD', `${V1}/images/${uuid}`)).status, 404, 'not registered');
          // The object is the user's own file: it stays, untouched.
          const obj = await s.fetch(`/object-store/v1/${A.uuid}/pithos/${objectName}`, {
            method: 'HEAD',
            token: A.token,
          });
          assert.equal(obj.status, 200);
          assert.equal(obj.headers.get('content-length'), String(bytes.length));
        }
      });
    }

    it('format match: v2 refuses content that is not its disk_format; v1 accepts it by default (no virtual_size)', async () => {
      const qcow2 = bytesOf('v2.qcow2');
      const raw = bytesOf('disk.raw');
      const created = await v2('POST', '/images', {
        json: { name: 'm', disk_format: 'vmdk', container_format: 'bare' },
      });
      const id = ((await created.json()) as { id: string }).id;
      const put = await v2('PUT', `/images/${id}/file`, { data: qcow2 });
      assert.equal(put.status, 415);
      assert.equal((await v2Fault(put))[1].message, 'Image disk_format vmdk does not match stream data qcow2');
      assert.equal((await v2Show(id)).status, 'queued');

      // Declared raw accepts anything safe, sized as raw.
      const asRaw = await v2('POST', '/images', { json: { name: 'r', disk_format: 'raw', container_format: 'bare' } });
      const rawId = ((await asRaw.json()) as { id: string }).id;
      assert.equal((await v2('PUT', `/images/${rawId}/file`, { data: qcow2 })).status, 204);
      assert.equal((await v2Show(rawId)).virtual_size, qemuVirtualSize(at('v2.qcow2'), 'raw'));

      // Dump formats and ami accept raw content only.
      for (const disk of ['diskdump', 'ami']) {
        const c = await v2('POST', '/images', { json: { name: disk, disk_format: disk, container_format: 'bare' } });
        const cid = ((await c.json()) as { id: string }).id;
        const bad = await v2('PUT', `/images/${cid}/file`, { data: qcow2 });
        assert.equal(bad.status, 415, disk);
        assert.equal((await v2Fault(bad))[1].message, `Image disk_format ${disk} does not match stream data qcow2`);
        assert.equal((await v2('PUT', `/images/${cid}/file`, { data: raw })).status, 204, disk);
        assert.equal((await v2Show(cid)).virtual_size, qemuVirtualSize(at('disk.raw'), 'raw'));
      }

      // A container is not a disk: no format match, no virtual size (safety still applies).
      const ovf = await v2('POST', '/images', { json: { name: 'o', disk_format: 'vmdk', container_format: 'ovf' } });
      const ovfId = ((await ovf.json()) as { id: string }).id;
      assert.equal((await v2('PUT', `/images/${ovfId}/file`, { data: raw })).status, 204);
      assert.equal((await v2Show(ovfId)).virtual_size, null);

      // v1 (default PLANKTON_REQUIRE_FORMAT_MATCH=v2): the mismatch is accepted, its virtual size unknown.
      const v1 = await image(s, A, 'POST', `${V1}/images`, {
        headers: {
          'X-Image-Meta-Name': 'v1-mismatch',
          'X-Image-Meta-Disk-Format': 'vmdk',
          'X-Image-Meta-Container-Format': 'bare',
          'Content-Type': 'application/octet-stream',
        },
        body: new Uint8Array(qcow2),
      });
      assert.equal(v1.status, 200);
      const v1id = ((await v1.json()) as { image: { id: string } }).image.id;
      assert.equal((await v2Show(v1id)).virtual_size, null);
      const h = metaHeaders(await image(s, A, 'HEAD', `${V1}/images/${v1id}`));
      assert.equal(h['x-image-meta-property-virtual_size'], undefined);
    });

    it('v1 shows virtual_size as a computed property: a stored property of that name does not override it', async () => {
      const uuid = await putObject(s, A, 'pithos', 'prop.qcow2', bytesOf('v3.qcow2'));
      const reg = await image(s, A, 'POST', `${V1}/images/`, {
        headers: {
          'X-Image-Meta-Name': 'prop',
          'X-Image-Meta-Location': location(A.uuid, 'pithos', 'prop.qcow2'),
          'X-Image-Meta-Disk-Format': 'qcow2',
          'X-Image-Meta-Property-Virtual_size': '1',
          'X-Image-Meta-Property-Os': 'debian',
        },
      });
      assert.equal(reg.status, 200);
      const body = ((await reg.json()) as { image: { properties: Record<string, string> } }).image;
      assert.deepEqual(body.properties, { os: 'debian', virtual_size: String(2 ** 30) });
      const h = metaHeaders(await image(s, A, 'HEAD', `${V1}/images/${uuid}`));
      assert.equal(h['x-image-meta-property-virtual_size'], String(2 ** 30));
    });

    it('an image follows its object: new content written through the object store is inspected too', async () => {
      const uuid = await putObject(s, A, 'pithos', 'follow.qcow2', bytesOf('v3.qcow2'));
      const reg = await image(s, A, 'POST', `${V1}/images/`, {
        headers: {
          'X-Image-Meta-Name': 'follow',
          'X-Image-Meta-Location': location(A.uuid, 'pithos', 'follow.qcow2'),
          'X-Image-Meta-Disk-Format': 'qcow2',
        },
      });
      assert.equal(reg.status, 200);
      const objectPath = `/object-store/v1/${A.uuid}/pithos/follow.qcow2`;
      const objectSize = async () =>
        (await s.fetch(objectPath, { method: 'HEAD', token: A.token })).headers.get('content-length');

      // Overwritten with a qcow2 that has a backing file: refused, nothing changes.
      const put = await s.fetch(objectPath, {
        method: 'PUT',
        token: A.token,
        headers: { 'Content-Type': 'application/octet-stream' },
        body: new Uint8Array(bytesOf('backing.qcow2')),
      });
      assert.equal(put.status, 409);
      assert.match(await put.text(), /Image failed safety checks: backing_file/);
      assert.equal(await objectSize(), String(bytesOf('v3.qcow2').length));
      const kept = await v2Show(uuid);
      assert.equal(kept.status, 'active');
      assert.equal(kept.virtual_size, 2 ** 30);

      // A server-side copy of unsafe content onto it: refused the same way.
      await putObject(s, A, 'pithos', 'unsafe.vmdk', bytesOf('passwd.vmdk'));
      const copy = await s.fetch(objectPath, {
        method: 'PUT',
        token: A.token,
        headers: { 'X-Copy-From': '/pithos/unsafe.vmdk', 'Content-Length': '0' },
      });
      assert.equal(copy.status, 409);
      assert.equal(await objectSize(), String(bytesOf('v3.qcow2').length));

      // Safe new content: accepted, and virtual_size follows.
      const ok = await s.fetch(objectPath, {
        method: 'PUT',
        token: A.token,
        headers: { 'Content-Type': 'application/octet-stream' },
        body: new Uint8Array(bytesOf('v2.qcow2')),
      });
      assert.equal(ok.status, 201);
      assert.equal((await v2Show(uuid)).virtual_size, qemuVirtualSize(at('v2.qcow2'), 'qcow2'));
    });

    it('registration reads only the blocks the inspector needs, never the whole object', async () => {
      // 6 distinct 4 MiB blocks: a qcow2 head, then filler that differs per block.
      const big = Buffer.alloc(6 * 4 * MiB);
      bytesOf('v2.qcow2').copy(big, 0, 0, 64 * 1024);
      for (let i = 64 * 1024; i < big.length; i += 4096) big.writeUInt32LE(i, i);
      await putObject(s, A, 'pithos', 'big.qcow2', big);
      const store = s.services.blocks;
      const realGet = store.get.bind(store);
      const realReadInto = store.readInto.bind(store);
      let gets = 0;
      store.get = (hash: string) => {
        gets++;
        return realGet(hash);
      };
      store.readInto = (hash: string, into: Buffer) => {
        gets++;
        return realReadInto(hash, into);
      };
      try {
        const reg = await image(s, A, 'POST', `${V1}/images/`, {
          headers: {
            'X-Image-Meta-Name': 'big',
            'X-Image-Meta-Location': location(A.uuid, 'pithos', 'big.qcow2'),
            'X-Image-Meta-Disk-Format': 'qcow2',
          },
        });
        assert.equal(reg.status, 200, await reg.clone().text());
      } finally {
        store.get = realGet;
        store.readInto = realReadInto;
      }
      assert.ok(gets >= 1 && gets <= 2, `${gets} block reads of 6`);
    });

    it('plankton image inspect <image-id> reads the stored image (only the blocks it needs)', async () => {
      const uuid = await putObject(s, A, 'pithos', 'cli.vmdk', bytesOf('stream.vmdk'));
      const reg = await image(s, A, 'POST', `${V1}/images/`, {
        headers: {
          'X-Image-Meta-Name': 'cli',
          'X-Image-Meta-Location': location(A.uuid, 'pithos', 'cli.vmdk'),
          'X-Image-Meta-Disk-Format': 'vmdk',
        },
      });
      assert.equal(reg.status, 200);
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLANKTON_')));
      const storage =
        dialect === 'postgres'
          ? ['--database-url', s.services.settings.databaseUrl as string, '--data-dir', s.dataDir]
          : ['--data-dir', s.dataDir];
      const r = spawnSync(process.execPath, [BIN, 'image', 'inspect', '--json', ...storage, uuid], {
        env,
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.image, uuid);
      assert.equal(out.format, 'vmdk');
      assert.equal(out.virtual_size, qemuVirtualSize(at('stream.vmdk'), 'vmdk'));
      assert.equal(out.safe, true);
      const text = spawnSync(process.execPath, [BIN, 'image', 'inspect', ...storage, uuid], { env, encoding: 'utf8' });
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, /^format: +vmdk$/m);
      assert.match(text.stdout, /^disk format: +vmdk$/m);
      const missing = spawnSync(
        process.execPath,
        [BIN, 'image', 'inspect', ...storage, '00000000-0000-4000-8000-000000000000'],
        { env, encoding: 'utf8' },
      );
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /no image 00000000-0000-4000-8000-000000000000/);
    });
  });
}

describe('PLANKTON_REQUIRE_FORMAT_MATCH=all: v1 refuses a mismatch too (400), uploads and registrations', () => {
  let s: TestServer;
  let A: TestUser;
  before(async () => {
    s = await startTestServer('sqlite', { requireFormatMatch: 'all' });
    A = await s.user();
  });
  after(() => s.close());

  it('diskdump (v1 default) with qcow2 content is refused; with raw content accepted', async () => {
    const qcow2 = bytesOf('v2.qcow2');
    const before1 = await image(s, A, 'GET', `${V1}/images/detail`).then((r) => r.json());
    const r = await image(s, A, 'POST', `${V1}/images`, {
      headers: { 'X-Image-Meta-Name': 'dd', 'Content-Type': 'application/octet-stream' },
      body: new Uint8Array(qcow2),
    });
    assert.equal(r.status, 400);
    assert.equal((await fault(r)).message, 'Image disk_format diskdump does not match stream data qcow2');
    assert.deepEqual(await image(s, A, 'GET', `${V1}/images/detail`).then((x) => x.json()), before1);

    await putObject(s, A, 'pithos', 'q', qcow2);
    const reg = await image(s, A, 'POST', `${V1}/images/`, {
      headers: { 'X-Image-Meta-Name': 'q', 'X-Image-Meta-Location': location(A.uuid, 'pithos', 'q') },
    });
    assert.equal(reg.status, 400);
    assert.equal((await fault(reg)).message, 'Image disk_format diskdump does not match stream data qcow2');

    const ok = await image(s, A, 'POST', `${V1}/images`, {
      headers: { 'X-Image-Meta-Name': 'dd-raw', 'Content-Type': 'application/octet-stream' },
      body: new Uint8Array(bytesOf('disk.raw')),
    });
    assert.equal(ok.status, 200);
  });
});
