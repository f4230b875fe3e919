/**
 * The S3 block store stalled (its Swift proxy SIGSTOPped: connections open, nothing answers) and
 * unreachable (the proxy killed: connections refused), during uploads, downloads and at start-up.
 * The Swift is this test's own (scripts/swift-s3.sh on ports of its own). Expected: 503 in each
 * API's fault shape within the block-store deadline, healthz naming `blocks`, nothing committed,
 * a download cut short rather than completed with wrong bytes, and recovery without a restart.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadSettings } from '../../src/config.ts';
import { createLogger, startServer } from '../../src/server.ts';
import { Services } from '../../src/services.ts';
import { bytesOf, call, md5, p } from '../helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from '../helpers/test-server.ts';
import {
  assertFaultShape,
  assertNothingCommitted,
  createFaultsContainer,
  healthFailed,
  type OwnSwift,
  ownSwift,
  Tally,
  until,
  writeThroughEveryApi,
} from './fault-kit.ts';

const MIB = 1024 * 1024;
/** PLANKTON_BLOCKS_TIMEOUT of these servers, and the bound on any answer (with room for load). */
const BLOCKS_TIMEOUT = '3s';
const ANSWER_LIMIT_MS = 20_000;

describe('S3 block store stalled or unreachable', () => {
  let swift: OwnSwift;
  let s: TestServer;
  let u: TestUser;
  const saved = new Map<string, string>();
  const awsEnv: Record<string, string | undefined> = {};

  before(async () => {
    swift = await ownSwift();
    // The SDK reads the credentials from the environment.
    for (const [k, v] of Object.entries(swift.env)) {
      awsEnv[k] = process.env[k];
      process.env[k] = v;
    }
    s = await startTestServer('sqlite', { blocks: swift.blocks, blocksTimeout: BLOCKS_TIMEOUT });
    u = await s.user();
    await createFaultsContainer(s.url, u.token, u.uuid);
    const data = bytesOf('stored', 6 * MIB);
    assert.equal((await call(s, 'PUT', p(u.uuid, 'faults', 'stored'), { token: u.token, body: data })).status, 201);
    saved.set('stored', md5(data));
  });
  after(async () => {
    await s?.close().catch(() => undefined);
    await swift?.destroy();
    for (const [k, v] of Object.entries(awsEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  /** Writes and a download while the store is faulted: each answered 503, nothing committed. */
  async function duringFault(tally: Tally, name: string): Promise<void> {
    const w = await writeThroughEveryApi(s.url, u.token, u.uuid, name, bytesOf(name, 5 * MIB), { tally });
    assert.match(assertFaultShape(w.object, 503, 'serviceUnavailable'), /block store/);
    assert.equal(w.object.header('retry-after'), '5');
    assertFaultShape(w.v1, 503, 'serviceUnavailable');
    assertFaultShape(w.v2, 503, 'serviceUnavailable');
    const get = await tally.time(() => call(s, 'GET', p(u.uuid, 'faults', 'stored'), { token: u.token }));
    assert.ok(get);
    assertFaultShape(get, 503, 'serviceUnavailable');
    assert.deepEqual(await healthFailed(s.url), ['blocks']);
    // Metadata needs no block: still served.
    assert.equal((await tally.time(() => call(s, 'GET', '/image/v2/images', { token: u.token })))?.status, 200);
    await assertNothingCommitted(s.url, u.token, u.uuid, w, name);
    assert.ok(tally.slowestMs < ANSWER_LIMIT_MS, `answered within ${ANSWER_LIMIT_MS} ms (slowest ${tally.slowestMs})`);
  }

  async function recovers(tally: Tally, name: string): Promise<void> {
    const returned = Date.now();
    const data = bytesOf(name, 5 * MIB);
    const ok = await until(async () => {
      const r = await tally.time(() => call(s, 'PUT', p(u.uuid, 'faults', name), { token: u.token, body: data }));
      return r?.status === 201;
    }, 60_000);
    tally.recoverMs = ok === undefined ? undefined : Date.now() - returned;
    assert.notEqual(ok, undefined, 'writes succeed again without a restart');
    saved.set(name, md5(data));
    tally.acknowledged++;
    assert.deepEqual(await healthFailed(s.url), []);
    const get = await call(s, 'GET', p(u.uuid, 'faults', 'stored'), { token: u.token });
    assert.equal(md5(get.body), saved.get('stored'));
  }

  it('stalled (SIGSTOP): 503 after the deadline, healthz names blocks, resumes → recovers', async (t) => {
    const tally = new Tally();
    swift.pauseProxy();
    try {
      await duringFault(tally, 'while-stalled');
    } finally {
      swift.resumeProxy();
    }
    await recovers(tally, 'after-stall');
    t.diagnostic(tally.summary('S3 stalled'));
  });

  it('unreachable (killed): 503 at once, healthz names blocks, restarted → recovers', async (t) => {
    const tally = new Tally();
    await swift.killProxy();
    try {
      await duringFault(tally, 'while-down');
    } finally {
      await swift.start();
    }
    await recovers(tally, 'after-down');
    t.diagnostic(tally.summary('S3 unreachable'));
  });

  it('stalled during a download: the reply is cut short, others are answered', async (t) => {
    const tally = new Tally();
    // Five blocks: the server reads two ahead of the one it sends, so the last ones are read after the stall.
    const size = 20 * MIB;
    const big = bytesOf('big', size);
    assert.equal((await call(s, 'PUT', p(u.uuid, 'faults', 'big'), { token: u.token, body: big })).status, 201);
    saved.set('big', md5(big));
    let received = 0;
    const outcome = await new Promise<string>((resolve) => {
      const req = http.get(`${s.url}${p(u.uuid, 'faults', 'big')}`, { headers: { 'X-Auth-Token': u.token } }, (res) => {
        assert.equal(res.statusCode, 200);
        res.once('data', () => swift.pauseProxy()); // the first block is out: stall the rest
        res.on('data', (d: Buffer) => (received += d.length));
        res.on('end', () => resolve(received === size ? 'complete' : 'short'));
        res.on('error', () => resolve('cut'));
        res.on('aborted', () => resolve('cut'));
      });
      req.on('error', () => resolve('cut'));
    });
    try {
      tally.tried++;
      tally.count(`download ${outcome}`);
      assert.notEqual(outcome, 'complete', 'a download is never completed with bytes the store did not give');
      assert.ok(received < size);
      assert.equal((await tally.time(() => call(s, 'GET', '/image/v1/images', { token: u.token })))?.status, 200);
    } finally {
      swift.resumeProxy();
    }
    await recovers(tally, 'after-download-stall');
    t.diagnostic(`${tally.summary('S3 stalled during a download')}; ${received} of ${size} bytes sent before the cut`);
  });

  it('unreachable at start-up: the server starts, answers 503 for data, and recovers when S3 comes', async (t) => {
    const tally = new Tally();
    await swift.killProxy();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-fault-startup-'));
    // A bucket that does not exist yet: it is created once the endpoint answers.
    const blocks = swift.blocks.replace(/^s3:\/\/[^?]+/, `s3://late-${process.pid}`);
    const settings = loadSettings(
      { host: '127.0.0.1', port: '0', dataDir, logLevel: 'silent', blocks, blocksTimeout: BLOCKS_TIMEOUT },
      {},
    );
    const warnings: string[] = [];
    const started = Date.now();
    const services = await Services.open(settings, { onBlocksUnreachable: (m) => warnings.push(m) });
    const server = await startServer(services, createLogger('silent'));
    try {
      tally.slowestMs = Date.now() - started;
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /does not answer/);
      assert.deepEqual(await healthFailed(server.url), ['blocks']);
      const user = await services.users.create(`startup-${process.pid}@example.org`);
      const token = (await services.tokens.issue(user.uuid, 3600)).secret;
      await createFaultsContainer(server.url, token, user.uuid);
      const put = await tally.time(() =>
        call(server.url, 'PUT', p(user.uuid, 'faults', 'early'), { token, body: bytesOf('early', MIB) }),
      );
      assert.ok(put);
      assertFaultShape(put, 503, 'serviceUnavailable');
      await swift.start();
      const returned = Date.now();
      const data = bytesOf('late', MIB);
      const ok = await until(async () => {
        const r = await tally.time(() =>
          call(server.url, 'PUT', p(user.uuid, 'faults', 'late'), { token, body: data }),
        );
        return r?.status === 201;
      }, 60_000);
      tally.recoverMs = ok === undefined ? undefined : Date.now() - returned;
      assert.notEqual(ok, undefined, 'the bucket is created and writes succeed once S3 answers');
      tally.acknowledged++;
      assert.equal(md5((await call(server.url, 'GET', p(user.uuid, 'faults', 'late'), { token })).body), md5(data));
      assert.deepEqual(await healthFailed(server.url), []);
      t.diagnostic(tally.summary('S3 unreachable at start-up'));
    } finally {
      await server.close();
      await services.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('every acknowledged write is intact', async (t) => {
    let lost = 0;
    for (const [name, sum] of saved) {
      const r = await call(s, 'GET', p(u.uuid, 'faults', name), { token: u.token });
      if (r.status !== 200 || md5(r.body) !== sum) lost++;
    }
    t.diagnostic(`S3 faults: acknowledged writes ${saved.size}, lost ${lost}`);
    assert.equal(lost, 0);
  });
});
