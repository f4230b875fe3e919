import type { Migration } from './migration-kit.ts';

/**
 * Container ACLs (Swift `X-Container-Read`/`-Write`: a grant on a container's whole path) and
 * account groups (Pithos `X-Account-Group-*`, named in object grants as `<owner>:<group>`).
 * Both are read by the one authorizer beside the object grants (docs/authorization.md).
 */
export const aclsAndGroups: Migration = {
  async up(db) {
    await db.schema
      .createTable('container_acls')
      .addColumn('container_id', 'integer', (c) => c.notNull().references('containers.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('entry', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('container_acls_pk', ['container_id', 'kind', 'entry'])
      .execute();
    await db.schema
      .createIndex('container_acls_entry')
      .on('container_acls')
      .columns(['entry', 'container_id'])
      .execute();
    await db.schema
      .createTable('account_groups')
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('member', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('account_groups_pk', ['account', 'name', 'member'])
      .execute();
    await db.schema.createIndex('account_groups_member').on('account_groups').columns(['member']).execute();
  },
};
