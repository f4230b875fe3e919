/**
 * Crash consistency: the server runs as a child process and is SIGKILLed at random moments while
 * clients upload (streamed and hashmap) and overwrite objects, and register and re-register
 * (rename) images on them. After every restart, each acknowledged write reads back
 * byte-identical, every acknowledged image is there with an acknowledged or in-flight name,
 * nothing is visible half-written, and no temp file survives the start-up sweep. Seeded: CRASH_SEED reproduces a run, CRASH_KILLS sets how
 * many kills (default 30 per database). The same again on `serve --workers 2` (the whole process
 * group killed: primary and workers; CRASH_CLUSTER_KILLS, default 10).
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { BLOCK_SIZE, blockHash } from '../../src/domain/hashing.ts';
import { startChildServer, plankton, type ChildServer } from '../helpers/child-server.ts';
import { freshPostgresDatabase, type TestDialect } from '../helpers/dialects.ts';
import { seededRandom } from '../helpers/seeded-random.ts';

const ALL_KILLS = Number(process.env.CRASH_KILLS ?? 30);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const SIZES = [0, 1, 5000, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 10, 2 * BLOCK_SIZE + 12345];

/** Deterministic bytes for a content id (AES-CTR keystream: fast); every third id shares its first block, to exercise dedup. */
function content(id: number, size: number): Buffer {
  const stream = (seed: string, n: number) => {
    const key = createHash('sha256').update(seed).digest();
    return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
  };
  if (id % 3 !== 0 || size <= BLOCK_SIZE) return stream(`content-${id % 3 === 0 ? 'shared' : id}`, size);
  return Buffer.concat([stream('content-shared', BLOCK_SIZE), stream(`content-${id}`, size - BLOCK_SIZE)]);
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** How fetch fails when the server dies under it: refused or reset connection, or a body cut short. */
const isConnectionLost = (err: unknown): boolean =>
  err instanceof TypeError && (err.message === 'fetch failed' || err.message === 'terminated');

/** A reply the workload does not expect from a live server is a failure, whatever the kill does later. */
async function expectStatus(r: Response, expected: readonly number[], what: string): Promise<void> {
  if (!expected.includes(r.status))
    assert.fail(`${what}: ${r.status} ${await r.text()} (expected ${expected.join(' or ')})`);
}

/** The cluster (`serve --workers 2`) is killed fewer times: its start takes longer. */
const CLUSTER_KILLS = Number(process.env.CRASH_CLUSTER_KILLS ?? 10);

/**
 * The crash-consistency suites of one database: one process, then the cluster. Each database is
 * a test file of its own (crash-consistency-sqlite / -postgres.test.ts), so that `test:faults`
 * runs the two side by side.
 */
export function crashConsistencySuites(dialect: TestDialect): void {
  for (const workers of [1, 2]) {
    const KILLS = workers === 1 ? ALL_KILLS : CLUSTER_KILLS;
    describe(`crash consistency [${dialect}${workers > 1 ? `, --workers ${workers}` : ''}]`, () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-crash-'));
      let pgdb: Awaited<ReturnType<typeof freshPostgresDatabase>> | undefined;
      after(async () => {
        await pgdb?.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      });

      it(`survives ${KILLS} SIGKILLs with every acknowledged write intact (seed ${SEED})`, {
        timeout: 20 * 60_000,
      }, async () => {
        process.stderr.write(
          `# crash consistency [${dialect}, workers ${workers}]: seed ${SEED}, ${KILLS} kills (CRASH_SEED=${SEED} to replay)\n`,
        );
        pgdb = dialect === 'postgres' ? await freshPostgresDatabase() : undefined;
        const storage = ['--data-dir', dataDir, ...(pgdb ? ['--database-url', pgdb.url] : [])];
        const user = JSON.parse(await plankton(['user', 'create', 'crash@example.org', '--json', ...storage]));
        const random = seededRandom(SEED);
        /** name → md5 of every content that may legitimately be there (the acknowledged one, plus in-flight ones). */
        const acknowledged = new Map<string, string>();
        const possible = new Map<string, Set<string>>();
        /** object name → image name: the same for image registrations and renames (image id = object uuid). */
        const imageAcknowledged = new Map<string, string>();
        const imagePossible = new Map<string, Set<string>>();
        let nextId = 1;
        let acknowledgedWrites = 0;

        const verify = async (server: ChildServer) => {
          const base = `${server.url}/object-store/v1/${user.uuid}/c`;
          const headers = { 'X-Auth-Token': user.token };
          const listing = await fetch(`${base}?format=json`, { headers });
          const listed: { name: string; bytes: number; hash: string }[] =
            listing.status === 404 ? [] : await listing.json();
          const listedNames = new Set(listed.map((o) => o.name));
          for (const name of acknowledged.keys())
            assert.ok(listedNames.has(name), `acknowledged object ${name} is missing after a crash`);
          for (const o of listed) {
            const body = Buffer.from(await (await fetch(`${base}/${o.name}`, { headers })).arrayBuffer());
            assert.equal(body.length, o.bytes, `${o.name}: listed size and data differ`);
            const got = md5(body);
            const allowed = possible.get(o.name) ?? new Set();
            assert.ok(allowed.has(got), `${o.name} holds content that was never written (half-written?)`);
            // What is there now is the settled truth for the next round.
            acknowledged.set(o.name, got);
            possible.set(o.name, new Set([got]));
          }
          const images: { name: string; status: string; location: string }[] = (
            await (await fetch(`${server.url}/image/v1/images/detail`, { headers })).json()
          ).images;
          const byObject = new Map(images.map((i) => [decodeURIComponent(i.location.split('/').pop()!), i]));
          for (const [object, name] of imageAcknowledged)
            assert.ok(byObject.has(object), `acknowledged image of ${object} (${name}) is missing after a crash`);
          for (const [object, image] of byObject) {
            assert.equal(image.status, 'available', `image of ${object} is ${image.status}`);
            assert.ok(
              imagePossible.get(object)?.has(image.name),
              `image of ${object} is named ${image.name}, which was never sent`,
            );
            imageAcknowledged.set(object, image.name);
            imagePossible.set(object, new Set([image.name]));
          }
        };

        /** Registers (or re-registers, which renames) an image on an object that exists. */
        const registerOnce = async (server: ChildServer) => {
          const object = [...acknowledged.keys()][Math.floor(random() * acknowledged.size)];
          if (object === undefined) return;
          const name = `image-${nextId++}`;
          (imagePossible.get(object) ?? imagePossible.set(object, new Set()).get(object)!).add(name);
          const r = await fetch(`${server.url}/image/v1/images`, {
            method: 'POST',
            headers: {
              'X-Auth-Token': user.token,
              'X-Image-Meta-Name': name,
              'X-Image-Meta-Location': `pithos://${user.uuid}/c/${object}`,
            },
          });
          await expectStatus(r, [200], `register ${name} on ${object}`);
          imageAcknowledged.set(object, name);
          acknowledgedWrites++;
        };

        const writeOnce = async (server: ChildServer) => {
          const name = NAMES[Math.floor(random() * NAMES.length)];
          const size = SIZES[Math.floor(random() * SIZES.length)];
          const data = content(nextId++, size);
          const sum = md5(data);
          (possible.get(name) ?? possible.set(name, new Set()).get(name)!).add(sum);
          const base = `${server.url}/object-store/v1/${user.uuid}/c`;
          const headers = { 'X-Auth-Token': user.token };
          if (random() < 0.5) {
            const r = await fetch(`${base}/${name}`, {
              method: 'PUT',
              headers: { ...headers, ETag: sum },
              body: new Uint8Array(data),
            });
            await expectStatus(r, [201], `streamed PUT of ${name} (${size} bytes)`);
          } else {
            const blocks: Buffer[] = [];
            for (let off = 0; off < size; off += BLOCK_SIZE) blocks.push(data.subarray(off, off + BLOCK_SIZE));
            const hashmap = JSON.stringify({ bytes: size, hashes: blocks.map(blockHash) });
            const put = () =>
              fetch(`${base}/${name}?hashmap&format=json`, {
                method: 'PUT',
                headers: { ...headers, 'Content-Type': 'application/octet-stream' },
                body: hashmap,
              });
            let r = await put();
            await expectStatus(r, [201, 409], `hashmap PUT of ${name} (${size} bytes)`);
            if (r.status === 409) {
              const missing: string[] = await r.json();
              for (const b of blocks) {
                if (!missing.includes(blockHash(b))) continue;
                const post = await fetch(`${base}?update&format=json`, {
                  method: 'POST',
                  headers: { ...headers, 'Content-Type': 'application/octet-stream' },
                  body: new Uint8Array(b),
                });
                assert.equal(post.status, 202);
              }
              r = await put();
              await expectStatus(r, [201], `hashmap PUT of ${name} once its blocks are sent`);
            }
          }
          acknowledged.set(name, sum);
          acknowledgedWrites++;
        };

        for (let round = 0; round <= KILLS; round++) {
          const server = await startChildServer(storage, { workers });
          await verify(server);
          assert.deepEqual(
            fs.readdirSync(path.join(dataDir, 'blocks', '.tmp')),
            [],
            'temp files survived the start-up sweep',
          );
          if (round === KILLS) {
            await server.stop();
            break;
          }
          await fetch(`${server.url}/object-store/v1/${user.uuid}/c`, {
            method: 'PUT',
            headers: { 'X-Auth-Token': user.token },
          });
          let killed = false;
          let stopping = false;
          // Only the kill may interrupt a request: any other error (an assertion, a refused
          // connection before the kill) fails the test, through `writing` below.
          const writer = async () => {
            while (!stopping) {
              await (random() < 0.25 ? registerOnce(server) : writeOnce(server)).catch((err: unknown) => {
                if (!(killed && isConnectionLost(err))) throw err;
              });
            }
          };
          const writing = Promise.all(Array.from({ length: 4 }, writer));
          // A writer that fails before the kill must not be an unhandled rejection; `await writing` reports it.
          writing.catch(() => undefined);
          // The cluster's workers answer their first requests more slowly (each its own cold
          // start): give its writers a longer window before the kill, or a loaded machine sees none.
          await new Promise((r) => setTimeout(r, (300 + random() * 1500) * (workers > 1 ? 3 : 1)));
          killed = true;
          await server.kill();
          stopping = true;
          await writing;
        }
        process.stderr.write(
          `# crash consistency [${dialect}, workers ${workers}]: ${KILLS} kills survived, ${acknowledgedWrites} acknowledged writes verified, ${imageAcknowledged.size} images\n`,
        );
        assert.ok(acknowledgedWrites > 0, 'no write was acknowledged: the workload did not run');
        await checkDatabaseIntegrity(dialect, dataDir, pgdb?.url);
      });
    });
  }
}

/** The engine's own check (SQLite) and our invariants: hashmap lengths match sizes, no dangling rows. */
async function checkDatabaseIntegrity(dialect: string, dataDir: string, url?: string): Promise<void> {
  const invariants = [
    `select count(*) as n from grants g left join objects o on o.id = g.object_id where o.id is null`,
    `select count(*) as n from images i left join objects o on o.uuid = i.id where o.id is null`,
    `select count(*) as n from objects o left join containers c on c.id = o.container_id where c.id is null`,
    `select count(*) as n from objects where size = 0 and length(hashmap) <> 64`,
    `select count(*) as n from objects where size > 0 and length(hashmap) <> 64 * ((size + ${BLOCK_SIZE - 1}) / ${BLOCK_SIZE})`,
  ];
  if (dialect === 'sqlite') {
    const db = new SQLite(path.join(dataDir, 'plankton.sqlite'), { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(db.pragma('foreign_key_check'), []);
      for (const q of invariants) assert.equal((db.prepare(q).get() as { n: number }).n, 0, q);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const q of invariants) assert.equal(Number((await client.query(q)).rows[0].n), 0, q);
  } finally {
    await client.end();
  }
}
