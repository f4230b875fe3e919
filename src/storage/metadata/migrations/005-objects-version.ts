import type { Migration } from './migration-kit.ts';

/**
 * gc re-reads, under the commit lock, only the object rows committed after its watermark
 * (`version > W`); this index keeps that read proportional to the commits made meanwhile,
 * not to the size of the table.
 */
export const objectsVersion: Migration = {
  async up(db) {
    await db.schema.createIndex('objects_version').on('objects').column('version').execute();
  },
};
