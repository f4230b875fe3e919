import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSettings, type Settings } from '../../src/config.ts';
import { createLogger, startServer } from '../../src/server.ts';
import { Services } from '../../src/services.ts';
import { startChildServer } from './child-server.ts';
import { freshPostgresDatabase, type TestDialect } from './dialects.ts';

export interface TestUser {
  readonly uuid: string;
  readonly name: string;
  readonly token: string;
}

export interface TestServer {
  readonly url: string;
  readonly dialect: TestDialect;
  readonly dataDir: string;
  readonly services: Services;
  /** The metrics listener's URL when started with `metricsListen`. */
  readonly metricsUrl?: string;
  /** A new user with a token (optionally admin). */
  user(name?: string, opts?: { admin?: boolean }): Promise<TestUser>;
  /** fetch against the server with this token (if any). */
  fetch(pathOrUrl: string, init?: RequestInit & { token?: string }): Promise<Response>;
  close(): Promise<void>;
}

let counter = 0;

/** Starts the real server on a loopback port with a temp data dir, on the given metadata database. */
export async function startTestServer(
  dialect: TestDialect,
  flags: Record<string, string> = {},
  opts: { workers?: number } = {},
): Promise<TestServer> {
  if ((opts.workers ?? 1) > 1) return startClusterTestServer(dialect, opts.workers!);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-test-'));
  const pgdb = dialect === 'postgres' ? await freshPostgresDatabase() : undefined;
  const settings: Settings = loadSettings(
    {
      host: '127.0.0.1',
      port: '0',
      dataDir,
      logLevel: process.env.PLANKTON_TEST_LOG ?? 'silent',
      ...(pgdb ? { databaseUrl: pgdb.url } : {}),
      ...flags,
    },
    {},
  );
  const services = await Services.open(settings);
  const server = await startServer(services, createLogger(settings.logLevel));
  return {
    url: server.url,
    metricsUrl: server.metricsUrl,
    dialect,
    dataDir,
    services,
    async user(name, opts = {}) {
      const u = await services.users.create(name ?? `user${++counter}-${process.pid}@example.org`, opts);
      const t = await services.tokens.issue(u.uuid, 3600);
      return { uuid: u.uuid, name: u.name, token: t.secret };
    },
    fetch(pathOrUrl, init = {}) {
      const { token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token) headers.set('X-Auth-Token', token);
      return fetch(pathOrUrl.startsWith('http') ? pathOrUrl : server.url + pathOrUrl, { ...rest, headers });
    },
    async close() {
      await server.close();
      await services.close();
      await pgdb?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * `plankton serve --workers N` as a child process on a fresh data dir; `services` is this test
 * process's own view of the same database and block store (users, tokens, direct queries).
 */
async function startClusterTestServer(dialect: TestDialect, workers: number): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-test-'));
  const pgdb = dialect === 'postgres' ? await freshPostgresDatabase() : undefined;
  const storage = ['--data-dir', dataDir, ...(pgdb ? ['--database-url', pgdb.url] : [])];
  const child = await startChildServer(storage, { workers, logLevel: process.env.PLANKTON_TEST_LOG ?? 'silent' });
  const settings = loadSettings({ dataDir, ...(pgdb ? { databaseUrl: pgdb.url } : {}) }, {});
  const services = await Services.open(settings, { migrate: false });
  return {
    url: child.url,
    dialect,
    dataDir,
    services,
    async user(name, opts = {}) {
      const u = await services.users.create(name ?? `user${++counter}-${process.pid}@example.org`, opts);
      const t = await services.tokens.issue(u.uuid, 3600);
      return { uuid: u.uuid, name: u.name, token: t.secret };
    },
    fetch(pathOrUrl, init = {}) {
      const { token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token) headers.set('X-Auth-Token', token);
      return fetch(pathOrUrl.startsWith('http') ? pathOrUrl : child.url + pathOrUrl, { ...rest, headers });
    },
    async close() {
      await child.stop();
      await services.close();
      await pgdb?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
