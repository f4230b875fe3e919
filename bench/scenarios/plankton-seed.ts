import { randomUUID } from 'node:crypto';
import SQLite from 'better-sqlite3';
import { EMPTY_HASH, EMPTY_MD5 } from '../../src/domain/hashing.ts';

type Row = Record<string, string | number | null>;
type Insert = (values: Row) => number;

/**
 * An INSERT for `table` checked against the live schema: a column the seeder does not fill and
 * that needs a value (NOT NULL, no default) stops the seeding with its name, rather than seed
 * rows the server would misread; columns of `row` the table no longer has are left out.
 * The returned function inserts one row and gives its rowid.
 */
function insertInto(db: SQLite.Database, table: string, row: Row): Insert {
  const info = db.prepare(`PRAGMA table_info(${table})`).all() as {
    name: string;
    notnull: number;
    dflt_value: unknown;
    pk: number;
  }[];
  if (info.length === 0) throw new Error(`table ${table} does not exist yet`);
  for (const c of info) {
    const filledByDb = c.pk === 1 && c.name === 'id' && !(c.name in row);
    if (c.notnull && c.dflt_value === null && !filledByDb && !(c.name in row)) {
      throw new Error(
        `${table}.${c.name} is new (NOT NULL, no default): teach bench/scenarios/plankton-seed.ts about it`,
      );
    }
  }
  const names = Object.keys(row).filter((n) => info.some((c) => c.name === n));
  const stmt = db.prepare(
    `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map((n) => `@${n}`).join(', ')})`,
  );
  return (values) => Number(stmt.run(Object.fromEntries(names.map((n) => [n, values[n] ?? row[n]]))).lastInsertRowid);
}

/**
 * Adds `count` available images owned by `owner` straight into Plankton's SQLite database, as
 * uploads through the image API leave them: an (empty) object `images/<id>` whose UUID is the
 * image id in the owner's `images` container, the image record (every second one `diskdump`,
 * the others `raw`) and two properties. Run it while the server is stopped. Returns the ids.
 */
export function seedPlankton(dbFile: string, owner: string, count: number): string[] {
  const db = new SQLite(dbFile);
  try {
    db.pragma('busy_timeout = 10000');
    db.pragma('foreign_keys = ON');
    const first = Date.now() * 1000 - count * 1_000_000; // one image a second, ending now
    const insertContainer = insertInto(db, 'containers', {
      account: owner,
      name: 'images',
      quota: 0,
      versioning: 'auto',
      project: owner,
      meta: '{}',
      created_at: first,
      modified_at: first,
    });
    const insertObject = insertInto(db, 'objects', {
      container_id: 0,
      account: owner,
      name: '',
      uuid: '',
      version: 0,
      version_ts: first,
      size: 0,
      hashmap: EMPTY_HASH,
      object_hash: EMPTY_HASH,
      md5: EMPTY_MD5,
      content_type: 'application/octet-stream',
      content_encoding: null,
      content_disposition: null,
      meta: '{}',
      modified_by: owner,
      public_token: null,
    });
    const insertImage = insertInto(db, 'images', {
      id: '',
      owner,
      name: '',
      disk_format: 'diskdump',
      container_format: 'bare',
      status: 'available',
      origin: 'upload',
      min_ram: 0,
      min_disk: 0,
      protected: 0,
      created_at: first,
      updated_at: first,
      declared_size: null,
      declared_checksum: null,
    });
    const insertProperty = insertInto(db, 'image_properties', { image_id: '', key: '', value: '' });
    const takeVersions = db.prepare(`UPDATE counters SET value = value + ? WHERE name = 'version' RETURNING value`);

    const ids: string[] = [];
    db.transaction(() => {
      const found = db.prepare('SELECT id FROM containers WHERE account = ? AND name = ?').get(owner, 'images') as
        | { id: number }
        | undefined;
      const containerId = found?.id ?? insertContainer({});
      const last = (takeVersions.get(count) as { value: number } | undefined)?.value;
      if (last === undefined) throw new Error('counters has no "version" row');
      for (let i = 0; i < count; i++) {
        const id = randomUUID();
        const t = first + i * 1_000_000;
        insertObject({ container_id: containerId, name: id, uuid: id, version: last - count + 1 + i, version_ts: t });
        insertImage({
          id,
          name: `bench-${i}`,
          disk_format: i % 2 === 0 ? 'diskdump' : 'raw',
          created_at: t,
          updated_at: t,
        });
        insertProperty({ image_id: id, key: 'os', value: 'debian' });
        insertProperty({ image_id: id, key: 'bench_seq', value: String(i) });
        ids.push(id);
      }
    })();
    return ids;
  } finally {
    db.close();
  }
}
