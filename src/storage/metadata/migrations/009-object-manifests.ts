import type { Migration } from './migration-kit.ts';

/**
 * Large objects (issue 19 item 5): the manifest of a version, JSON (domain/objects/manifests.ts),
 * null for a plain object. A dynamic manifest names a container and a prefix; a static one lists
 * its segments with the sizes and ETags they had when it was written.
 */
export const objectManifests: Migration = {
  async up(db) {
    await db.schema.alterTable('objects').addColumn('manifest', 'text').execute();
  },
};
