/**
 * Large objects with real clients (issue 19 item 5): the `swift` CLI through Keystone v3 uploads
 * with `--segment-size` (a DLO) and with `--use-slo` (an SLO), downloads both byte for byte
 * (swiftclient skips its MD5 check only on the large-object headers), stats and deletes them
 * with their segments; Debian's `rclone` copies a file above `--swift-chunk-size` as segments
 * (`copyto` up and back, `check`). On every database. Skipped, with a message, where a client
 * is not installed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  RCLONE_BIN,
  SWIFT_BIN,
  missingClient,
  ok,
  rcloneEnv,
  run,
  swift as swiftCli,
  swiftV3Args,
} from './helpers/cli-clients.ts';
import { DIALECTS } from './helpers/dialects.ts';
import { call, md5 } from './helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const swiftSkip = missingClient(SWIFT_BIN, 'python3-swiftclient', 'large-object swift CLI tests');
const rcloneSkip = missingClient(RCLONE_BIN, 'rclone', 'large-object rclone tests');

const PASSWORD = 'large objects password';

for (const dialect of DIALECTS) {
  describe(`large objects with real clients [${dialect}]`, () => {
    let s: TestServer;
    let alice: TestUser;
    let dir: string;
    // 3 segments of 2 MiB and a tail: segments that do not fall on 4 MiB block boundaries.
    const big = randomBytes(6 * 1024 * 1024 + 12345);
    const mount = (...segments: string[]) => [`/swift/v1/AUTH_${alice.uuid}`, ...segments].join('/');

    before(async () => {
      s = await startTestServer(dialect);
      alice = await s.user('large-objects-user');
      await s.services.passwords.set(alice.uuid, PASSWORD);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-large-objects-'));
      fs.writeFileSync(path.join(dir, 'big.bin'), big);
      fs.writeFileSync(path.join(dir, 'rclone.conf'), '');
    });
    after(async () => {
      await s?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const swift = (...args: string[]) => swiftCli([...swiftV3Args(s.url, alice.name, PASSWORD), ...args], { cwd: dir });

    for (const kind of ['dlo', 'slo'] as const) {
      it(`swift upload --segment-size ${kind === 'slo' ? '--use-slo ' : ''}and download: the same bytes`, {
        skip: swiftSkip,
      }, async () => {
        const container = `up-${kind}`;
        const extra = kind === 'slo' ? ['--use-slo'] : [];
        await ok(swift('upload', container, 'big.bin', '--segment-size', String(2 * 1024 * 1024), ...extra), 'upload');
        const head = await call(s, 'HEAD', mount(container, 'big.bin'), { token: alice.token });
        assert.equal(head.status, 200);
        assert.equal(Number(head.header('content-length')), big.length);
        if (kind === 'dlo')
          assert.match(head.header('x-object-manifest') ?? '', new RegExp(`^${container}_segments/big.bin/`));
        else assert.equal(head.header('x-static-large-object'), 'True');
        const segments = await call(s, 'GET', mount(`${container}_segments`), { token: alice.token });
        assert.equal(segments.text().trim().split('\n').length, 4, 'four segments');
        const out = path.join(dir, `back-${kind}.bin`);
        await ok(swift('download', container, 'big.bin', '-o', out), 'download');
        assert.equal(md5(fs.readFileSync(out)), md5(big));
        // swift delete removes the manifest and its segments.
        await ok(swift('delete', container, 'big.bin'), 'delete');
        const left = await call(s, 'GET', mount(`${container}_segments`), { token: alice.token });
        assert.equal(left.status === 204 ? '' : left.text().trim(), '', 'no segment left');
      });
    }

    it('rclone copyto of a file above --swift-chunk-size: segments up, the same bytes back, check', {
      skip: rcloneSkip,
    }, async () => {
      const env = rcloneEnv({
        url: s.url,
        user: alice.name,
        key: alice.token,
        config: path.join(dir, 'rclone.conf'),
      });
      const rclone = (...args: string[]) => run(RCLONE_BIN, args, { cwd: dir, env });
      await ok(rclone('mkdir', 'p:rc'), 'mkdir');
      await ok(rclone('copyto', '--swift-chunk-size', '2M', path.join(dir, 'big.bin'), 'p:rc/dir/big.bin'), 'copyto');
      const head = await call(s, 'HEAD', mount('rc', 'dir', 'big.bin'), { token: alice.token });
      assert.equal(Number(head.header('content-length')), big.length);
      assert.ok(
        head.header('x-object-manifest') !== undefined || head.header('x-static-large-object') === 'True',
        'stored as a large object',
      );
      await ok(rclone('copyto', 'p:rc/dir/big.bin', path.join(dir, 'rc-back.bin')), 'copyto back');
      assert.equal(md5(fs.readFileSync(path.join(dir, 'rc-back.bin'))), md5(big));
      await ok(rclone('check', path.join(dir, 'big.bin'), 'p:rc/dir'), 'check');
    });
  });
}
