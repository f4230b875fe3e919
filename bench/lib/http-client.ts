import http from 'node:http';
import { sleep } from './processes.ts';

/** Loopback only: every URL the harness builds goes through here or through curl.ts. */
export function loopback(url: string): URL {
  const u = new URL(url);
  if (u.protocol !== 'http:' || u.hostname !== '127.0.0.1') {
    throw new Error(`refusing to send traffic to ${u.host}: the benchmark talks to 127.0.0.1 only`);
  }
  return u;
}

export type Headers = Record<string, string>;

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The body as text (cut at 4 MiB: enough for any metadata reply). */
  readonly body: string;
  readonly seconds: number;
}

const MAX_BODY = 4 << 20;

export const ok = (r: { status: number }): boolean => r.status >= 200 && r.status < 300;

/** Shortest useful description of a failed reply, for the notes of the report. */
export const describe = (r: { status: number; body: string }): string =>
  `HTTP ${r.status}${r.body ? ` ${r.body.slice(0, 160).replace(/\s+/g, ' ')}` : ''}`;

/** One small request (metadata, JSON), timed from sending until the reply has ended. */
export function request(method: string, url: string, headers: Headers = {}, body?: string | Buffer): Promise<Reply> {
  const target = loopback(url);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const hdrs: Headers = { ...headers };
    if (body !== undefined) hdrs['content-length'] = String(Buffer.byteLength(body));
    const req = http.request(target, { method, headers: hdrs, agent: false });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (c: Buffer) => {
        if (kept < MAX_BODY) chunks.push(c);
        kept += c.length;
      });
      res.on('end', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        req.destroy();
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          seconds,
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject); // after an early reply (an error before the body was sent) this is a no-op
    req.end(body);
  });
}

/** Polls a URL until it answers `want` (default: any 2xx), the process dies, or time runs out. */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  alive: () => boolean = () => true,
  want: (status: number) => boolean = (s) => s >= 200 && s < 300,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`the server exited before ${url} answered`);
    try {
      const r = await request('GET', url);
      if (want(r.status)) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s (last: ${last})`);
}

/** MiB/s of `bytes` moved in `seconds`. */
export const mibPerSecond = (bytes: number, seconds: number): number => bytes / (1 << 20) / seconds;
