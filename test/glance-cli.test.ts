/**
 * The real Debian `glance` CLI (python3-glanceclient, image API v1) against the real server
 * (clients.md §1). Standard input matters to this client (§1.1): commands that upload nothing run
 * with stdin closed (`<&-`); the one exception is a metadata-only `image-update` of an available
 * image, which glanceclient 4.1.0 cannot do with a closed stdin (it calls `sys.stdin.isatty()`
 * on None), so it runs on a pseudo-terminal, like a user at a shell.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DIALECTS } from './helpers/dialects.ts';
import { location, putObject } from './helpers/image-client.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const GLANCE = '/usr/bin/glance';
/**
 * Per command: a Python client starts in a second or two idle and many times that on a loaded
 * 2-core machine; the limit is there only to end a command that hangs.
 */
const CLI_LIMIT_MS = 180_000;
const missing = fs.existsSync(GLANCE)
  ? false
  : `${GLANCE} not found: install python3-glanceclient to run the glance CLI tests`;
if (missing) process.stderr.write(`# skipping: ${missing}\n`);

const run = promisify(execFile);
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

interface Result {
  code: number;
  out: string;
}

/** Parses glance's property table (`| key | value |`), joining wrapped value lines. */
function properties(out: string): Record<string, string> {
  const rows = out
    .split(/\r?\n/)
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  const map: Record<string, string> = {};
  let last = '';
  for (const [k, v] of rows.slice(1)) {
    if (k === '' && last) map[last] += v;
    else {
      last = k;
      map[k] = v;
    }
  }
  return map;
}

/** The first column of a list table (ids), header excluded. */
const firstColumn = (out: string): string[] =>
  out
    .split(/\r?\n/)
    .filter((l) => l.startsWith('|'))
    .slice(1)
    .map((l) => l.split('|')[1].trim());

for (const dialect of DIALECTS) {
  // The tests share nothing but the server, and each runs a dozen slow Python start-ups: run them side by side.
  describe(`glance CLI v1 [${dialect}]`, { skip: missing, concurrency: true }, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let dir: string;
    let file: string;
    let data: Buffer;

    const base = (user: TestUser) => [
      '--os-image-api-version',
      '1',
      '--os-image-url',
      `${s.url}/image`,
      '--os-auth-token',
      user.token,
    ];

    /** glance with standard input closed (`<&-`): "no data" to this client. */
    async function glance(user: TestUser, ...args: string[]): Promise<Result> {
      return capture(
        run('bash', ['-c', `exec ${GLANCE} "$@" <&-`, 'glance', ...base(user), ...args], {
          encoding: 'utf8',
          timeout: CLI_LIMIT_MS,
        }),
      );
    }

    /** glance with standard input open on /dev/null: not a terminal, so it reads stdin as image data. */
    async function glanceDevNull(user: TestUser, ...args: string[]): Promise<Result> {
      return capture(
        run('bash', ['-c', `exec ${GLANCE} "$@" </dev/null`, 'glance', ...base(user), ...args], {
          encoding: 'utf8',
          timeout: CLI_LIMIT_MS,
        }),
      );
    }

    /** glance on a pseudo-terminal (util-linux `script`), as typed at a shell. */
    async function glanceTty(user: TestUser, ...args: string[]): Promise<Result> {
      const command = [GLANCE, ...base(user), ...args].map(shellQuote).join(' ');
      return capture(
        run('bash', ['-c', `exec script -qec ${shellQuote(command)} /dev/null </dev/null`], {
          encoding: 'utf8',
          timeout: CLI_LIMIT_MS,
        }),
      );
    }

    async function capture(p: Promise<{ stdout: string; stderr: string }>): Promise<Result> {
      try {
        const { stdout, stderr } = await p;
        return { code: 0, out: stdout + stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
      }
    }

    const ok = (r: Result, what: string) => assert.equal(r.code, 0, `${what} failed:\n${r.out}`);

    before(async () => {
      s = await startTestServer(dialect);
      alice = await s.user('glance-alice@example.org');
      bob = await s.user('glance-bob@example.org');
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-glance-'));
      file = path.join(dir, 'disk.raw');
      data = Buffer.alloc(1024 * 1024 + 7, 3);
      data[0] = 42;
      fs.writeFileSync(file, data);
    });
    after(async () => {
      await s?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('image-create --file, image-show, image-download (MD5 verified), image-update, image-delete', async () => {
      const created = await glance(
        alice,
        'image-create',
        '--name',
        'g1',
        '--disk-format',
        'raw',
        '--container-format',
        'bare',
        '--property',
        'distro=debian',
        '--min-ram',
        '512',
        '--file',
        file,
      );
      ok(created, 'image-create');
      const c = properties(created.out);
      assert.equal(c.status, 'available');
      assert.equal(c.checksum, md5(data));
      assert.equal(c.size, String(data.length));
      assert.equal(c["Property 'distro'"], 'debian');
      assert.equal(c.min_ram, '512');
      const id = c.id;

      const shown = await glance(alice, 'image-show', id);
      ok(shown, 'image-show');
      const p = properties(shown.out);
      assert.deepEqual(
        [p.name, p.status, p.owner, p.disk_format, p.is_public],
        ['g1', 'available', alice.uuid, 'raw', 'False'],
      );
      assert.equal(p.location, `pithos://${alice.uuid}/images/${id}`);

      const out = path.join(dir, 'copy.raw');
      ok(await glance(alice, 'image-download', '--file', out, id), 'image-download');
      assert.equal(md5(fs.readFileSync(out)), md5(data));

      const updated = await glanceTty(
        alice,
        'image-update',
        id,
        '--name',
        'g1 renamed',
        '--property',
        'extra=1',
        '--min-disk',
        '2',
      );
      ok(updated, 'image-update');
      const u = properties((await glance(alice, 'image-show', id)).out);
      assert.equal(u.name, 'g1%20renamed', 'image-show prints header values as received');
      assert.equal(u["Property 'extra'"], '1');
      assert.equal(u["Property 'distro'"], 'debian', 'properties merge');
      assert.equal(u.min_disk, '2');

      const purged = await glanceTty(alice, 'image-update', id, '--property', 'only=this', '--purge-props');
      ok(purged, 'image-update --purge-props');
      const pp = properties((await glance(alice, 'image-show', id)).out);
      assert.equal(pp["Property 'only'"], 'this');
      assert.equal(pp["Property 'distro'"], undefined);

      const refused = await glance(alice, 'image-update', id, '--file', file);
      assert.notEqual(refused.code, 0, 'no upload into an available image');

      ok(await glance(alice, 'image-delete', id), 'image-delete');
      const gone = await glance(alice, 'image-show', id);
      assert.notEqual(gone.code, 0);
      assert.match(gone.out, /No image with a name or ID/);
      assert.equal(
        (await s.fetch(`/object-store/v1/${alice.uuid}/images/${id}`, { method: 'HEAD', token: alice.token })).status,
        200,
        'the file stays',
      );
    });

    it('member-create, member-list (by image and by tenant), member-delete', async () => {
      const id = properties(
        (
          await glance(
            alice,
            'image-create',
            '--name',
            'shared',
            '--disk-format',
            'raw',
            '--container-format',
            'bare',
            '--file',
            file,
          )
        ).out,
      ).id;
      ok(await glance(alice, 'member-create', id, bob.uuid), 'member-create');
      const byImage = await glance(alice, 'member-list', '--image-id', id);
      ok(byImage, 'member-list --image-id');
      assert.match(byImage.out, new RegExp(bob.uuid));
      assert.match(byImage.out, new RegExp(alice.uuid), 'the owner is a member of a new image');
      // bob's own image (here a reservation, queued) lists him as member but is not shared with him.
      const own = await s.fetch('/image/v1/images', {
        method: 'POST',
        token: bob.token,
        headers: { 'X-Image-Meta-Name': 'bobs-own' },
      });
      assert.equal(own.status, 200);
      const ownId = own.headers.get('x-image-meta-id')!;
      const byTenant = await glance(bob, 'member-list', '--tenant-id', bob.uuid);
      ok(byTenant, 'member-list --tenant-id');
      assert.match(byTenant.out, new RegExp(`${id}\\s*\\|\\s*${bob.uuid}`));
      assert.ok(firstColumn(byTenant.out).includes(id));
      assert.ok(
        !firstColumn(byTenant.out).includes(ownId),
        `bob's own image is not listed as shared with him:\n${byTenant.out}`,
      );
      assert.equal(properties((await glance(bob, 'image-show', id)).out).name, 'shared', 'a member can read the image');
      ok(await glance(alice, 'member-delete', id, bob.uuid), 'member-delete');
      assert.doesNotMatch((await glance(alice, 'member-list', '--image-id', id)).out, new RegExp(bob.uuid));
      assert.notEqual((await glance(bob, 'image-show', id)).code, 0, 'no longer readable by bob');
    });

    it('image-list pages with --page-size smaller than the number of images', async () => {
      const lister = await s.user('glance-lister@example.org');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await glance(
          lister,
          'image-create',
          '--name',
          `page-${i}`,
          '--disk-format',
          'raw',
          '--container-format',
          'bare',
          '--file',
          file,
        );
        ok(r, 'image-create');
        ids.push(properties(r.out).id);
      }
      const listed = await glance(lister, 'image-list', '--page-size', '2');
      ok(listed, 'image-list');
      assert.deepEqual(firstColumn(listed.out).sort(), [...ids].sort());
      const filtered = await glance(lister, 'image-list', '--name', 'page-3');
      assert.deepEqual(firstColumn(filtered.out), [ids[3]]);
      const byProperty = await glance(
        lister,
        'image-list',
        '--size-min',
        String(data.length),
        '--disk-format',
        'raw',
        '--page-size',
        '3',
      );
      assert.equal(firstColumn(byProperty.out).length, 5);
    });

    it('reserves with stdin closed or empty, then uploads with image-update --file', async () => {
      const closed = await glance(
        alice,
        'image-create',
        '--name',
        'q-closed',
        '--disk-format',
        'raw',
        '--container-format',
        'bare',
      );
      ok(closed, 'image-create (stdin closed)');
      const q1 = properties(closed.out);
      assert.deepEqual([q1.status, q1.size, q1.checksum], ['queued', '0', '']);
      const devnull = await glanceDevNull(
        alice,
        'image-create',
        '--name',
        'q-devnull',
        '--disk-format',
        'raw',
        '--container-format',
        'bare',
      );
      ok(devnull, 'image-create (stdin /dev/null)');
      const q2 = properties(devnull.out);
      assert.equal(q2.status, 'queued', 'an empty body is no data');

      for (const id of [q1.id, q2.id]) {
        const up = await glance(alice, 'image-update', id, '--file', file);
        ok(up, 'image-update --file');
        const u = properties(up.out);
        assert.deepEqual([u.status, u.checksum, u.size], ['available', md5(data), String(data.length)]);
      }
    });

    it('registers an existing object with --location; refuses --copy-from', async () => {
      await putObject(s, alice, 'images', 'my file.img', Buffer.from('registered bytes'));
      const r = await glance(
        alice,
        'image-create',
        '--name',
        'reg',
        '--disk-format',
        'raw',
        '--container-format',
        'bare',
        '--location',
        location(alice.uuid, 'images', 'my file.img'),
      );
      ok(r, 'image-create --location');
      const p = properties(r.out);
      assert.equal(p.status, 'available');
      assert.equal(p.location, `pithos://${alice.uuid}/images/my%20file.img`);
      const out = path.join(dir, 'reg.out');
      ok(await glance(alice, 'image-download', '--file', out, p.id), 'image-download of a registered image');
      assert.equal(fs.readFileSync(out, 'utf8'), 'registered bytes');
      const copy = await glance(
        alice,
        'image-create',
        '--name',
        'c',
        '--disk-format',
        'raw',
        '--container-format',
        'bare',
        '--copy-from',
        'http://example.org/x.img',
      );
      assert.notEqual(copy.code, 0);
      assert.match(copy.out, /External sources are not supported|400/);
    });
  });
}
