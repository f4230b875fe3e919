import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import {
  type LogEvent,
  Kysely,
  Migrator,
  PostgresDialect,
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  SqliteDialect,
  type SqliteDriver,
  sql,
  type MigrationProvider,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import { CliError } from '../../errors.ts';
import type { Database } from './schema.ts';
import { migrationKit, type Dialect } from './migrations/migration-kit.ts';
import { MIGRATIONS } from './migrations/index.ts';
import { guardedPool } from './guarded-pool.ts';
import { guardedSqliteDriver } from './guarded-sqlite.ts';

/** PLANKTON_DATABASE_TIMEOUT's default, for the callers that do not pass one. */
export const DEFAULT_DATABASE_TIMEOUT_MS = 30_000;

export type Db = Kysely<Database>;
/** What must run inside a transaction takes one of these, so it cannot be called outside one. */
export type Trx = Transaction<Database>;

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than running the small
 * indexed queries of the hot paths (token lookup, image HEAD). Prepared statements are reusable,
 * so keep the most recent ones by SQL text.
 */
function withStatementCache(db: SQLite.Database, size = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = (source: string) => {
    let stmt = cache.get(source);
    if (stmt) {
      cache.delete(source); // re-insert: most recently used last
    } else {
      stmt = db.prepare(source);
      if (cache.size >= size) cache.delete(cache.keys().next().value!);
    }
    cache.set(source, stmt);
    return stmt;
  };
  return new Proxy(db, { get: (target, prop) => (prop === 'prepare' ? prepare : Reflect.get(target, prop, target)) });
}

/**
 * SQLite transactions that start as writers (`BEGIN IMMEDIATE`). Under `serve --workers N` (and
 * beside `gc`, `scrub` and the CLI) several processes share the file: a deferred transaction that
 * reads, then writes after another process committed cannot upgrade (SQLITE_BUSY, no retry). An
 * immediate one waits its turn at BEGIN (busy_timeout) and then runs through. Inside one process
 * Kysely already runs transactions one at a time on its single connection, so this costs nothing.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #sqlite: SQLite.Database;

  constructor(sqlite: SQLite.Database) {
    super({ database: withStatementCache(sqlite) });
    this.#sqlite = sqlite;
  }

  override createDriver(): Driver {
    const driver = super.createDriver() as SqliteDriver;
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    // A full or failing disk answers 503/507 like a PostgreSQL outage (guarded-sqlite.ts).
    return guardedSqliteDriver(driver, this.#sqlite);
  }
}

/** The metadata database: SQLite in the data dir by default, PostgreSQL when a URL is given. */
export class MetadataStore {
  readonly #label: string;

  private constructor(
    readonly db: Db,
    readonly dialect: Dialect,
    label: string,
  ) {
    this.#label = label;
  }

  /** Where the data is, for start-up messages (never contains a password). */
  get label(): string {
    return this.#label;
  }

  /**
   * `timeoutMs` (PLANKTON_DATABASE_TIMEOUT) bounds PostgreSQL's connect and each query, so a
   * database that stopped answering fails requests with 503 instead of holding them. `log` sees
   * every statement with its duration, and every failure (metrics, src/metrics/).
   */
  static open(
    databaseUrl: string | undefined,
    dataDir: string,
    options: { timeoutMs?: number; log?: (event: LogEvent) => void } = {},
  ): MetadataStore {
    if (databaseUrl)
      return MetadataStore.#openPostgres(databaseUrl, options.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS, options.log);
    return MetadataStore.#openSqlite(path.join(dataDir, 'plankton.sqlite'), options.log);
  }

  static #openSqlite(file: string, log?: (event: LogEvent) => void): MetadataStore {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
    } catch (err) {
      throw new CliError(`cannot create the data dir ${path.dirname(file)}: ${(err as Error).message}`);
    }
    let sqlite: SQLite.Database;
    try {
      sqlite = new SQLite(file);
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
      sqlite.pragma('foreign_keys = ON');
      sqlite.pragma('busy_timeout = 10000');
    } catch (err) {
      throw new CliError(`cannot open the database ${file}: ${(err as Error).message}`);
    }
    return new MetadataStore(
      new Kysely<Database>({ dialect: new ImmediateSqliteDialect(sqlite), log }),
      'sqlite',
      `sqlite:${file}`,
    );
  }

  static #openPostgres(url: string, timeoutMs: number, log?: (event: LogEvent) => void): MetadataStore {
    // int8 columns (times in microseconds, sizes) fit in a double exactly up to 2^53.
    pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      // A dead peer (a server that vanished without a FIN) is noticed on idle connections too.
      keepAlive: true,
    });
    pool.on('error', () => undefined); // an idle client's error is reported by the next query instead
    const safe = new URL(url);
    safe.password = '';
    return new MetadataStore(
      new Kysely<Database>({ dialect: new PostgresDialect({ pool: guardedPool(pool) }), log }),
      'postgres',
      safe.toString(),
    );
  }

  /** Applies pending migrations; returns the names applied. */
  async migrate(): Promise<string[]> {
    const kit = migrationKit(this.dialect);
    const provider: MigrationProvider = {
      getMigrations: async () =>
        Object.fromEntries(
          Object.entries(MIGRATIONS).map(([name, m]) => [
            name,
            // biome-ignore lint/suspicious/noExplicitAny: migrations run on a schema-less Kysely (see migration-kit.ts)
            { up: (db: Kysely<any>) => m.up(db, kit) },
          ]),
        ),
    };
    const { error, results } = await new Migrator({ db: this.db, provider }).migrateToLatest();
    if (error) throw new CliError(`cannot migrate the database ${this.label}: ${(error as Error).message ?? error}`);
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  /** True when the database answers a query. */
  async healthy(): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
