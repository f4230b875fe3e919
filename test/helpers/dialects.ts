import { randomBytes } from 'node:crypto';
import pg from 'pg';

export type TestDialect = 'sqlite' | 'postgres';

/** Every database test runs on SQLite, and on PostgreSQL too when PG_URL is set (CI sets it). */
export const DIALECTS: readonly TestDialect[] = process.env.PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

if (!process.env.PG_URL && !process.env.PLANKTON_QUIET_DIALECTS) {
  process.stderr.write('# PG_URL not set: database tests run on SQLite only\n');
}

/** A fresh PostgreSQL database for one test suite; `drop()` removes it. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.PG_URL;
  if (!base) throw new Error('PG_URL is not set');
  const name = `plankton_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
