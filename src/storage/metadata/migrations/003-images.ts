import type { Migration } from './migration-kit.ts';

export const images: Migration = {
  async up(db, kit) {
    await db.schema
      .createTable('images')
      .addColumn('id', 'text', (c) => c.primaryKey().references('objects.uuid').onDelete('cascade'))
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => kit.name(c.notNull()))
      .addColumn('disk_format', 'text', (c) => c.notNull())
      .addColumn('container_format', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('origin', 'text', (c) => c.notNull())
      .addColumn('min_ram', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('min_disk', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('protected', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('declared_size', 'bigint')
      .addColumn('declared_checksum', 'text')
      .execute();
    await db.schema.createIndex('images_owner_created').on('images').columns(['owner', 'created_at', 'id']).execute();
    await db.schema.createIndex('images_created').on('images').columns(['created_at', 'id']).execute();
    await db.schema
      .createTable('image_properties')
      .addColumn('image_id', 'text', (c) => c.notNull().references('images.id').onDelete('cascade'))
      .addColumn('key', 'text', (c) => kit.name(c.notNull()))
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('image_properties_pk', ['image_id', 'key'])
      .execute();
    await db.schema
      .createIndex('image_properties_key_value')
      .on('image_properties')
      .columns(['key', 'value'])
      .execute();
  },
};
