/**
 * Image API v2 interoperable import over HTTP against the real server (openstack.md §4.9, §5.2):
 * `GET /v2/info/import`, `PUT …/stage`, `POST …/import` with glance-direct and web-download
 * (allow-list, address and redirect refusals, size cap), failures back to queued with
 * `os_glance_failed_import`, conversion on import with qemu-img, staged data invisible and
 * reclaimable by gc. Then the real clients: `glance image-create-via-import` and openstacksdk's
 * `create_image(use_import=True)` and `openstack image create --import` (gophercloud's import is in gophercloud.test.ts).
 * SQLite and PostgreSQL; S3 blocks too when PLANKTON_TEST_S3 is set.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadSettings } from '../src/config.ts';
import { STAGING_ACCOUNT, STAGING_CONTAINER } from '../src/domain/images/image-import.ts';
import { collectGarbage } from '../src/domain/objects/gc.ts';
import { DIALECTS } from './helpers/dialects.ts';
import { glanceCli, missingOpenStackClients, openstackCli } from './helpers/openstack-clients.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const V2 = '/image/v2';
const S3 = process.env.PLANKTON_TEST_S3;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');
const DATA = Buffer.from('plankton staged data\n'.repeat(5000));
const clientsMissing = missingOpenStackClients();
const qemuMissing = spawnSync('qemu-img', ['--version']).status === 0 ? false : 'qemu-img is not installed';

/** Block stores to run on: local always, S3 when configured (a key prefix of our own). */
const STORES: readonly ('local' | 's3')[] = S3 ? ['local', 's3'] : ['local'];
const s3Url = () => {
  const u = new URL(S3!);
  u.searchParams.set('prefix', `plankton-import-test-${process.pid}-${Date.now()}`);
  return u.toString();
};

/** Calls of one server, as one user. */
function v2(s: TestServer) {
  const call = (
    user: TestUser | undefined,
    method: string,
    p: string,
    init: { body?: unknown; type?: string } = {},
  ): Promise<Response> => {
    const headers: Record<string, string> = {};
    let body: BodyInit | undefined;
    if (Buffer.isBuffer(init.body)) body = new Uint8Array(init.body);
    else if (init.body !== undefined) body = JSON.stringify(init.body);
    if (body !== undefined) headers['Content-Type'] = init.type ?? 'application/json';
    return s.fetch(V2 + p, { method, headers, body, token: user?.token });
  };
  return {
    call,
    async create(user: TestUser, body: Record<string, unknown> = {}) {
      const r = await call(user, 'POST', '/images', {
        body: { name: 'imp', disk_format: 'raw', container_format: 'bare', ...body },
      });
      assert.equal(r.status, 201, await r.clone().text());
      return { image: (await r.json()) as Record<string, any>, headers: r.headers };
    },
    stage: (user: TestUser, id: string, data: Buffer = DATA) =>
      call(user, 'PUT', `/images/${id}/stage`, { body: data, type: 'application/octet-stream' }),
    /** POST import; then waits for imports that went on in the background (a loaded machine). */
    async importIt(user: TestUser, id: string, method: Record<string, unknown> = { name: 'glance-direct' }) {
      const r = await call(user, 'POST', `/images/${id}/import`, { body: { method } });
      await s.services.images.importsSettled();
      return r;
    },
    async show(user: TestUser, id: string) {
      const r = await call(user, 'GET', `/images/${id}`);
      assert.equal(r.status, 200);
      return (await r.json()) as Record<string, any>;
    },
    async fault(r: Response, status: number) {
      const text = await r.text();
      assert.equal(r.status, status, text);
      return Object.values(JSON.parse(text) as Record<string, { message: string }>)[0].message;
    },
  };
}

for (const dialect of DIALECTS) {
  for (const store of STORES) {
    describe(`v2 import: glance-direct [${dialect}, ${store} blocks]`, () => {
      let s: TestServer;
      let A: TestUser;
      let B: TestUser;
      let admin: TestUser;
      let api: ReturnType<typeof v2>;

      before(async () => {
        s = await startTestServer(dialect, {
          imageSizeCap: '200000',
          ...(store === 's3' ? { blocks: s3Url() } : {}),
        });
        A = await s.user(`alice-import-${store}@example.org`);
        B = await s.user(`bob-import-${store}@example.org`);
        admin = await s.user(`root-import-${store}@example.org`, { admin: true });
        api = v2(s);
      });
      after(() => s.close());

      it('info/import offers glance-direct only; the create reply says so; info/stores is 404', async () => {
        const info = await api.call(A, 'GET', '/info/import');
        assert.equal(info.status, 200);
        assert.deepEqual(((await info.json()) as any)['import-methods'].value, ['glance-direct']);
        const { headers } = await api.create(A);
        assert.equal(headers.get('openstack-image-import-methods'), 'glance-direct');
        assert.equal((await api.call(A, 'GET', '/info/stores')).status, 404);
      });

      it('stage → 204 uploading (no size, no data, invisible); import → 202 active with the staged bytes', async () => {
        const { image } = await api.create(A);
        const r = await api.stage(A, image.id);
        assert.equal(r.status, 204, await r.clone().text());
        const staged = await api.show(A, image.id);
        assert.equal(staged.status, 'uploading');
        assert.equal(staged.size, null);
        assert.equal(staged.checksum, null);
        assert.equal((await api.call(A, 'GET', `/images/${image.id}/file`)).status, 204);
        // v1 has no import states: it reads uploading as saving.
        const v1 = await s.fetch(`/image/v1/images/${image.id}`, { method: 'HEAD', token: A.token });
        assert.equal(v1.headers.get('x-image-meta-status'), 'saving');
        // The staged object is in no user's account: the owner's account lists only `images`.
        const account = await s.fetch(`/object-store/v1/${A.uuid}?format=json`, { token: A.token });
        assert.deepEqual(
          ((await account.json()) as { name: string }[]).map((c) => c.name),
          ['images'],
        );
        assert.ok(await s.services.objects.get(STAGING_ACCOUNT, STAGING_CONTAINER, image.id), 'staged object');
        // Nobody reaches the staging account through the object store, not even an admin.
        for (const user of [A, admin]) {
          for (const p of ['', `/${STAGING_CONTAINER}`, `/${STAGING_CONTAINER}/${image.id}`]) {
            const r = await s.fetch(`/object-store/v1/${STAGING_ACCOUNT}${p}`, { token: user.token });
            assert.ok([403, 404].includes(r.status), `${p}: ${r.status}`);
          }
        }

        assert.equal(
          await api.fault(await api.stage(A, image.id), 409),
          'Image status transition from uploading to uploading is not allowed',
        );
        const put = await api.call(A, 'PUT', `/images/${image.id}/file`, {
          body: DATA,
          type: 'application/octet-stream',
        });
        assert.equal(await api.fault(put, 409), 'Image status transition from uploading to saving is not allowed');

        const imp = await api.importIt(A, image.id);
        assert.equal(imp.status, 202, await imp.clone().text());
        assert.equal(await imp.text(), '');
        const active = await api.show(A, image.id);
        assert.equal(active.status, 'active');
        assert.equal(active.size, DATA.length);
        assert.equal(active.checksum, md5(DATA));
        assert.equal(active.os_hash_algo, 'sha512');
        assert.equal(active.os_hash_value, sha512(DATA));
        assert.equal(active.os_glance_failed_import, '');
        assert.equal(active.os_glance_importing_to_stores, '');
        const file = await api.call(A, 'GET', `/images/${image.id}/file`);
        assert.equal(file.status, 200);
        assert.ok(Buffer.from(await file.arrayBuffer()).equals(DATA));
        assert.equal(await s.services.objects.get(STAGING_ACCOUNT, STAGING_CONTAINER, image.id), undefined);
        // An active image is no import target.
        assert.equal(
          await api.fault(await api.importIt(A, image.id), 409),
          'Image with status active cannot be target for import',
        );
      });

      it("Glance's 409s and 400s: nothing staged, formats missing, bad bodies, unknown method, wrong type", async () => {
        const { image } = await api.create(A);
        assert.equal(
          await api.fault(await api.importIt(A, image.id), 409),
          "Image needs to be staged before 'glance-direct' method can be used",
        );
        const bad = (body: unknown) => api.call(A, 'POST', `/images/${image.id}/import`, { body });
        assert.equal(await api.fault(await bad({}), 400), "Import request requires a 'method' field.");
        assert.equal(await api.fault(await bad({ method: {} }), 400), "Import request requires a 'name' field.");
        assert.equal(
          await api.fault(await bad({ method: { name: 'web-download', uri: 'http://example.org/x' } }), 400),
          "Unknown import method name 'web-download'.",
        );
        assert.equal(
          await api.fault(await bad({ method: { name: 'copy-image' } }), 400),
          "Unknown import method name 'copy-image'.",
        );
        const text = await api.call(A, 'PUT', `/images/${image.id}/stage`, { body: DATA, type: 'text/plain' });
        assert.equal(text.status, 415);
        assert.equal((await api.show(A, image.id)).status, 'queued');

        const { image: bare } = await api.create(A, { disk_format: undefined, container_format: undefined });
        assert.equal((await api.stage(A, bare.id)).status, 204);
        assert.equal(
          await api.fault(await api.importIt(A, bare.id), 409),
          "'container_format' needs to be set before import",
        );
        // gophercloud's body: an empty `uri` beside glance-direct is ignored.
        const { image: go } = await api.create(A);
        assert.equal((await api.stage(A, go.id)).status, 204);
        assert.equal((await api.importIt(A, go.id, { name: 'glance-direct', uri: '' })).status, 202);
        assert.equal((await api.show(A, go.id)).status, 'active');
      });

      it('other users: 404 for an unreadable image; a reader who is not the owner may not stage', async () => {
        const { image } = await api.create(A, { visibility: 'public' });
        assert.equal((await api.stage(B, image.id)).status, 403);
        const { image: priv } = await api.create(A, { visibility: 'private' });
        assert.equal((await api.stage(B, priv.id)).status, 404);
        assert.equal((await api.importIt(B, priv.id)).status, 404);
        assert.equal((await api.show(A, priv.id)).status, 'queued');
      });

      it('an empty stage, an over-cap stage and an interrupted stage leave the image queued, nothing staged', async () => {
        const { image } = await api.create(A);
        assert.equal((await api.stage(A, image.id, Buffer.alloc(0))).status, 204);
        assert.equal((await api.show(A, image.id)).status, 'queued');
        assert.equal((await api.stage(A, image.id, Buffer.alloc(200_001, 1))).status, 413);
        assert.equal((await api.show(A, image.id)).status, 'queued');

        const { port } = new URL(s.url);
        const socket = net.connect(Number(port), '127.0.0.1');
        await new Promise((resolve) => socket.once('connect', resolve));
        socket.write(
          `PUT ${V2}/images/${image.id}/stage HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${A.token}\r\n` +
            'Content-Type: application/octet-stream\r\nContent-Length: 150000\r\n\r\n',
        );
        socket.write(Buffer.alloc(70_000, 2));
        // Wait until the server has the stage under way, then cut the connection.
        for (let i = 0; i < 600 && (await api.show(A, image.id)).status !== 'uploading'; i++) await sleep(50);
        socket.destroy();
        let status = 'uploading';
        for (let i = 0; i < 600 && status === 'uploading'; i++) {
          await sleep(50);
          status = (await api.show(A, image.id)).status;
        }
        assert.equal(status, 'queued');
        assert.equal(await s.services.objects.get(STAGING_ACCOUNT, STAGING_CONTAINER, image.id), undefined);
        // And it can be staged and imported after all that.
        assert.equal((await api.stage(A, image.id)).status, 204);
        assert.equal((await api.importIt(A, image.id)).status, 202);
        assert.equal((await api.show(A, image.id)).checksum, md5(DATA));
      });

      it('start-up recovery: an import left importing fails visibly; staged data of a vanished image is dropped', async () => {
        const { image: stuck } = await api.create(A);
        assert.equal((await api.stage(A, stuck.id)).status, 204);
        // A process stopped in the middle of the import left this behind.
        await s.services.metadata.db
          .updateTable('images')
          .set({ status: 'importing' })
          .where('id', '=', stuck.id)
          .execute();
        assert.equal((await api.call(A, 'DELETE', `/images/${stuck.id}`)).status, 409, 'no delete while importing');
        // An image whose object went through the object store while its data was staged.
        const { image: gone } = await api.create(A);
        assert.equal((await api.stage(A, gone.id)).status, 204);
        const del = await s.fetch(`/object-store/v1/${A.uuid}/images/${gone.id}`, { method: 'DELETE', token: A.token });
        assert.equal(del.status, 204);
        assert.ok(await s.services.objects.get(STAGING_ACCOUNT, STAGING_CONTAINER, gone.id));

        const { failed, dropped } = await s.services.images.recoverInterruptedImports();
        assert.ok(failed >= 1 && dropped >= 2, `${failed} failed, ${dropped} dropped`);
        const img = await api.show(A, stuck.id);
        assert.equal(img.status, 'queued');
        assert.equal(img.os_glance_failed_import, 'default');
        for (const id of [stuck.id, gone.id])
          assert.equal(await s.services.objects.get(STAGING_ACCOUNT, STAGING_CONTAINER, id), undefined);
        assert.equal((await api.call(A, 'DELETE', `/images/${stuck.id}`)).status, 204);
      });

      it('unsafe or mismatching staged content fails the import: queued, os_glance_failed_import, staged data dropped', {
        skip: qemuMissing,
      }, async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-import-refused-'));
        try {
          // Real qcow2 headers cut under the size cap: the inspector reads only the header region.
          execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', path.join(dir, 'plain.qcow2'), '1M']);
          execFileSync('qemu-img', [
            'create',
            '-q',
            '-f',
            'qcow2',
            '-F',
            'raw',
            '-b',
            '/etc/hostname',
            path.join(dir, 'backed.qcow2'),
            '1M',
          ]);
          const head = (name: string) => fs.readFileSync(path.join(dir, name)).subarray(0, 65536);
          const cases = [
            { declared: 'qcow2', data: head('backed.qcow2'), message: /Image failed safety checks: backing_file/ },
            {
              declared: 'vmdk',
              data: head('plain.qcow2'),
              message: /Image disk_format vmdk does not match stream data qcow2/,
            },
          ];
          for (const c of cases) {
            const { image } = await api.create(A, { disk_format: c.declared });
            assert.equal((await api.stage(A, image.id, c.data)).status, 204);
            assert.match(await api.fault(await api.importIt(A, image.id), 415), c.message);
            const img = await api.show(A, image.id);
            assert.equal(img.status, 'queued', c.declared);
            assert.equal(img.size, null, c.declared);
            assert.equal(img.checksum, null, c.declared);
            assert.equal(img.os_glance_failed_import, 'default', c.declared);
            assert.equal(
              await s.services.objects.get(STAGING_ACCOUNT, STAGING_CONTAINER, image.id),
              undefined,
              'staged data dropped',
            );
            assert.equal((await api.call(A, 'GET', `/images/${image.id}/file`)).status, 204, 'no data kept');
          }
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });

      it('deleting a staged image drops its staged data; plankton gc then reclaims the blocks', async () => {
        const unique = Buffer.from(`unique staged bytes ${Date.now()} `.repeat(3000));
        const { image } = await api.create(A);
        assert.equal((await api.stage(A, image.id, unique)).status, 204);
        const staged = await s.services.objects.get(STAGING_ACCOUNT, STAGING_CONTAINER, image.id);
        assert.ok(staged);
        const hashes = staged.hashes;
        assert.equal((await api.call(A, 'DELETE', `/images/${image.id}`)).status, 204);
        assert.equal(await s.services.objects.get(STAGING_ACCOUNT, STAGING_CONTAINER, image.id), undefined);
        assert.equal((await s.services.blocks.missing(hashes)).length, 0, 'blocks still there before gc');
        await collectGarbage(s.services.metadata.db, s.services.blocks, { graceSeconds: 0, now: Date.now() + 1500 });
        assert.equal((await s.services.blocks.missing(hashes)).length, new Set(hashes).size, 'gc reclaimed them');
      });
    });
  }
}

/** Runs Debian's python3 on a script, with a clean environment; never rejects on a failing exit. */
function runPython(script: string, args: string[], home: string) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-c', script, ...args], {
      env: { PATH: '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' },
      timeout: 180_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A loopback HTTP server for web-download: `/file` the data, `/big`, redirects, `/missing` 404. */
async function startFileServer(data: Buffer) {
  const requested: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requested.push(url.pathname);
    if (url.pathname === '/public/file') return void res.end(data);
    if (url.pathname === '/public/big') return void res.end(Buffer.alloc(300_000, 7));
    if (url.pathname === '/public/to-file') {
      res.writeHead(302, { Location: '/public/file' });
      return void res.end();
    }
    if (url.pathname === '/public/to-loopback') {
      res.writeHead(302, { Location: `http://localhost:${(server.address() as net.AddressInfo).port}/secret` });
      return void res.end();
    }
    if (url.pathname === '/secret') return void res.end(Buffer.from('internal secret'));
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return { base, requested, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

for (const dialect of DIALECTS) {
  describe(`v2 import: web-download [${dialect}]`, () => {
    let s: TestServer;
    let A: TestUser;
    let api: ReturnType<typeof v2>;
    let files: Awaited<ReturnType<typeof startFileServer>>;

    before(async () => {
      files = await startFileServer(DATA);
      // The loopback file server is named by a URL prefix; `*` admits public hosts only.
      s = await startTestServer(dialect, {
        webDownloadAllow: `${files.base}/public/,${files.base.replace('127.0.0.1', 'localhost')}/public/,*`,
        webDownloadMax: '200000',
      });
      A = await s.user('alice-web@example.org');
      api = v2(s);
    });
    after(async () => {
      await s.close();
      await files.close();
    });

    const webImport = async (uri: string) => {
      const { image } = await api.create(A);
      const r = await api.importIt(A, image.id, { name: 'web-download', uri });
      return { id: image.id as string, r };
    };
    const settled = async (id: string) => {
      await s.services.images.importsSettled();
      return api.show(A, id);
    };

    it('info/import and the create header list web-download when it is allowed', async () => {
      const info = (await (await api.call(A, 'GET', '/info/import')).json()) as any;
      assert.deepEqual(info['import-methods'].value, ['glance-direct', 'web-download']);
      const { headers } = await api.create(A);
      assert.equal(headers.get('openstack-image-import-methods'), 'glance-direct,web-download');
    });

    it('an allowed URL (and a redirect within the allow-list) → 202, then active with its bytes', async () => {
      for (const p of ['/public/file', '/public/to-file']) {
        const { id, r } = await webImport(files.base + p);
        assert.equal(r.status, 202, await r.clone().text());
        const img = await settled(id);
        assert.equal(img.status, 'active', p);
        assert.equal(img.checksum, md5(DATA));
        assert.equal(img.os_hash_value, sha512(DATA));
        assert.equal(img.size, DATA.length);
      }
    });

    it('refused at once (400): loopback not listed, a non-http scheme, a URL not allowed', async () => {
      const port = new URL(files.base).port;
      for (const uri of [
        `http://127.0.0.2:${port}/secret`,
        `http://[::1]:${port}/secret`,
        'file:///etc/passwd',
        'ftp://example.org/x',
      ]) {
        const { id, r } = await webImport(uri);
        assert.match(await api.fault(r, 400), /^URI for web-download does not pass filtering/, uri);
        assert.equal((await api.show(A, id)).status, 'queued');
      }
    });

    it('refused on the way (queued + os_glance_failed_import): a host resolving to loopback, a redirect to it, over the cap, a 404', async () => {
      const port = new URL(files.base).port;
      // First a named host that resolves to loopback (allowed: named), so that a kept-alive
      // connection to it exists if anything pooled them: the next one must be checked afresh.
      const named = await webImport(`http://localhost:${port}/public/file`);
      assert.equal(named.r.status, 202);
      assert.equal((await settled(named.id)).status, 'active');
      for (const uri of [
        `http://localhost:${port}/secret`,
        `${files.base}/public/to-loopback`,
        `${files.base}/public/big`,
        `${files.base}/public/missing`,
      ]) {
        const { id, r } = await webImport(uri);
        assert.equal(r.status, 202, uri);
        const img = await settled(id);
        assert.equal(img.status, 'queued', uri);
        assert.equal(img.os_glance_failed_import, 'default', uri);
        assert.equal(img.os_glance_importing_to_stores, '', uri);
        assert.equal(img.checksum, null);
      }
      assert.ok(!files.requested.includes('/secret'), 'the refused address was never reached');
      assert.ok(files.requested.includes('/public/to-loopback'), 'the allowed first hop was');
    });

    it('web-download needs a queued image (409); glance-direct still works beside it', async () => {
      const { image } = await api.create(A);
      assert.equal((await api.stage(A, image.id)).status, 204);
      const r = await api.importIt(A, image.id, { name: 'web-download', uri: `${files.base}/public/file` });
      assert.equal(await api.fault(r, 409), "Image needs to be in 'queued' state to use 'web-download' method");
      assert.equal((await api.importIt(A, image.id)).status, 202);
      assert.equal((await api.show(A, image.id)).status, 'active');
    });
  });
}

describe('web-download and conversion settings', () => {
  it('a bad allow-list entry and conversion without qemu-img are refused at start-up', () => {
    assert.throws(
      () => loadSettings({ webDownloadAllow: 'http://ok.example.org/,bad host' }, {}),
      /PLANKTON_WEB_DOWNLOAD_ALLOW/,
    );
    const saved = process.env.PATH;
    process.env.PATH = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-empty-path-'));
    try {
      assert.throws(
        () => loadSettings({ importConvertTo: 'raw' }, {}),
        /qemu-img on PATH \(Debian package qemu-utils\)/,
      );
    } finally {
      process.env.PATH = saved;
    }
    assert.throws(() => loadSettings({ importConvertTo: 'vmdk' }, {}), /PLANKTON_IMPORT_CONVERT_TO/);
  });
});

for (const dialect of DIALECTS) {
  describe(`v2 import: conversion to raw with qemu-img [${dialect}]`, { skip: qemuMissing }, () => {
    let s: TestServer;
    let A: TestUser;
    let api: ReturnType<typeof v2>;
    let dir: string;

    before(async () => {
      s = await startTestServer(dialect, { importConvertTo: 'raw' });
      A = await s.user('alice-convert@example.org');
      api = v2(s);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-convert-'));
    });
    after(async () => {
      await s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('a qcow2 import becomes raw: disk_format raw, hashes of the raw bytes qemu-img makes', async () => {
      const raw = path.join(dir, 'disk.raw');
      fs.writeFileSync(raw, Buffer.concat([Buffer.from('plankton'.repeat(4096)), Buffer.alloc(1 << 20), DATA]));
      const qcow2 = path.join(dir, 'disk.qcow2');
      execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
      const expected = path.join(dir, 'back.raw');
      execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', qcow2, expected]);
      const want = fs.readFileSync(expected);

      const { image } = await api.create(A, { disk_format: 'qcow2' });
      assert.equal((await api.stage(A, image.id, fs.readFileSync(qcow2))).status, 204);
      const r = await api.importIt(A, image.id);
      assert.equal(r.status, 202, await r.clone().text());
      const img = await api.show(A, image.id);
      assert.equal(img.status, 'active');
      assert.equal(img.disk_format, 'raw');
      assert.equal(img.size, want.length);
      assert.equal(img.checksum, md5(want));
      assert.equal(img.os_hash_value, sha512(want));
      assert.deepEqual(fs.readdirSync(path.join(s.dataDir, 'tmp')), [], 'temporary files removed');
    });

    it('an unsafe qcow2 (backing file) is refused before qemu-img opens it: queued, os_glance_failed_import', async () => {
      const backed = path.join(dir, 'backed.qcow2');
      execFileSync('qemu-img', ['create', '-f', 'qcow2', '-F', 'raw', '-b', '/etc/hostname', backed, '1M']);
      const { image } = await api.create(A, { disk_format: 'qcow2' });
      assert.equal((await api.stage(A, image.id, fs.readFileSync(backed))).status, 204);
      assert.match(await api.fault(await api.importIt(A, image.id), 415), /Image failed safety checks: backing_file/);
      const img = await api.show(A, image.id);
      assert.equal(img.status, 'queued');
      assert.equal(img.disk_format, 'qcow2');
      assert.equal(img.os_glance_failed_import, 'default');
      assert.equal(await s.services.objects.get(STAGING_ACCOUNT, STAGING_CONTAINER, image.id), undefined);
    });
  });
}

describe('v2 import: conversion to qcow2 with qemu-img [sqlite]', { skip: qemuMissing }, () => {
  let s: TestServer;
  let A: TestUser;
  let api: ReturnType<typeof v2>;
  let dir: string;

  before(async () => {
    s = await startTestServer('sqlite', { importConvertTo: 'qcow2' });
    A = await s.user('alice-qcow2@example.org');
    api = v2(s);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-convert-qcow2-'));
  });
  after(async () => {
    await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('raw data imports as a qcow2 that qemu-img reads back to the same bytes', async () => {
    const raw = Buffer.concat([DATA, Buffer.alloc(65_536 - (DATA.length % 65_536))]);
    const { image } = await api.create(A);
    assert.equal((await api.stage(A, image.id, raw)).status, 204);
    assert.equal((await api.importIt(A, image.id)).status, 202);
    const img = await api.show(A, image.id);
    assert.equal(img.status, 'active');
    assert.equal(img.disk_format, 'qcow2');
    const file = Buffer.from(await (await api.call(A, 'GET', `/images/${image.id}/file`)).arrayBuffer());
    assert.equal(img.checksum, md5(file));
    assert.equal(img.size, file.length);
    const qcow2 = path.join(dir, 'got.qcow2');
    fs.writeFileSync(qcow2, file);
    const info = JSON.parse(
      execFileSync('qemu-img', ['info', '--output=json', '-f', 'qcow2', qcow2], { encoding: 'utf8' }),
    );
    assert.equal(info.format, 'qcow2');
    assert.equal(info['virtual-size'], raw.length);
    const back = path.join(dir, 'back.raw');
    execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', qcow2, back]);
    assert.ok(fs.readFileSync(back).equals(raw));
  });
});

for (const dialect of DIALECTS) {
  describe(`v2 import: real clients [${dialect}]`, { skip: clientsMissing }, () => {
    let s: TestServer;
    let A: TestUser;
    let api: ReturnType<typeof v2>;
    let dir: string;

    before(async () => {
      s = await startTestServer(dialect);
      A = await s.user('alice-clients-import@example.org');
      api = v2(s);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-import-clients-'));
    });
    after(async () => {
      await s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('glance image-create-via-import --import-method glance-direct --file: active, checksum of the file', async () => {
      const file = path.join(dir, 'glance.img');
      fs.writeFileSync(file, DATA);
      const r = await glanceCli({ url: s.url, token: A.token }, [
        'image-create-via-import',
        '--name',
        'via-import',
        '--disk-format',
        'raw',
        '--container-format',
        'bare',
        '--import-method',
        'glance-direct',
        '--file',
        file,
      ]);
      assert.equal(r.status, 0, r.stderr);
      const id = /\|\s+id\s+\|\s+([0-9a-f-]{36})/.exec(r.stdout)?.[1];
      assert.ok(id, r.stdout);
      await s.services.images.importsSettled();
      const img = await api.show(A, id);
      assert.equal(img.status, 'active');
      assert.equal(img.checksum, md5(DATA));
    });

    it('openstack image create --import --file: active, checksum of the file', async () => {
      const file = path.join(dir, 'osc.img');
      fs.writeFileSync(file, DATA);
      const r = await openstackCli({ url: s.url, token: A.token }, [
        'image',
        'create',
        '--import',
        '--disk-format',
        'raw',
        '--container-format',
        'bare',
        '--file',
        file,
        '-f',
        'json',
        'osc-import',
      ]);
      assert.equal(r.status, 0, r.stderr);
      const id = (JSON.parse(r.stdout) as { id: string }).id;
      assert.match(id, /^[0-9a-f-]{36}$/, r.stdout);
      await s.services.images.importsSettled();
      const img = await api.show(A, id);
      assert.equal(img.status, 'active');
      assert.equal(img.checksum, md5(DATA));
      assert.equal(img.os_glance_failed_import, '');
    });

    it("openstacksdk create_image(use_import=True, wait=True): active, the file's checksum", async () => {
      const file = path.join(dir, 'sdk.img');
      fs.writeFileSync(file, DATA);
      const script = `
import json, sys, openstack
conn = openstack.connect(auth_type='v3token', auth={'auth_url': sys.argv[1] + '/identity', 'token': sys.argv[2]},
                         region_name='RegionOne', identity_api_version='3')
img = conn.create_image('sdk-import', filename=sys.argv[3], disk_format='raw', container_format='bare',
                        use_import=True, wait=True, timeout=120)
img = conn.image.get_image(img.id)
print(json.dumps({'id': img.id, 'status': img.status, 'checksum': img.checksum}))
`;
      const home = fs.mkdtempSync(path.join(dir, 'home-'));
      // Asynchronously: the server answering the script runs in this process.
      const run = await runPython(script, [s.url, A.token, file], home);
      assert.equal(run.status, 0, run.stderr);
      const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as { id: string; status: string; checksum: string };
      assert.equal(out.status, 'active');
      assert.equal(out.checksum, md5(DATA));
      assert.equal((await api.show(A, out.id)).os_hash_value, sha512(DATA));
    });
  });
}
