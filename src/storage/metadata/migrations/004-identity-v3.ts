import type { Migration } from './migration-kit.ts';

/**
 * Keystone v3 logins: real passwords (salted scrypt, never the password itself), the failed
 * password attempts the sliding-window throttle counts (kept in the database, not in memory, so
 * every API node behind a load balancer sees the same count), and a mark on the short-lived
 * tokens a password login mints, so that expired ones can be purged.
 */
export const identityV3: Migration = {
  async up(db, kit) {
    await db.schema
      .createTable('user_passwords')
      .addColumn('user_uuid', 'text', (c) => c.primaryKey().references('users.uuid'))
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('login_failures')
      .addColumn('id', kit.idType, kit.id)
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('failed_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('login_failures_key').on('login_failures').columns(['key', 'failed_at']).execute();
    await db.schema.createIndex('login_failures_time').on('login_failures').column('failed_at').execute();
    await db.schema
      .alterTable('tokens')
      .addColumn('minted', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
