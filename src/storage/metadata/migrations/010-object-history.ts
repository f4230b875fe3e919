import type { Migration } from './migration-kit.ts';

/**
 * Object history (issue 19 item 6): the versions an overwrite, a move away or a delete replaced
 * in a container whose `versioning` policy is `auto`, and Swift's versions location on containers.
 *
 * A history row is the replaced version as it was (same columns as `objects`), plus when it
 * stopped being live (`superseded_ts`) and whether a delete or move ended the object there
 * (`deleted`: 1) rather than a newer version. So the state of a path at time T is the live row if
 * its `version_ts` ≤ T, else the history row with `version_ts` ≤ T < `superseded_ts`.
 * `version` keeps the id the version had when live: gc re-reads history rows newer than its
 * watermark by it (index `object_history_version`), as it does object rows.
 *
 * The image staging area is internal: its container keeps no history.
 */
export const objectHistory: Migration = {
  async up(db, kit) {
    await db.schema
      .createTable('object_history')
      .addColumn('id', kit.idType, kit.id)
      .addColumn('container_id', 'integer', (c) => c.notNull().references('containers.id').onDelete('cascade'))
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => kit.name(c.notNull()))
      .addColumn('uuid', 'text', (c) => c.notNull())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addColumn('version_ts', 'bigint', (c) => c.notNull())
      .addColumn('superseded_ts', 'bigint', (c) => c.notNull())
      .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('hashmap', 'text', (c) => c.notNull())
      .addColumn('object_hash', 'text', (c) => c.notNull())
      .addColumn('md5', 'text')
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('content_encoding', 'text')
      .addColumn('content_disposition', 'text')
      .addColumn('meta', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('modified_by', 'text', (c) => c.notNull())
      // A kept version of a large object keeps its manifest (migration 009).
      .addColumn('manifest', 'text')
      .execute();
    await db.schema
      .createIndex('object_history_path')
      .on('object_history')
      .columns(['container_id', 'name', 'version_ts'])
      .execute();
    await db.schema.createIndex('object_history_version').on('object_history').column('version').execute();
    await db.schema.alterTable('containers').addColumn('versions_location', 'text').execute();
    await db.schema.alterTable('containers').addColumn('versions_mode', 'text').execute();
    await db.updateTable('containers').set({ versioning: 'none' }).where('account', '=', 'plankton-staging').execute();
  },
};
