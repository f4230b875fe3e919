/**
 * What the dependency-fault suites share: their own PostgreSQL and Swift/S3 servers (never the
 * shared ones: these get stopped, paused and restarted), a tmpfs for the block folder, and the
 * tally of what clients saw during a fault (README, "When a dependency fails"; issue 16's figures).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { call, p, type Reply } from '../helpers/object-store.ts';

const run = promisify(execFile);
const SCRIPTS = path.resolve(import.meta.dirname, '../../scripts');

export const isRoot = process.getuid?.() === 0;

/** A folder the postgres system user can reach (os.tmpdir() may be private to root). */
export function faultDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `plankton-fault-${name}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** What clients saw during one fault: the issue's figures, printed with `t.diagnostic`. */
export class Tally {
  tried = 0;
  readonly statuses = new Map<string, number>();
  /** Writes acknowledged (2xx) during the run, checked afterwards. */
  acknowledged = 0;
  lost = 0;
  /** Longest a request took to get any answer (ms): the "no hang" bound. */
  slowestMs = 0;
  recoverMs: number | undefined;

  async time<T extends { status: number }>(request: () => Promise<T>): Promise<T | undefined> {
    this.tried++;
    const started = Date.now();
    try {
      const r = await request();
      this.count(String(r.status));
      return r;
    } catch (err) {
      this.count(`error ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return undefined;
    } finally {
      this.slowestMs = Math.max(this.slowestMs, Date.now() - started);
    }
  }

  count(key: string): void {
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
  }

  summary(fault: string): string {
    const by = [...this.statuses].map(([k, n]) => `${k}: ${n}`).join(', ');
    return `${fault}: tried ${this.tried}, answers {${by}}, acknowledged writes ${this.acknowledged}, lost ${this.lost}, slowest answer ${this.slowestMs} ms, recovered ${this.recoverMs === undefined ? 'n/a' : `${this.recoverMs} ms`} after the dependency returned`;
  }
}

/** Asserts a fault body of the common shape with this status and fault name; returns its message. */
export function assertFaultShape(r: Reply | { status: number; body: Buffer }, status: number, name: string): string {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.body.toString().slice(0, 200)}`);
  const body = JSON.parse(r.body.toString());
  assert.ok(body[name], `fault name ${name} in ${r.body.toString()}`);
  assert.equal(body[name].code, status);
  assert.equal(typeof body[name].message, 'string');
  return body[name].message as string;
}

export async function healthFailed(url: string): Promise<string[]> {
  const r = await fetch(`${url}/healthz`);
  const body = (await r.json()) as { failed?: string[] };
  return r.status === 200 ? [] : (body.failed ?? ['?']);
}

/** Polls until `check` holds; the time it took (ms), or undefined when `ms` passed first. */
export async function until(check: () => Promise<boolean>, ms = 60_000): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await check().catch(() => false)) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

// ---- PostgreSQL ------------------------------------------------------------------------------

export interface OwnPostgres {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops and removes the cluster. */
  destroy(): Promise<void>;
}

/** A PostgreSQL cluster of this test only (scripts/postgres.sh picks a free port). */
export async function ownPostgres(): Promise<OwnPostgres> {
  const dir = faultDir('pg');
  const script = path.join(SCRIPTS, 'postgres.sh');
  const start = async () => {
    const { stdout } = await run('bash', [script, 'start', dir]);
    return /PG_URL=(\S+)/.exec(stdout)![1];
  };
  const url = await start();
  return {
    url,
    stop: async () => void (await run('bash', [script, 'stop', dir])),
    start: async () => void (await start()),
    destroy: async () => {
      await run('bash', [script, 'stop', dir]).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- Swift with the S3 API -------------------------------------------------------------------

export interface OwnSwift {
  /** PLANKTON_BLOCKS value for a bucket of its own. */
  readonly blocks: string;
  readonly env: Record<string, string>;
  /** The proxy (the S3 endpoint): killed → refused; SIGSTOP → accepts, never answers. */
  killProxy(): Promise<void>;
  pauseProxy(): void;
  resumeProxy(): void;
  /** Starts what is not running (after killProxy). */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Five ports for Swift: proxy, memcached, and three consecutive for object/container/account. */
async function swiftPorts(): Promise<{ proxy: number; backend: number; memcached: number }> {
  for (;;) {
    const base = 30_000 + Math.floor(Math.random() * 20_000);
    const ports = [base, base + 1, base + 2, base + 3, base + 4];
    if ((await Promise.all(ports.map(portFree))).every(Boolean))
      return { proxy: base, memcached: base + 1, backend: base + 2 };
  }
}

/** A single-node Swift of this test only (scripts/swift-s3.sh with ports of its own). */
export async function ownSwift(): Promise<OwnSwift> {
  const dir = faultDir('swift');
  const ports = await swiftPorts();
  const script = path.join(SCRIPTS, 'swift-s3.sh');
  const env = {
    ...process.env,
    PLANKTON_SWIFT_PORT: String(ports.proxy),
    PLANKTON_SWIFT_BACKEND_PORT: String(ports.backend),
    PLANKTON_SWIFT_MEMCACHED_PORT: String(ports.memcached),
  };
  const start = async () => (await run('bash', [script, 'start', dir], { env })).stdout;
  const out = await start();
  const setting = (name: string) => new RegExp(`${name}='([^']*)'`).exec(out)![1];
  const proxyPid = () => Number(fs.readFileSync(path.join(dir, 'run', 'proxy.pid'), 'utf8'));
  return {
    blocks: setting('PLANKTON_TEST_S3').replace('plankton-test', `faults-${process.pid}`),
    env: { AWS_ACCESS_KEY_ID: setting('AWS_ACCESS_KEY_ID'), AWS_SECRET_ACCESS_KEY: setting('AWS_SECRET_ACCESS_KEY') },
    async killProxy() {
      const pid = proxyPid();
      process.kill(pid, 'SIGKILL');
      await until(async () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }, 10_000);
    },
    pauseProxy: () => process.kill(proxyPid(), 'SIGSTOP'),
    resumeProxy: () => process.kill(proxyPid(), 'SIGCONT'),
    start: async () => void (await start()),
    destroy: async () => {
      try {
        process.kill(proxyPid(), 'SIGCONT');
      } catch {
        /* not running */
      }
      await run('bash', [script, 'stop', dir], { env }).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- A small file system for the block folder ------------------------------------------------

export interface SmallFs {
  readonly dir: string;
  remount(options: string): Promise<void>;
  destroy(): Promise<void>;
}

/** A tmpfs of `size` at a new folder (root only: callers skip otherwise). */
export async function smallFs(size: string): Promise<SmallFs> {
  const dir = faultDir('tmpfs');
  await run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  return {
    dir,
    remount: async (options) => void (await run('mount', ['-o', `remount,${options}`, dir])),
    destroy: async () => {
      await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- The three APIs' writes and reads --------------------------------------------------------

export interface Writes {
  readonly object: Reply;
  readonly v1: Reply;
  readonly v2: Reply;
  /** The v2 image the data went to (created before the fault could matter: metadata only). */
  readonly v2Id: string;
}

/** A v2 image without data (a metadata write only): its id. */
export async function createV2Image(url: string, token: string, name: string): Promise<string> {
  const created = await call(url, 'POST', '/image/v2/images', {
    token,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, disk_format: 'raw', container_format: 'bare' }),
  });
  assert.equal(created.status, 201, `v2 create: ${created.text()}`);
  return created.json().id as string;
}

/**
 * A data write through each API: object PUT, v1 image create with data, v2 `PUT /file` (to
 * `v2Id` when given: an image created before the fault, else one created here). Each write is
 * timed and counted on its own when a `tally` is given.
 */
export async function writeThroughEveryApi(
  url: string,
  token: string,
  account: string,
  name: string,
  data: Buffer,
  { tally, v2Id }: { tally?: Tally; v2Id?: string } = {},
): Promise<Writes> {
  const timed = async (request: () => Promise<Reply>): Promise<Reply> => {
    if (!tally) return request();
    const r = await tally.time(request);
    assert.ok(r, 'the write got an answer');
    return r;
  };
  const object = await timed(() => call(url, 'PUT', p(account, 'faults', name), { token, body: data }));
  const v1 = await timed(() =>
    call(url, 'POST', '/image/v1/images', {
      token,
      headers: {
        'X-Image-Meta-Name': name,
        'X-Image-Meta-Disk-Format': 'raw',
        'X-Image-Meta-Container-Format': 'bare',
        'Content-Type': 'application/octet-stream',
      },
      body: data,
    }),
  );
  const image = v2Id ?? (await createV2Image(url, token, name));
  const v2 = await timed(() =>
    call(url, 'PUT', `/image/v2/images/${image}/file`, {
      token,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: data,
    }),
  );
  return { object, v1, v2, v2Id: image };
}

/** After a failed write: no object version, the v1 image (if any) and the v2 image queued without data. */
export async function assertNothingCommitted(url: string, token: string, account: string, w: Writes, name: string) {
  assert.equal((await call(url, 'GET', p(account, 'faults', name), { token })).status, 404, 'no object committed');
  const list = await call(url, 'GET', '/image/v1/images/detail', { token });
  assert.equal(list.status, 200);
  // v1's create-with-data reserves the image first: a failed upload leaves it queued, without data.
  const leftover = (list.json().images as { name: string; status: string; size: number; checksum: string }[])
    .filter((i) => i.name === name)
    .map((i) => `${i.status} ${i.size} ${i.checksum}`);
  assert.ok(
    leftover.every((i) => i === 'queued 0 '),
    `v1 image without data: ${leftover}`,
  );
  const v2 = await call(url, 'GET', `/image/v2/images/${w.v2Id}`, { token });
  assert.equal(v2.json().status, 'queued', 'the v2 image is back to queued, ready for a retry');
  assert.equal(v2.json().size, null);
}

/** The `faults` container every suite writes its objects to. */
export async function createFaultsContainer(url: string, token: string, account: string): Promise<void> {
  const r = await call(url, 'PUT', p(account, 'faults'), { token });
  assert.ok(r.status === 201 || r.status === 202, `container PUT: ${r.status}`);
}
