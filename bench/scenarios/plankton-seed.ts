import { randomUUID } from 'node:crypto';
import SQLite from 'better-sqlite3';
import { EMPTY_HASH, EMPTY_MD5 } from '../../src/domain/hashing.ts';

export type Row = Record<string, string | number | null>;
type Insert = (values: Row) => number;
/** Inserts many rows; `values` fill each row over the defaults given to {@link insertInto}. */
type InsertMany = (rows: readonly Row[]) => void;

/** Rows per multi-row INSERT: fewer statement runs, well under SQLite's 32,766 parameters. */
const BATCH = 200;

interface Inserter {
  readonly one: Insert;
  readonly many: InsertMany;
}

/**
 * An INSERT for `table` checked against the live schema: a column the seeder does not fill and
 * that needs a value (NOT NULL, no default) stops the seeding with its name, rather than seed
 * rows the server would misread; columns of `row` the table no longer has are left out.
 * `one` inserts one row and gives its rowid; `many` inserts rows {@link BATCH} per statement.
 */
function insertInto(db: SQLite.Database, table: string, row: Row): Inserter {
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
  const tuple = `(${names.map(() => '?').join(', ')})`;
  const statement = (rows: number) =>
    db.prepare(`INSERT INTO ${table} (${names.join(', ')}) VALUES ${Array(rows).fill(tuple).join(', ')}`);
  const single = statement(1);
  const full = statement(BATCH);
  const params = (rows: readonly Row[]): (string | number | null)[] => {
    const out: (string | number | null)[] = [];
    for (const values of rows) for (const n of names) out.push(values[n] ?? row[n]);
    return out;
  };
  return {
    one: (values) => Number(single.run(params([values])).lastInsertRowid),
    many: (rows) => {
      let i = 0;
      for (; i + BATCH <= rows.length; i += BATCH) full.run(params(rows.slice(i, i + BATCH)));
      if (i < rows.length) statement(rows.length - i).run(params(rows.slice(i)));
    },
  };
}

/**
 * What every seeded row shares, per table (the rows of {@link seedRows} fill in the rest): an
 * available image uploaded through the image API, its empty object in the owner's `images`
 * container. One template for both seeders (SQLite here, PostgreSQL in plankton-seed-pg.ts).
 */
export function seedTemplates(owner: string, first: number) {
  return {
    container: {
      account: owner,
      name: 'images',
      quota: 0,
      versioning: 'auto',
      project: owner,
      meta: '{}',
      created_at: first,
      modified_at: first,
    },
    objects: {
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
    },
    images: {
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
    },
    properties: { image_id: '', key: '', value: '' },
  } satisfies Record<string, Row>;
}

/** Where images `[from, to)` of one seeding come from. */
export interface SeedBatch {
  /** Every image id of the seeding, sorted. */
  readonly ids: readonly string[];
  /** Creation time of image 0 (µs); image i is i seconds younger. */
  readonly first: number;
  /** Images earlier seedings added: names and `bench_seq` go on from there. */
  readonly already: number;
  readonly containerId: number;
  /** The highest of the object versions taken for this seeding. */
  readonly lastVersion: number;
}

/** The rows of images `[from, to)` of a seeding: what differs per image over {@link seedTemplates}. */
export function seedRows(
  { ids, first, already, containerId, lastVersion }: SeedBatch,
  from: number,
  to: number,
): { objects: Row[]; images: Row[]; properties: Row[] } {
  const objects: Row[] = [];
  const images: Row[] = [];
  const properties: Row[] = [];
  for (let i = from; i < Math.min(ids.length, to); i++) {
    const id = ids[i];
    const t = first + i * 1_000_000;
    objects.push({
      container_id: containerId,
      name: id,
      uuid: id,
      version: lastVersion - ids.length + 1 + i,
      version_ts: t,
    });
    images.push({
      id,
      name: `bench-${already + i}`,
      disk_format: i % 2 === 0 ? 'diskdump' : 'raw',
      created_at: t,
      updated_at: t,
    });
    properties.push(
      { image_id: id, key: 'os', value: 'debian' },
      { image_id: id, key: 'bench_seq', value: String(already + i) },
    );
  }
  return { objects, images, properties };
}

/** Where a seeding starts: 0 on a fresh database, or the images an earlier call already added. */
export interface SeedOptions {
  /** Images already seeded by earlier calls: names and `bench_seq` go on from there. */
  readonly already?: number;
}

/**
 * Adds `count` available images owned by `owner` straight into Plankton's SQLite database, as
 * uploads through the image API leave them: an (empty) object `images/<id>` whose UUID is the
 * image id in the owner's `images` container, the image record (every second one `diskdump`,
 * the others `raw`) and two properties. Run it while the server is stopped. Returns the ids.
 *
 * Called again with `already` (the list at 1,000,000 images grows the 100,000 of the first call)
 * it adds images created before the earlier ones, one a second, so the catalogue stays one
 * continuous history ending at the first call's time.
 *
 * Fast enough for a million (issue 14): one transaction, prepared multi-row INSERTs, the ids
 * sorted so every unique index on them (object uuid, container + name, image id, property key)
 * grows at its right edge instead of at random pages, a page cache large enough for the indexes,
 * the rollback journal in memory and no fsync while seeding (the bench's database is thrown away
 * after the run; the server, started afterwards, puts it back in WAL mode with its own durability).
 */
export function seedPlankton(dbFile: string, owner: string, count: number, options: SeedOptions = {}): string[] {
  const already = options.already ?? 0;
  const db = new SQLite(dbFile);
  try {
    db.pragma('busy_timeout = 10000');
    db.pragma('foreign_keys = ON');
    // The rollback journal in memory instead of the server's WAL: each page is written once, to the
    // database file, not first to a WAL as large as the seeding and then again by a checkpoint.
    db.pragma('journal_mode = MEMORY');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -524288'); // 512 MiB, this process only
    const now = Date.now() * 1000;
    // one image a second, the newest (`already` = 0) ending now; later calls go further back
    const first = now - (already + count) * 1_000_000;
    const rows = seedTemplates(owner, first);
    const insertContainer = insertInto(db, 'containers', rows.container);
    const insertObjects = insertInto(db, 'objects', rows.objects);
    const insertImages = insertInto(db, 'images', rows.images).many;
    const insertProperties = insertInto(db, 'image_properties', rows.properties).many;
    const takeVersions = db.prepare(`UPDATE counters SET value = value + ? WHERE name = 'version' RETURNING value`);

    const ids = Array.from({ length: count }, () => randomUUID()).sort();
    db.transaction(() => {
      const found = db.prepare('SELECT id FROM containers WHERE account = ? AND name = ?').get(owner, 'images') as
        | { id: number }
        | undefined;
      const containerId = found?.id ?? insertContainer.one({});
      const last = (takeVersions.get(count) as { value: number } | undefined)?.value;
      if (last === undefined) throw new Error('counters has no "version" row');
      const chunk = BATCH * 10;
      for (let from = 0; from < count; from += chunk) {
        const batch = seedRows({ ids, first, already, containerId, lastVersion: last }, from, from + chunk);
        insertObjects.many(batch.objects);
        insertImages(batch.images);
        insertProperties(batch.properties);
      }
    })();
    db.pragma('journal_mode = WAL'); // as the server leaves it (it also sets this itself)
    return ids;
  } finally {
    db.close();
  }
}
