/**
 * The bench's SQL seeders write rows the real server reads as images (the bench's HEAD and list
 * figures mean nothing otherwise), on SQLite (seeded, then grown like the list at ten times the
 * images) and on PostgreSQL; and the report judges issue 14's rows, the "faster of nginx and
 * Glance" baseline included. No timing is asserted.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { buildJson, buildMarkdown } from '../bench/lib/report.ts';
import { Results } from '../bench/lib/results.ts';
import { parseOptions } from '../bench/lib/options.ts';
import { seedPlanktonPg } from '../bench/scenarios/plankton-seed-pg.ts';
import { seedPlankton } from '../bench/scenarios/plankton-seed.ts';
import { plankton, startChildServer } from './helpers/child-server.ts';
import { DIALECTS, freshPostgresDatabase } from './helpers/dialects.ts';

interface ListedImage {
  readonly id: string;
  readonly name: string;
  readonly disk_format: string;
}

/** Every page of the v1 detail list with `disk_format=diskdump`, following the markers. */
async function listDiskdump(url: string, token: string): Promise<ListedImage[]> {
  const all: ListedImage[] = [];
  for (let marker = ''; ; ) {
    const res = await fetch(
      `${url}/image/v1.0/images/detail?limit=100&disk_format=diskdump${marker ? `&marker=${marker}` : ''}`,
      { headers: { 'X-Auth-Token': token } },
    );
    assert.equal(res.status, 200);
    const page = (await res.json()) as ListedImage[];
    all.push(...page);
    if (page.length < 100) return all;
    marker = page[page.length - 1].id;
  }
}

for (const dialect of DIALECTS) {
  describe(`bench seeders (${dialect})`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-bench-seed-'));
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('seeds images the server lists and HEADs, and grows them', async () => {
      let storage = ['--data-dir', dir];
      if (dialect === 'postgres') {
        const db = await freshPostgresDatabase();
        cleanups.push(db.drop);
        storage = [...storage, '--database-url', db.url];
      }
      const user = JSON.parse((await plankton(['user', 'create', 'bench', '--json', ...storage])).trim()) as {
        uuid: string;
        token: string;
      };
      const dbUrl = storage[3];
      const first =
        dialect === 'sqlite'
          ? seedPlankton(path.join(dir, 'plankton.sqlite'), user.uuid, 300)
          : await seedPlanktonPg(dbUrl, user.uuid, 300);
      // The SQLite catalogue grows like the bench's list at ten times the images.
      const grown =
        dialect === 'sqlite' ? seedPlankton(path.join(dir, 'plankton.sqlite'), user.uuid, 700, { already: 300 }) : [];
      assert.equal(first.length, 300);
      assert.equal(new Set([...first, ...grown]).size, first.length + grown.length);

      const server = await startChildServer(storage);
      cleanups.push(() => server.stop());
      const listed = await listDiskdump(server.url, user.token);
      assert.equal(listed.length, (first.length + grown.length) / 2, 'every second image is a diskdump');
      assert.ok(listed.every((i) => i.disk_format === 'diskdump'));
      const names = new Set(listed.map((i) => i.name));
      assert.equal(names.size, listed.length, 'names go on from the earlier seeding, none repeats');
      for (const id of [first[0], first[299], ...(grown.length ? [grown[0], grown[699]] : [])]) {
        const head = await fetch(`${server.url}/image/v1.0/images/${id}`, {
          method: 'HEAD',
          headers: { 'X-Auth-Token': user.token },
        });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get('x-image-meta-id'), id);
        assert.equal(head.headers.get('x-image-meta-property-os'), 'debian');
      }
    });
  });
}

describe('bench report: issue 14 targets', () => {
  const report = (set: Partial<Record<string, number>>) => {
    const results = new Results();
    for (const [k, v] of Object.entries(set)) results.set(k as never, v ?? null);
    const machine = {
      date: '',
      cpu_model: 'test',
      cores: 2,
      memory_gib: 1,
      kernel: '',
      node: '',
      load_average_start: [0, 0, 0],
      load_average_end: [0, 0, 0],
    };
    const input = { machine, profile: parseOptions([]), results, totalSeconds: 1 } as Parameters<typeof buildJson>[0];
    const targets = buildJson(input).targets as { group: string; name: string; ratio: number | null; status: string }[];
    return { targets, md: buildMarkdown(input) };
  };

  it('judges download against the faster of nginx and Glance, and only when both are measured', () => {
    const both = report({ download_mib_s: 950, nginx_download_mib_s: 1000, glance_download_mib_s: 2000 });
    const row = both.targets.find((t) => t.name === 'image download vs the faster of nginx and Glance')!;
    assert.equal(row.group, 'issue 14');
    assert.equal(row.ratio, 0.475);
    assert.equal(row.status, 'missed');
    const noGlance = report({ download_mib_s: 950, nginx_download_mib_s: 1000 });
    assert.equal(noGlance.targets.find((t) => t.name === row.name)!.status, 'n.a.');
  });

  it('has a row for each of the new figures, and the list ratio is at most 1.5', () => {
    const r = report({ list_p50_ms: 10, list_p50_ms_1m: 14, concurrent_upload_mib_s: 300, disk_write_mib_s: 400 });
    const list = r.targets.find((t) => t.name.startsWith('list p50 at ten times'))!;
    assert.equal(list.status, 'met');
    assert.equal(list.ratio, 1.4);
    const concurrent = r.targets.find((t) => t.name.startsWith('8 concurrent'))!;
    assert.equal(concurrent.ratio, 0.75);
    assert.equal(concurrent.status, 'missed');
    for (const figure of [
      'image and object download',
      'image and object upload (durable: fsync before the reply)',
      '8 concurrent 256 MiB uploads, aggregate',
      'HEAD /image/v1.0/images/{id}, 64 connections',
      'GET …/images/detail?limit=100 at 100,000 images, 64 connections',
      'same list, one connection',
      'list p50 at 1,000,000 images vs at 100,000',
      'server RSS over the whole run, lists under wrk included',
    ])
      assert.ok(r.md.includes(`| ${figure} |`), `issue 14's row "${figure}" is in latest.md`);
  });
});
