/**
 * Issue 19 item 9 on the Swift mount: TempURL links made by the real `swift tempurl` and fetched
 * with curl (GET, HEAD, PUT, prefix, ISO 8601 expiry, SHA-512 base64 form, filename/inline),
 * forged and expired links refused; FormPost from a crafted form (redirect, limits, nothing
 * written on failure); bulk delete of 10,000 paths with bad ones mixed in, and `swift delete`
 * using it; extraction of real archives made with `tar` (plain, gzip, bzip2), `..` and absolute
 * entries, symlinks, and tar bombs. On SQLite and (with PG_URL) PostgreSQL.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SWIFT_BIN as SWIFT, ok as succeeded, run as runClient } from './helpers/cli-clients.ts';
import { DIALECTS } from './helpers/dialects.ts';
import { call, multipartForm, type Reply } from './helpers/object-store.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/test-server.ts';

const skip = fs.existsSync(SWIFT) ? false : `${SWIFT} not found: install python3-swiftclient`;
/** Only to end a command that hangs; a loaded 2-core machine makes Python clients slow. */
const CLI_LIMIT_MS = 300_000;
/** The server refuses archives and forms above this (the tar-bomb bound). */
const MAX_UPLOAD = 8 * 1024 * 1024;

/** Raw bytes in stdout (curl -i of binary bodies), up to the largest archive. */
const run = (cmd: string, args: string[], cwd?: string) =>
  runClient(cmd, args, { cwd, timeoutMs: CLI_LIMIT_MS, maxBuffer: 64 * 1024 * 1024, stdoutEncoding: 'latin1' });
const ok = (cmd: string, args: string[], cwd?: string): Promise<string> =>
  succeeded(run(cmd, args, cwd), `${cmd} ${args.join(' ')}`);

/** curl's answer: status, headers (lower-case names) and body, from `-i` output. */
async function curl(args: string[]): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  let out = await ok('curl', ['-s', '-i', '--globoff', ...args]);
  // An upload's interim `100 Continue` comes first: the answer is what follows.
  while (/^HTTP\/1\.1 100 /.test(out)) out = out.slice(out.indexOf('\r\n\r\n') + 4);
  const split = out.indexOf('\r\n\r\n');
  const head = split < 0 ? out : out.slice(0, split);
  const body = split < 0 ? '' : out.slice(split + 4);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

const hmacHex = (algo: string, key: string, message: string) => createHmac(algo, key).update(message).digest('hex');

for (const dialect of DIALECTS) {
  describe(`Swift TempURL, FormPost, bulk [${dialect}]`, { skip }, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let dir: string;
    let acct: string;
    const A = () => `/swift/v1/AUTH_${alice.uuid}`;
    const req = (method: string, p: string, opts: Parameters<typeof call>[3] = {}): Promise<Reply> =>
      call(s, method, p, { token: alice.token, ...opts });
    const exists = async (p: string) => (await req('HEAD', `${A()}/${p}`)).status === 200;
    const tempurl = async (...args: string[]) => (await ok(SWIFT, ['tempurl', ...args])).trim();
    const disk = Buffer.from('a disk image, fetched by a hypervisor without a token\n'.repeat(100));

    before(async () => {
      s = await startTestServer(dialect, { objectMaxUpload: String(MAX_UPLOAD) });
      alice = await s.user('tempurl-alice@example.org');
      bob = await s.user('tempurl-bob@example.org');
      acct = `/v1/AUTH_${alice.uuid}`;
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-signed-'));
      assert.equal((await req('PUT', `${A()}/imgs`)).status, 201);
      assert.equal((await req('PUT', `${A()}/other`)).status, 201);
      assert.equal((await req('PUT', `${A()}/imgs/disk.img`, { body: disk })).status, 201);
      assert.equal((await req('PUT', `${A()}/imgs/pre/a.txt`, { body: 'A' })).status, 201);
      assert.equal((await req('PUT', `${A()}/imgs/pre/b.txt`, { body: 'B' })).status, 201);
      assert.equal((await req('PUT', `${A()}/imgs/private.txt`, { body: 'P' })).status, 201);
      assert.equal((await req('PUT', `${A()}/other/x.txt`, { body: 'X' })).status, 201);
      const key = await req('POST', A(), { headers: { 'X-Account-Meta-Temp-URL-Key': 'acct-secret' } });
      assert.equal(key.status, 204);
    });
    after(async () => {
      await s?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    describe('TempURL', () => {
      it('a GET link from `swift tempurl` serves the object to curl without a token; HEAD too; /info lists it', async () => {
        const link = await tempurl('GET', '3600', `${acct}/imgs/disk.img`, 'acct-secret');
        const got = await curl([`${s.url}/swift${link}`]);
        assert.equal(got.status, 200);
        assert.equal(got.body, disk.toString('latin1'));
        assert.equal(got.headers['content-disposition'], `attachment; filename="disk.img"; filename*=UTF-8''disk.img`);
        assert.equal(got.headers['x-object-modified-by'], undefined, "the owner's headers stay hidden");
        const head = await curl(['-I', `${s.url}/swift${link}`]);
        assert.equal(head.status, 200, 'a GET signature also allows HEAD');
        assert.equal(head.headers['content-length'], String(disk.length));
        // The whole path of this mount may be signed too.
        const full = await tempurl('GET', '3600', `/swift${acct}/imgs/disk.img`, 'acct-secret');
        assert.equal((await curl([`${s.url}${full}`])).status, 200);
        const info = (await call(s, 'GET', '/info')).json();
        assert.deepEqual(info.tempurl.methods, ['GET', 'HEAD', 'PUT']);
        assert.deepEqual(info.tempurl.allowed_digests, ['sha1', 'sha256', 'sha512']);
        assert.deepEqual(info.bulk_delete, { max_deletes_per_request: 10000, max_failed_deletes: 1000 });
        assert.equal(info.bulk_upload.max_containers_per_extraction, 10000);
        assert.ok(info.formpost);
      });

      it('filename and inline set a safely encoded Content-Disposition', async () => {
        const link = await tempurl('GET', '3600', `${acct}/imgs/disk.img`, 'acct-secret');
        const named = await curl([`${s.url}/swift${link}&filename=${encodeURIComponent('my "disk"\r\n☂.img')}`]);
        assert.equal(named.status, 200);
        assert.equal(
          named.headers['content-disposition'],
          `attachment; filename="my %22disk%22%0D%0A%E2%98%82.img"; filename*=UTF-8''my%20%22disk%22%0D%0A%E2%98%82.img`,
        );
        const inline = await curl([`${s.url}/swift${link}&inline`]);
        assert.equal(inline.headers['content-disposition'], 'inline');
        const inlineNamed = await curl([`${s.url}/swift${link}&inline&filename=x.img`]);
        assert.equal(inlineNamed.headers['content-disposition'], `inline; filename="x.img"; filename*=UTF-8''x.img`);
      });

      it('a PUT link uploads; it does not read, nor copy from elsewhere', async () => {
        const link = await tempurl('PUT', '3600', `${acct}/imgs/up.bin`, 'acct-secret');
        fs.writeFileSync(path.join(dir, 'up.bin'), 'uploaded through a temp URL');
        const put = await curl(['-T', path.join(dir, 'up.bin'), `${s.url}/swift${link}`]);
        assert.equal(put.status, 201);
        assert.equal((await req('GET', `${A()}/imgs/up.bin`)).text(), 'uploaded through a temp URL');
        assert.equal((await curl([`${s.url}/swift${link}`])).status, 401, 'a PUT signature does not allow GET');
        assert.equal((await curl(['-I', `${s.url}/swift${link}`])).status, 200, 'HEAD is allowed by a PUT signature');
        const copy = await curl([
          '-X',
          'PUT',
          '-H',
          'X-Copy-From: other/x.txt',
          '-H',
          'Content-Length: 0',
          `${s.url}/swift${link}`,
        ]);
        assert.equal(copy.status, 400);
        assert.match(copy.body, /X-Copy-From/);
        assert.equal((await req('GET', `${A()}/imgs/up.bin`)).text(), 'uploaded through a temp URL');
      });

      it('a prefix link serves the names under the prefix and nothing else', async () => {
        const link = await tempurl('--prefix-based', 'GET', '3600', `${acct}/imgs/pre/`, 'acct-secret');
        const [base, query] = link.split('?');
        for (const [name, body] of [
          ['a.txt', 'A'],
          ['b.txt', 'B'],
        ]) {
          const r = await curl([`${s.url}/swift${base}${name}?${query}`]);
          assert.equal(r.status, 200);
          assert.equal(r.body, body);
        }
        const outside = await curl([`${s.url}/swift${acct}/imgs/private.txt?${query}`]);
        assert.equal(outside.status, 401);
      });

      it('ISO 8601 expiry, SHA-512 in base64 and SHA-1 hex are accepted', async () => {
        const iso = await tempurl(
          '--iso8601',
          '--digest',
          'sha512',
          'GET',
          '3600',
          `${acct}/imgs/disk.img`,
          'acct-secret',
        );
        assert.match(iso, /temp_url_sig=sha512:/);
        assert.match(iso, /temp_url_expires=\d{4}-\d\d-\d\dT/);
        assert.equal((await curl([`${s.url}/swift${iso}`])).status, 200);
        const expires = Math.floor(Date.now() / 1000) + 600;
        const sig = hmacHex('sha1', 'acct-secret', `GET\n${expires}\n${acct}/imgs/disk.img`);
        const r = await curl([`${s.url}/swift${acct}/imgs/disk.img?temp_url_sig=${sig}&temp_url_expires=${expires}`]);
        assert.equal(r.status, 200);
      });

      it('forged, expired, keyless or foreign-path links are 401 in Swift shape', async () => {
        const link = await tempurl('GET', '3600', `${acct}/imgs/disk.img`, 'acct-secret');
        const forged = link.replace(/temp_url_sig=(.)/, (_m, c: string) => `temp_url_sig=${c === 'a' ? 'b' : 'a'}`);
        const wrongKey = await tempurl('GET', '3600', `${acct}/imgs/disk.img`, 'not-the-key');
        const expired = await tempurl(
          '--absolute',
          'GET',
          String(Math.floor(Date.now() / 1000) - 10),
          `${acct}/imgs/disk.img`,
          'acct-secret',
        );
        const [, query] = link.split('?');
        for (const [what, url] of [
          ['forged', `${s.url}/swift${forged}`],
          ['wrong key', `${s.url}/swift${wrongKey}`],
          ['expired', `${s.url}/swift${expired}`],
          ['another object', `${s.url}/swift${acct}/imgs/private.txt?${query}`],
          ['no expiry', `${s.url}/swift${link.replace(/&temp_url_expires=\d+/, '')}`],
          ['junk signature', `${s.url}/swift${acct}/imgs/disk.img?temp_url_sig=zz&temp_url_expires=9999999999`],
        ]) {
          const r = await curl([url]);
          assert.equal(r.status, 401, what);
          assert.equal(r.body, '401 Unauthorized: Temp URL invalid\n', what);
          assert.match(r.headers['x-trans-id'] ?? '', /^tx/, what);
        }
        const method = await curl(['-X', 'DELETE', `${s.url}/swift${link}`]);
        assert.equal(method.status, 401, 'a GET link does not delete');
        assert.ok(await exists('imgs/disk.img'));
      });

      it('a container key signs for its own container only; keys are shown to the owner alone', async () => {
        assert.equal(
          (await req('POST', `${A()}/other`, { headers: { 'X-Container-Meta-Temp-URL-Key-2': 'box-secret' } })).status,
          204,
        );
        const mine = await tempurl('GET', '3600', `${acct}/other/x.txt`, 'box-secret');
        assert.equal((await curl([`${s.url}/swift${mine}`])).body, 'X');
        const elsewhere = await tempurl('GET', '3600', `${acct}/imgs/disk.img`, 'box-secret');
        assert.equal((await curl([`${s.url}/swift${elsewhere}`])).status, 401);
        const head = await req('HEAD', `${A()}/other`);
        assert.equal(head.header('x-container-meta-temp-url-key-2'), 'box-secret');
        const byBob = await call(s, 'HEAD', `${A()}/other`, { token: bob.token });
        assert.equal(byBob.status, 403);
        assert.equal(byBob.header('x-container-meta-temp-url-key-2'), undefined);
      });
    });

    describe('FormPost', () => {
      const boundary = '----plankton-form-boundary';
      const form = (fields: [string, string][], files: [string, string, Buffer][]) =>
        multipartForm(
          boundary,
          fields,
          files.map(([field, filename, data]) => [field, filename, 'text/plain', data] as const),
        );
      const signedFields = (
        pathSigned: string,
        o: { redirect?: string; maxSize?: number; maxCount?: number; expires?: number; key?: string } = {},
      ): [string, string][] => {
        const redirect = o.redirect ?? '';
        const maxSize = String(o.maxSize ?? 1024);
        const maxCount = String(o.maxCount ?? 5);
        const expires = String(o.expires ?? Math.floor(Date.now() / 1000) + 600);
        const sig = hmacHex(
          'sha256',
          o.key ?? 'acct-secret',
          `${pathSigned}\n${redirect}\n${maxSize}\n${maxCount}\n${expires}`,
        );
        return [
          ['redirect', redirect],
          ['max_file_size', maxSize],
          ['max_file_count', maxCount],
          ['expires', expires],
          ['signature', sig],
        ];
      };
      const post = (p: string, body: Buffer) =>
        call(s, 'POST', p, { headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body });

      it('a signed form uploads its files under the prefix and redirects', async () => {
        const body = form(signedFields(`${acct}/imgs/forms/`, { redirect: 'https://app.example.org/done' }), [
          ['file1', 'one.txt', Buffer.from('first file')],
          ['file2', 'two.txt', Buffer.from('second file')],
        ]);
        const r = await post(`${A()}/imgs/forms/`, body);
        assert.equal(r.status, 303, r.text());
        assert.equal(r.header('location'), 'https://app.example.org/done?status=201&message=');
        assert.equal((await req('GET', `${A()}/imgs/forms/one.txt`)).text(), 'first file');
        assert.equal((await req('GET', `${A()}/imgs/forms/two.txt`)).text(), 'second file');
      });

      it('without redirect: 201 in plain text', async () => {
        const r = await post(`${A()}/imgs`, form(signedFields(`${acct}/imgs`), [['f', 'plain.txt', Buffer.from('p')]]));
        assert.equal(r.status, 201);
        assert.equal(r.text(), '201 Created');
        assert.ok(await exists('imgs/plain.txt'));
      });

      it('expired, forged, over-size and over-count forms write nothing', async () => {
        const files: [string, string, Buffer][] = [
          ['a', 'ok-size.txt', Buffer.from('small')],
          ['b', 'big.txt', Buffer.alloc(2000, 7)],
        ];
        const expired = await post(
          `${A()}/imgs/bad/`,
          form(signedFields(`${acct}/imgs/bad/`, { expires: Math.floor(Date.now() / 1000) - 5 }), files.slice(0, 1)),
        );
        assert.equal(expired.status, 401);
        assert.equal(expired.text(), 'FormPost: Form Expired');
        const forged = await post(
          `${A()}/imgs/bad/`,
          form(signedFields(`${acct}/imgs/bad/`, { key: 'guess' }), files.slice(0, 1)),
        );
        assert.equal(forged.status, 401);
        assert.equal(forged.text(), 'FormPost: Invalid Signature');
        const otherPath = await post(
          `${A()}/imgs/elsewhere/`,
          form(signedFields(`${acct}/imgs/bad/`), files.slice(0, 1)),
        );
        assert.equal(otherPath.status, 401, 'the signature covers the path');
        const big = await post(`${A()}/imgs/bad/`, form(signedFields(`${acct}/imgs/bad/`, { maxSize: 1000 }), files));
        assert.equal(big.status, 400);
        assert.equal(big.text(), 'FormPost: max_file_size exceeded');
        const many = await post(
          `${A()}/imgs/bad/`,
          form(signedFields(`${acct}/imgs/bad/`, { maxCount: 1, maxSize: 4096 }), files),
        );
        assert.equal(many.status, 400);
        assert.match(many.text(), /Max File Count Exceeded/);
        const broken = await call(s, 'POST', `${A()}/imgs/bad/`, {
          headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
          body: `--${boundary}\r\nContent-Disposition: form-data; name="x"\r\n\r\nno end`,
        });
        assert.ok(broken.status >= 400 && broken.status < 500, `broken form → ${broken.status}`);
        const listing = await req('GET', `${A()}/imgs?prefix=bad/&format=json`);
        assert.deepEqual(listing.json(), [], 'no file of a refused form was written');
      });
    });

    describe('bulk delete and archive extraction', () => {
      const tree = (name: string) => fs.mkdirSync(path.join(dir, name), { recursive: true });
      const put = (p: string, file: string, extra: Record<string, string> = {}) =>
        req('PUT', p, { body: fs.readFileSync(file), headers: { Accept: 'application/json', ...extra } });

      it('extracts a tar made with `tar` (plain, gzip, bzip2): files only, symlinks and dirs ignored', async () => {
        tree('t1/docs/sub');
        fs.writeFileSync(path.join(dir, 't1/docs/readme.txt'), 'read me');
        fs.writeFileSync(path.join(dir, 't1/docs/sub/deep.txt'), 'deep');
        fs.symlinkSync('/etc/passwd', path.join(dir, 't1/docs/link'));
        for (const [kind, flag] of [
          ['tar', 'cf'],
          ['tar.gz', 'czf'],
          ['tar.bz2', 'cjf'],
        ]) {
          const file = path.join(dir, `t1.${kind}`);
          await ok('tar', [flag, file, '-C', path.join(dir, 't1'), 'docs']);
          const target = `ex-${kind.replace('.', '-')}`;
          const r = await put(`${A()}/${target}?extract-archive=${kind}`, file);
          assert.equal(r.status, 200, r.text());
          const doc = JSON.parse(r.text());
          assert.equal(doc['Response Status'], '201 Created', r.text());
          assert.equal(doc['Number Files Created'], 2);
          assert.deepEqual(doc.Errors, []);
          assert.equal((await req('GET', `${A()}/${target}/docs/readme.txt`)).text(), 'read me');
          assert.equal((await req('GET', `${A()}/${target}/docs/sub/deep.txt`)).text(), 'deep');
          assert.equal((await req('HEAD', `${A()}/${target}/docs/link`)).status, 404, 'a symlink is not followed');
        }
        // At the account: the first segment names the container, created as needed.
        const file = path.join(dir, 't1-account.tar');
        await ok('tar', ['cf', file, '-C', path.join(dir, 't1'), 'docs']);
        const r = await req('PUT', `${A()}?extract-archive=tar`, { body: fs.readFileSync(file) });
        assert.equal(r.status, 200);
        assert.match(r.text(), /Number Files Created: 2\nResponse Body: \nResponse Status: 201 Created\nErrors:\n$/);
        assert.equal((await req('GET', `${A()}/docs/sub/deep.txt`)).text(), 'deep');
      });

      it('`..` and absolute entries are refused per entry, the rest created', async () => {
        tree('t2/inner');
        fs.writeFileSync(path.join(dir, 't2/inner/good.txt'), 'good');
        fs.writeFileSync(path.join(dir, 't2/evil.txt'), 'evil');
        fs.writeFileSync(path.join(dir, 't2/abs.txt'), 'absolute');
        const file = path.join(dir, 't2.tar');
        // -P keeps `../` and leading `/` in member names, as a hostile archive would have them.
        await ok(
          'tar',
          ['cPf', file, 'good.txt', '../evil.txt', path.join(dir, 't2/abs.txt')],
          path.join(dir, 't2/inner'),
        );
        const listing = await ok('tar', ['tf', file]);
        assert.match(listing, /^\.\.\/evil\.txt$/m);
        assert.match(listing, /^\//m);
        const r = await put(`${A()}/escape?extract-archive=tar`, file);
        assert.equal(r.status, 200);
        const doc = JSON.parse(r.text());
        assert.equal(doc['Number Files Created'], 1);
        assert.equal(doc['Response Status'], '400 Bad Request');
        assert.equal(doc.Errors.length, 2);
        for (const [, status] of doc.Errors) assert.equal(status, '400 Bad Request');
        assert.equal((await req('GET', `${A()}/escape/good.txt`)).text(), 'good');
        const names = (await req('GET', `${A()}/escape?format=json`)).json().map((o: { name: string }) => o.name);
        assert.deepEqual(names, ['good.txt']);
      });

      it('tar bombs (too many bytes, too many files) and broken archives are 4xx and write nothing', async () => {
        tree('t3');
        fs.writeFileSync(path.join(dir, 't3/zeros.bin'), Buffer.alloc(MAX_UPLOAD + 1024 * 1024));
        const bomb = path.join(dir, 'bomb.tar.gz');
        await ok('tar', ['czf', bomb, '-C', path.join(dir, 't3'), 'zeros.bin']);
        assert.ok(fs.statSync(bomb).size < 100_000, 'a small archive that expands past the limit');
        const big = await put(`${A()}/bomb?extract-archive=tar.gz`, bomb);
        assert.equal(big.status, 413);
        assert.match(JSON.parse(big.text())['Response Body'], /Invalid Tar File/);
        const whole = fs.readFileSync(path.join(dir, 't1.tar.gz'));
        const broken = await req('PUT', `${A()}/bomb?extract-archive=tar.gz`, {
          body: whole.subarray(0, whole.length >> 1),
        });
        assert.equal(broken.status, 400);
        assert.match(broken.text(), /Invalid Tar File/);
        const junk = await req('PUT', `${A()}/bomb?extract-archive=tar`, { body: Buffer.alloc(1024, 0x41) });
        assert.equal(junk.status, 400);
        const format = await req('PUT', `${A()}/bomb?extract-archive=zip`, { body: 'x' });
        assert.equal(format.status, 400);
        assert.equal(format.text(), 'Unsupported archive format');
        assert.equal((await req('HEAD', `${A()}/bomb`)).status, 404, 'not even the container was made');
      });

      it('2,000 files from one tar; bulk delete of 10,000 paths with bad ones mixed in; over 10,000 refused', async () => {
        // 2,000 objects exist; the other paths of the 10,000 are names never made (Number Not Found):
        // every path is still looked up, and CI's loaded PostgreSQL stays within minutes.
        const n = 2_000;
        const named = 9_995;
        tree('t4/many');
        for (let i = 0; i < n; i++) fs.writeFileSync(path.join(dir, `t4/many/f${String(i).padStart(5, '0')}`), ''); // empty: the work measured is metadata
        const file = path.join(dir, 'many.tar');
        await ok('tar', ['cf', file, '-C', path.join(dir, 't4'), 'many']);
        const made = await put(`${A()}/bulk?extract-archive=tar`, file);
        assert.equal(made.status, 200);
        assert.equal(JSON.parse(made.text())['Number Files Created'], n, made.text());

        // One more file than an archive may hold: refused whole.
        for (let i = n; i < 10_001; i++) fs.writeFileSync(path.join(dir, `t4/many/f${String(i).padStart(5, '0')}`), '');
        const tooMany = path.join(dir, 'too-many.tar');
        await ok('tar', ['cf', tooMany, '-C', path.join(dir, 't4'), 'many']);
        const refused = await put(`${A()}/bulk2?extract-archive=tar`, tooMany);
        assert.equal(refused.status, 400);
        assert.match(JSON.parse(refused.text())['Response Body'], /more than 10000 files/);
        assert.equal((await req('HEAD', `${A()}/bulk2`)).status, 404);

        const paths = Array.from({ length: named }, (_, i) => `/bulk/many/f${String(i).padStart(5, '0')}`);
        const bad = [
          '/bulk/many/never-there', // not found
          '/bulk/%FF%FE', // not UTF-8
          `/bulk/${'x'.repeat(1100)}`, // name too long
          '/imgs', // a container with objects: 409
          '/nosuch-container/obj', // not found
        ];
        const body = [...paths.slice(0, 5000), ...bad, ...paths.slice(5000)].join('\n');
        const tooLong = await req('POST', `${A()}?bulk-delete`, {
          headers: { 'Content-Type': 'text/plain', Accept: 'application/json' },
          body: `${body}\n/bulk/one-more`,
        });
        assert.equal(tooLong.status, 413);
        assert.equal(JSON.parse(tooLong.text())['Response Body'], 'Maximum Bulk Deletes: 10000 per request');
        assert.ok(await exists('bulk/many/f00000'), 'nothing deleted by a refused request');

        const r = await req('POST', `${A()}?bulk-delete`, {
          headers: { 'Content-Type': 'text/plain', Accept: 'application/json' },
          body,
        });
        assert.equal(r.status, 200);
        const doc = JSON.parse(r.text());
        assert.equal(doc['Number Deleted'], n, r.text().slice(0, 500));
        assert.equal(doc['Number Not Found'], named - n + 2);
        assert.equal(doc['Response Status'], '400 Bad Request');
        const statuses = Object.fromEntries(doc.Errors.map(([p, st]: [string, string]) => [p.slice(0, 20), st]));
        assert.deepEqual(statuses, {
          '/bulk/%FF%FE': '412 Precondition Failed',
          [`/bulk/${'x'.repeat(14)}`]: '400 Bad Request',
          '/imgs': '409 Conflict',
        });
        assert.deepEqual((await req('GET', `${A()}/bulk?format=json`)).json(), []);
        assert.ok(await exists('imgs/disk.img'));
      });

      it('results in XML and plain text; another user deletes nothing of mine', async () => {
        assert.equal((await req('PUT', `${A()}/xmlc/a`, { body: 'a' })).status, 404);
        await req('PUT', `${A()}/xmlc`);
        await req('PUT', `${A()}/xmlc/a`, { body: 'a' });
        await req('PUT', `${A()}/xmlc/b&c`, { body: 'b' });
        const xml = await req('DELETE', `${A()}?bulk-delete`, {
          headers: { 'Content-Type': 'text/plain', Accept: 'application/xml' },
          body: '/xmlc/a\n/xmlc/gone',
        });
        assert.equal(xml.status, 200);
        assert.match(xml.header('content-type') ?? '', /^application\/xml/);
        assert.equal(
          xml.text(),
          '<delete>\n<number_deleted>1</number_deleted>\n<number_not_found>1</number_not_found>\n<response_body></response_body>\n<response_status>200 OK</response_status>\n<errors>\n</errors>\n</delete>\n',
        );
        const byBob = await call(s, 'POST', `${A()}?bulk-delete`, { token: bob.token, body: '/xmlc/b%26c' });
        assert.equal(byBob.status, 403);
        assert.ok(await exists('xmlc/b&c'));
        const plain = await req('POST', `${A()}?bulk-delete`, { body: '/xmlc/b%26c\n/xmlc' });
        assert.equal(plain.status, 200);
        assert.equal(
          plain.text(),
          'Number Deleted: 2\nNumber Not Found: 0\nResponse Body: \nResponse Status: 200 OK\nErrors:\n',
        );
        assert.equal((await req('HEAD', `${A()}/xmlc`)).status, 404, 'objects first, then the emptied container');
      });

      it('`swift delete <container>` uses bulk delete, as /info announces it', async () => {
        await req('PUT', `${A()}/cli`);
        // swiftclient deletes one by one below 2 × its 10 threads; from 20 objects on it asks /info.
        for (let i = 0; i < 25; i++) await req('PUT', `${A()}/cli/${i % 2 ? 'dir/' : ''}o${i}`, { body: String(i) });
        const r = await run(SWIFT, [
          '--debug',
          `--os-storage-url=${s.url}${A()}`,
          `--os-auth-token=${alice.token}`,
          'delete',
          'cli',
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /bulk-delete/, 'the client sent a bulk delete');
        assert.equal((await req('HEAD', `${A()}/cli`)).status, 404);
      });
    });
  });
}
