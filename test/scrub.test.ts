/**
 * `plankton scrub` (src/domain/objects/scrub.ts) on every database (SQLite, and PostgreSQL with
 * PG_URL) and every block store (a local folder, and S3 with PLANKTON_TEST_S3 under a key prefix of
 * its own): a clean store passes; a block flipped on disk (or replaced on S3) and a block removed
 * are reported with the objects and images that use them, and the exit status says so. The real
 * command runs as its own process next to the serving server. A last suite scrubs in-process while
 * overwrites and `gc --grace 0` race it: nothing may be reported.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectGarbage } from '../src/domain/objects/gc.ts';
import { type ScrubReport, scrubBlocks } from '../src/domain/objects/scrub.ts';
import { cleanEnv } from './helpers/child-server.ts';
import { DIALECTS } from './helpers/dialects.ts';
import { location, register } from './helpers/image-client.ts';
import { Store, blockHashOf } from './helpers/object-store.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/plankton.js');
const S3 = process.env.PLANKTON_TEST_S3;
const STORES = S3 ? (['local', 's3'] as const) : (['local'] as const);

function privateS3Url(): string {
  const u = new URL(S3!);
  const mine = `plankton-scrub-test-${randomUUID()}`;
  const prefix = u.searchParams.get('prefix');
  u.searchParams.set('prefix', prefix ? `${prefix.replace(/\/+$/, '')}/${mine}` : mine);
  return u.toString();
}

/** Random bytes without a trailing NUL, so the stored block is exactly these bytes. */
function randomData(length: number): Buffer {
  const data = randomBytes(length);
  data[length - 1] = 1;
  return data;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { env: cleanEnv() }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      if (err && code === null) return reject(err);
      resolve({ code, stdout, stderr });
    });
  });
}

for (const dialect of DIALECTS) {
  for (const blocks of STORES) {
    describe(`plankton scrub on ${dialect} with ${blocks} blocks`, () => {
      let s: TestServer;
      let store: Store;
      let storage: string[];
      const data = { imaged: randomData(40_000), plain: randomData(30_000), healthy: randomData(20_000) };
      const hash = {
        imaged: blockHashOf(data.imaged),
        plain: blockHashOf(data.plain),
        healthy: blockHashOf(data.healthy),
      };
      let imageId: string;

      before(async () => {
        s = await startTestServer(dialect, blocks === 's3' ? { blocks: privateS3Url() } : {});
        store = new Store(s, await s.user());
        await store.putContainer('c');
        for (const [name, bytes] of Object.entries(data)) await store.put('c', name, bytes);
        imageId = await register(s, store.user, 'scrubbed', location(store.uuid, 'c', 'imaged'));
        const settings = s.services.settings;
        storage = [
          '--data-dir',
          s.dataDir,
          '--blocks',
          settings.blocks,
          ...(settings.databaseUrl ? ['--database-url', settings.databaseUrl] : []),
        ];
      });
      after(async () => {
        await s?.close();
      });

      it('a clean store: every block read, nothing reported, exit status 0', async () => {
        const r = await runCli(['scrub', '--json', ...storage]);
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /\r|blocks read/, 'no progress bar off a terminal');
        const report = JSON.parse(r.stdout) as ScrubReport;
        assert.equal(r.stdout.trim().split('\n').length, 1, 'one JSON line');
        assert.equal(report.ok, true);
        assert.equal(report.checked, 3);
        assert.equal(report.bytes, 90_000);
        assert.equal(report.objects, 3);
        assert.deepEqual(report.corrupt, []);
        assert.deepEqual(report.missing, []);
        assert.deepEqual(report.damaged, []);
      });

      it('a corrupt and a missing block: reported with their objects and the image, exit status 1', async () => {
        if (blocks === 'local') {
          const file = path.join(s.dataDir, 'blocks', hash.imaged.slice(0, 2), hash.imaged.slice(2, 4), hash.imaged);
          const bytes = fs.readFileSync(file);
          bytes[1234] ^= 0x40; // one flipped bit, as bit rot does
          fs.writeFileSync(file, bytes);
        } else {
          // S3 objects cannot be edited in place: replace the block's object with other bytes.
          await s.services.blocks.delete(hash.imaged);
          await s.services.blocks.put(hash.imaged, randomData(40_000));
        }
        await s.services.blocks.delete(hash.plain);

        const r = await runCli(['scrub', '--json', ...storage]);
        assert.equal(r.code, 1, r.stderr);
        const report = JSON.parse(r.stdout) as ScrubReport;
        assert.equal(report.ok, false);
        assert.equal(report.checked, 2, 'the two stored blocks');
        assert.deepEqual(report.corrupt, [hash.imaged]);
        assert.deepEqual(report.missing, [hash.plain]);
        const byName = new Map(report.damaged.map((d) => [d.name, d]));
        assert.deepEqual([...byName.keys()].sort(), ['imaged', 'plain']);
        const imaged = byName.get('imaged')!;
        assert.equal(imaged.account, store.uuid);
        assert.equal(imaged.container, 'c');
        assert.equal(imaged.uuid, imageId, "an image's id is its object's uuid");
        assert.deepEqual(imaged.corrupt, [hash.imaged]);
        assert.deepEqual(imaged.missing, []);
        assert.deepEqual(
          imaged.images.map((i) => [i.id, i.name, i.owner]),
          [[imageId, 'scrubbed', store.uuid]],
        );
        const plain = byName.get('plain')!;
        assert.deepEqual(plain.missing, [hash.plain]);
        assert.deepEqual(plain.corrupt, []);
        assert.deepEqual(plain.images, []);

        // The same findings for a person, rate-limited (the cap is far above 90 KB, so no wait).
        const human = await runCli(['scrub', '--rate', '200', ...storage]);
        assert.equal(human.code, 1, human.stderr);
        const lines = human.stdout.trim().split('\n');
        assert.ok(lines.includes(`corrupt ${hash.imaged}`), human.stdout);
        assert.ok(lines.includes(`missing ${hash.plain}`), human.stdout);
        assert.ok(lines.includes(`object ${store.uuid}/c/imaged (${imageId}): 1 corrupt block(s)`), human.stdout);
        assert.ok(
          lines.some((l) => l.startsWith(`  image ${imageId} "scrubbed" owner ${store.uuid}`)),
          human.stdout,
        );
        assert.ok(lines.includes(`object ${store.uuid}/c/plain (${await objectUuid('plain')}): 1 missing block(s)`));
        assert.match(lines.at(-1)!, /^read 2 blocks .*scanned 3 objects: 1 corrupt, 1 missing, 2 damaged objects$/);

        // Scrub reads only: the server still serves the healthy object, and the broken ones as before.
        const healthy = await store.req('GET', `c/healthy`);
        assert.equal(healthy.status, 200);
        assert.equal(Buffer.compare(healthy.body, data.healthy), 0);
      });

      it('a bad --rate is a usage error (exit status 2)', async () => {
        for (const rate of ['0', 'fast']) {
          const r = await runCli(['scrub', '--rate', rate, ...storage]);
          assert.equal(r.code, 2, `${rate}: ${r.stderr}`);
          assert.match(r.stderr, /invalid --rate/);
        }
      });

      async function objectUuid(name: string): Promise<string> {
        const r = await store.req('HEAD', `c/${name}`);
        return r.header('x-object-uuid')!;
      }
    });
  }
}

for (const dialect of DIALECTS) {
  describe(`scrub while overwrites and gc --grace 0 race it, on ${dialect}`, () => {
    let s: TestServer;
    let store: Store;
    before(async () => {
      s = await startTestServer(dialect);
      store = new Store(s, await s.user());
      await store.putContainer('c');
      for (let i = 0; i < 8; i++) await store.put('c', `o${i}`, randomData(10_000));
    });
    after(async () => {
      await s?.close();
    });

    it('reports nothing: blocks freed and collected meanwhile are no damage', async () => {
      let racing = true;
      let writes = 0;
      const writers = Array.from({ length: 3 }, async (_, w) => {
        while (racing) {
          const r = await store.req('PUT', `c/o${(writes + w) % 8}`, { body: randomData(10_000) });
          // With no grace, gc may remove a block a streamed upload stored but has not committed:
          // that upload fails (nothing committed, documented for --grace 0); the rest succeed.
          assert.ok(r.status === 201 || r.status >= 500, `${r.status} ${r.text()}`);
          if (r.status === 201) writes++;
        }
      });
      const collector = (async () => {
        while (racing) await collectGarbage(s.services.metadata.db, s.services.blocks, { graceSeconds: 0 });
      })();
      const reports: ScrubReport[] = [];
      try {
        for (let i = 0; i < 4; i++) reports.push(await scrubBlocks(s.services.metadata.db, s.services.blocks));
      } finally {
        racing = false;
        await Promise.all([...writers, collector]);
      }
      assert.ok(writes > 0, 'some overwrites committed');
      for (const r of reports) {
        assert.deepEqual(r.corrupt, []);
        assert.deepEqual(r.missing, []);
        assert.equal(r.ok, true);
      }
      const quiet = await scrubBlocks(s.services.metadata.db, s.services.blocks);
      assert.equal(quiet.ok, true);
      assert.equal(quiet.objects, 8);
    });
  });
}
