import SQLite from 'better-sqlite3';
import { loadSettings } from './src/config.ts';
import { Services } from './src/services.ts';
import { parseListParameters } from './src/api/image/v1/list-parameters.ts';
import { imageDetail } from './src/api/image/v1/image-rendering.ts';
const dataDir = '/tmp/i14list-100k';
const settings = loadSettings({ dataDir, logLevel: 'silent' }, {});
const services = await Services.open(settings);
const owner = (new SQLite(dataDir + '/plankton.sqlite', { readonly: true }).prepare('select owner from images limit 1').get() as any).owner;
const caller = (await services.users.byUuid(owner))!;
const q = () => parseListParameters(new Map(new URLSearchParams('limit=100&disk_format=diskdump')));
const measure = async (label: string, f: () => unknown) => {
  for (let i = 0; i < 50; i++) await f();
  const out: string[] = [];
  for (let r = 0; r < 3; r++) {
    (globalThis as any).gc();
    const h0 = process.memoryUsage().heapUsed;
    for (let i = 0; i < 20; i++) await f();
    out.push(((process.memoryUsage().heapUsed - h0) / 20 / 1024).toFixed(0));
  }
  console.log(label.padEnd(30), out.join(' / '), 'KiB per page');
};
const items = await services.images.list(caller, q());
await measure('service list', () => services.images.list(caller, q()));
await measure('imageDetail x100', () => items.map(imageDetail));
await measure('stringify details', () => JSON.stringify(items.map(imageDetail)));
await measure('Buffer.from(json)', () => Buffer.from(JSON.stringify(items.map(imageDetail))));
console.log('body bytes', Buffer.byteLength(JSON.stringify(items.map(imageDetail))));
const db = new SQLite(dataDir + '/plankton.sqlite', { readonly: true });
await services.close();
import { imageDetailJson } from './src/api/image/v1/image-rendering.ts';
await measure('detailJson page string', () => { let b='['; for (const i of items) b += imageDetailJson(i) + ','; return Buffer.from(b); });
const sdb = new SQLite(dataDir + '/plankton.sqlite', { readonly: true });
const narrow = `select i.id, i.name, i.status, i.disk_format, i.container_format, i.origin, i.min_ram, i.min_disk, i.protected, i.created_at, i.updated_at, i.virtual_size, o.account, c.name as container, o.name as object_name, o.size, o.md5, o.object_hash, o.version_ts, exists(select 1 from grants pg where pg.object_id = o.id and pg.kind = 'read' and pg.grantee = '*') as is_public, (select json_group_object(p.key, p.value) from image_properties p where p.image_id = i.id) as properties from "images" as "i" inner join "objects" as "o" on "o"."uuid" = "i"."id" inner join "containers" as "c" on "c"."id" = "o"."container_id" where ("i"."owner" = ? or exists (select "lg"."object_id" from "grants" as "lg" where "lg"."object_id" = "o"."id" and "lg"."grantee" in (?, ?))) and "i"."disk_format" = ? order by i.created_at desc, "i"."id" desc limit 100`;
const st = sdb.prepare(narrow); const sr = sdb.prepare(narrow); sr.raw(true);
await measure('sqlite rows objects', () => st.all(owner, owner, '*', 'diskdump'));
await measure('sqlite rows raw', () => sr.all(owner, owner, '*', 'diskdump'));
