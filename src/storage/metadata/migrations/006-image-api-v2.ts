import type { Migration } from './migration-kit.ts';

/**
 * What Image API v2 needs beside v1's record (openstack.md §3.3, §5.3, §5.4): hidden and
 * visibility flags, the SHA-512 of uploaded data, the virtual size, tags, and the member status
 * beside each read grant. `deactivated` is a new value of `images.status` (text, no change).
 * Whether the data came through the image API is `images.origin = 'upload'` (003).
 */
export const imageApiV2: Migration = {
  async up(db) {
    // SQLite adds one column per ALTER TABLE.
    await db.schema
      .alterTable('images')
      .addColumn('os_hidden', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    // §5.3: `*` with community = 1 is `community`; no `*`, no members and shared = 1 is `shared`.
    await db.schema
      .alterTable('images')
      .addColumn('community', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .alterTable('images')
      .addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable('images').addColumn('virtual_size', 'bigint').execute();
    await db.schema.alterTable('images').addColumn('os_hash_algo', 'text').execute();
    await db.schema.alterTable('images').addColumn('os_hash_value', 'text').execute();
    await db.schema
      .createTable('image_tags')
      .addColumn('image_id', 'text', (c) => c.notNull().references('images.id').onDelete('cascade'))
      .addColumn('tag', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('image_tags_pk', ['image_id', 'tag'])
      .execute();
    await db.schema.createIndex('image_tags_tag').on('image_tags').columns(['tag', 'image_id']).execute();
    // A read grant without a row here counts as accepted (made through v1 or the object store).
    await db.schema
      .createTable('image_member_status')
      .addColumn('image_id', 'text', (c) => c.notNull().references('images.id').onDelete('cascade'))
      .addColumn('member', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('image_member_status_pk', ['image_id', 'member'])
      .execute();
  },
};
