import type { Migration } from './migration-kit.ts';

/**
 * The last result of each maintenance command (`gc`, `scrub`), one row per kind: those commands run
 * as their own processes, and every serving node exports the results on `/metrics` from here.
 */
export const maintenanceRuns: Migration = {
  async up(db) {
    await db.schema
      .createTable('maintenance_runs')
      .addColumn('kind', 'text', (c) => c.primaryKey())
      .addColumn('finished_at', 'bigint', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .execute();
  },
};
