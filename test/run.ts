/**
 * Runs a suite's test files two at a time, longest first, with the spec reporter: `npm test`,
 * `npm run test:faults`, `npm run test:times`.
 *
 * Why not `node --test file…`: that command sorts the files it is given by name, and with two
 * slots a long file that happens to sort last runs alone at the end while the other slot idles.
 * `run()` keeps the order it is given, so the files go longest first, by measured durations
 * (SECONDS below). A file not listed there (a new one) is placed as if it took NEW_FILE_SECONDS:
 * every `*.test.ts` of the suite's folders runs, listed or not.
 *
 *   node --import tsx test/run.ts                # npm test: test/**, without test/ops and test/faults
 *   node --import tsx test/run.ts faults         # npm run test:faults: test/faults/**
 *   node --import tsx test/run.ts --times        # also writes each file's seconds to test-times.txt
 *   node --import tsx test/run.ts test/a.test.ts test/b.test.ts   # just these, in this order
 *
 * The exit status is 1 when a test fails (as `node --test`), 0 otherwise. The test processes get
 * this process's node options (`--import tsx`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

/** Test files run at once: the CI machine has 2 cores, and most files start servers and clients of their own. */
const CONCURRENCY = 2;

/**
 * Seconds each file's tests took in a whole `npm test` on the loaded 2-core CI machine (SQLite +
 * PostgreSQL, local + S3), rounded. Only the order matters; refresh with `npm run test:times`.
 */
const SECONDS: Record<string, number> = {
  'test/faults/crash-consistency-sqlite.test.ts': 288,
  'test/faults/crash-consistency-postgres.test.ts': 251,
  'test/gc.test.ts': 100,
  'test/object-expiry-quotas.test.ts': 75,
  'test/image-v2-sharing-clients.test.ts': 71,
  'test/openstack-cli-identity.test.ts': 70,
  'test/glance-cli.test.ts': 62,
  'test/faults/graceful-shutdown.test.ts': 61,
  'test/restic-swift.test.ts': 61,
  'test/identity-v3.test.ts': 65,
  'test/swift-tempurl-bulk.test.ts': 55,
  'test/scrub.test.ts': 51,
  'test/cli.test.ts': 46,
  'test/faults/races.test.ts': 42,
  'test/image-inspection-uploads.test.ts': 40,
  'test/swift-mount-clients.test.ts': 35,
  'test/serve-workers.test.ts': 35,
  'test/large-objects-clients.test.ts': 34,
  'test/block-store-s3.test.ts': 32,
  'test/swift-acl.test.ts': 31,
  'test/misbehaving-clients.test.ts': 27,
  'test/image-v2-clients.test.ts': 25,
  'test/image-v2-import.test.ts': 23,
  'test/image-inspection.test.ts': 22,
  'test/object-versions.test.ts': 21,
  'test/object-partial-updates.test.ts': 19,
  'test/gophercloud.test.ts': 19,
  'test/object-store-uploads.test.ts': 18,
  'test/swift-cli.test.ts': 16,
  'test/fuzz.test.ts': 16,
  'test/identity-own-tokens.test.ts': 15,
  'test/authorization-matrix.test.ts': 15,
  'test/metrics.test.ts': 15,
  'test/swift-api.test.ts': 14,
  'test/large-objects.test.ts': 11,
  'test/secrets.test.ts': 10,
  'test/image-api.test.ts': 10,
  'test/image-v2.test.ts': 10,
  'test/image-upload.test.ts': 9,
  'test/kamaki-replay.test.ts': 8,
  'test/object-store-basics.test.ts': 8,
  'test/unit/image-v2-clients.test.ts': 7,
  'test/fuzz-image-v2.test.ts': 6,
  'test/health.test.ts': 6,
  'test/rclone-swift.test.ts': 6,
  'test/pithos-groups.test.ts': 6,
  'test/object-store-sharing.test.ts': 6,
  'test/hashing.test.ts': 5,
  'test/image-v2-openstacksdk.test.ts': 5,
  'test/image-v2-faults.test.ts': 4,
  'test/object-store-bad-input.test.ts': 4,
  'test/unit/image-status.test.ts': 4,
  'test/unit/block-writer.test.ts': 4,
  'test/image-api-guide.test.ts': 4,
  'test/ui-session.test.ts': 3,
  'test/image-v2-name-search.test.ts': 2,
  'test/unit/image-v2-patch.test.ts': 2,
  'test/unit/metadata-merges.test.ts': 1,
  'test/upload-gc-race.test.ts': 1,
  'test/unit/image-v2-fuzz.test.ts': 1,
  'test/image-v2-direct-url.test.ts': 1,
  'test/identity.test.ts': 1,
  'test/unit/json-bodies.test.ts': 1,
  'test/unit/image-v2-view.test.ts': 1,
  'test/unit/image-v2-schemas.test.ts': 1,
  'test/block-store-local.test.ts': 1,
  'test/unit/listing-rollup.test.ts': 1,
  'test/image-headers.test.ts': 1,
  'test/unit/dependency-failures.test.ts': 1,
  'test/unit/web-source.test.ts': 1,
  'test/unit/image-v2-list-query.test.ts': 1,
  'test/unit/image-v2-requests.test.ts': 1,
  'test/unit/route-label.test.ts': 1,
};
/** A new file is assumed longer than most, so that it starts early rather than last. */
const NEW_FILE_SECONDS = 20;

const SUITES: Record<string, { root: string; skip: string[] }> = {
  test: { root: 'test', skip: ['test/ops', 'test/faults'] },
  faults: { root: 'test/faults', skip: [] },
};

function testFiles(dir: string, skip: string[]): string[] {
  if (skip.includes(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.posix.join(dir, e.name);
      if (e.isDirectory()) return testFiles(p, skip);
      return e.isFile() && e.name.endsWith('.test.ts') ? [p] : [];
    })
    .sort();
}

/** The suite's files, longest first (a stable sort: equal estimates stay in name order). */
function suiteFiles(name: string): string[] {
  const suite = SUITES[name];
  if (!suite) {
    process.stderr.write(`test/run.ts: unknown suite ${name} (one of ${Object.keys(SUITES).join(', ')})\n`);
    process.exit(2);
  }
  const seconds = (f: string) => SECONDS[f] ?? NEW_FILE_SECONDS;
  return testFiles(suite.root, suite.skip).sort((a, b) => seconds(b) - seconds(a));
}

async function main(argv: string[]): Promise<void> {
  const times = argv.includes('--times');
  const rest = argv.filter((a) => a !== '--times');
  const files = rest.some((a) => a.endsWith('.ts')) ? rest : suiteFiles(rest[0] ?? 'test');

  // Stopped (SIGTERM, or SIGINT sent to this process alone): the abort stops the test processes
  // too, which would otherwise run on as orphans. The second signal ends this process at once.
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      process.exitCode = 1;
      stop.abort();
      process.once(signal, () => process.exit(1));
    });
  const stream = run({ files: files.map((f) => path.resolve(f)), concurrency: CONCURRENCY, signal: stop.signal });
  /** Per file: the summed durations of its top-level tests and suites (its own start-up excluded). */
  const perFile = new Map<string, number>();
  const topLevel = (data: { nesting: number; file?: string; details: { duration_ms: number } }) => {
    if (data.nesting !== 0 || !data.file) return;
    const file = path.relative(process.cwd(), data.file);
    perFile.set(file, (perFile.get(file) ?? 0) + data.details.duration_ms);
  };
  stream.on('test:pass', topLevel);
  stream.on('test:fail', (data) => {
    if (!data.todo) process.exitCode = 1;
    topLevel(data);
  });
  const reported = stream.compose(new spec()).pipe(process.stdout);
  await new Promise<void>((resolve) => stream.once('end', resolve));
  await new Promise<void>((resolve) => (reported.writableNeedDrain ? reported.once('drain', resolve) : resolve()));
  if (times) {
    const rows = [...perFile].sort((a, b) => b[1] - a[1]);
    const total = rows.reduce((s, [, ms]) => s + ms, 0);
    fs.writeFileSync(
      'test-times.txt',
      [...rows.map(([f, ms]) => `${(ms / 1000).toFixed(1)}\t${f}`), `${(total / 1000).toFixed(1)}\tin all`, ''].join(
        '\n',
      ),
    );
  }
}

await main(process.argv.slice(2));
