import fs from 'node:fs';
import type { BenchContext, Scenario } from '../lib/context.ts';
import { bestDownload, uploadFile } from '../lib/curl.ts';
import { describe, mibPerSecond, ok, request } from '../lib/http-client.ts';
import { startPeer } from '../lib/peer-script.ts';
import { freePortRun, freePorts } from '../lib/processes.ts';
import { RssWatch } from '../lib/rss.ts';

const pidsUnder = (dir: string): number[] =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => Number(fs.readFileSync(`${dir}/${f}`, 'utf8')));

/** OpenStack Swift 2.30 as one node: object PUT and GET of the data file through the proxy. */
export const swiftPeer: Scenario = {
  name: 'swift',
  async run(ctx: BenchContext) {
    const dir = ctx.dir('swift');
    const [proxyPort, memcachedPort] = await freePorts(2);
    const backendBase = await freePortRun(3);
    const started = Date.now();
    const peer = await startPeer(ctx.repo, 'swift-peer.sh', dir, [
      String(proxyPort),
      String(backendBase),
      String(memcachedPort),
    ]);
    const rss = RssWatch.groups(pidsUnder(`${dir}/run`));
    try {
      ctx.log(`up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const auth = await request('GET', peer.info.auth, { 'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing' });
      const token = auth.headers['x-auth-token'];
      const storage = auth.headers['x-storage-url'];
      if (!ok(auth) || typeof token !== 'string' || typeof storage !== 'string')
        throw new Error(`tempauth: ${describe(auth)}`);
      const headers = { 'X-Auth-Token': token };
      const container = await request('PUT', `${storage}/bench`, headers);
      if (!ok(container)) throw new Error(`container PUT: ${describe(container)}`);

      const size = ctx.profile.dataBytes;
      const put = await uploadFile(
        'PUT',
        `${storage}/bench/data.bin`,
        { ...headers, 'Content-Type': 'application/octet-stream' },
        ctx.dataFile,
      );
      if (!ok(put)) throw new Error(`object PUT: ${describe(put)}`);
      ctx.results.set('swift_upload_mib_s', mibPerSecond(size, put.seconds));

      const get = await bestDownload(`${storage}/bench/data.bin`, headers, size, ctx.profile.downloadRepeats);
      ctx.results.set('swift_download_mib_s', mibPerSecond(size, get.seconds));
      ctx.log(
        `upload ${ctx.results.metrics.swift_upload_mib_s} MiB/s, download ${ctx.results.metrics.swift_download_mib_s} MiB/s`,
      );
    } finally {
      const peak = rss.stop();
      ctx.results.set('swift_max_rss_mb', peak > 0 ? peak : null);
      peer.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
