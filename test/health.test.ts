/**
 * /healthz while a dependency is down (README, failure behaviour): 503 naming what failed, within
 * a bounded time even when the dependency hangs, and 200 again as soon as it is back, with no
 * restart. The block folder is moved away and back; S3 is reached through a local TCP proxy that
 * can stall (accept and never answer), so the shared S3 service is never touched.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DIALECTS, freshPostgresDatabase } from './helpers/dialects.ts';
import { startTestServer } from './helpers/test-server.ts';
import { eventually } from './helpers/object-store.ts';

/** /healthz, failing the test (rather than hanging) if no answer comes within a minute. */
async function health(url: string): Promise<{ status: number; body: { status: string; failed?: string[] } }> {
  const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(60_000) });
  return { status: r.status, body: (await r.json()) as { status: string; failed?: string[] } };
}

/** Forwards TCP to `target` until stalled: then open connections are cut and new ones are held silent. */
async function stallableProxy(target: { host: string; port: number }) {
  let stalled = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (stalled) return; // accept, read nothing, answer nothing
    const upstream = net.connect(target.port, target.host);
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    stall() {
      stalled = true;
      dropAll();
    },
    resume() {
      stalled = false;
      dropAll();
    },
    close: () =>
      new Promise<void>((resolve) => {
        dropAll();
        server.close(() => resolve());
      }),
  };
}

for (const dialect of DIALECTS) {
  describe(`/healthz with a dependency down [${dialect}]`, () => {
    it('names the block folder while it is gone, and recovers when it is back', { timeout: 120_000 }, async () => {
      const s = await startTestServer(dialect);
      try {
        assert.deepEqual(await health(s.url), { status: 200, body: { status: 'ok' } });
        const blocks = path.join(s.dataDir, 'blocks');
        fs.renameSync(blocks, `${blocks}.away`);
        assert.deepEqual(await health(s.url), { status: 503, body: { status: 'unavailable', failed: ['blocks'] } });
        fs.renameSync(`${blocks}.away`, blocks);
        assert.deepEqual(await health(s.url), { status: 200, body: { status: 'ok' } });
      } finally {
        await s.close();
      }
    });
  });
}

const s3 = process.env.PLANKTON_TEST_S3;
describe('/healthz with a stalled S3 endpoint', {
  skip: s3 ? false : 'set PLANKTON_TEST_S3 (and AWS credentials)',
}, () => {
  let cleanup: (() => Promise<void>) | undefined;
  after(async () => cleanup?.());

  it('answers 503 naming the blocks within the check timeout, and 200 once S3 answers again', {
    timeout: 180_000,
  }, async () => {
    const real = new URL(s3!);
    const endpoint = new URL(real.searchParams.get('endpoint')!);
    const proxy = await stallableProxy({ host: endpoint.hostname, port: Number(endpoint.port) });
    const viaProxy = `s3://${real.hostname}?endpoint=http://127.0.0.1:${proxy.port}&region=${real.searchParams.get('region') ?? 'us-east-1'}&prefix=healthz-${process.pid}/`;
    const s = await startTestServer('sqlite', { blocks: viaProxy });
    cleanup = async () => {
      await s.close();
      await proxy.close();
    };
    assert.deepEqual(await health(s.url), { status: 200, body: { status: 'ok' } });
    proxy.stall();
    // The check gives up after its timeout: /healthz answers instead of hanging with S3.
    assert.deepEqual(await health(s.url), { status: 503, body: { status: 'unavailable', failed: ['blocks'] } });
    // Other requests that need only the database are still answered.
    assert.equal(
      (
        await fetch(`${s.url}/identity/v2.0/tokens`, {
          method: 'POST',
          body: '{}',
          headers: { 'Content-Type': 'application/json' },
        })
      ).status < 500,
      true,
    );
    proxy.resume();
    const back = await eventually(async () => (await health(s.url)).status === 200, 60_000);
    assert.ok(back, '/healthz is 200 again once S3 answers, without a restart');
  });
});

describe('/healthz with a stalled PostgreSQL', { skip: process.env.PG_URL ? false : 'set PG_URL' }, () => {
  let cleanup: (() => Promise<void>) | undefined;
  after(async () => cleanup?.());

  it('answers 503 naming the database within the check timeout, and 200 once it answers again', {
    timeout: 180_000,
  }, async () => {
    const pgdb = await freshPostgresDatabase();
    const real = new URL(pgdb.url);
    const proxy = await stallableProxy({ host: real.hostname, port: Number(real.port) });
    const viaProxy = new URL(pgdb.url);
    viaProxy.port = String(proxy.port);
    const s = await startTestServer('sqlite', { databaseUrl: viaProxy.toString() });
    cleanup = async () => {
      await s.close();
      await proxy.close();
      await pgdb.drop();
    };
    assert.deepEqual(await health(s.url), { status: 200, body: { status: 'ok' } });
    proxy.stall();
    assert.deepEqual(await health(s.url), { status: 503, body: { status: 'unavailable', failed: ['database'] } });
    proxy.resume();
    const back = await eventually(async () => (await health(s.url)).status === 200, 60_000);
    assert.ok(back, '/healthz is 200 again once PostgreSQL answers, without a restart');
  });
});
