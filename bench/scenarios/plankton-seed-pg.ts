/**
 * The PostgreSQL twin of plankton-seed.ts, for the distributed configuration (PostgreSQL + S3):
 * the same rows (an empty object `images/<id>` whose UUID is the image id, the image record, two
 * properties), written while the server is stopped, each table checked against the live schema.
 * Fast: one transaction, one `INSERT … SELECT FROM unnest($1::type[], …)` per table and batch
 * (a few statements per 5,000 images instead of one per row), the ids sorted so the unique
 * indexes on them grow at their right edge.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type Row, seedRows, seedTemplates } from './plankton-seed.ts';

const BATCH = 5000;

interface Column {
  readonly column_name: string;
  readonly udt_name: string;
  readonly is_nullable: 'YES' | 'NO';
  readonly column_default: string | null;
}

/**
 * A batch INSERT for `table`: a NOT NULL column without default that `row` does not fill stops
 * the seeding with its name; columns of `row` the table no longer has are left out.
 */
async function insertInto(
  client: pg.ClientBase,
  table: string,
  row: Row,
): Promise<(rows: readonly Row[]) => Promise<void>> {
  const { rows: columns } = await client.query<Column>(
    `SELECT column_name, udt_name, is_nullable, column_default FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = $1`,
    [table],
  );
  if (columns.length === 0) throw new Error(`table ${table} does not exist yet`);
  for (const c of columns) {
    if (c.is_nullable === 'NO' && c.column_default === null && !(c.column_name in row))
      throw new Error(
        `${table}.${c.column_name} is new (NOT NULL, no default): teach bench/scenarios/plankton-seed-pg.ts about it`,
      );
  }
  const used = columns.filter((c) => c.column_name in row);
  const text = `INSERT INTO ${table} (${used.map((c) => c.column_name).join(', ')})
    SELECT * FROM unnest(${used.map((c, i) => `$${i + 1}::${c.udt_name}[]`).join(', ')})`;
  return async (rows) => {
    const arrays = used.map((c) => rows.map((r) => r[c.column_name] ?? row[c.column_name]));
    await client.query({ name: `seed-${table}`, text, values: arrays });
  };
}

/** Adds `count` images owned by `owner` to the PostgreSQL database at `url`; returns their ids. */
export async function seedPlanktonPg(url: string, owner: string, count: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const first = Date.now() * 1000 - count * 1_000_000; // one image a second, ending now
    await client.query('BEGIN');
    // nothing of this run must wait for a disk: the database is thrown away after the run
    await client.query('SET LOCAL synchronous_commit = off');
    const found = await client.query<{ id: number }>('SELECT id FROM containers WHERE account = $1 AND name = $2', [
      owner,
      'images',
    ]);
    const containerId =
      found.rows[0]?.id ??
      (
        await client.query<{ id: number }>(
          `INSERT INTO containers (account, name, quota, versioning, project, meta, created_at, modified_at)
           VALUES ($1, 'images', 0, 'auto', $1, '{}', $2, $2) RETURNING id`,
          [owner, first],
        )
      ).rows[0].id;
    const rows = seedTemplates(owner, first);
    const insertObjects = await insertInto(client, 'objects', rows.objects);
    const insertImages = await insertInto(client, 'images', rows.images);
    const insertProperties = await insertInto(client, 'image_properties', rows.properties);
    const counted = await client.query<{ value: string }>(
      `UPDATE counters SET value = value + $1 WHERE name = 'version' RETURNING value`,
      [count],
    );
    if (counted.rows.length === 0) throw new Error('counters has no "version" row');
    const last = Number(counted.rows[0].value);

    const ids = Array.from({ length: count }, () => randomUUID()).sort();
    for (let from = 0; from < count; from += BATCH) {
      const batch = seedRows({ ids, first, already: 0, containerId, lastVersion: last }, from, from + BATCH);
      await insertObjects(batch.objects);
      await insertImages(batch.images);
      await insertProperties(batch.properties);
    }
    await client.query('COMMIT');
    await client.query('ANALYZE objects, images, image_properties');
    return ids;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await client.end();
  }
}
