/**
 * Prints the test files of a suite, one per line, longest first: `node --test --test-concurrency=2`
 * starts files in the order given, so a long file started last would run alone at the end while the
 * other slot idles. The order comes from measured durations (SECONDS below); a file not listed there
 * (a new one) is placed as if it took NEW_FILE_SECONDS, so it is neither forgotten nor left to the
 * very end. Every `*.test.ts` of the suite's folders is printed, listed or not: nothing is skipped.
 *
 *   node --import tsx test/run-order.ts          # npm test: test/**, without test/ops and test/faults
 *   node --import tsx test/run-order.ts faults   # npm run test:faults: test/faults/**
 *
 * To refresh SECONDS: `npm run test:times` (writes each file's seconds to test-times.txt).
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * Seconds each file's tests took in a whole `npm test` on the loaded 2-core CI machine (SQLite +
 * PostgreSQL, local + S3), rounded. Only the order matters, not the values.
 */
const SECONDS: Record<string, number> = {
  'test/faults/crash-consistency.test.ts': 540,
  'test/gc.test.ts': 100,
  'test/image-v2-sharing-clients.test.ts': 71,
  'test/openstack-cli-identity.test.ts': 70,
  'test/object-expiry-quotas.test.ts': 75,
  'test/glance-cli.test.ts': 62,
  'test/graceful-shutdown.test.ts': 61,
  'test/restic-swift.test.ts': 61,
  'test/identity-v3.test.ts': 55,
  'test/swift-tempurl-bulk.test.ts': 55,
  'test/scrub.test.ts': 51,
  'test/cli.test.ts': 46,
  'test/races.test.ts': 42,
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

const SUITES: Record<string, { roots: string[]; skip: string[] }> = {
  test: { roots: ['test'], skip: ['test/ops', 'test/faults'] },
  faults: { roots: ['test/faults'], skip: [] },
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

const suiteName = process.argv[2] ?? 'test';
const suite = SUITES[suiteName];
if (!suite) {
  process.stderr.write(`run-order: unknown suite ${suiteName} (one of ${Object.keys(SUITES).join(', ')})\n`);
  process.exit(2);
}
const files = suite.roots.flatMap((root) => testFiles(root, suite.skip));
const seconds = (f: string) => SECONDS[f] ?? NEW_FILE_SECONDS;
// A stable sort: equal estimates keep their alphabetical order.
files.sort((a, b) => seconds(b) - seconds(a));
process.stdout.write(`${files.join('\n')}\n`);
