/**
 * The plumbing of test/helpers/openstack-clients.ts: the real `openstack` and `glance` CLIs run
 * with a token and an explicit image endpoint, a clean environment and a temporary HOME. Until v2
 * is wired this proves it against today's v1 API, and checks that the v2 mode sends its requests
 * to `<url>/image/v2/…` with the token — which stays true once v2 answers them.
 *
 * Not a database test: it exercises the helper, so it runs on SQLite only.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  GLANCE_BIN,
  glanceCli,
  missingOpenStackClients,
  OPENSTACK_BIN,
  openstackCli,
  runClient,
  type ImageApiTarget,
} from '../helpers/openstack-clients.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const missing = missingOpenStackClients();
if (missing) process.stderr.write(`# skipping: ${missing}\n`);

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('OpenStack CLI helper', { skip: missing, concurrency: true }, () => {
  let s: TestServer;
  let target: ImageApiTarget;
  /** A second user for the test that creates an image, so the list tests running beside it see only theirs. */
  let other: ImageApiTarget;
  let dir: string;
  let data: Buffer<ArrayBuffer>;
  let imageId: string;

  before(async () => {
    s = await startTestServer('sqlite');
    const alice = await s.user();
    target = { url: s.url, token: alice.token };
    other = { url: s.url, token: (await s.user()).token };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-osc-test-'));
    data = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
    const r = await s.fetch('/image/v1/images', {
      method: 'POST',
      token: alice.token,
      body: data,
      headers: {
        'Content-Type': 'application/octet-stream',
        'X-Image-Meta-Name': 'demo one',
        'X-Image-Meta-Disk-Format': 'diskdump',
        'X-Image-Meta-Container-Format': 'bare',
      },
    });
    assert.equal(r.status, 200, await r.clone().text());
    imageId = (await r.json()).image.id;
  });
  after(async () => {
    await s?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the installed versions', async () => {
    const osc = await runClient(OPENSTACK_BIN, ['--version']);
    assert.equal(osc.status, 0, osc.stderr);
    assert.match(osc.stdout + osc.stderr, /^openstack 6\.\d+\.\d+$/m);
    const glance = await runClient(GLANCE_BIN, ['--version']);
    assert.equal(glance.status, 0, glance.stderr);
    assert.match(glance.stdout + glance.stderr, /^4\.\d+\.\d+$/m);
  });

  it("openstack, v1 mode: image list [--long] through admin_token + --os-endpoint; the caller's OS_* do not leak in", async () => {
    const saved = { ...process.env };
    // Each of these would break the run if it reached the client.
    Object.assign(process.env, {
      OS_CLOUD: 'no-such-cloud',
      OS_AUTH_URL: 'http://127.0.0.1:9/',
      OS_IMAGE_API_VERSION: '2',
      OS_TOKEN: 'bogus',
    });
    let list: Awaited<ReturnType<typeof openstackCli>>;
    try {
      list = await openstackCli(target, ['image', 'list', '-f', 'json'], { imageApiVersion: '1' });
    } finally {
      for (const k of ['OS_CLOUD', 'OS_AUTH_URL', 'OS_IMAGE_API_VERSION', 'OS_TOKEN'])
        if (!(k in saved)) delete process.env[k];
    }
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), [{ ID: imageId, Name: 'demo one', Status: 'available' }]);

    const long = await openstackCli(target, ['image', 'list', '--long', '-f', 'json'], { imageApiVersion: '1' });
    assert.equal(long.status, 0, long.stderr);
    const [row] = JSON.parse(long.stdout);
    assert.equal(row.ID, imageId);
    assert.equal(row.Size, data.length);
    assert.equal(row.Checksum, md5(data));
    assert.equal(row['Disk Format'], 'diskdump');
  });

  it('glance, v1 mode: image-list and image-download --file', async () => {
    const list = await glanceCli(target, ['image-list'], { imageApiVersion: '1' });
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`\\| ${imageId} \\| demo one `));
    const out = path.join(dir, 'out.img');
    const download = await glanceCli(target, ['image-download', '--file', out, imageId], { imageApiVersion: '1' });
    assert.equal(download.status, 0, download.stderr);
    assert.equal(md5(fs.readFileSync(out)), md5(data));
  });

  it('stdin from a file is image data (glance v1 image-create)', async () => {
    const file = path.join(dir, 'in.img');
    const payload = Buffer.from('plankton image data from stdin\n');
    fs.writeFileSync(file, payload);
    const created = await glanceCli(
      other,
      ['image-create', '--name', 'from stdin', '--disk-format', 'diskdump', '--container-format', 'bare'],
      { imageApiVersion: '1', stdin: { file } },
    );
    assert.equal(created.status, 0, created.stderr);
    const id = /\| id +\| ([0-9a-f-]{36}) +\|/.exec(created.stdout)?.[1];
    assert.ok(id, created.stdout);
    const head = await s.fetch(`/image/v1/images/${id}`, { method: 'HEAD', token: other.token });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('x-image-meta-checksum'), md5(payload));
    assert.equal(head.headers.get('x-image-meta-size'), String(payload.length));
  });

  it('v2 mode asks <url>/image/v2/… with the token (glance and openstack, --debug)', async () => {
    const glance = await glanceCli(target, ['image-list'], { debug: true });
    assert.ok(glance.stderr.includes(`${s.url}/image/v2/images?limit=200&sort_key=name&sort_dir=asc`), glance.stderr);
    assert.ok(glance.stderr.includes(target.token), 'glanceclient sends the token');
    const osc = await openstackCli(target, ['image', 'list'], { debug: true });
    assert.ok(osc.stderr.includes(`GET ${s.url}/image/v2/images`), osc.stderr);
    // openstacksdk logs the token as its SHA-256.
    assert.ok(osc.stderr.includes(`X-Auth-Token: {SHA256}${sha256(target.token)}`), osc.stderr);
  });
});
