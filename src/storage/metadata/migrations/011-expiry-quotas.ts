import { sql } from 'kysely';
import type { Migration } from './migration-kit.ts';

/**
 * Object expiry (`objects.delete_at`), exact per-container counters kept by the object
 * repository's writes (so a container HEAD reads one row instead of summing its objects), and the
 * account quota set by an admin. The counters are backfilled from the rows as they are now.
 */
export const expiryQuotas: Migration = {
  async up(db) {
    await db.schema.alterTable('objects').addColumn('delete_at', 'bigint').execute();
    await db.schema.createIndex('objects_delete_at').on('objects').column('delete_at').execute();
    for (const column of ['object_count', 'bytes_used', 'objects_latest'])
      await db.schema
        .alterTable('containers')
        .addColumn(column, 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
    await sql`update containers set
        object_count = (select count(*) from objects o where o.container_id = containers.id),
        bytes_used = coalesce((select sum(o.size) from objects o where o.container_id = containers.id), 0),
        objects_latest = coalesce((select max(o.version_ts) from objects o where o.container_id = containers.id), 0)`.execute(
      db,
    );
    // The Pithos container HEAD lists its objects' meta keys (X-Container-Object-Meta): with this
    // index it reads only the objects that have meta, not every row of the container.
    await sql`create index objects_with_meta on objects (container_id) where meta <> '{}'`.execute(db);
    await db.schema
      .alterTable('accounts')
      .addColumn('quota', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
