/**
 * web-download's address rules and allow-list (src/domain/images/web-source.ts): which addresses
 * count as non-public, what an allow-list entry is, which URLs pass before any fetch, and which
 * DNS answers a connection may use (the fetching driver, src/storage/web/web-fetcher.ts, is
 * exercised over HTTP by test/image-v2-import.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImageRuleRefused } from '../../src/domain/errors.ts';
import {
  admitWebUri,
  allowListProblem,
  checkWebUri,
  isNonPublicAddress,
  resolvedAddressRefusal,
  type WebDownloadPolicy,
} from '../../src/domain/images/web-source.ts';

const policy = (...allow: string[]): WebDownloadPolicy => ({ allow, maxBytes: 1000, idleTimeoutMs: 1000 });
const refusedBy = (uri: string, p: WebDownloadPolicy) =>
  assert.throws(
    () => checkWebUri(uri, p),
    (e: unknown) => e instanceof ImageRuleRefused && e.rule === 'import-uri-refused',
    uri,
  );

describe('web-download: non-public addresses', () => {
  const nonPublic = [
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '64:ff9b::a00:1',
    'not an address',
  ];
  for (const a of nonPublic) it(`${a} is not public`, () => assert.equal(isNonPublicAddress(a), true));
  const publicOnes = ['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'];
  for (const a of publicOnes) it(`${a} is public`, () => assert.equal(isNonPublicAddress(a), false));
});

describe('web-download: the allow-list', () => {
  it('entries: URL prefixes, hosts, host:port, IPv6 literals and * parse; junk does not', () => {
    assert.equal(
      allowListProblem(['https://a.example.org/pub/', 'b.example.org', 'c.example.org:8080', '[2001:db8::1]', '*']),
      undefined,
    );
    for (const bad of ['ftp://x.example.org/', 'a b', 'user@host', 'host/path', 'http://']) {
      assert.ok(allowListProblem([bad]), bad);
    }
  });

  it('a URL prefix admits what starts with it, a host admits that host (and port), * admits public hosts', () => {
    const p = policy('https://a.example.org/pub/', 'b.example.org', 'c.example.org:8080');
    assert.equal(checkWebUri('https://a.example.org/pub/x.img', p).href, 'https://a.example.org/pub/x.img');
    refusedBy('https://a.example.org/private/x.img', p);
    refusedBy('http://a.example.org/pub/x.img', p);
    checkWebUri('http://b.example.org:1234/any', p);
    checkWebUri('http://c.example.org:8080/x', p);
    refusedBy('http://c.example.org:8081/x', p);
    refusedBy('http://d.example.org/x', p);
    checkWebUri('http://d.example.org/x', policy('*'));
  });

  it('a non-public literal address passes only when an entry names it', () => {
    refusedBy('http://127.0.0.1:8080/x', policy('*'));
    refusedBy('http://[::1]/x', policy('*'));
    refusedBy('http://169.254.169.254/latest/meta-data/', policy('*'));
    checkWebUri('http://127.0.0.1:8080/x', policy('127.0.0.1'));
    checkWebUri('http://127.0.0.1:8080/files/x', policy('http://127.0.0.1:8080/files/'));
  });

  it('schemes other than http(s), credentials and non-URLs are refused', () => {
    for (const uri of ['file:///etc/passwd', 'gopher://x.example.org/', 'http://u:p@x.example.org/', 'not a url']) {
      refusedBy(uri, policy('*'));
    }
  });
});

describe('web-download: DNS answers', () => {
  const isRefusal = (e: ImageRuleRefused | undefined) =>
    e instanceof ImageRuleRefused && e.rule === 'import-uri-refused';

  it('a host is named only when an entry names it (never by *)', () => {
    assert.equal(admitWebUri('http://a.example.org/x', policy('*')).named, false);
    assert.equal(admitWebUri('http://a.example.org/x', policy('a.example.org', '*')).named, true);
    assert.equal(admitWebUri('http://a.example.org/pub/x', policy('http://a.example.org/pub/')).named, true);
  });

  it('every address must be public unless the host is named; no address is a refusal', () => {
    const anyHost = admitWebUri('http://a.example.org/x', policy('*'));
    const named = admitWebUri('http://a.example.org/x', policy('a.example.org'));
    assert.equal(resolvedAddressRefusal(anyHost, 'a.example.org', ['93.184.216.34', '2606:4700::1111']), undefined);
    assert.ok(isRefusal(resolvedAddressRefusal(anyHost, 'a.example.org', ['93.184.216.34', '10.0.0.1'])));
    assert.ok(isRefusal(resolvedAddressRefusal(anyHost, 'a.example.org', ['::1'])));
    assert.equal(resolvedAddressRefusal(named, 'a.example.org', ['127.0.0.1']), undefined);
    assert.ok(isRefusal(resolvedAddressRefusal(named, 'a.example.org', [])));
    assert.ok(isRefusal(resolvedAddressRefusal(anyHost, 'a.example.org', [])));
  });
});
