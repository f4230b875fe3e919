/**
 * The distributed configuration (issue 14's scale-out path): Plankton on PostgreSQL (the
 * repository's scripts/postgres.sh) with its blocks in S3 (Swift + s3api, scripts/swift-s3.sh),
 * both started on their own ports in this section's temp folder and stopped after it, like the
 * peers. Measures object PUT and GET of the data file, and HEAD and the v1 list under wrk over
 * images seeded through SQL (`seedPlanktonPg`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { onCleanup } from '../lib/cleanup.ts';
import type { BenchContext, Scenario } from '../lib/context.ts';
import { bestDownload, uploadFile } from '../lib/curl.ts';
import { describe, mibPerSecond, ok, request, waitForHttp } from '../lib/http-client.ts';
import { measureLoad } from '../lib/load-test.ts';
import { isAlive } from '../lib/proc.ts';
import {
  findTool,
  freePort,
  freePortRun,
  freePorts,
  runCommand,
  runCommandSync,
  startServer,
  tail,
} from '../lib/processes.ts';
import { RssWatch } from '../lib/rss.ts';
import { expectImages, sample } from '../lib/wrk.ts';
import { seedPlanktonPg } from './plankton-seed-pg.ts';

/**
 * Runs `script start DIR` (its stop registered with the run's cleanup first, so a start that
 * fails half-way is still undone) and returns the NAME=value lines it printed.
 */
interface Backend {
  /** The NAME=value lines `start` printed. */
  readonly vars: Record<string, string>;
  readonly stop: () => void;
}

async function startBackend(script: string, dir: string, env: NodeJS.ProcessEnv): Promise<Backend> {
  const stop = onCleanup(`${path.basename(script)} stop ${dir}`, () => void runCommandSync(script, ['stop', dir])).now;
  const r = await runCommand(script, ['start', dir], { env });
  if (r.code !== 0) {
    stop();
    throw new Error(
      `${path.basename(script)} start failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-8).join(' | ')}`,
    );
  }
  const vars: Record<string, string> = {};
  for (const m of r.stdout.matchAll(/^(\w+)='?([^'\n]*)'?$/gm)) vars[m[1]] = m[2];
  return { vars, stop };
}

/** Why this section cannot run here, or undefined. */
function missingPackages(): string | undefined {
  const missing: string[] = [];
  const pgBin = fs.existsSync('/usr/lib/postgresql')
    ? fs.readdirSync('/usr/lib/postgresql').some((v) => fs.existsSync(`/usr/lib/postgresql/${v}/bin/initdb`))
    : false;
  if (!pgBin) missing.push('postgresql');
  if (!findTool('swift-proxy-server')) missing.push('swift-proxy swift-object swift-container swift-account');
  if (!findTool('memcached')) missing.push('memcached');
  return missing.length ? `apt-get install ${missing.join(' ')} (scripts/swift-s3.sh install)` : undefined;
}

export const planktonPgS3: Scenario = {
  name: 'pg-s3',
  async run(ctx: BenchContext) {
    const { results, profile } = ctx;
    const missing = missingPackages();
    if (missing) {
      results.note(`Plankton on PostgreSQL + S3: not measured (${missing})`);
      return;
    }
    const dir = ctx.dir('pg-s3');
    // As root, postgres.sh runs the server as the `postgres` user, who must reach its folder
    // through the run's private temp folder: let others traverse it (not list or read it).
    if (process.getuid?.() === 0) fs.chmodSync(path.dirname(dir), 0o711);
    const [pgPort, proxyPort, memcachedPort] = await freePorts(3);
    const backendBase = await freePortRun(3);
    // Both started at once (each start is seconds of initdb or of Python imports).
    const started = await Promise.allSettled([
      startBackend(path.join(ctx.repo, 'scripts', 'postgres.sh'), path.join(dir, 'pg'), {
        ...process.env,
        PLANKTON_PG_PORT: String(pgPort),
      }),
      startBackend(path.join(ctx.repo, 'scripts', 'swift-s3.sh'), path.join(dir, 'swift'), {
        ...process.env,
        PLANKTON_SWIFT_PORT: String(proxyPort),
        PLANKTON_SWIFT_BACKEND_PORT: String(backendBase),
        PLANKTON_SWIFT_MEMCACHED_PORT: String(memcachedPort),
      }),
    ]);
    const stops = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value.stop] : []));
    let stopServer = () => {};
    try {
      const failed = started.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      const [pg, s3] = started.map((r) => (r as PromiseFulfilledResult<Backend>).value);
      const databaseUrl = pg.vars.PG_URL;
      const blocks = s3.vars.PLANKTON_TEST_S3?.replace(/^s3:\/\/[^?]+/, 's3://plankton-bench');
      if (!databaseUrl || !blocks) throw new Error('the backend scripts printed no PG_URL / PLANKTON_TEST_S3');
      ctx.log(`PostgreSQL on port ${pgPort}, Swift/S3 on port ${proxyPort}`);
      const env = {
        ...process.env,
        AWS_ACCESS_KEY_ID: s3.vars.AWS_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: s3.vars.AWS_SECRET_ACCESS_KEY,
      };
      const cli = path.join(ctx.repo, 'bin', 'plankton.js');
      const where = ['--database-url', databaseUrl, '--blocks', blocks, '--data-dir', path.join(dir, 'data')];
      const made = await runCommand(process.execPath, [cli, 'user', 'create', 'bench', '--json', ...where], {
        cwd: ctx.repo,
        env,
      });
      if (made.code !== 0) throw new Error(`plankton user create failed: ${made.stderr.trim().slice(0, 300)}`);
      const user = JSON.parse(made.stdout.trim().split('\n').pop()!) as { uuid: string; token: string };

      let ids: string[] = [];
      try {
        const t0 = Date.now();
        ids = await seedPlanktonPg(databaseUrl, user.uuid, profile.seedImages);
        results.set('pg_s3_seeded_images', ids.length);
        ctx.log(`seeded ${ids.length} images through SQL in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      } catch (e) {
        results.note(`Plankton on PostgreSQL + S3, seeding: ${(e as Error).message}; HEAD and list not measured`);
      }

      const port = await freePort();
      const logFile = path.join(dir, 'server.log');
      const server = startServer(
        'plankton (PostgreSQL + S3)',
        process.execPath,
        [cli, 'serve', '--host', '127.0.0.1', '--port', String(port), ...where, ...workersArgs(profile.workers)],
        logFile,
        env,
      );
      const rss = RssWatch.processGroup(server.pid);
      stopServer = () => {
        const peak = rss.stop();
        results.set('pg_s3_max_rss_mb', peak > 0 ? peak : null);
        server.stop();
      };
      const base = `http://127.0.0.1:${port}`;
      await waitForHttp(`${base}/healthz`, 120_000, () => isAlive(server.pid)).catch((e: Error) => {
        throw new Error(`${e.message}\n${tail(logFile)}`);
      });
      const auth = { 'X-Auth-Token': user.token };

      await transfers(ctx, base, user.uuid, auth).catch((e: Error) =>
        results.note(`Plankton on PostgreSQL + S3, object PUT/GET: not measured (${e.message})`),
      );
      ctx.log(
        `object PUT ${results.metrics.pg_s3_object_put_mib_s ?? '—'} MiB/s, GET ${results.metrics.pg_s3_object_get_mib_s ?? '—'} MiB/s`,
      );
      if (ids.length) {
        const load = {
          base,
          headers: auth,
          connections: profile.wrkConnections,
          workDir: dir,
          seconds: profile.wrkSeconds,
          warmupSeconds: profile.wrkWarmupSeconds,
          maxSeconds: profile.wrkMaxSeconds,
          serverGroups: [server.pid],
        };
        const head = await measureLoad(
          results,
          'Plankton on PostgreSQL + S3, HEAD',
          { rps: 'pg_s3_head_rps', p50: 'pg_s3_head_p50_ms', p99: 'pg_s3_head_p99_ms' },
          { ...load, method: 'HEAD', paths: sample(ids, 1000).map((id) => `/image/v1.0/images/${id}`) },
        );
        if (head) ctx.log(`HEAD ${head.rps.toFixed(0)} req/s, p50 ${head.p50Ms} ms, p99 ${head.p99Ms} ms`);
        const list = await measureLoad(
          results,
          'Plankton on PostgreSQL + S3, list',
          { rps: 'pg_s3_list_rps', p50: 'pg_s3_list_p50_ms', p99: 'pg_s3_list_p99_ms' },
          {
            ...load,
            method: 'GET',
            paths: ['/image/v1.0/images/detail?limit=100&disk_format=diskdump'],
            check: expectImages(100),
          },
        );
        if (list) ctx.log(`list ${list.rps.toFixed(0)} req/s, p50 ${list.p50Ms} ms, p99 ${list.p99Ms} ms`);
      }
    } finally {
      stopServer();
      for (const stop of stops.reverse()) stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** Object PUT of the data file (a fresh store: no block is there yet) and its GET, best of the repeats. */
async function transfers(
  ctx: BenchContext,
  base: string,
  account: string,
  auth: Record<string, string>,
): Promise<void> {
  const size = ctx.profile.dataBytes;
  const container = `${base}/object-store/v1/${account}/bench`;
  const made = await request('PUT', container, auth);
  if (!ok(made)) throw new Error(`container PUT: ${describe(made)}`);
  const put = await uploadFile(
    'PUT',
    `${container}/data.bin`,
    { ...auth, 'Content-Type': 'application/octet-stream' },
    ctx.dataFile,
  );
  if (!ok(put)) throw new Error(`object PUT: ${describe(put)}`);
  ctx.results.set('pg_s3_object_put_mib_s', mibPerSecond(size, put.seconds));
  const get = await bestDownload(`${container}/data.bin`, auth, size, ctx.profile.downloadRepeats);
  ctx.results.set('pg_s3_object_get_mib_s', mibPerSecond(size, get.seconds));
}

function workersArgs(workers: number | undefined): string[] {
  return workers === undefined ? [] : ['--workers', String(workers)];
}
