import type { Transaction } from 'kysely';
import type { Database } from './schema.ts';

/**
 * The commit lock: the row lock on the server-wide version counter (`counters.version`). It is the
 * only lock that orders object commits, deletes and `gc` (src/domain/objects/gc.ts), and this
 * module is the only place it is taken.
 *
 * Both functions are an UPDATE of that one row, so on PostgreSQL they take its row lock until the
 * transaction ends, and on SQLite they make the transaction the database's single writer. Either
 * way, whoever holds it sees the objects table with no commit half done, and no other commit can
 * start until it ends. Take it first in a transaction, before any other row lock, so every lock
 * order starts the same way.
 */

/**
 * Takes the commit lock without taking a version (deletes, container removal, gc). Returns the
 * counter's value under the lock: every object row with a version at most this was committed
 * before, every later one will have a greater version.
 */
export async function takeCommitLock(trx: Transaction<Database>): Promise<number> {
  const r = await trx
    .updateTable('counters')
    .set((eb) => ({ value: eb.ref('value') }))
    .where('name', '=', 'version')
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(r.value);
}

/** Takes the commit lock and the next server-wide version id (every commit of a version). */
export async function takeCommitLockAndNextVersion(trx: Transaction<Database>): Promise<number> {
  const r = await trx
    .updateTable('counters')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', 'version')
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(r.value);
}
