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
