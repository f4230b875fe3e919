import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchContext, Scenario } from '../lib/context.ts';
import { bestDownload, uploadFile } from '../lib/curl.ts';
import { describe, mibPerSecond, ok, request } from '../lib/http-client.ts';
import { startPeer } from '../lib/peer-script.ts';
import { freePort } from '../lib/processes.ts';
import { RssWatch } from '../lib/rss.ts';
import { measureLoad } from '../lib/load-test.ts';
import { expectImages, sample } from '../lib/wrk.ts';
import { seedGlance } from './glance-seed.ts';

const PROJECT = 'benchproject';
/** Without keystone, Glance's context middleware takes the caller from these headers. */
const IDENTITY = {
  'X-Identity-Status': 'Confirmed',
  'X-Project-Id': PROJECT,
  'X-User-Id': 'benchuser',
  'X-Roles': 'member',
};

/**
 * OpenStack Glance 25 (Debian glance-api, v2 API, sqlite + file store, no keystone): the same
 * upload, download, single-image read and filtered list as Plankton's, side by side.
 */
export const glancePeer: Scenario = {
  name: 'glance',
  async run(ctx: BenchContext) {
    if (!fs.existsSync('/usr/bin/glance-api')) {
      throw new Error('glance-api is not installed: run `bench/scripts/glance-peer.sh install` (root) and run again');
    }
    const dir = ctx.dir('glance');
    const port = await freePort();
    const workers = process.env.GLANCE_WORKERS ?? String(os.availableParallelism());
    const started = Date.now();
    const peer = await startPeer(ctx.repo, 'glance-peer.sh', dir, [String(port)], {
      ...process.env,
      GLANCE_WORKERS: workers,
    });
    const rss = RssWatch.groups([Number(peer.info.pid)]);
    const base = `http://127.0.0.1:${port}`;
    const { results, profile } = ctx;
    try {
      ctx.log(`up in ${((Date.now() - started) / 1000).toFixed(1)} s (${workers} workers)`);
      const created = await request(
        'POST',
        `${base}/v2/images`,
        { ...IDENTITY, 'Content-Type': 'application/json' },
        JSON.stringify({ name: 'bench-upload', disk_format: 'raw', container_format: 'bare' }),
      );
      if (!ok(created)) throw new Error(`image create: ${describe(created)}`);
      const id = (JSON.parse(created.body) as { id: string }).id;

      const size = profile.dataBytes;
      const put = await uploadFile(
        'PUT',
        `${base}/v2/images/${id}/file`,
        { ...IDENTITY, 'Content-Type': 'application/octet-stream' },
        ctx.dataFile,
      );
      if (!ok(put)) throw new Error(`upload: ${describe(put)}`);
      results.set('glance_upload_mib_s', mibPerSecond(size, put.seconds));
      const get = await bestDownload(`${base}/v2/images/${id}/file`, IDENTITY, size, profile.downloadRepeats);
      results.set('glance_download_mib_s', mibPerSecond(size, get.seconds));
      ctx.log(
        `upload ${results.metrics.glance_upload_mib_s} MiB/s, download ${results.metrics.glance_download_mib_s} MiB/s`,
      );
      fs.rmSync(path.join(dir, 'images', id), { force: true }); // the bytes are no longer needed

      const t0 = Date.now();
      const ids = seedGlance(peer.info.db, profile.seedImages, PROJECT, path.join(dir, 'images'));
      results.set('glance_seeded_images', ids.length + 1);
      ctx.log(`seeded ${ids.length} images through SQL in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

      const load = {
        base,
        method: 'GET' as const,
        headers: IDENTITY,
        connections: profile.wrkConnections,
        workDir: dir,
        seconds: profile.wrkSeconds,
        warmupSeconds: profile.wrkWarmupSeconds,
        maxSeconds: profile.wrkMaxSeconds,
        serverGroups: [Number(peer.info.pid)],
      };
      const head = await measureLoad(
        results,
        'Glance image GET',
        { rps: 'glance_head_rps', p50: 'glance_head_p50_ms', p99: 'glance_head_p99_ms' },
        { ...load, paths: sample(ids, 1000).map((i) => `/v2/images/${i}`) },
      );
      if (head) ctx.log(`image GET ${head.rps.toFixed(1)} req/s, p50 ${head.p50Ms} ms, p99 ${head.p99Ms} ms`);
      const list = await measureLoad(
        results,
        'Glance list',
        { rps: 'glance_list_rps', p50: 'glance_list_p50_ms', p99: 'glance_list_p99_ms' },
        { ...load, paths: ['/v2/images?limit=100&disk_format=raw'], check: expectImages(100) },
      );
      if (list)
        ctx.log(
          `list ${list.rps.toFixed(1)} req/s, p50 ${list.p50Ms} ms, p99 ${list.p99Ms} ms (one alone ${list.singleMs.toFixed(0)} ms)`,
        );
    } finally {
      const peak = rss.stop();
      results.set('glance_max_rss_mb', peak > 0 ? peak : null);
      peer.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
