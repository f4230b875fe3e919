/**
 * Uploads (spec/object-store.md §5.4, §7.3; spec/hashing.md): the hashmap protocol and raw PUTs
 * with the spec's hash vectors, ETag checks, the block POST limit, concurrent uploads sharing
 * blocks (each block stored once) and interrupted uploads (nothing committed, no temp files).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { loadHashVectors, vectorInput } from './helpers/block-store-conformance.ts';
import { rawRequest } from './helpers/raw-http.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';
import {
  BLOCK,
  EMPTY_SHA256,
  JSON_TYPE,
  Store,
  assertFault,
  blockFiles,
  blockHashOf,
  bytesOf,
  eventually,
  md5,
  merkle,
  p,
  sha256,
  splitBlocks,
  tmpFiles,
} from './helpers/object-store.ts';

const VECTORS = loadHashVectors();

for (const dialect of DIALECTS) {
  describe(`object store: uploads with the hash vectors [${dialect}]`, () => {
    let s: TestServer;
    let alice: Store;
    let A: string;
    before(async () => {
      s = await startTestServer(dialect);
      alice = new Store(s, await s.user());
      A = alice.uuid;
      await alice.putContainer('v');
    });
    after(() => s.close());

    it('hashmap PUT → 409 missing → block POSTs → 201 with ETag = X-Object-Hash = top hash; reads back byte-exact', async () => {
      const known = new Set<string>();
      for (const v of VECTORS) {
        const input = vectorInput(v);
        assert.equal(sha256(input), v.input_sha256, `${v.name}: input rebuilt`);
        const blocks = splitBlocks(input);
        const url = p(A, 'v', `hm/${v.name}`, 'hashmap=True&format=json');
        const body = JSON.stringify({ hashes: v.block_hashes, bytes: v.bytes });
        const headers = { 'Content-Type': 'application/octet-stream' };
        const first = await alice.req('PUT', url, { body, headers });
        // What must be asked for: every block not stored yet, in hashmap order, each once. (The empty
        // block holds no bytes; a server may or may not ask for it.)
        const expected = [...new Set(v.block_hashes.filter((h) => !known.has(h) && h !== EMPTY_SHA256))];
        if (first.status === 409) {
          assert.equal(first.header('content-type'), JSON_TYPE, v.name);
          const missing: string[] = first.json();
          assert.deepEqual(
            missing.filter((h) => h !== EMPTY_SHA256),
            expected,
            `${v.name}: 409 list`,
          );
          assert.equal(
            (await alice.req('HEAD', p(A, 'v', `hm/${v.name}`))).status,
            404,
            `${v.name}: a 409 creates nothing`,
          );
          assert.equal(new Set(missing).size, missing.length);
          const sent = await Promise.all(
            missing.map(async (h) => {
              const r = await alice.req('POST', p(A, 'v', undefined, 'update&format=json'), {
                body: blocks[v.block_hashes.indexOf(h)],
                headers: { 'Content-Type': 'application/octet-stream' },
              });
              assert.equal(r.status, 202, `${v.name}: block POST`);
              assert.equal(r.header('content-type'), JSON_TYPE);
              return r.json()[0];
            }),
          );
          assert.deepEqual(sent, missing, `${v.name}: each block POST answers its hash`);
          for (const h of missing) known.add(h);
        } else {
          assert.equal(first.status, 201, `${v.name}: ${first.status} ${first.text()}`);
          assert.deepEqual(expected, [], `${v.name}: 201 at once only when every block is known`);
        }
        const put = first.status === 201 ? first : await alice.req('PUT', url, { body, headers });
        assert.equal(put.status, 201, `${v.name}: ${put.text()}`);
        assert.equal(put.body.length, 0);
        assert.equal(put.header('etag'), v.top_hash, `${v.name}: ETag is the object hash (MD5 unknown)`);
        assert.ok(put.header('x-object-version'));

        const h = await alice.req('HEAD', p(A, 'v', `hm/${v.name}`));
        assert.equal(h.header('x-object-hash'), v.top_hash, v.name);
        assert.equal(h.header('etag'), v.top_hash);
        assert.equal(h.header('content-length'), String(v.bytes));
        const hm = (await alice.req('GET', p(A, 'v', `hm/${v.name}`, 'hashmap=True&format=json'))).json();
        assert.deepEqual(
          hm,
          { block_size: BLOCK, block_hash: 'sha256', bytes: v.bytes, hashes: v.stored_hashmap },
          v.name,
        );
        const data = await alice.req('GET', p(A, 'v', `hm/${v.name}`, 'format=json'));
        assert.equal(data.status, 200);
        assert.equal(data.body.length, v.bytes, v.name);
        assert.equal(sha256(data.body), v.input_sha256, `${v.name}: byte-identical`);
      }
      // kamaki sends an empty file as hashes []; [sha256("")] means the same.
      const empty = await alice.req('PUT', p(A, 'v', 'hm/empty2', 'hashmap'), {
        body: JSON.stringify({ bytes: 0, hashes: [EMPTY_SHA256] }),
      });
      assert.equal(empty.status, 201);
      assert.deepEqual((await alice.req('GET', p(A, 'v', 'hm/empty2', 'hashmap'))).json().hashes, [EMPTY_SHA256]);

      const listing = (await alice.req('GET', p(A, 'v', undefined, 'format=json&prefix=hm/'))).json();
      assert.equal(listing.length, VECTORS.length + 1);
      for (const e of listing) assert.equal(e.hash, '', `${e.name}: a hashmap upload has no MD5`);
    });

    it('raw PUT of every vector gives the same X-Object-Hash and hashmap, and the MD5 as ETag', async () => {
      for (const v of VECTORS) {
        const input = vectorInput(v);
        const put = await alice.req('PUT', p(A, 'v', `raw/${v.name}`), { body: input, headers: { ETag: v.md5 } });
        assert.equal(put.status, 201, `${v.name}: ${put.text()}`);
        assert.equal(put.header('etag'), v.md5, v.name);
        const h = await alice.req('HEAD', p(A, 'v', `raw/${v.name}`));
        assert.equal(h.header('x-object-hash'), v.top_hash, v.name);
        assert.equal(h.header('etag'), v.md5);
        const hm = (await alice.req('GET', p(A, 'v', `raw/${v.name}`, 'hashmap'))).json();
        assert.deepEqual(hm.hashes, v.stored_hashmap, v.name);
        assert.equal(hm.bytes, v.bytes);
        if (v.bytes <= 2 * BLOCK) {
          const data = await alice.req('GET', p(A, 'v', `raw/${v.name}`));
          assert.equal(sha256(data.body), v.input_sha256, `${v.name}: byte-identical`);
        }
      }
      const listing = (await alice.req('GET', p(A, 'v', undefined, 'format=json&prefix=raw/'))).json();
      for (const e of listing) assert.equal(e.hash, VECTORS.find((v) => `raw/${v.name}` === e.name)!.md5);

      // Block boundaries do not depend on how the body arrives.
      const v = VECTORS.find((x) => x.name === 'three_blocks_minus_7')!;
      const chunked = await alice.req('PUT', p(A, 'v', 'raw/chunked'), { body: vectorInput(v), chunked: 1_000_003 });
      assert.equal(chunked.status, 201);
      assert.equal(chunked.header('etag'), v.md5);
      assert.deepEqual((await alice.req('GET', p(A, 'v', 'raw/chunked', 'hashmap'))).json().hashes, v.stored_hashmap);
    });

    it('ETag mismatch on a raw PUT → 422 and nothing is stored', async () => {
      const data = bytesOf('etag', BLOCK + 10);
      const bad = await alice.req('PUT', p(A, 'v', 'etag/new'), {
        body: data,
        headers: { ETag: '0123456789abcdef0123456789abcdef' },
      });
      assertFault(bad, 422, 'Object ETag does not match');
      assert.equal((await alice.req('HEAD', p(A, 'v', 'etag/new'))).status, 404);

      const first = await alice.put('v', 'etag/existing', 'original');
      const over = await alice.req('PUT', p(A, 'v', 'etag/existing'), {
        body: data,
        headers: { ETag: md5('something else') },
      });
      assertFault(over, 422, 'Object ETag does not match');
      const h = await alice.req('HEAD', p(A, 'v', 'etag/existing'));
      assert.equal(h.header('x-object-version'), first.header('x-object-version'));
      assert.equal((await alice.req('GET', p(A, 'v', 'etag/existing'))).text(), 'original');

      for (const etag of [`"${md5(data)}"`, md5(data).toUpperCase()]) {
        const ok = await alice.req('PUT', p(A, 'v', 'etag/new'), { body: data, headers: { ETag: etag } });
        assert.equal(ok.status, 201, etag);
        assert.equal(ok.header('etag'), md5(data));
      }
    });

    it('block POST: 202 [hash] as JSON; trailing NULs trimmed; > 4 MiB → 413 and nothing stored; empty chunked → 202 []', async () => {
      for (const query of ['update', 'update&format=json', 'format=xml&update']) {
        const r = await alice.req('POST', p(A, 'v', undefined, query), {
          body: Buffer.from('abc\0\0\0'),
          headers: { 'Content-Type': 'application/octet-stream' },
        });
        assert.equal(r.status, 202, query);
        assert.equal(r.header('content-type'), JSON_TYPE);
        assert.deepEqual(r.json(), [sha256('abc')]);
      }
      const before = blockFiles(s.dataDir);
      const tooBig = bytesOf('too big', BLOCK + 1);
      // Declared too large: refused before the body is read.
      const declared = await rawRequest(
        s.url,
        [
          `POST ${p(A, 'v', undefined, 'update')} HTTP/1.1`,
          `Host: x`,
          `X-Auth-Token: ${alice.user.token}`,
          'Content-Type: application/octet-stream',
          `Content-Length: ${tooBig.length}`,
          '',
          'partial body',
        ].join('\r\n'),
      );
      assert.equal(declared.status, 413);
      assert.deepEqual(JSON.parse(declared.body.toString()), {
        requestEntityTooLarge: { code: 413, message: 'Block size exceeds 4194304 bytes', details: '' },
      });
      // Chunked: found while reading.
      const chunked = await alice
        .req('POST', p(A, 'v', undefined, 'update'), {
          body: tooBig,
          chunked: 1 << 20,
          headers: { 'Content-Type': 'application/octet-stream' },
        })
        .catch((err: NodeJS.ErrnoException) => err);
      if (!(chunked instanceof Error)) assertFault(chunked, 413, 'Block size exceeds 4194304 bytes');
      else assert.match(String(chunked.code), /EPIPE|ECONNRESET/);
      assert.ok(await eventually(() => tmpFiles(s.dataDir).length === 0));
      assert.deepEqual(blockFiles(s.dataDir), before, 'no block stored');
      const probe = await alice.req('PUT', p(A, 'v', 'probe', 'hashmap'), {
        body: JSON.stringify({ bytes: BLOCK, hashes: [blockHashOf(tooBig.subarray(0, BLOCK))] }),
      });
      assert.equal(probe.status, 409, 'the first 4 MiB were not stored either');

      const empty = await alice.req('POST', p(A, 'v', undefined, 'update'), {
        body: '',
        chunked: 1,
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(empty.status, 202);
      assert.deepEqual(empty.json(), []);
      const exactly = await alice.req('POST', p(A, 'v', undefined, 'update'), {
        body: tooBig.subarray(0, BLOCK),
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(exactly.status, 202, 'exactly one block is fine');
      assert.deepEqual(exactly.json(), [blockHashOf(tooBig.subarray(0, BLOCK))]);
    });

    it('hashmap PUT: upper-case hashes are lower-cased, bytes may be a decimal string', async () => {
      const hello = VECTORS.find((v) => v.name === 'hello')!;
      const r = await alice.req('PUT', p(A, 'v', 'upper', 'hashmap'), {
        body: JSON.stringify({ bytes: '5', hashes: hello.block_hashes.map((h) => h.toUpperCase()) }),
      });
      assert.equal(r.status, 201, r.text());
      assert.equal(r.header('etag'), hello.top_hash);
      assert.equal((await alice.req('GET', p(A, 'v', 'upper'))).text(), 'hello');
      // Detected by the query key, whatever the Content-Type.
      const typed = await alice.req('PUT', p(A, 'v', 'typed', 'format=json&hashmap'), {
        body: JSON.stringify({ bytes: 5, hashes: hello.block_hashes }),
        headers: { 'Content-Type': 'text/plain' },
      });
      assert.equal(typed.status, 201);
      assert.equal((await alice.req('HEAD', p(A, 'v', 'typed'))).header('content-length'), '5');
    });
  });

  describe(`object store: concurrent and interrupted uploads [${dialect}]`, () => {
    let s: TestServer;
    let alice: Store;
    let A: string;
    before(async () => {
      s = await startTestServer(dialect);
      alice = new Store(s, await s.user());
      A = alice.uuid;
      await alice.putContainer('par');
    });
    after(() => s.close());

    it('20 parallel uploads (raw and hashmap) of overlapping content: all intact, each distinct block stored once', async () => {
      // Full 4 MiB blocks shared between the big objects; small objects share blocks with each other
      // and with the big objects' tails, some only up to trailing NULs (same stored block).
      const pool = Array.from({ length: 3 }, (_, i) => bytesOf(`pool-${i}`, BLOCK));
      pool[2].fill(0, BLOCK - 1000); // a block that ends in NULs
      const tails = [bytesOf('tail-0', 1000), bytesOf('tail-1', 2000), bytesOf('tail-2', 3000)];
      const objects = Array.from({ length: 20 }, (_, j) => {
        const tail = tails[j % 3];
        switch (j % 4) {
          case 0:
            return Buffer.concat([pool[j % 3], pool[(j + 1) % 3], tail]);
          case 1:
            return Buffer.concat([pool[j % 3], tail]);
          case 2:
            return tail;
          default:
            return Buffer.concat([tail, Buffer.alloc(j)]);
        }
      });
      const expectedBlocks = new Set(objects.flatMap((o) => splitBlocks(o).map(blockHashOf)));

      const replies = await Promise.all(
        objects.map(async (data, j) => {
          if (j % 2 === 0) {
            return alice.req('PUT', p(A, 'par', `o${j}`), { body: data, ...(j % 4 === 0 ? { chunked: 65536 } : {}) });
          }
          return (await alice.hashmapUpload('par', `o${j}`, data)).reply;
        }),
      );
      replies.forEach((r, j) => {
        assert.equal(r.status, 201, `o${j}: ${r.status} ${r.text()}`);
      });

      for (const [j, data] of objects.entries()) {
        const g = await alice.req('GET', p(A, 'par', `o${j}`));
        assert.equal(g.status, 200);
        assert.equal(g.body.length, data.length, `o${j}`);
        assert.ok(g.body.equals(data), `o${j} reads back intact`);
        const hashes = splitBlocks(data).map(blockHashOf);
        assert.equal(g.header('x-object-hash'), merkle(hashes), `o${j}`);
        assert.equal(g.header('etag'), j % 2 === 0 ? md5(data) : merkle(hashes));
      }
      const files = blockFiles(s.dataDir);
      assert.deepEqual(files, [...expectedBlocks].sort(), 'each distinct block stored exactly once, nothing else');
      assert.ok(await eventually(() => tmpFiles(s.dataDir).length === 0), 'no temp files left');
      const h = await alice.req('HEAD', p(A, 'par'));
      assert.equal(h.header('x-container-object-count'), '20');
      assert.equal(h.header('x-container-bytes-used'), String(objects.reduce((n, o) => n + o.length, 0)));
    });

    it('parallel PUTs of one new container: exactly one 201, the others 202', async () => {
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          alice.req('PUT', p(A, 'race'), { headers: { [`X-Container-Meta-K${i}`]: String(i) } }),
        ),
      );
      assert.deepEqual(replies.map((r) => r.status).sort(), [201, ...Array(9).fill(202)]);
      const h = await alice.req('HEAD', p(A, 'race'));
      for (let i = 0; i < 10; i++)
        assert.equal(h.header(`x-container-meta-k${i}`), String(i), 'every PUT merged its meta');
    });

    it('parallel meta POSTs with ?update: no change is lost (object, container, account)', async () => {
      await alice.putContainer('race');
      await alice.put('par', 'meta-race', 'x');
      const targets = [
        p(A, 'par', 'meta-race', 'update'),
        p(A, 'race', undefined, 'update'),
        p(A, undefined, undefined, 'update'),
      ];
      const domains = ['Object', 'Container', 'Account'];
      await Promise.all(
        targets.flatMap((target, t) =>
          Array.from({ length: 8 }, (_, i) =>
            alice
              .req('POST', target, { headers: { [`X-${domains[t]}-Meta-P${i}`]: String(i) } })
              .then((r) => assert.equal(r.status, 202)),
          ),
        ),
      );
      for (const [t, target] of targets.entries()) {
        const h = await alice.req('HEAD', target.replace(/\?update$/, ''));
        for (let i = 0; i < 8; i++)
          assert.equal(h.header(`x-${domains[t].toLowerCase()}-meta-p${i}`), String(i), `${domains[t]} P${i}`);
      }
      // Sharing changes in parallel: each one whole, the last one standing.
      const other = await s.user();
      const values = ['read=*', `read=${other.uuid}`, `write=${other.uuid}`, `read=${other.uuid},*; write=${A}`, ''];
      const replies = await Promise.all(
        values.map((v) =>
          alice.req('POST', targets[0], {
            headers: { 'X-Object-Sharing': v, 'X-Object-Public': v ? 'true' : 'false' },
          }),
        ),
      );
      for (const r of replies) assert.equal(r.status, 202, r.text());
      const sharing = (await alice.req('HEAD', p(A, 'par', 'meta-race'))).header('x-object-sharing');
      assert.ok(
        [undefined, 'read=%2A', `read=${other.uuid}`, `write=${other.uuid}`, `read=%2A; write=${A}`].includes(sharing),
        sharing,
      );
    });

    it('an interrupted raw PUT commits nothing and leaves no temp files', async () => {
      await alice.put('par', 'kept', 'the old content');
      const interrupted = async (name: string, chunked: boolean) => {
        const { hostname, port } = new URL(s.url);
        const socket = net.connect(Number(port), hostname);
        await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
        socket.on('error', () => undefined);
        const head = [
          `PUT ${p(A, 'par', name)} HTTP/1.1`,
          'Host: x',
          `X-Auth-Token: ${alice.user.token}`,
          chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${3 * BLOCK}`,
          '',
          '',
        ].join('\r\n');
        socket.write(head);
        const part = bytesOf(`interrupted-${name}`, BLOCK + BLOCK / 2); // one whole block reaches the block store
        if (chunked) socket.write(`${part.length.toString(16)}\r\n`);
        await new Promise<void>((resolve) => socket.write(part, () => resolve()));
        await new Promise((r) => setTimeout(r, 300));
        socket.destroy();
        return part;
      };
      for (const [name, chunked] of [
        ['cut-length', false],
        ['cut-chunked', true],
        ['kept', false],
      ] as const) {
        await interrupted(name, chunked);
        assert.ok(await eventually(() => tmpFiles(s.dataDir).length === 0), `${name}: no temp files`);
        await new Promise((r) => setTimeout(r, 200));
        if (name === 'kept') {
          const g = await alice.req('GET', p(A, 'par', 'kept'));
          assert.equal(g.text(), 'the old content', 'an interrupted overwrite changes nothing');
        } else {
          const h = await alice.req('HEAD', p(A, 'par', name));
          assert.equal(h.status, 404, `${name}: nothing committed`);
        }
      }
      // On a loaded machine the server may still be writing the cut request's block when the check
      // above ran (it saw no temp file yet): wait for the cleanup rather than look once.
      assert.ok(
        await eventually(() => tmpFiles(s.dataDir).length === 0),
        `no temp files left: ${tmpFiles(s.dataDir).join(', ')}`,
      );
      const listing = (await alice.req('GET', p(A, 'par', undefined, 'format=json&prefix=cut'))).json();
      assert.deepEqual(listing, []);
    });
  });
}
