import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchContext, Scenario } from '../lib/context.ts';
import { bestDownload, uploadFile } from '../lib/curl.ts';
import { writeRandomFile } from '../lib/data-file.ts';
import { describe, mibPerSecond, ok, request, waitForHttp, type Headers } from '../lib/http-client.ts';
import { measureLoad } from '../lib/load-test.ts';
import { isAlive } from '../lib/proc.ts';
import { freePort, runCommand, startServer, tail } from '../lib/processes.ts';
import type { Profile } from '../lib/options.ts';
import type { Results } from '../lib/results.ts';
import { RssWatch } from '../lib/rss.ts';
import { expectImages, sample } from '../lib/wrk.ts';
import { CONCURRENT_UPLOADS, concurrentUploads } from './plankton-concurrent.ts';
import { seedPlankton } from './plankton-seed.ts';
import { largeObjectDownloads } from './plankton-large-objects.ts';
import { expectEntries, swiftSloUpload } from './plankton-swift.ts';

interface Session {
  readonly base: string;
  readonly account: string;
  readonly auth: Headers;
  readonly size: number;
  readonly downloads: number;
  /** Uploaded as an object. */
  readonly objectFile: string;
  /** Uploaded as an image: other bytes, so that no block is already stored. */
  readonly imageFile: string;
}

/** Runs one measurement; a failure (an endpoint not written yet, say) becomes a note, not a crash. */
async function attempt<T>(results: Results, label: string, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (e) {
    results.note(`Plankton ${label}: not measured (${(e as Error).message})`);
    return undefined;
  }
}

/** Object PUT and GET of the data file; returns the object's path for the dedup test. */
async function objectTransfers(s: Session, results: Results): Promise<string> {
  const container = `${s.base}/object-store/v1/${s.account}/bench`;
  const made = await request('PUT', container, s.auth);
  if (!ok(made)) throw new Error(`container PUT: ${describe(made)}`);
  const probe = await request(
    'PUT',
    `${container}/probe`,
    { ...s.auth, 'Content-Type': 'application/octet-stream' },
    'probe',
  );
  if (!ok(probe)) throw new Error(`object PUT of 5 bytes: ${describe(probe)}`);
  const put = await uploadFile(
    'PUT',
    `${container}/data.bin`,
    { ...s.auth, 'Content-Type': 'application/octet-stream' },
    s.objectFile,
  );
  if (!ok(put)) throw new Error(`object PUT: ${describe(put)}`);
  results.set('object_put_mib_s', mibPerSecond(s.size, put.seconds));
  const get = await bestDownload(`${container}/data.bin`, s.auth, s.size, s.downloads).catch((e: Error) =>
    results.note(`Plankton object GET: ${e.message}`),
  );
  if (get) results.set('object_get_mib_s', mibPerSecond(s.size, get.seconds));
  return `/object-store/v1/${s.account}/bench/data.bin`;
}

/**
 * The cost of versioning (issue 19 item 6): overwrites of the data file into a container with
 * `versioning: auto` (each keeps the replaced version in the history) against one with `none`,
 * best of two overwrites each, alternated (the report's target compares the two).
 */
async function versioningCost(s: Session, results: Results): Promise<void> {
  const best: Record<'auto' | 'none', number> = { auto: 0, none: 0 };
  const url = (mode: string) => `${s.base}/object-store/v1/${s.account}/versioning-${mode}/data.bin`;
  const upload = async (mode: 'auto' | 'none') => {
    const put = await uploadFile(
      'PUT',
      url(mode),
      { ...s.auth, 'Content-Type': 'application/octet-stream' },
      s.objectFile,
    );
    if (!ok(put)) throw new Error(`object PUT (${mode}): ${describe(put)}`);
    return mibPerSecond(s.size, put.seconds);
  };
  for (const mode of ['auto', 'none'] as const) {
    const c = await request('PUT', `${s.base}/object-store/v1/${s.account}/versioning-${mode}`, {
      ...s.auth,
      'X-Container-Policy-Versioning': mode,
    });
    if (!ok(c)) throw new Error(`container PUT: ${describe(c)}`);
    await upload(mode); // the first version; the timed PUTs below overwrite it
  }
  for (let i = 0; i < 2; i++)
    for (const mode of ['auto', 'none'] as const) best[mode] = Math.max(best[mode], await upload(mode));
  results.set('versioning_auto_overwrite_mib_s', best.auto);
  results.set('versioning_none_overwrite_mib_s', best.none);
}

/** Image upload (POST with the data) and download; returns the image's object path. */
async function imageTransfers(s: Session, results: Results): Promise<string> {
  const url = `${s.base}/image/v1.0/images`;
  const headers = (name: string) => ({
    ...s.auth,
    'X-Image-Meta-Name': name,
    'Content-Type': 'application/octet-stream',
  });
  const probe = await request('POST', url, headers('bench-probe'), 'probe');
  if (!ok(probe)) throw new Error(`image POST of 5 bytes: ${describe(probe)}`);
  const post = await uploadFile('POST', url, headers('bench-upload'), s.imageFile);
  if (!ok(post)) throw new Error(`image POST: ${describe(post)}`);
  results.set('upload_mib_s', mibPerSecond(s.size, post.seconds));
  const id = post.headers['x-image-meta-id'];
  if (!id) throw new Error('image POST answered without x-image-meta-id');
  const get = await bestDownload(`${s.base}/image/v1.0/images/${id}`, s.auth, s.size, s.downloads);
  results.set('download_mib_s', mibPerSecond(s.size, get.seconds));
  return `/object-store/v1/${s.account}/images/${id}`;
}

/**
 * Image API v2: create (`POST /image/v2/images`), `PUT …/file` of `file`, then `GET …/file`.
 * `file` holds bytes of its own: the object and v1 image uploads have already stored both data
 * files' blocks, and uploading those again would measure deduplication.
 */
async function imageV2Transfers(s: Session, file: string, results: Results): Promise<void> {
  const json = { ...s.auth, 'Content-Type': 'application/json' };
  const created = await request(
    'POST',
    `${s.base}/image/v2/images`,
    json,
    JSON.stringify({ name: 'bench-v2', disk_format: 'raw', container_format: 'bare' }),
  );
  if (created.status !== 201) throw new Error(`v2 image POST: ${describe(created)}`);
  const { id } = JSON.parse(created.body) as { id: string };
  const url = `${s.base}/image/v2/images/${id}/file`;
  const put = await uploadFile('PUT', url, { ...s.auth, 'Content-Type': 'application/octet-stream' }, file);
  if (put.status !== 204) throw new Error(`v2 PUT …/file: ${describe(put)}`);
  results.set('v2_upload_mib_s', mibPerSecond(s.size, put.seconds));
  const get = await bestDownload(url, s.auth, s.size, s.downloads);
  results.set('v2_download_mib_s', mibPerSecond(s.size, get.seconds));
}

/** Hashmap PUT of an existing object's hashes under a new name: every block is already stored. */
async function dedupReupload(s: Session, source: string, results: Results): Promise<void> {
  const got = await request('GET', `${s.base}${source}?hashmap&format=json`, s.auth);
  if (!ok(got)) throw new Error(`hashmap GET: ${describe(got)}`);
  const { bytes, hashes } = JSON.parse(got.body) as { bytes: number; hashes: string[] };
  const put = await request(
    'PUT',
    `${s.base}/object-store/v1/${s.account}/bench/data-again.bin?hashmap&format=json`,
    { ...s.auth, 'Content-Type': 'application/octet-stream' },
    JSON.stringify({ bytes, hashes }),
  );
  if (put.status === 409) throw new Error(`hashmap PUT says blocks are missing: ${put.body.slice(0, 100)}`);
  if (!ok(put)) throw new Error(`hashmap PUT: ${describe(put)}`);
  results.set('dedup_reupload_s', put.seconds);
}

/**
 * Plankton itself: started from bin/plankton.js on a fresh data dir (SQLite + local blocks) with
 * `profile.seedImages` images seeded through SQL, then every transfer and metadata test.
 */
export const planktonServer: Scenario = {
  name: 'plankton',
  async run(ctx: BenchContext) {
    const { results, profile } = ctx;
    const dir = ctx.dir('plankton');
    const dataDir = path.join(dir, 'data');
    const cli = path.join(ctx.repo, 'bin', 'plankton.js');

    const made = await runCommand(process.execPath, [cli, 'user', 'create', 'bench', '--json', '--data-dir', dataDir], {
      cwd: ctx.repo,
    });
    if (made.code !== 0) throw new Error(`plankton user create failed: ${made.stderr.trim().slice(0, 300)}`);
    const user = JSON.parse(made.stdout.trim().split('\n').pop()!) as { uuid: string; token: string };

    let ids: string[] = [];
    try {
      const t0 = Date.now();
      ids = seedPlankton(path.join(dataDir, 'plankton.sqlite'), user.uuid, profile.seedImages);
      results.set('seeded_images', ids.length);
      ctx.log(`seeded ${ids.length} images through SQL in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (e) {
      results.note(`Plankton seeding: ${(e as Error).message}; HEAD and list not measured`);
    }

    const port = await freePort();
    const logFile = path.join(dir, 'server.log');
    const base = `http://127.0.0.1:${port}`;
    // Started once, and again on the same port after the catalogue has grown to ten times its size.
    const launch = async () => {
      const server = startServer(
        'plankton',
        process.execPath,
        [cli, 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, ...workersArgs(profile)],
        logFile,
      );
      // The primary and its HTTP workers (serve --workers, default one per core) form one process group.
      const rss = RssWatch.processGroup(server.pid);
      await waitForHttp(`${base}/healthz`, 120_000, () => isAlive(server.pid)).catch((e: Error) => {
        throw new Error(`${e.message}\n${tail(logFile)}`);
      });
      return { server, rss };
    };
    // max_rss_mb covers every life of the server: the peak of each, the largest counts.
    let peakMb = 0;
    let running: Awaited<ReturnType<typeof launch>> | undefined;
    const stopServer = () => {
      if (!running) return;
      peakMb = Math.max(peakMb, running.rss.stop());
      running.server.stop();
      running = undefined;
    };
    try {
      running = await launch();
      const s: Session = {
        base,
        account: user.uuid,
        auth: { 'X-Auth-Token': user.token },
        size: profile.dataBytes,
        downloads: profile.downloadRepeats,
        objectFile: ctx.dataFile,
        imageFile: ctx.otherDataFile,
      };

      const objectPath = await attempt(results, 'object PUT/GET', () => objectTransfers(s, results));
      ctx.log(
        `object PUT ${results.metrics.object_put_mib_s ?? '—'} MiB/s, GET ${results.metrics.object_get_mib_s ?? '—'} MiB/s`,
      );
      if (objectPath) {
        const segments = await attempt(results, 'DLO/SLO download', () => largeObjectDownloads(s, results));
        ctx.log(
          `DLO GET ${results.metrics.dlo_get_mib_s ?? '—'} MiB/s, SLO GET ${results.metrics.slo_get_mib_s ?? '—'} MiB/s (${segments ?? '—'} segments)`,
        );
      }
      const imagePath = await attempt(results, 'image upload/download', () => imageTransfers(s, results));
      ctx.log(
        `image upload ${results.metrics.upload_mib_s ?? '—'} MiB/s, download ${results.metrics.download_mib_s ?? '—'} MiB/s`,
      );
      await attempt(results, 'versioning cost', () => versioningCost(s, results));
      ctx.log(
        `overwrite upload, versioning auto ${results.metrics.versioning_auto_overwrite_mib_s ?? '—'} MiB/s, none ${results.metrics.versioning_none_overwrite_mib_s ?? '—'} MiB/s`,
      );
      const source = objectPath ?? imagePath;
      if (source) await attempt(results, 'hashmap re-upload', () => dedupReupload(s, source, results));
      else results.note('Plankton hashmap re-upload: not measured (no uploaded object to re-upload)');
      ctx.log(`dedup re-upload ${results.metrics.dedup_reupload_s ?? '—'} s`);
      const v2File = path.join(dir, 'v2.bin');
      writeRandomFile(v2File, s.size);
      await attempt(results, 'v2 upload/download', () => imageV2Transfers(s, v2File, results));
      // The swift CLI's static large object upload gets fresh bytes too: the blocks of the file
      // just uploaded are stored already, and uploading them again would measure dedup.
      writeRandomFile(v2File, s.size);
      await attempt(results, 'swift SLO upload', () =>
        swiftSloUpload({ base, userName: 'bench', token: user.token, size: s.size }, v2File, results),
      );
      fs.rmSync(v2File, { force: true });
      ctx.log(`swift upload --use-slo ${results.metrics.swift_slo_upload_mib_s ?? '—'} MiB/s`);
      ctx.log(
        `v2 upload ${results.metrics.v2_upload_mib_s ?? '—'} MiB/s, download ${results.metrics.v2_download_mib_s ?? '—'} MiB/s`,
      );
      const concurrent = await attempt(results, `${CONCURRENT_UPLOADS} concurrent uploads`, () =>
        concurrentUploads(s, dir, results),
      );
      ctx.log(
        `${CONCURRENT_UPLOADS} concurrent object PUTs of ${s.size / CONCURRENT_UPLOADS / 2 ** 20} MiB: ${results.metrics.concurrent_upload_mib_s ?? '—'} MiB/s aggregate${concurrent ? ` (${concurrent.toFixed(1)} s)` : ''}`,
      );

      if (ids.length) {
        const load = {
          base,
          headers: s.auth,
          connections: profile.wrkConnections,
          workDir: dir,
          seconds: profile.wrkSeconds,
          warmupSeconds: profile.wrkWarmupSeconds,
          maxSeconds: profile.wrkMaxSeconds,
          serverGroups: [running.server.pid],
        };
        const head = await measureLoad(
          results,
          'Plankton HEAD',
          { rps: 'head_rps', p50: 'head_p50_ms', p99: 'head_p99_ms' },
          { ...load, method: 'HEAD', paths: sample(ids, 1000).map((id) => `/image/v1.0/images/${id}`) },
        );
        if (head) ctx.log(`HEAD ${head.rps.toFixed(0)} req/s, p50 ${head.p50Ms} ms, p99 ${head.p99Ms} ms`);
        const list = await measureLoad(
          results,
          'Plankton list',
          { rps: 'list_rps', p50: 'list_p50_ms', p99: 'list_p99_ms_100k' },
          {
            ...load,
            method: 'GET',
            paths: ['/image/v1.0/images/detail?limit=100&disk_format=diskdump'],
            check: expectImages(100),
          },
        );
        if (list) ctx.log(`list ${list.rps.toFixed(0)} req/s, p50 ${list.p50Ms} ms, p99 ${list.p99Ms} ms`);
        // The same page for a single client: the latency one request pays when nothing queues ahead of it.
        const single = await measureLoad(
          results,
          'Plankton list, one connection',
          { rps: 'list_1c_rps', p50: 'list_1c_p50_ms', p99: 'list_1c_p99_ms' },
          {
            ...load,
            connections: 1,
            method: 'GET',
            paths: ['/image/v1.0/images/detail?limit=100&disk_format=diskdump'],
            check: expectImages(100),
          },
        );
        if (single) ctx.log(`list, one connection: p50 ${single.p50Ms} ms, p99 ${single.p99Ms} ms`);
        // Image API v2 on the same seeded records: one image's JSON, and a page of 100.
        const show = await measureLoad(
          results,
          'Plankton v2 image GET',
          { rps: 'v2_show_rps', p50: 'v2_show_p50_ms', p99: 'v2_show_p99_ms' },
          { ...load, method: 'GET', paths: sample(ids, 1000).map((id) => `/image/v2/images/${id}`) },
        );
        if (show) ctx.log(`v2 image GET ${show.rps.toFixed(0)} req/s, p50 ${show.p50Ms} ms, p99 ${show.p99Ms} ms`);
        const v2list = await measureLoad(
          results,
          'Plankton v2 list',
          { rps: 'v2_list_rps', p50: 'v2_list_p50_ms', p99: 'v2_list_p99_ms' },
          { ...load, method: 'GET', paths: ['/image/v2/images?limit=100'], check: expectImages(100) },
        );
        if (v2list) ctx.log(`v2 list ${v2list.rps.toFixed(0)} req/s, p50 ${v2list.p50Ms} ms, p99 ${v2list.p99Ms} ms`);
        // The seeded images' objects fill one container: a Swift listing page of 100 from its
        // middle, backwards (`reverse` with `end_marker`), the index range scans of issue 19.
        const middle = [...ids].sort()[Math.floor(ids.length / 2)];
        const swiftList = await measureLoad(
          results,
          'Plankton Swift container listing',
          { rps: 'swift_list_rps', p50: 'swift_list_p50_ms', p99: 'swift_list_p99_ms' },
          {
            ...load,
            method: 'GET',
            paths: [`/swift/v1/AUTH_${user.uuid}/images?format=json&limit=100&reverse=true&end_marker=${middle}`],
            check: expectEntries(100),
          },
        );
        if (swiftList)
          ctx.log(
            `Swift container listing ${swiftList.rps.toFixed(0)} req/s, p50 ${swiftList.p50Ms} ms, p99 ${swiftList.p99Ms} ms`,
          );

        // Issue 14: the list must not cost more with the catalogue. Stop the server, grow the same
        // database to ten times its images (1,000,000; quick: 100,000), start it again and run the
        // same list page under wrk.
        stopServer();
        const grown = profile.seedImages * 10;
        const t0 = Date.now();
        const added = await attempt(results, 'seeding to ten times the images', async () =>
          seedPlankton(path.join(dataDir, 'plankton.sqlite'), user.uuid, grown - ids.length, { already: ids.length }),
        );
        const seedSeconds = (Date.now() - t0) / 1000;
        running = await launch();
        if (added) {
          results.set('seeded_images_1m', ids.length + added.length);
          results.set('seed_growth_s', seedSeconds);
          ctx.log(
            `grew the catalogue to ${ids.length + added.length} images through SQL in ${seedSeconds.toFixed(1)} s`,
          );
          const big = await measureLoad(
            results,
            `Plankton list at ${grown} images`,
            { rps: 'list_rps_1m', p50: 'list_p50_ms_1m', p99: 'list_p99_ms_1m' },
            {
              ...load,
              serverGroups: [running.server.pid],
              method: 'GET',
              paths: ['/image/v1.0/images/detail?limit=100&disk_format=diskdump'],
              check: expectImages(100),
            },
          );
          if (big)
            ctx.log(`list at ${grown} images ${big.rps.toFixed(0)} req/s, p50 ${big.p50Ms} ms, p99 ${big.p99Ms} ms`);
        }
      }
    } finally {
      stopServer();
      results.set('max_rss_mb', peakMb > 0 ? peakMb : null);
      results.set('workers', workersOf(profile));
      ctx.log(`peak RSS ${results.metrics.max_rss_mb} MB`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** `--workers N` for serve when the run sets it; else serve's default (one worker per core). */
function workersArgs(profile: Profile): string[] {
  return profile.workers === undefined ? [] : ['--workers', String(profile.workers)];
}

function workersOf(profile: Profile): number {
  return profile.workers ?? Math.min(64, os.availableParallelism());
}
