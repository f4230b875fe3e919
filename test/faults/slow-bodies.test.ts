/**
 * Slowloris bodies (PLANKTON_BODY_MIN_RATE over PLANKTON_BODY_RATE_WINDOW): a sender that trickles
 * just enough to never be idle is answered 408 and cut, commits nothing and gives its upload slot
 * back; a steady sender above the rate is not disturbed. The upload cap covers Image API v2
 * `PUT /file` too (503 in v2's fault shape).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { bytesOf, call, eventually, md5, p, tmpFiles } from '../helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from '../helpers/test-server.ts';
import { createFaultsContainer, Tally } from './fault-kit.ts';

/** A raw upload that sends `head`, then `chunk` bytes every `everyMs` until closed; resolves with what came back. */
function trickle(url: string, head: string, chunk: number, everyMs: number): Promise<{ reply: string; ms: number }> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  const socket = net.connect(Number(port), hostname, () => socket.write(head));
  let reply = '';
  const timer = setInterval(() => {
    if (socket.writable) socket.write('z'.repeat(chunk));
  }, everyMs);
  socket.on('data', (d) => (reply += d.toString('latin1')));
  socket.on('error', () => undefined);
  return new Promise((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve({ reply, ms: Date.now() - started });
    }),
  );
}

describe('slow request bodies', () => {
  let s: TestServer;
  let u: TestUser;

  before(async () => {
    s = await startTestServer('sqlite', {
      bodyMinRate: '20000',
      bodyRateWindow: '2s',
      idleTimeout: '60s',
      maxUploads: '2',
    });
    u = await s.user();
    await createFaultsContainer(s.url, u.token, u.uuid);
  });
  after(async () => {
    await s?.close();
  });

  it('a trickling upload gets 408 and commits nothing; a steady one above the rate succeeds', async (t) => {
    const tally = new Tally();
    const head = (name: string, length: number) =>
      `PUT ${p(u.uuid, 'faults', name)} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${u.token}\r\nContent-Length: ${length}\r\n\r\n`;
    // 1 KB every 250 ms = 4 KB/s, under the 20 KB/s minimum: never idle, but too slow.
    const slow = trickle(s.url, head('trickled', 10_000_000), 1000, 250);
    // Others are answered meanwhile.
    assert.equal((await tally.time(() => s.fetch('/healthz')))?.status, 200);
    const { reply, ms } = await slow;
    tally.tried++;
    tally.count(reply.slice(9, 12) || 'closed');
    assert.match(reply, /^HTTP\/1\.1 408 /, `the slow sender is told why: ${reply.slice(0, 80)}`);
    assert.match(reply, /"requestTimeout":\{"code":408,"message":"Request body not received in time"/);
    assert.match(reply, /connection: close/i);
    assert.equal((await call(s, 'GET', p(u.uuid, 'faults', 'trickled'), { token: u.token })).status, 404);
    assert.ok(await eventually(() => tmpFiles(s.dataDir).length === 0, 10_000), 'no temp files left');

    // 64 KB every 100 ms (640 KB/s), 1.28 MB in all: well above the minimum for the whole upload.
    const size = 64 * 1024 * 20;
    const steady = await new Promise<string>((resolve) => {
      const { hostname, port } = new URL(s.url);
      const socket = net.connect(Number(port), hostname, () => socket.write(head('steady', size)));
      let sent = 0;
      let reply = '';
      const timer = setInterval(() => {
        socket.write(bytesOf('steady', size).subarray(sent, sent + 64 * 1024));
        sent += 64 * 1024;
        if (sent >= size) clearInterval(timer);
      }, 100);
      socket.on('data', (d) => {
        reply += d.toString('latin1');
        if (reply.includes('\r\n\r\n')) socket.end();
      });
      socket.on('error', () => undefined);
      socket.once('close', () => {
        clearInterval(timer);
        resolve(reply);
      });
    });
    tally.tried++;
    tally.count(steady.slice(9, 12));
    assert.match(steady, /^HTTP\/1\.1 201 /);
    const got = await call(s, 'GET', p(u.uuid, 'faults', 'steady'), { token: u.token });
    assert.equal(md5(got.body), md5(bytesOf('steady', size)));
    t.diagnostic(`${tally.summary('slow body')}; the trickling sender was cut after ${ms} ms (window 2 s)`);
  });

  it('v2 PUT /file counts against the upload cap (503 + Retry-After in v2 shape) and gets the slot once freed', async () => {
    const create = async () => {
      const r = await call(s, 'POST', '/image/v2/images', {
        token: u.token,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'capped', disk_format: 'raw', container_format: 'bare' }),
      });
      assert.equal(r.status, 201);
      return r.json().id as string;
    };
    const ids = [await create(), await create(), await create()];
    const head = (id: string) =>
      `PUT /image/v2/images/${id}/file HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${u.token}\r\nContent-Type: application/octet-stream\r\nContent-Length: 5000000\r\n\r\n`;
    // Two uploads that keep their connection by trickling: both slots held until the rate check cuts them.
    const held = [trickle(s.url, head(ids[0]), 100, 200), trickle(s.url, head(ids[1]), 100, 200)];
    const data = bytesOf('third', 100_000);
    let refused = false;
    assert.ok(
      await eventually(async () => {
        const r = await call(s, 'PUT', `/image/v2/images/${ids[2]}/file`, {
          token: u.token,
          headers: { 'Content-Type': 'application/octet-stream' },
          body: data,
        });
        if (r.status === 503) {
          const body = r.json();
          assert.equal(body.serviceUnavailable.code, 503);
          assert.equal(r.header('retry-after'), '5');
          refused = true;
        }
        return refused;
      }, 10_000),
      'a third v2 upload is refused while two hold the slots',
    );
    const replies = await Promise.all(held);
    for (const { reply } of replies) assert.match(reply, /^HTTP\/1\.1 408 /);
    const r = await call(s, 'PUT', `/image/v2/images/${ids[2]}/file`, {
      token: u.token,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: data,
    });
    assert.equal(r.status, 204, 'the slots came back once the slow uploads were cut');
    for (const id of ids.slice(0, 2)) {
      const img = (await call(s, 'GET', `/image/v2/images/${id}`, { token: u.token })).json();
      assert.equal(img.status, 'queued', 'a cut upload leaves its image queued, without data');
    }
  });
});
