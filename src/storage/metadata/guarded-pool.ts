import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { DependencyUnavailable, type DependencyProblem } from '../../domain/errors.ts';

/** Node's socket errors that mean "the server is not there (any more)". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether a pg error means the database, not the statement, failed — and how. SQLSTATE classes
 * 08 (connection exception) and 57P0x (the server shutting down, crashed, starting up), 53300
 * (too many connections), 53100 (disk full), 25006 (read-only), 57014 (statement cancelled by a
 * timeout); pg's own messages for a lost connection and for its client-side timeouts. Anything
 * else (a constraint, a conflict, a syntax error) is the statement's and stays as it is.
 */
export function databaseProblem(err: unknown): DependencyProblem | undefined {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (code === '53100') return 'full';
  if (code === '25006') return 'read-only';
  if (code === '57014' || /timeout/i.test(message)) return 'timeout';
  if (code.startsWith('08') || /^57P0\d$/.test(code) || code === '53300' || NETWORK_CODES.has(code))
    return 'unavailable';
  if (/connection terminated|not queryable|connection error|terminating connection/i.test(message))
    return 'unavailable';
  return undefined;
}

function asDependencyError(err: unknown): unknown {
  const problem = databaseProblem(err);
  return problem ? new DependencyUnavailable('database', problem, err) : err;
}

/**
 * The pg pool as Kysely sees it, with database failures turned into
 * `DependencyUnavailable('database', …)` (503 on every API) and broken connections dropped:
 * - a connection that failed (the server restarted, a query timed out) is released with its
 *   error, so the pool destroys it instead of handing it to the next request;
 * - a checked-out connection whose socket dies between two queries emits `error` with nobody
 *   listening (pg-pool listens only while it is idle), which would crash the process: noted
 *   here instead, and the next query fails with a 503.
 * Connect and query deadlines are the pool's (`connectionTimeoutMillis`, `query_timeout`).
 */
export function guardedPool(pool: pg.Pool): PostgresPool {
  return {
    connect: async () => {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw asDependencyError(err);
      }
      return guardedClient(client);
    },
    end: () => pool.end(),
  };
}

function guardedClient(client: pg.PoolClient): PostgresPoolClient {
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken ??= err;
  };
  client.on('error', onError);
  return {
    // biome-ignore lint/suspicious/noExplicitAny: Kysely's overloads (text + parameters, or a cursor) passed through as they are
    query: ((...args: any[]) => {
      // biome-ignore lint/suspicious/noExplicitAny: as above
      const result = (client.query as (...a: any[]) => any)(...args);
      if (!(result instanceof Promise)) return result; // a cursor (streamed query): not used by Plankton
      return result.catch((err: unknown) => {
        if (databaseProblem(err)) broken ??= err as Error;
        throw asDependencyError(err);
      });
    }) as PostgresPoolClient['query'],
    release: () => {
      client.removeListener('error', onError);
      client.release(broken);
    },
  };
}
