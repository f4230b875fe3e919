import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from './processes.ts';
import { loopback, type Headers } from './http-client.ts';

/**
 * Bulk transfers go through curl: client and servers share the machine's cores, and curl moves
 * a GiB with a fraction of the CPU that Node's HTTP client needs (which tops out near 500 MiB/s
 * on a 2-core VM, below what nginx serves), so the server under test stays the bottleneck.
 */
export interface Transfer {
  readonly status: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The reply body (uploads only; downloads discard theirs). */
  readonly body: string;
}

async function curl(url: string, headers: Headers, extra: string[], keepBody: boolean): Promise<Transfer> {
  loopback(url);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-curl-'));
  try {
    const bodyFile = keepBody ? path.join(tmp, 'body') : '/dev/null';
    // request headers from a file: tokens stay out of the process list
    const headerFile = path.join(tmp, 'request-headers');
    fs.writeFileSync(
      headerFile,
      Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\n`)
        .join(''),
      { mode: 0o600 },
    );
    const args = [
      '-sS',
      '--noproxy',
      '*',
      '-o',
      bodyFile,
      '-D',
      path.join(tmp, 'headers'),
      '-w',
      '%{http_code} %{size_download} %{size_upload} %{time_total}',
      '-H',
      'Expect:', // no 100-continue round trip before the body
      '-H',
      `@${headerFile}`,
      ...extra,
      url,
    ];
    const r = await runCommand('curl', args);
    const [code, down, up, total] = r.stdout.trim().split(' ').map(Number);
    if (r.code !== 0 && !code) throw new Error(`curl failed (exit ${r.code}): ${r.stderr.trim()}`);
    const head: Record<string, string> = {};
    const raw = fs.existsSync(path.join(tmp, 'headers')) ? fs.readFileSync(path.join(tmp, 'headers'), 'utf8') : '';
    // with several header blocks (100 Continue), the last one is the reply
    for (const line of raw
      .trim()
      .split(/\r?\n\r?\n/)
      .pop()!
      .split(/\r?\n/)
      .slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) head[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    return {
      status: code,
      bytes: Math.max(down, up),
      seconds: total,
      headers: head,
      body: keepBody && fs.existsSync(bodyFile) ? fs.readFileSync(bodyFile, 'utf8').slice(0, 1 << 20) : '',
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Streams `file` as the body (Content-Length, no chunking) with `method`; keeps the reply. */
export const uploadFile = (method: 'PUT' | 'POST', url: string, headers: Headers, file: string): Promise<Transfer> =>
  curl(url, headers, ['-X', method, '-T', file], true);

/** GETs `url`, discarding the bytes. */
export const downloadToNull = (url: string, headers: Headers = {}): Promise<Transfer> => curl(url, headers, [], false);

/** Best of `times` downloads (the fastest), each checked to be a 200 with `bytes` bytes. */
export async function bestDownload(url: string, headers: Headers, bytes: number, times: number): Promise<Transfer> {
  let best: Transfer | undefined;
  for (let i = 0; i < times; i++) {
    const d = await downloadToNull(url, headers);
    if (d.status !== 200 || d.bytes !== bytes)
      throw new Error(`GET ${new URL(url).pathname}: HTTP ${d.status}, ${d.bytes} of ${bytes} bytes`);
    if (!best || d.seconds < best.seconds) best = d;
  }
  return best!;
}
