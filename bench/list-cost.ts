/**
 * What one image list page costs the database, and whether that grows with the catalogue: seeds
 * LIST_IMAGES images (default 100,000; the bench's seeder, SQLite) for one owner, then times the
 * bench's list (`GET /image/v1.0/images/detail?limit=100&disk_format=diskdump`, the first page and
 * a page deep in the catalogue through its marker) and the v2 list, called through the image
 * service (no HTTP), and prints SQLite's query plan of the v1 page. Standalone, not part of
 * `npm run bench`; one process, so the figures are CPU per page, not under load:
 *
 *   node --import tsx bench/list-cost.ts            # LIST_IMAGES=1000000 for the 1M figure
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSettings } from '../src/config.ts';
import { Services } from '../src/services.ts';
import { parseListParameters } from '../src/api/image/v1/list-parameters.ts';
import SQLite from 'better-sqlite3';
import { ImageService } from '../src/domain/images/image-service.ts';
import { MetadataStore } from '../src/storage/metadata/database.ts';
import { seedPlankton } from './scenarios/plankton-seed.ts';

const COUNT = Number(process.env.LIST_IMAGES ?? 100_000);
const ROUNDS = Number(process.env.LIST_ROUNDS ?? 200);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-list-cost-'));
try {
  const settings = loadSettings({ dataDir, logLevel: 'silent' }, {});
  let services = await Services.open(settings);
  const owner = await services.users.create('bench@example.org');
  await services.close();
  const t = Date.now();
  const ids = seedPlankton(path.join(dataDir, 'plankton.sqlite'), owner.uuid, COUNT);
  console.log(`seeded ${ids.length} images in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  services = await Services.open(settings);
  const caller = (await services.users.byUuid(owner.uuid))!;

  const time = async (label: string, query: string, call: (q: URLSearchParams) => Promise<unknown[]>) => {
    const q = new URLSearchParams(query);
    let rows = 0;
    for (let i = 0; i < 5; i++) rows = (await call(q)).length; // warm the statement cache and pages
    // CPU time of this process, not wall time: on a shared machine the wall clock mostly measures the neighbours.
    const ms: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const start = process.cpuUsage();
      await call(q);
      const used = process.cpuUsage(start);
      ms.push((used.user + used.system) / 1000);
    }
    ms.sort((a, b) => a - b);
    const at = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(2);
    console.log(`${label}: ${rows} rows, CPU p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`);
  };
  const v1 = (q: URLSearchParams) => services.images.list(caller, parseListParameters(new Map(q)));
  await time('v1 detail, first page', 'limit=100&disk_format=diskdump', v1);
  const deep = ids[Math.floor(ids.length / 2)];
  await time('v1 detail, middle page (marker)', `limit=100&disk_format=diskdump&marker=${deep}`, v1);
  await time('v1 detail, no filter', 'limit=100', v1);

  // The plan of the bench's first page, as the repository builds it (the list's last images statement).
  let last: { sql: string; parameters: readonly unknown[] } | undefined;
  const probe = MetadataStore.open(undefined, dataDir, {
    log: (e) => {
      if (e.level === 'query' && /from "images"/.test(e.query.sql)) last = e.query;
    },
  });
  const probeImages = new ImageService(probe.db, probe.dialect, services.objects, services.users, settings);
  for (const query of ['limit=100&disk_format=diskdump', `limit=100&disk_format=diskdump&marker=${deep}`]) {
    await probeImages.list(caller, parseListParameters(new Map(new URLSearchParams(query))));
    if (!last) continue;
    const db = new SQLite(path.join(dataDir, 'plankton.sqlite'), { readonly: true });
    const plan = db.prepare(`explain query plan ${last.sql}`).all(...(last.parameters as unknown[])) as {
      detail: string;
    }[];
    if (process.env.LIST_SQL) console.log(last.sql);
    console.log(`plan of ${query}:\n${plan.map((r) => `  ${r.detail}`).join('\n')}`);
    db.close();
  }
  await probe.close();
  await services.close();
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
