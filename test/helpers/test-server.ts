import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadSettings, SETTING_VARIABLES, type Settings } from '../../src/config.ts';
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

/** What runs the server: this process (the default), or `plankton serve --workers N` as a child. */
interface RunningTestServer {
  readonly url: string;
  readonly metricsUrl?: string;
  close(): Promise<void>;
}

/**
 * Starts the real server on a loopback port with a temp data dir, on the given metadata database.
 * `workers` > 1: `plankton serve --workers N` as a child process instead (the cluster), and
 * `services` is this test process's own view of the same database and block store (users,
 * tokens, direct queries); `flags` reach the child as their PLANKTON_* variables.
 */
export async function startTestServer(
  dialect: TestDialect,
  flags: Record<string, string> = {},
  opts: { workers?: number; logTo?: Writable } = {},
): Promise<TestServer> {
  const workers = opts.workers ?? 1;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-test-'));
  const pgdb = dialect === 'postgres' ? await freshPostgresDatabase() : undefined;
  const storage = { dataDir, ...(pgdb ? { databaseUrl: pgdb.url } : {}) };
  const logLevel = process.env.PLANKTON_TEST_LOG ?? 'silent';
  let services: Services;
  let server: RunningTestServer;
  if (workers > 1) {
    const args = ['--data-dir', dataDir, ...(pgdb ? ['--database-url', pgdb.url] : [])];
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(flags)) {
      const variable = SETTING_VARIABLES[key as keyof typeof SETTING_VARIABLES];
      if (!variable) throw new Error(`startTestServer: no setting '${key}'`);
      env[variable] = value;
    }
    const child = await startChildServer(args, { workers, logLevel, env });
    server = { url: child.url, close: () => child.stop() };
    services = await Services.open(loadSettings({ ...flags, ...storage }, {}), { migrate: false });
  } else {
    const settings: Settings = loadSettings({ host: '127.0.0.1', port: '0', logLevel, ...storage, ...flags }, {});
    services = await Services.open(settings);
    // `logTo`: the log (JSON lines, level info) goes there, for tests that read it.
    const log = opts.logTo ? pino({ level: 'info' }, opts.logTo) : createLogger(settings.logLevel);
    server = await startServer(services, log);
  }
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

/** A log destination for `startTestServer(…, { logTo })` that keeps every line, parsed. */
export function logSink(): { readonly stream: Writable; readonly lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { stream, lines };
}
