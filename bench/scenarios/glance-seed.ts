import { createHash, randomUUID } from 'node:crypto';
import SQLite from 'better-sqlite3';

/** Glance's DATETIME text: `2026-11-26 20:23:33.341000`. */
const glanceTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '000');

const EMPTY_MD5 = createHash('md5').digest('hex');
const EMPTY_SHA512 = createHash('sha512').digest('hex');

/**
 * Adds `count` active images straight into Glance's sqlite database (the API would take ~10 ms
 * per image): the rows Glance itself writes for an uploaded image — the image, two properties
 * and one file location — with every second image `raw`, the others `qcow2`, owned by `owner`.
 * Returns the new ids.
 */
export function seedGlance(dbFile: string, count: number, owner: string, storeDir: string): string[] {
  const db = new SQLite(dbFile);
  try {
    db.pragma('busy_timeout = 10000');
    const image = db.prepare(`INSERT INTO images (id, name, size, status, created_at, updated_at, deleted_at, deleted,
      disk_format, container_format, checksum, owner, min_disk, min_ram, protected, virtual_size, visibility, os_hidden,
      os_hash_algo, os_hash_value) VALUES (?, ?, 0, 'active', ?, ?, NULL, 0, ?, 'bare', ?, ?, 0, 0, 0, 0, 'shared', 0, 'sha512', ?)`);
    const property =
      db.prepare(`INSERT INTO image_properties (image_id, name, value, created_at, updated_at, deleted_at, deleted)
      VALUES (?, ?, ?, ?, ?, NULL, 0)`);
    const location =
      db.prepare(`INSERT INTO image_locations (image_id, value, created_at, updated_at, deleted_at, deleted, meta_data, status)
      VALUES (?, ?, ?, ?, NULL, 0, '{}', 'active')`);
    const ids: string[] = [];
    const start = Date.now() - count * 1000;
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const id = randomUUID();
        const t = glanceTime(start + i * 1000);
        image.run(id, `bench-${i}`, t, t, i % 2 === 0 ? 'raw' : 'qcow2', EMPTY_MD5, owner, EMPTY_SHA512);
        property.run(id, 'os_distro', 'debian', t, t);
        property.run(id, 'bench_seq', String(i), t, t);
        location.run(id, `file://${storeDir}/${id}`, t, t);
        ids.push(id);
      }
    })();
    return ids;
  } finally {
    db.close();
  }
}
