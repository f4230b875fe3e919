/**
 * The web-download driver (port: WebFetcher in domain/images/web-source.ts): HTTP(S) GETs with
 * node:http(s). The domain's rules decide; this module only applies them where HTTP happens:
 *
 * - every hop (the first URL and each redirect's `Location`) goes through `admitWebUri`;
 * - the DNS lookup of each connection goes through `resolvedAddressRefusal`, and the connection
 *   uses the address that was checked (no second lookup a rebinding name could answer);
 * - a fresh connection per request (a pooled keep-alive socket would skip the checked lookup);
 * - the body is capped as it streams, and the connection gives up when idle.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { DataTooLarge, ImageRuleRefused } from '../../domain/errors.ts';
import {
  admitWebUri,
  MAX_REDIRECTS,
  resolvedAddressRefusal,
  type WebDownloadPolicy,
  type WebFetcher,
  type WebHop,
} from '../../domain/images/web-source.ts';

export class HttpWebFetcher implements WebFetcher {
  /**
   * Opens the body of `uri`: follows up to MAX_REDIRECTS redirects, each hop checked, and streams
   * the final 200's body, refusing it past `maxBytes`.
   */
  async open(uri: string, policy: WebDownloadPolicy): Promise<AsyncIterable<Buffer>> {
    let hop = admitWebUri(uri, policy);
    for (let redirects = 0; ; redirects++) {
      const res = await get(hop, policy.idleTimeoutMs);
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location !== undefined) {
        res.resume();
        if (redirects >= MAX_REDIRECTS) throw new ImageRuleRefused('import-failed', 'too many redirects');
        hop = admitWebUri(new URL(res.headers.location, hop.url).href, policy);
        continue;
      }
      if (status !== 200) {
        res.resume();
        throw new ImageRuleRefused('import-failed', `the server answered ${status}`);
      }
      const length = Number(res.headers['content-length']);
      if (Number.isFinite(length) && length > policy.maxBytes) {
        res.destroy();
        throw new DataTooLarge(policy.maxBytes, true);
      }
      return capped(res, policy.maxBytes);
    }
  }
}

/** A DNS lookup that fails unless the domain accepts every address: the connection uses it. */
function checkedLookup(hop: WebHop): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { all: true, verbatim: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const refusal = resolvedAddressRefusal(
        hop,
        hostname,
        addresses.map((a) => a.address),
      );
      if (refusal) return callback(refusal, '', 0);
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** One GET, no redirect followed; the response (the caller checks its status). */
function get(hop: WebHop, idleTimeoutMs: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = hop.url.protocol === 'https:' ? https : http;
    // agent: false, a fresh connection each time: a pooled keep-alive socket would skip the checked lookup.
    const req = client.get(hop.url, {
      agent: false,
      lookup: checkedLookup(hop),
      headers: { 'User-Agent': 'plankton-web-download' },
    });
    req.setTimeout(idleTimeoutMs, () =>
      req.destroy(new ImageRuleRefused('import-failed', 'the server stopped answering')),
    );
    req.once('response', resolve);
    req.once('error', reject);
  });
}

async function* capped(res: http.IncomingMessage, maxBytes: number): AsyncGenerator<Buffer> {
  let seen = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      seen += chunk.length;
      if (seen > maxBytes) throw new DataTooLarge(maxBytes);
      yield chunk;
    }
  } finally {
    res.destroy();
  }
  if (!res.complete) throw new ImageRuleRefused('import-failed', 'the transfer was cut off');
}
