/**
 * Every reply names its request (README, "Request ids"): `X-Request-Id` on all of them, and on the
 * Swift mount `X-Trans-Id` (= `X-Openstack-Request-Id`), also on the replies the HTTP shell words
 * itself before or beside the router: a `408` for headers or a body too slow, the `400` of the
 * HTTP parser (malformed request, headers too large), the `503` for too many uploads. The log
 * line of each carries the same ids.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { rawRequest, type RawResponse } from './helpers/raw-http.ts';
import { logSink, startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-z]+$/;
const TRANS_ID = /^tx[0-9a-f]{21}-[0-9a-f]{10}$/;

/** Sends `head` (and whatever the test writes next) and collects the reply until the server closes. */
function openRequest(url: string, head: string): { socket: net.Socket; reply: Promise<RawResponse> } {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname, () => socket.write(head));
  const chunks: Buffer[] = [];
  socket.on('data', (c) => chunks.push(c));
  socket.on('error', () => undefined); // a reset after the reply: the reply is what is checked
  const reply = new Promise<RawResponse>((resolve) =>
    socket.once('close', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const lines = all
        .subarray(0, split < 0 ? all.length : split)
        .toString('latin1')
        .split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({
        status: Number(lines[0].split(' ')[1]),
        headers,
        headerLines: lines.slice(1),
        body: split < 0 ? Buffer.alloc(0) : all.subarray(split + 4),
      });
    }),
  );
  return { socket, reply };
}

describe('request ids on every reply', () => {
  let s: TestServer;
  let u: TestUser;
  const log = logSink();
  const logLines = log.lines;

  before(async () => {
    s = await startTestServer(
      'sqlite',
      { headersTimeout: '1s', bodyMinRate: '1000000', bodyRateWindow: '2s', maxUploads: '1' },
      { logTo: log.stream },
    );
    u = await s.user();
    const c = await s.fetch(`/swift/v1/AUTH_${u.uuid}/c`, { method: 'PUT', token: u.token });
    assert.equal(c.status, 201);
  });
  after(() => s?.close());

  /** The reply names a request id, and a log line names that id with the reply's status. */
  const assertNamed = async (r: RawResponse, status: number) => {
    assert.equal(r.status, status, `status: ${r.headerLines.join(' | ')} ${r.body.toString()}`);
    const id = r.headers['x-request-id'];
    assert.match(id ?? '', REQUEST_ID, `X-Request-Id on the ${status}: ${r.headerLines.join(' | ')}`);
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 50 && !line; i++) {
      line = logLines.find((l) => l.reqId === id && l.status === status);
      if (!line) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(line, `a log line with reqId ${id} and status ${status}`);
    return line;
  };
  const assertSwiftNamed = async (r: RawResponse, status: number) => {
    const line = await assertNamed(r, status);
    assert.match(r.headers['x-trans-id'] ?? '', TRANS_ID, `X-Trans-Id on the ${status}`);
    assert.equal(r.headers['x-openstack-request-id'], r.headers['x-trans-id']);
    assert.equal(line.transId, r.headers['x-trans-id'], 'the log line names the transaction too');
  };

  it('408 for headers not received in time', async () => {
    const { reply } = openRequest(s.url, `GET /swift/v1/AUTH_${u.uuid} HTTP/1.1\r\nHost: x\r\nX-Slow: `);
    const r = await reply;
    await assertNamed(r, 408);
    assert.match(r.body.toString(), /"requestTimeout":\{"code":408/);
  });

  it("400 of the HTTP parser: a malformed request, and headers too large (Swift's ids on its mount)", async () => {
    const malformed = await rawRequest(s.url, `GET /swift/v1/AUTH_${u.uuid} HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n`);
    await assertSwiftNamed(malformed, 400);
    const elsewhere = await rawRequest(s.url, 'GET /image/v1/images HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    await assertNamed(elsewhere, 400);
    assert.equal(elsewhere.headers['x-trans-id'], undefined, 'Swift names only its own requests');
    const big = await rawRequest(
      s.url,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(200 * 1024)}\r\nConnection: close\r\n\r\n`,
    );
    await assertNamed(big, 400);
    assert.match(big.body.toString(), /Request headers too large/);
  });

  it('503 for too many uploads and 408 for a body too slow, on the Swift mount', async () => {
    const put = (name: string) =>
      `PUT /swift/v1/AUTH_${u.uuid}/c/${name} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${u.token}\r\nContent-Length: 10000000\r\n\r\n`;
    // The first upload holds the one upload slot, sending a few bytes and then nothing.
    const slow = openRequest(s.url, `${put('slow')}abc`);
    // Wait until it holds the slot, so that the next one is the one refused.
    const inFlight = async () => (await s.services.metrics.uploadsInFlight.get()).values[0]?.value ?? 0;
    for (let i = 0; i < 200 && (await inFlight()) < 1; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    let busy: RawResponse | undefined;
    for (let i = 0; i < 50; i++) {
      const second = openRequest(s.url, put('second'));
      const r = await second.reply;
      if (r.status === 503) {
        busy = r;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(busy, 'a second upload is refused while the first holds the only slot');
    await assertSwiftNamed(busy, 503);
    const cut = await slow.reply;
    await assertSwiftNamed(cut, 408);
    assert.match(cut.body.toString(), /Request body not received in time/);
  });

  it('the replies of the router keep theirs', async () => {
    const r = await fetch(`${s.url}/swift/v1/AUTH_${u.uuid}/c`, { headers: { 'X-Auth-Token': u.token } });
    await r.arrayBuffer();
    assert.match(r.headers.get('x-request-id') ?? '', REQUEST_ID);
    assert.match(r.headers.get('x-trans-id') ?? '', TRANS_ID);
    const image = await fetch(`${s.url}/image/v1/images`, { headers: { 'X-Auth-Token': u.token } });
    await image.arrayBuffer();
    assert.match(image.headers.get('x-request-id') ?? '', REQUEST_ID);
    assert.equal(image.headers.get('x-trans-id'), null);
  });
});
