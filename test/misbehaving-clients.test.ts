/**
 * Clients that misbehave (README, failure behaviour): slowloris senders of headers and bodies,
 * too many uploads, too many connections, a reader that stops reading a download. The server keeps
 * answering others and frees what they held (upload slots, sockets, temp files).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';
import { assertFault, bytesOf, call, eventually, md5, p, tmpFiles } from './helpers/object-store.ts';

/** A raw connection that writes `head` then trickles one more byte every `everyMs`, never finishing. */
function slowSender(url: string, head: string, everyMs = 200): { closed: Promise<string>; stop(): void } {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let received = '';
  socket.on('data', (d) => (received += d.toString('latin1')));
  socket.on('error', () => undefined);
  socket.write(head);
  const timer = setInterval(() => {
    if (socket.writable) socket.write('x');
  }, everyMs);
  const closed = new Promise<string>((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve(received);
    }),
  );
  return { closed, stop: () => socket.destroy() };
}

const connected = (url: string): Promise<net.Socket> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const s = net.connect(Number(port), hostname, () => resolve(s));
    s.on('error', reject);
  });

for (const dialect of DIALECTS) {
  describe(`misbehaving clients [${dialect}]`, () => {
    let s: TestServer;
    let u: TestUser;
    before(async () => {
      s = await startTestServer(dialect, {
        headersTimeout: '1s',
        idleTimeout: '1s',
        maxUploads: '2',
        maxConnections: '100',
      });
      u = await s.user();
      assert.equal((await call(s, 'PUT', p(u.uuid, 'c'), { token: u.token })).status, 201);
    });
    after(() => s.close());

    it('answers others while 50 slow senders hold connections, then closes theirs (408 for headers)', {
      timeout: 120_000,
    }, async () => {
      const senders = Array.from({ length: 50 }, (_, i) =>
        slowSender(s.url, `GET /healthz?${i} HTTP/1.1\r\nHost: x\r\nX-Slow: `),
      );
      const head = await s.fetch('/healthz', { method: 'HEAD' });
      assert.equal(head.status, 200, 'HEAD /healthz answered while 50 slowloris connections are open');
      const replies = await Promise.all(senders.map((c) => c.closed));
      for (const r of replies)
        assert.match(r, /^HTTP\/1\.1 408 /, 'a sender that never finishes its headers gets 408 and is closed');
      assert.match(replies[0], /"requestTimeout":\{"code":408/);
    });

    it('caps uploads in flight (503 + Retry-After), and a stalled upload frees its slot and temp files', {
      timeout: 120_000,
    }, async () => {
      const target = p(u.uuid, 'c', 'slow');
      const heads = [0, 1].map(
        (i) =>
          `PUT ${p(u.uuid, 'c', `stalled-${i}`)} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${u.token}\r\nContent-Length: 10000000\r\n\r\n`,
      );
      // Two uploads that send a first part and then stop: each holds a slot until the idle timeout.
      const stalled = heads.map((h) => {
        const { hostname, port } = new URL(s.url);
        const socket = net.connect(Number(port), hostname, () => socket.write(h + 'y'.repeat(100_000)));
        socket.on('error', () => undefined);
        return new Promise<void>((resolve) => socket.once('close', () => resolve()));
      });
      // While both slots are held, a third upload is refused at once in the object store's fault shape.
      let refused = false;
      assert.ok(
        (await eventually(async () => {
          const r = await call(s, 'PUT', target, { token: u.token, body: 'hello' });
          if (r.status === 503) {
            assertFault(r, 503, 'Too many uploads in progress, retry later', 'serviceUnavailable');
            assert.equal(r.header('retry-after'), '5');
            refused = true;
          }
          return refused || stalled.length === 0;
        }, 10_000)) && refused,
        'a third upload is refused while two are in flight',
      );
      // Others still get answers meanwhile.
      assert.equal((await s.fetch('/healthz')).status, 200);
      await Promise.all(stalled);
      const body = bytesOf('after', 100_000);
      const ok = await eventually(
        async () => (await call(s, 'PUT', target, { token: u.token, body })).status === 201,
        30_000,
      );
      assert.ok(ok, 'the slots came back once the stalled uploads were cut');
      assert.equal(md5((await call(s, 'GET', target, { token: u.token })).body), md5(body));
      for (const i of [0, 1])
        assert.equal((await call(s, 'GET', p(u.uuid, 'c', `stalled-${i}`), { token: u.token })).status, 404);
      assert.ok(await eventually(() => tmpFiles(s.dataDir).length === 0), 'no temp files left');
    });

    it('closes a download whose reader stopped reading', { timeout: 120_000 }, async () => {
      const big = bytesOf('big', 24 * 1024 * 1024);
      assert.equal((await call(s, 'PUT', p(u.uuid, 'c', 'big'), { token: u.token, body: big })).status, 201);
      const socket = await connected(s.url);
      socket.write(`GET ${p(u.uuid, 'c', 'big')} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${u.token}\r\n\r\n`);
      // Read the first bytes (the response started), then stop reading: the server's writes back up.
      let received = 0;
      const closed = new Promise<void>((resolve) => {
        socket.on('data', (d: Buffer) => (received += d.length));
        socket.once('close', () => resolve());
        socket.on('error', () => undefined);
      });
      await new Promise((resolve) => socket.once('data', resolve));
      socket.pause();
      // Well past the 1 s idle timeout; then read what the server managed to send before it gave up.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      socket.resume();
      await closed;
      assert.ok(
        received < big.length,
        `the server gave up the stalled download (${received} of ${big.length} bytes sent)`,
      );
      assert.equal((await s.fetch('/healthz')).status, 200);
    });

    it('cuts many stalled downloads at the idle timeout, each after little more than the socket buffers', {
      timeout: 120_000,
    }, async () => {
      const SIZE = 24 * 1024 * 1024;
      assert.equal(
        (await call(s, 'PUT', p(u.uuid, 'c', 'big8'), { token: u.token, body: bytesOf('big8', SIZE) })).status,
        201,
      );
      const { hostname, port } = new URL(s.url);
      const received = await Promise.all(
        Array.from(
          { length: 8 },
          () =>
            new Promise<number>((resolve) => {
              const socket = net.connect(Number(port), hostname, () =>
                socket.write(`GET ${p(u.uuid, 'c', 'big8')} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${u.token}\r\n\r\n`),
              );
              let n = 0;
              // Stop reading at the first bytes; read again well past the 1 s idle timeout to see what was sent.
              socket.once('data', () => {
                socket.pause();
                setTimeout(() => socket.resume(), 4000);
              });
              socket.on('data', (d: Buffer) => (n += d.length));
              socket.on('error', () => undefined);
              socket.on('close', () => resolve(n));
            }),
        ),
      );
      for (const n of received) assert.ok(n < SIZE, `a stalled download was cut (${n} of ${SIZE} bytes sent)`);
      assert.equal((await s.fetch('/healthz')).status, 200);
    });

    it('closes connections beyond PLANKTON_MAX_CONNECTIONS and accepts again once some close', {
      timeout: 120_000,
    }, async () => {
      const capped = await startTestServer(dialect, { maxConnections: '2' });
      try {
        const held = [await connected(capped.url), await connected(capped.url)];
        const extra = await connected(capped.url);
        const refusedExtra = await new Promise<boolean>((resolve) => {
          extra.once('close', () => resolve(true));
          extra.on('error', () => undefined);
          extra.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
        });
        assert.ok(refusedExtra, 'the third connection is closed');
        held[0].destroy();
        const ok = await eventually(
          async () => (await call(capped, 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200,
          30_000,
        );
        assert.ok(ok, 'a connection is accepted again once one closed');
        held[1].destroy();
      } finally {
        await capped.close();
      }
    });
  });
}
