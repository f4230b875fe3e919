/**
 * `plankton gc` (src/domain/objects/gc.ts) against a real server, on every database (SQLite, and
 * PostgreSQL with PG_URL) and every block store (a local folder, and S3 with PLANKTON_TEST_S3; each
 * suite uses its own key prefix, since gc removes whatever the store holds and nobody references).
 * The collector runs in the server's process, on its services, while the server serves; the CLI
 * suite runs the real `plankton gc` process next to a serving server.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ProgressBar, renderProgress } from '../src/cli/progress-bar.ts';
import { EMPTY_HASH, unpackHashmap } from '../src/domain/hashing.ts';
import { collectGarbage, type GcOptions, type GcReport } from '../src/domain/objects/gc.ts';
import {
  VERSION_TABLES,
  committedHashmaps,
  countObjectVersions,
  hashmapsNewerThan,
} from '../src/storage/metadata/block-references.ts';
import { MetadataStore } from '../src/storage/metadata/database.ts';
import { cleanEnv } from './helpers/child-server.ts';
import { DIALECTS, freshPostgresDatabase } from './helpers/dialects.ts';
import { BLOCK, Store, blockHashOf, bytesOf, md5, p, sha256, splitBlocks, type Reply } from './helpers/object-store.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/plankton.js');
const S3 = process.env.PLANKTON_TEST_S3;
const STORES = S3 ? (['local', 's3'] as const) : (['local'] as const);

/** The S3 test URL with a key prefix of its own, so gc never sees anyone else's blocks. */
function privateS3Url(): string {
  const u = new URL(S3!);
  const mine = `plankton-gc-test-${randomUUID()}`;
  const prefix = u.searchParams.get('prefix');
  u.searchParams.set('prefix', prefix ? `${prefix.replace(/\/+$/, '')}/${mine}` : mine);
  return u.toString();
}

const hashesOf = (data: Buffer): string[] => splitBlocks(data).map(blockHashOf);
const sorted = (hashes: readonly string[]): string[] => [...hashes].sort();

/** Random bytes without a trailing NUL, so the stored block is exactly these bytes. */
function randomData(length: number): Buffer {
  const data = randomBytes(length);
  data[length - 1] = 1;
  return data;
}

for (const dialect of DIALECTS) {
  for (const blocks of STORES) {
    describe(`gc on ${dialect} with ${blocks} blocks`, () => {
      let s: TestServer;
      let store: Store;

      before(async () => {
        s = await startTestServer(dialect, blocks === 's3' ? { blocks: privateS3Url() } : {});
        store = new Store(s, await s.user());
        // The cases below are about live versions only: this container keeps no history (the
        // versioned cases use `v`, whose policy is Pithos's default `auto`).
        await store.putContainer('c', { 'X-Container-Policy-Versioning': 'none' });
        await store.putContainer('v');
      });
      after(async () => {
        if (!s) return;
        if (blocks === 's3') {
          const left: string[] = [];
          for await (const b of s.services.blocks.list()) left.push(b.hash);
          await s.services.blocks.deleteMany(left);
        }
        await s.close();
      });

      /**
       * One collection in the server's process. Blocks written up to now count as old: `now` is a
       * little ahead of the clock, as if the grace period had passed since.
       */
      const gc = (opts: Partial<GcOptions> = {}): Promise<GcReport> =>
        collectGarbage(s.services.metadata.db, s.services.blocks, { graceSeconds: 0, now: Date.now() + 1500, ...opts });

      /** kamaki's block POST without a hashmap PUT after it: a stored block nothing references. */
      async function strayBlock(): Promise<string> {
        const data = randomData(3000);
        const r = await store.req('POST', p(store.uuid, 'c', undefined, 'update&format=json'), {
          body: data,
          headers: { 'Content-Type': 'application/octet-stream' },
        });
        assert.equal(r.status, 202, r.text());
        assert.deepEqual(r.json(), [blockHashOf(data)]);
        return blockHashOf(data);
      }

      const stored = async (hashes: readonly string[]): Promise<boolean> =>
        (await s.services.blocks.missing(hashes)).length === 0;
      const gone = async (hashes: readonly string[]): Promise<boolean> =>
        (await s.services.blocks.missing(hashes)).length === new Set(hashes).size;

      async function assertReadsBack(name: string, data: Buffer, container = 'c'): Promise<void> {
        const r = await store.req('GET', p(store.uuid, container, name));
        assert.equal(r.status, 200, `GET ${name}: ${r.status} ${r.text().slice(0, 200)}`);
        assert.ok(r.body.equals(data), `${name} reads back byte-exact`);
      }

      /** The invariant itself: every block of every committed version is in the store. */
      async function assertNoVersionMissesABlock(): Promise<void> {
        const referenced = new Set<string>();
        for (const table of VERSION_TABLES)
          for await (const page of committedHashmaps(s.services.metadata.db, table)) {
            for (const packed of page) for (const h of unpackHashmap(packed)) if (h !== EMPTY_HASH) referenced.add(h);
          }
        assert.deepEqual(
          await s.services.blocks.missing([...referenced]),
          [],
          'blocks missing under committed versions',
        );
      }

      it('removes unreferenced old blocks and keeps referenced ones', async () => {
        const data = bytesOf(`kept-${randomUUID()}`, BLOCK + 5000); // two blocks
        await store.put('c', 'kept', data);
        const stray = [await strayBlock(), await strayBlock()];
        const report = await gc();
        assert.equal(report.dryRun, false);
        assert.ok(report.scanned >= 4, `scanned ${report.scanned}`);
        assert.ok(report.candidates >= 4, `candidates ${report.candidates}`);
        for (const h of stray) assert.ok(report.removed.includes(h), `stray ${h} removed`);
        for (const h of hashesOf(data)) assert.ok(!report.removed.includes(h), `referenced ${h} kept`);
        assert.ok(await gone(stray));
        assert.ok(await stored(hashesOf(data)));
        await assertReadsBack('kept', data);
        // Nothing left to do: a second run removes nothing.
        assert.deepEqual((await gc()).removed, []);
      });

      it('keeps blocks younger than the grace period', async () => {
        const young = await strayBlock();
        const report = await gc({ graceSeconds: 3600, now: undefined });
        assert.ok(!report.removed.includes(young));
        assert.ok(await stored([young]));
      });

      it('the cutoff is now minus the grace period: older blocks go, newer ones stay', async () => {
        const older = await strayBlock();
        await new Promise((r) => setTimeout(r, 1100)); // S3 keeps write times in whole seconds
        const newer = await strayBlock();
        const writtenAt = new Map<string, number>();
        for await (const b of s.services.blocks.list()) writtenAt.set(b.hash, b.writtenAt.getTime());
        const [a, b] = [writtenAt.get(older)!, writtenAt.get(newer)!];
        assert.ok(a < b, 'the store saw two write times');
        // As seen at the newer block's write time, with a grace of half the gap between the two.
        const report = await gc({ now: b, graceSeconds: (b - a) / 2000 });
        assert.ok(report.removed.includes(older));
        assert.ok(!report.removed.includes(newer));
        assert.ok(await gone([older]));
        assert.ok(await stored([newer]));
      });

      it('keeps blocks shared by two objects while either one lives', async () => {
        const data = bytesOf(`shared-${randomUUID()}`, 20_000);
        await store.put('c', 'first', data);
        await store.put('c', 'second', data);
        const copied = await store.req('COPY', p(store.uuid, 'c', 'first'), { headers: { Destination: '/c/third' } });
        assert.equal(copied.status, 201, copied.text());
        const hashes = hashesOf(data);

        assert.equal((await store.req('DELETE', p(store.uuid, 'c', 'first'))).status, 204);
        assert.equal((await store.req('DELETE', p(store.uuid, 'c', 'third'))).status, 204);
        const report = await gc();
        for (const h of hashes) assert.ok(!report.removed.includes(h));
        await assertReadsBack('second', data);

        assert.equal((await store.req('DELETE', p(store.uuid, 'c', 'second'))).status, 204);
        const last = await gc();
        assert.deepEqual(sorted(last.removed.filter((h) => hashes.includes(h))), sorted(hashes));
        assert.ok(await gone(hashes));
      });

      it("keeps the live version's blocks; an overwritten version's blocks go (no history is kept)", async () => {
        const v1 = bytesOf(`v1-${randomUUID()}`, 9000);
        const v2 = bytesOf(`v2-${randomUUID()}`, 7000);
        await store.put('c', 'versioned', v1);
        await store.put('c', 'versioned', v2);
        // A meta change makes a new version with the same content; a move, a new version elsewhere.
        const meta = await store.req('POST', p(store.uuid, 'c', 'versioned'), {
          headers: { 'X-Object-Meta-Colour': 'blue' },
        });
        assert.equal(meta.status, 202, meta.text());
        const moved = await store.req('MOVE', p(store.uuid, 'c', 'versioned'), {
          headers: { Destination: '/c/moved' },
        });
        assert.equal(moved.status, 201, moved.text());

        const report = await gc();
        assert.ok(report.removed.includes(hashesOf(v1)[0]), "the overwritten version's block goes");
        assert.ok(!report.removed.includes(hashesOf(v2)[0]), "the live version's block stays");
        assert.ok(await gone(hashesOf(v1)));
        await assertReadsBack('moved', v2);
      });

      it('versioning auto: kept versions keep their blocks, a purge frees them, a restore reads back', async () => {
        const v1 = bytesOf(`kept-v1-${randomUUID()}`, BLOCK + 3000); // two blocks
        const v2 = bytesOf(`kept-v2-${randomUUID()}`, 6000);
        const v3 = bytesOf(`kept-v3-${randomUUID()}`, 5000);
        const first = Number((await store.put('v', 'doc', v1)).header('x-object-version'));
        await store.put('v', 'doc', v2);
        await store.put('v', 'gone', v3);
        assert.equal((await store.req('DELETE', p(store.uuid, 'v', 'gone'))).status, 204);
        const moved = await store.req('MOVE', p(store.uuid, 'v', 'doc'), { headers: { Destination: '/v/moved' } });
        assert.equal(moved.status, 201, moved.text());

        // Overwritten, deleted and moved-away versions are all kept: gc removes none of their blocks.
        const report = await gc();
        for (const h of [...hashesOf(v1), ...hashesOf(v2), ...hashesOf(v3)])
          assert.ok(!report.removed.includes(h), `kept version's block ${h} stays`);
        assert.ok(await stored([...hashesOf(v1), ...hashesOf(v3)]));
        await assertNoVersionMissesABlock();
        const old = await store.req('GET', p(store.uuid, 'v', 'doc', `version=${first}`));
        assert.equal(old.status, 200);
        assert.ok(old.body.equals(v1), 'the first version reads back after gc');

        // A restore of the deleted object's version is a new live version on the same blocks.
        const listed = await store.req('GET', p(store.uuid, 'v', 'gone', 'version=list&format=json'));
        const [[goneVersion]] = (listed.json() as { versions: [number, number][] }).versions;
        const restored = await store.req('PUT', p(store.uuid, 'v', 'back'), {
          headers: { 'X-Copy-From': '/v/gone', 'X-Source-Version': String(goneVersion), 'Content-Length': '0' },
        });
        assert.equal(restored.status, 201, restored.text());

        // Purging the history frees what only the history held: v1's blocks (doc's first version);
        // v2 lives on as `moved`, v3 as `back`.
        const purge = await store.req(
          'DELETE',
          p(store.uuid, 'v', undefined, `until=${Math.floor(Date.now() / 1000) + 1}`),
        );
        assert.equal(purge.status, 204);
        const after = await gc();
        assert.deepEqual(sorted(after.removed.filter((h) => hashesOf(v1).includes(h))), sorted(hashesOf(v1)));
        assert.ok(await gone(hashesOf(v1)));
        assert.ok(await stored([...hashesOf(v2), ...hashesOf(v3)]));
        await assertReadsBack('moved', v2, 'v');
        await assertReadsBack('back', v3, 'v');
        await assertNoVersionMissesABlock();
      });

      it('versioning auto: deleting the container drops its history, and gc then frees the blocks', async () => {
        await store.putContainer('vdrop');
        const data = bytesOf(`drop-${randomUUID()}`, 7000);
        await store.put('vdrop', 'o', data);
        assert.equal((await store.req('DELETE', p(store.uuid, 'vdrop', 'o'))).status, 204);
        assert.ok(!(await gc()).removed.includes(hashesOf(data)[0]), 'the deleted version is kept');
        assert.equal((await store.req('DELETE', p(store.uuid, 'vdrop'))).status, 204);
        assert.ok((await gc()).removed.includes(hashesOf(data)[0]));
        assert.ok(await gone(hashesOf(data)));
      });

      it('--dry-run deletes nothing and reports what a real run then removes', async () => {
        const stray = [await strayBlock(), await strayBlock(), await strayBlock()];
        const dry = await gc({ dryRun: true });
        assert.equal(dry.dryRun, true);
        for (const h of stray) assert.ok(dry.removed.includes(h));
        assert.ok(await stored(stray), 'a dry run removes nothing');
        const real = await gc();
        assert.deepEqual(sorted(real.removed), sorted(dry.removed));
        assert.equal(real.candidates, dry.candidates);
        assert.ok(await gone(stray));
      });

      it('sweeps in batches, each under the commit lock', async () => {
        const stray = [
          await strayBlock(),
          await strayBlock(),
          await strayBlock(),
          await strayBlock(),
          await strayBlock(),
        ];
        const sweeps: number[] = [];
        const report = await gc({ sweepBatch: 2, onProgress: (pr) => pr.phase === 'sweep' && sweeps.push(pr.done) });
        assert.deepEqual(sorted(report.removed), sorted(stray));
        assert.deepEqual(sweeps, [0, 2, 4, 5]);
        assert.ok(await gone(stray));
      });

      it('a commit racing gc never yields an object with a missing block', async (t) => {
        await store.putContainer('race');
        // Few payloads on few names, many writes and deletes: their blocks keep falling out of use
        // and coming back, the case where a block gc judged unreferenced is referenced again by a
        // new commit. Writes to names of their own, with data of their own, are the ones checked.
        const pool = Array.from({ length: 6 }, (_, i) => bytesOf(`pool-${i}-${randomUUID()}`, 1000 + i * 2500));
        const shared = ['s0', 's1', 's2', 's3'];
        const acknowledged = new Map<string, Buffer>();
        const statuses = new Map<string, number>();
        const count = (what: string, status: number) =>
          statuses.set(`${what} ${status}`, (statuses.get(`${what} ${status}`) ?? 0) + 1);
        const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];

        const streamWriter = async (w: number): Promise<void> => {
          for (let i = 0; i < 40; i++) {
            const roll = Math.random();
            if (roll < 0.25) {
              const r = await store.req('DELETE', p(store.uuid, 'race', pick(shared)));
              assert.ok(r.status === 204 || r.status === 404, `DELETE: ${r.status}`);
            } else if (roll < 0.75) {
              const r = await store.req('PUT', p(store.uuid, 'race', pick(shared)), { body: pick(pool) });
              count('PUT', r.status);
            } else {
              const name = `u-${w}-${i}`;
              const data = bytesOf(`${name}-${randomUUID()}`, 500 + Math.floor(Math.random() * 20_000));
              const r = await store.req('PUT', p(store.uuid, 'race', name), { body: data });
              count('PUT', r.status);
              if (r.status === 201) acknowledged.set(name, data);
            }
          }
        };
        // kamaki: hashmap PUT, 409 with the missing blocks, POST them, PUT again until 201.
        const hashmapWriter = async (): Promise<void> => {
          for (let i = 0; i < 12; i++) {
            const data = pick(pool);
            const name = `k-${i % 2}`; // only this writer writes these: its last 201 is what they hold
            const body = JSON.stringify({ hashes: hashesOf(data), bytes: data.length });
            const url = p(store.uuid, 'race', name, 'hashmap=True&format=json');
            for (let attempt = 0; attempt < 8; attempt++) {
              const r = await store.req('PUT', url, { body, headers: { 'Content-Type': 'application/octet-stream' } });
              count('hashmap PUT', r.status);
              if (r.status === 201) {
                acknowledged.set(name, data);
                break;
              }
              assert.equal(r.status, 409, r.text());
              for (const h of r.json() as string[]) {
                assert.equal(h, blockHashOf(data));
                const posted = await store.req('POST', p(store.uuid, 'race', undefined, 'update&format=json'), {
                  body: data,
                  headers: { 'Content-Type': 'application/octet-stream' },
                });
                assert.equal(posted.status, 202, posted.text());
              }
            }
          }
        };

        let writing = true;
        let runs = 0;
        let removedWhileWriting = 0;
        const collector = async (): Promise<void> => {
          while (writing || runs < 3) {
            // Real clock, no grace at all: the harshest setting an operator can choose. Commits keep
            // landing during the pause between mark and sweep, as they would in a long mark.
            const report = await collectGarbage(s.services.metadata.db, s.services.blocks, {
              graceSeconds: 0,
              afterMark: () => new Promise((r) => setTimeout(r, Math.random() * 40)),
            });
            runs++;
            removedWhileWriting += report.removed.length;
            // Checked after every run, before a later upload of the same bytes could put a wrongly
            // removed block back. Only gc removes blocks, and it is not running now.
            await assertNoVersionMissesABlock();
          }
        };
        const writers = Promise.all([0, 1, 2, 3].map(streamWriter).concat(hashmapWriter())).finally(() => {
          writing = false;
        });
        await Promise.all([writers, collector()]);
        t.diagnostic(
          `gc runs ${runs}, blocks removed while writing ${removedWhileWriting}, replies ${JSON.stringify(Object.fromEntries(statuses))}`,
        );

        // A write that lost its blocks to gc is refused, never acknowledged.
        for (const [what, n] of statuses) assert.ok(/ (201|409|503)$/.test(what), `unexpected reply ${what} (×${n})`);
        assert.ok(acknowledged.size > 0, 'some writes were acknowledged');

        await assertNoVersionMissesABlock();
        for (const [name, data] of acknowledged) await assertReadsBack(name, data, 'race');
        for (const name of shared) {
          const r: Reply = await store.req('GET', p(store.uuid, 'race', name));
          if (r.status === 404) continue;
          assert.equal(r.status, 200, `GET ${name}: ${r.status}`);
          assert.ok(
            pool.some((d) => d.equals(r.body)),
            `${name} holds one of the written payloads`,
          );
          assert.equal(r.header('etag'), md5(r.body));
        }
        // And once more after a final collection with nothing writing.
        await gc();
        await assertNoVersionMissesABlock();
        for (const [name, data] of acknowledged) await assertReadsBack(name, data, 'race');
      });
    });
  }
}

// ---- the SQL gc reads, past one page ----------------------------------------------------------

for (const dialect of DIALECTS) {
  describe(`block references (storage/metadata) on ${dialect}`, () => {
    let metadata: MetadataStore;
    let dataDir: string;
    let pgdb: { url: string; drop: () => Promise<void> } | undefined;
    before(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-gc-refs-'));
      pgdb = dialect === 'postgres' ? await freshPostgresDatabase() : undefined;
      metadata = MetadataStore.open(pgdb?.url, dataDir);
      await metadata.migrate();
    });
    after(async () => {
      await metadata?.close();
      await pgdb?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('pages through every row, and through the rows newer than a watermark in version order', async () => {
      const db = metadata.db;
      const { id: containerId } = await db
        .insertInto('containers')
        .values({
          account: 'acct',
          name: 'c',
          quota: 0,
          versioning: 'auto',
          project: 'acct',
          meta: '{}',
          created_at: 0,
          modified_at: 0,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      // 2,100 rows whose versions do not follow their ids, as after overwrites.
      const rows = Array.from({ length: 2100 }, (_, i) => ({
        name: `o${i}`,
        version: ((i * 7919) % 2100) + 1,
        hash: sha256(`block ${i}`),
      }));
      for (let i = 0; i < rows.length; i += 300) {
        await db
          .insertInto('objects')
          .values(
            rows.slice(i, i + 300).map((r) => ({
              container_id: containerId,
              account: 'acct',
              name: r.name,
              uuid: randomUUID(),
              version: r.version,
              version_ts: 0,
              size: 1,
              hashmap: r.hash,
              object_hash: r.hash,
              md5: null,
              content_type: 'application/octet-stream',
              content_encoding: null,
              content_disposition: null,
              meta: '{}',
              modified_by: 'acct',
              public_token: null,
            })),
          )
          .execute();
      }
      const collect = async (pages: AsyncIterable<string[]>) => {
        const out: string[] = [];
        let count = 0;
        for await (const page of pages) {
          assert.ok(page.length <= 1000);
          count++;
          out.push(...page);
        }
        return { out, count };
      };
      const all = await collect(committedHashmaps(db));
      assert.equal(all.count, 3);
      assert.deepEqual(sorted(all.out), sorted(rows.map((r) => r.hash)));

      const watermark = 850;
      const newer = await collect(hashmapsNewerThan(db, watermark));
      const expected = rows
        .filter((r) => r.version > watermark)
        .sort((a, b) => a.version - b.version)
        .map((r) => r.hash);
      assert.equal(newer.count, 2);
      assert.deepEqual(newer.out, expected);
      assert.deepEqual((await collect(hashmapsNewerThan(db, 2100))).out, []);
      assert.equal(await countObjectVersions(db), 2100);
    });
  });
}

// ---- the command line ------------------------------------------------------------------------

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

/** Runs the command on a pseudo-terminal (util-linux `script`): stdout and stderr both arrive in one stream. */
function runOnTerminal(args: string[]): Promise<Run> {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

for (const dialect of DIALECTS) {
  describe(`plankton gc (the command) on ${dialect}, next to a serving server`, () => {
    let s: TestServer;
    let store: Store;
    let storage: string[];
    before(async () => {
      s = await startTestServer(dialect);
      store = new Store(s, await s.user());
      await store.putContainer('c');
      const url = s.services.settings.databaseUrl;
      storage = ['--data-dir', s.dataDir, ...(url ? ['--database-url', url] : [])];
    });
    after(async () => {
      await s?.close();
    });

    const blockFile = (h: string) => path.join(s.dataDir, 'blocks', h.slice(0, 2), h.slice(2, 4), h);
    async function strayBlock(hoursOld: number): Promise<string> {
      const data = randomData(2000);
      const r = await store.req('POST', p(store.uuid, 'c', undefined, 'update&format=json'), {
        body: data,
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(r.status, 202, r.text());
      const h = blockHashOf(data);
      const then = new Date(Date.now() - hoursOld * 3600_000);
      fs.utimesSync(blockFile(h), then, then);
      return h;
    }

    it('--json and --dry-run: one JSON line, the same blocks, removed only without --dry-run', async () => {
      const data = bytesOf(`cli-${randomUUID()}`, 30_000);
      await store.put('c', 'kept', data);
      const kept = hashesOf(data)[0];
      fs.utimesSync(blockFile(kept), new Date(Date.now() - 7200_000), new Date(Date.now() - 7200_000)); // old but referenced
      const old = [await strayBlock(2), await strayBlock(3)];
      const young = await strayBlock(0);

      const dry = await runCli(['gc', '--dry-run', '--json', ...storage]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.equal(dry.stderr, '');
      assert.equal(dry.stdout.split('\n').length, 2, 'exactly one line');
      const d = JSON.parse(dry.stdout);
      assert.deepEqual(Object.keys(d), ['scanned', 'candidates', 'removed', 'dry_run']);
      assert.equal(d.dry_run, true);
      assert.equal(d.scanned, 4);
      assert.equal(d.candidates, 3);
      assert.deepEqual(sorted(d.removed), sorted(old));
      for (const h of [...old, young, kept]) assert.ok(fs.existsSync(blockFile(h)), 'a dry run removes nothing');

      const real = await runCli(['gc', '--json', ...storage]);
      assert.equal(real.code, 0, real.stderr);
      const r = JSON.parse(real.stdout);
      assert.deepEqual(r, { scanned: 4, candidates: 3, removed: d.removed, dry_run: false });
      for (const h of old) assert.ok(!fs.existsSync(blockFile(h)), `${h} removed`);
      for (const h of [young, kept]) assert.ok(fs.existsSync(blockFile(h)), `${h} kept`);
      const back = await store.req('GET', p(store.uuid, 'c', 'kept'));
      assert.ok(back.status === 200 && back.body.equals(data), 'the object still reads back');
    });

    it('text output: one line per block, then a summary; --grace 0 keeps nothing unreferenced', async () => {
      const young = await strayBlock(0);
      const dry = await runCli(['gc', '--grace', '0', '--dry-run', ...storage]);
      assert.equal(dry.code, 0, dry.stderr);
      const lines = dry.stdout.trimEnd().split('\n');
      assert.ok(lines.includes(`would remove ${young}`), dry.stdout);
      assert.match(
        lines.at(-1)!,
        /^scanned \d+ blocks, \d+ older than 0, would remove \d+ unreferenced \(dry run: nothing removed\)$/,
      );
      assert.ok(fs.existsSync(blockFile(young)));

      const real = await runCli(['gc', '--grace', '0', ...storage]);
      assert.equal(real.code, 0, real.stderr);
      assert.ok(real.stdout.split('\n').includes(`removed ${young}`), real.stdout);
      assert.ok(!fs.existsSync(blockFile(young)));

      const idle = await runCli(['gc', ...storage]);
      assert.equal(idle.code, 0, idle.stderr);
      assert.match(idle.stdout, /^scanned \d+ blocks, \d+ older than 1h, removed 0 unreferenced\n$/);
    });

    it('refuses a bad --grace with one line and exit status 2', async () => {
      const r = await runCli(['gc', '--grace', 'soon', ...storage]);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^[^\n]*invalid --grace "soon"[^\n]*\n$/);
    });

    it('draws a progress bar on a terminal, and never with --json', {
      skip: dialect !== 'sqlite' && 'the terminal does not depend on the database',
    }, async () => {
      const young = await strayBlock(0);
      const tty = await runOnTerminal(['gc', '--grace', '0', '--dry-run', ...storage]);
      assert.equal(tty.code, 0, tty.stdout);
      for (const phase of ['list ', 'mark ', 'sweep'])
        assert.ok(tty.stdout.includes(`\r${phase}`), `${phase} drawn:\n${tty.stdout}`);
      assert.match(tty.stdout, /\rsweep {2}\[#{30}\] 100% (\d+)\/\1 candidates/);
      assert.ok(tty.stdout.includes(`would remove ${young}`));

      const json = await runOnTerminal(['gc', '--grace', '0', '--dry-run', '--json', ...storage]);
      assert.equal(json.code, 0, json.stdout);
      const lines = json.stdout.split(/\r?\n/).filter((l) => l.length > 0);
      assert.equal(lines.length, 1, `only the JSON line on the terminal:\n${json.stdout}`);
      assert.ok(JSON.parse(lines[0]).removed.includes(young));
    });
  });
}

describe('progress bar', () => {
  it('renders a bar with a known total and a count without one', () => {
    assert.equal(
      renderProgress('mark', 5, 10, 'object versions'),
      `mark   [${'#'.repeat(15)}${'-'.repeat(15)}]  50% 5/10 object versions`,
    );
    assert.equal(renderProgress('sweep', 0, 0, 'candidates'), `sweep  [${'#'.repeat(30)}] 100% 0/0 candidates`);
    assert.equal(renderProgress('list', 1234, undefined, 'blocks listed'), 'list   1234 blocks listed');
  });

  it('redraws in place, keeps each finished phase on its own line, and ends the line', () => {
    const written: string[] = [];
    const bar = new ProgressBar({ write: (chunk: string) => written.push(chunk) } as unknown as NodeJS.WritableStream);
    bar.update('list', 1000, undefined, 'blocks listed');
    bar.update('list', 1500, undefined, 'blocks listed'); // throttled: drawn when the phase ends
    bar.update('mark', 2, 2, 'object versions');
    bar.finish();
    bar.finish();
    assert.equal(
      written.join(''),
      '\rlist   1000 blocks listed\rlist   1500 blocks listed\n' +
        `\rmark   [${'#'.repeat(30)}] 100% 2/2 object versions\n`,
    );
  });
});
