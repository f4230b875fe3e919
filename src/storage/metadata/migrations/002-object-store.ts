import type { Migration } from './migration-kit.ts';

export const objectStore: Migration = {
  async up(db, kit) {
    await db.schema
      .createTable('accounts')
      .addColumn('uuid', 'text', (c) => c.primaryKey())
      .addColumn('meta', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('modified_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('containers')
      .addColumn('id', kit.idType, kit.id)
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => kit.name(c.notNull()))
      .addColumn('quota', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('versioning', 'text', (c) => c.notNull().defaultTo('auto'))
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('meta', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('modified_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('containers_account_name', ['account', 'name'])
      .execute();
    await db.schema
      .createTable('objects')
      .addColumn('id', kit.idType, kit.id)
      .addColumn('container_id', 'integer', (c) => c.notNull().references('containers.id').onDelete('cascade'))
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => kit.name(c.notNull()))
      .addColumn('uuid', 'text', (c) => c.notNull().unique())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addColumn('version_ts', 'bigint', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('hashmap', 'text', (c) => c.notNull())
      .addColumn('object_hash', 'text', (c) => c.notNull())
      .addColumn('md5', 'text')
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('content_encoding', 'text')
      .addColumn('content_disposition', 'text')
      .addColumn('meta', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('modified_by', 'text', (c) => c.notNull())
      .addColumn('public_token', 'text', (c) => c.unique())
      .addUniqueConstraint('objects_container_name', ['container_id', 'name'])
      .execute();
    await db.schema.createIndex('objects_account').on('objects').column('account').execute();
    await db.schema
      .createTable('grants')
      .addColumn('object_id', 'integer', (c) => c.notNull().references('objects.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('grantee', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('grants_pk', ['object_id', 'kind', 'grantee'])
      .execute();
    await db.schema.createIndex('grants_grantee').on('grants').columns(['grantee', 'object_id']).execute();
    await db.schema
      .createTable('counters')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .execute();
    await db.insertInto('counters').values({ name: 'version', value: 0 }).execute();
  },
};
