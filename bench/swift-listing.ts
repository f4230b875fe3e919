/**
 * Container listings of a large container through the Swift mount: N objects (100,000 by
 * default) written straight into the metadata (empty objects, no blocks), then each listing
 * query timed over HTTP. Shows that `marker`, `end_marker`, `reverse`, `prefix` and the
 * `delimiter` roll-up are index range scans (the time of a page does not grow with the
 * container). Not part of `npm run bench`; run by hand:
 *
 *   node --import tsx bench/swift-listing.ts [--objects 100000] [--runs 20] [--database postgres]
 *
 * `--database postgres` uses PG_URL (a superuser URL; a fresh database is created and dropped).
 * Prints the median and the worst time per query, in milliseconds.
 */
import { parseArgs } from 'node:util';
import { EMPTY_HASH, packHashmap } from '../src/domain/hashing.ts';
import { ObjectRepository } from '../src/storage/metadata/object-repository.ts';
import { startTestServer } from '../test/helpers/test-server.ts';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '20' },
    database: { type: 'string', default: 'sqlite' },
  },
});
const total = Number(values.objects);
const runs = Number(values.runs);
const s = await startTestServer(values.database === 'postgres' ? 'postgres' : 'sqlite');
try {
  const user = await s.user('bench-listing');
  const container = await s.services.containers.ensure(user.uuid, 'big');
  const db = s.services.metadata.db;
  const rows = new ObjectRepository(db);
  const name = (i: number) => `dir${String(i % 100).padStart(2, '0')}/obj${String(i).padStart(7, '0')}`;
  const started = Date.now();
  for (let from = 0; from < total; from += 5000) {
    await db.transaction().execute(async (trx) => {
      for (let i = from; i < Math.min(total, from + 5000); i++) {
        await rows.insertVersion(trx, {
          containerId: container.id,
          account: user.uuid,
          name: name(i),
          version: i + 1,
          versionTs: Date.now() * 1000,
          size: 0,
          hashmap: packHashmap([EMPTY_HASH]),
          objectHash: EMPTY_HASH,
          md5: null,
          contentType: 'application/octet-stream',
          contentEncoding: null,
          contentDisposition: null,
          meta: {},
          modifiedBy: user.uuid,
          publicToken: null,
        });
      }
    });
  }
  process.stdout.write(`${values.database}: ${total} objects written in ${Date.now() - started} ms\n`);
  const mid = name(Math.floor(total / 2));
  const queries: Record<string, string> = {
    'first page (limit=100)': 'limit=100',
    'marker in the middle': `limit=100&marker=${mid}`,
    'end_marker in the middle': `limit=100&end_marker=${mid}`,
    reverse: 'limit=100&reverse=true',
    'reverse, marker in the middle': `limit=100&reverse=true&marker=${mid}`,
    'prefix (1% of names)': 'limit=100&prefix=dir42/',
    'delimiter=/ (100 subdirs, each skipped in one step)': 'delimiter=/',
    'reverse delimiter=/': 'delimiter=/&reverse=true',
    'limit=10000': 'limit=10000',
  };
  for (const [what, query] of Object.entries({ 'HEAD (counts only, no listing)': '', ...queries })) {
    const times: number[] = [];
    let count = 0;
    for (let r = 0; r < runs; r++) {
      const t = process.hrtime.bigint();
      const url = `/swift/v1/AUTH_${user.uuid}/big?format=json&${query}`;
      const res = await s.fetch(url, { token: user.token, method: query ? 'GET' : 'HEAD' });
      count = query ? (await res.json()).length : Number(res.headers.get('x-container-object-count'));
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    times.sort((a, b) => a - b);
    process.stdout.write(
      `${what.padEnd(55)} ${String(count).padStart(6)} entries  median ${times[Math.floor(runs / 2)].toFixed(1)} ms  worst ${times.at(-1)!.toFixed(1)} ms\n`,
    );
  }
} finally {
  await s.close();
}
