import type { CompiledQuery, DatabaseConnection, Driver, QueryResult } from 'kysely';
import type SQLite from 'better-sqlite3';
import { DependencyUnavailable, type DependencyProblem } from '../../domain/errors.ts';

/**
 * Whether a better-sqlite3 error means the database file (its disk), not the statement, failed —
 * and how; the SQLite counterpart of guarded-pool.ts's `databaseProblem`, mapped the same way:
 * SQLITE_FULL (the disk or `max_page_count` is full) `full` like PostgreSQL's 53100;
 * SQLITE_READONLY* (the file or its folder became read-only, a read-only remount) `read-only`
 * like 25006; SQLITE_IOERR* (the disk failed a read or write), SQLITE_CANTOPEN (the file or its
 * WAL can no longer be opened) `unavailable`; SQLITE_BUSY (another process held the write lock
 * past `busy_timeout`) `timeout`. Anything else (a constraint, a syntax error) is the statement's.
 */
export function sqliteProblem(err: unknown): DependencyProblem | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  if (code === 'SQLITE_FULL') return 'full';
  if (code.startsWith('SQLITE_READONLY')) return 'read-only';
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN')) return 'unavailable';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_TIMEOUT') return 'timeout';
  return undefined;
}

function asDependencyError(err: unknown): unknown {
  const problem = sqliteProblem(err);
  return problem ? new DependencyUnavailable('database', problem, err) : err;
}

/**
 * Kysely's SQLite driver with disk failures turned into `DependencyUnavailable('database', …)`
 * (503, or 507 when full, on every API, as for PostgreSQL), and a rollback that does not hide
 * them: after SQLITE_FULL or SQLITE_IOERR SQLite may already have rolled the transaction back
 * itself, and Kysely's ROLLBACK would then fail with "no transaction is active", replacing the
 * error that explains the answer. Nothing is kept in between: the next statement goes to the
 * file again, so the service answers as soon as the disk has room (or is writable) again.
 */
export function guardedSqliteDriver(driver: Driver, sqlite: SQLite.Database): Driver {
  const guarded = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const guard = (connection: DatabaseConnection): DatabaseConnection => {
    let g = guarded.get(connection);
    if (!g) {
      g = {
        async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
          try {
            return await connection.executeQuery<R>(query);
          } catch (err) {
            throw asDependencyError(err);
          }
        },
        async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
          try {
            yield* connection.streamQuery<R>(query, chunkSize);
          } catch (err) {
            throw asDependencyError(err);
          }
        },
      };
      guarded.set(connection, g);
    }
    return g;
  };
  return {
    init: () => driver.init(),
    acquireConnection: async () => guard(await driver.acquireConnection()),
    beginTransaction: (connection, settings) => driver.beginTransaction(connection, settings),
    commitTransaction: (connection) => driver.commitTransaction(connection),
    rollbackTransaction: async (connection) => {
      if (sqlite.inTransaction) await driver.rollbackTransaction(connection);
    },
    ...(driver.savepoint ? { savepoint: driver.savepoint.bind(driver) } : {}),
    ...(driver.rollbackToSavepoint ? { rollbackToSavepoint: driver.rollbackToSavepoint.bind(driver) } : {}),
    ...(driver.releaseSavepoint ? { releaseSavepoint: driver.releaseSavepoint.bind(driver) } : {}),
    releaseConnection: (connection) => driver.releaseConnection(connection),
    destroy: () => driver.destroy(),
  };
}
