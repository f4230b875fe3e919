import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/** What a migration needs to write one schema for both engines. */
export interface MigrationKit {
  readonly dialect: Dialect;
  /** An auto-increment integer primary key. */
  id(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** Type of an auto-increment integer primary key column. */
  readonly idType: 'integer' | 'serial';
  /** Text compared by code point, so that name order and paging agree on both engines. */
  name(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
}

export function migrationKit(dialect: Dialect): MigrationKit {
  return {
    dialect,
    idType: dialect === 'postgres' ? 'serial' : 'integer',
    id: (col) => (dialect === 'postgres' ? col.primaryKey() : col.primaryKey().autoIncrement()),
    name: (col) => (dialect === 'postgres' ? col.modifyFront(sql`collate "C"`) : col),
  };
}

export interface Migration {
  // biome-ignore lint/suspicious/noExplicitAny: a migration must not depend on today's schema type, only on the tables it creates
  up(db: Kysely<any>, kit: MigrationKit): Promise<void>;
}
