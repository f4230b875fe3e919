/**
 * Upload leases (domain/images/upload-leases.ts): an upload whose process is killed mid-body no
 * longer leaves its image `saving` for ever. With `PLANKTON_UPLOAD_LEASE=2s` a slow upload that
 * outlives several leases keeps its image (its process renews the lease); after a SIGKILL the
 * restarted `serve` moves the images of the dead uploads back to `queued` (a v2 upload into a
 * reservation and a v1 create with data), and a new upload into each then succeeds.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { type ChildServer, plankton, startChildServer } from './helpers/child-server.ts';
import { DIALECTS, freshPostgresDatabase } from './helpers/dialects.ts';

const LEASE_S = 2;

/** An upload whose body is sent in part and then held open; `finish` sends the rest and waits for the answer. */
interface HeldUpload {
  finish(rest: Buffer): Promise<number>;
  /** Settles once the connection is gone (the server was killed). */
  readonly closed: Promise<void>;
}

function holdUpload(url: string, method: string, headers: Record<string, string>, first: Buffer): HeldUpload {
  const req = http.request(url, { method, headers: { ...headers, 'Transfer-Encoding': 'chunked' } });
  const answered = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
  const closed = new Promise<void>((resolve) => req.on('close', () => resolve()));
  // The killed server's reset is this test's expectation, not a failure.
  answered.catch(() => undefined);
  req.write(first);
  return {
    closed,
    async finish(rest) {
      req.end(rest);
      return answered;
    },
  };
}

/** Polls `read` until it returns `want` (or the deadline passes); the last value read. */
async function until<T>(read: () => Promise<T>, want: T, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await read();
  while (last !== want && Date.now() < deadline) {
    await sleep(200);
    last = await read();
  }
  return last;
}

for (const dialect of DIALECTS) {
  describe(`upload leases [${dialect}]`, () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-leases-'));
    let pgdb: Awaited<ReturnType<typeof freshPostgresDatabase>> | undefined;
    let server: ChildServer | undefined;
    after(async () => {
      await server?.stop();
      await pgdb?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('a slow upload keeps its image past its lease; after a kill the images go back to queued and take a new upload', {
      timeout: 5 * 60_000,
    }, async () => {
      pgdb = dialect === 'postgres' ? await freshPostgresDatabase() : undefined;
      const storage = ['--data-dir', dataDir, ...(pgdb ? ['--database-url', pgdb.url] : [])];
      const env = { PLANKTON_UPLOAD_LEASE: `${LEASE_S}s` };
      const user = JSON.parse(await plankton(['user', 'create', 'leases@example.org', '--json', ...storage]));
      const auth = { 'X-Auth-Token': user.token as string };
      server = await startChildServer(storage, { env });
      let base = server.url;

      const created = await fetch(`${base}/image/v2/images`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'v2-held', disk_format: 'raw', container_format: 'bare' }),
      });
      assert.equal(created.status, 201);
      const v2Id = (await created.json()).id as string;
      const v2Status = async () =>
        (await (await fetch(`${base}/image/v2/images/${v2Id}`, { headers: auth })).json()).status;
      const v1Images = async () =>
        (await (await fetch(`${base}/image/v1/images/detail`, { headers: auth })).json()).images as {
          id: string;
          name: string;
          status: string;
          size: number;
        }[];
      const v1Status = async () => (await v1Images()).find((i) => i.name === 'v1-held')?.status;

      const first = Buffer.alloc(64 * 1024, 1);
      const octets = { ...auth, 'Content-Type': 'application/octet-stream' };
      const v2Upload = holdUpload(`${base}/image/v2/images/${v2Id}/file`, 'PUT', octets, first);
      const v1Upload = holdUpload(
        `${base}/image/v1/images`,
        'POST',
        {
          ...octets,
          'X-Image-Meta-Name': 'v1-held',
          'X-Image-Meta-Disk-Format': 'raw',
          'X-Image-Meta-Container-Format': 'bare',
        },
        first,
      );
      assert.equal(await until(v2Status, 'saving'), 'saving');
      assert.equal(await until(v1Status, 'saving'), 'saving');

      // Three leases long, alive: the process renews, so no reclaim takes the images.
      await sleep(3 * LEASE_S * 1000);
      assert.equal(await v2Status(), 'saving', 'a live upload keeps its image past its first lease');
      assert.equal(await v1Status(), 'saving');

      await server.kill();
      await Promise.all([v2Upload.closed, v1Upload.closed]);
      server = await startChildServer(storage, { env });
      base = server.url;
      assert.equal(await until(v2Status, 'queued'), 'queued', 'the dead v2 upload gave its image back');
      assert.equal(await until(v1Status, 'queued'), 'queued', 'the dead v1 create gave its image back');
      const reclaimed = server
        .stdout()
        .split('\n')
        .filter((l) => l.includes('lease ran out'));
      assert.ok(reclaimed.length > 0, 'the reclaim is logged');

      const data = Buffer.alloc(5 * 1024 * 1024 + 7, 2);
      const put = await fetch(`${base}/image/v2/images/${v2Id}/file`, { method: 'PUT', headers: octets, body: data });
      assert.equal(put.status, 204);
      assert.equal(await v2Status(), 'active');
      const v1Id = (await v1Images()).find((i) => i.name === 'v1-held')!.id;
      const v1Put = await fetch(`${base}/image/v1/images/${v1Id}`, { method: 'PUT', headers: octets, body: data });
      assert.equal(v1Put.status, 200);
      const v1 = (await v1Images()).find((i) => i.id === v1Id)!;
      assert.deepEqual([v1.status, v1.size], ['available', data.length]);
    });
  });
}
