import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { blockHash } from '../src/domain/hashing.ts';
import { LocalBlockStore } from '../src/storage/blocks/local-block-store.ts';
import { openBlockStore } from '../src/storage/blocks/open-block-store.ts';
import { CliError } from '../src/errors.ts';
import { runBlockStoreConformance } from './helpers/block-store-conformance.ts';

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'plankton-blocks-'));
  temps.push(dir);
  return dir;
}
after(async () => {
  for (const dir of temps) await fs.rm(dir, { recursive: true, force: true });
});

runBlockStoreConformance('local folder', async () => openBlockStore(path.join(await tempDir(), 'blocks')));

describe('LocalBlockStore', () => {
  it('stores a block at <root>/<h[0..2]>/<h[2..4]>/<h> and leaves no temp file', async () => {
    const root = await tempDir();
    const store = new LocalBlockStore(root);
    const data = Buffer.from('layout');
    const hash = blockHash(data);
    await store.put(hash, data);
    assert.deepEqual(await fs.readFile(path.join(root, hash.slice(0, 2), hash.slice(2, 4), hash)), data);
    assert.deepEqual(await fs.readdir(path.join(root, '.tmp')), []);
  });

  it('sweep() removes what an interrupted put left in .tmp', async () => {
    const root = await tempDir();
    const store = new LocalBlockStore(root);
    await fs.mkdir(path.join(root, '.tmp'));
    await fs.writeFile(path.join(root, '.tmp', `${'a'.repeat(64)}.123.abcdef`), 'torn');
    await fs.writeFile(path.join(root, '.tmp', 'other'), 'torn');
    assert.equal(await store.sweep(), 2);
    assert.deepEqual(await fs.readdir(path.join(root, '.tmp')), []);
    assert.equal(await store.sweep(), 0);
    // list() never reports temp files.
    for await (const entry of store.list()) assert.fail(`unexpected ${entry.hash}`);
  });

  it('sweep() spares the temp files of other live writers (several nodes on one folder)', async () => {
    const root = await tempDir();
    const store = new LocalBlockStore(root);
    const tmp = path.join(root, '.tmp');
    await fs.mkdir(tmp);
    const host = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
    const other = host === 'ffffffff' ? 'eeeeeeee' : 'ffffffff';
    const dead = spawnSync(process.execPath, ['-e', '0']).pid; // exited: its pid names no process now
    const name = (tag: string, pid: number) => `${'b'.repeat(64)}.${tag}-${pid}.${randomBytes(4).toString('hex')}`;
    const kept = [name(host, process.ppid), name(other, 42)];
    const swept = [name(host, process.pid), name(host, dead), name(other, 43)];
    for (const n of [...kept, ...swept]) await fs.writeFile(path.join(tmp, n), 'partial');
    const old = new Date(Date.now() - 2 * 3600_000);
    await fs.utimes(path.join(tmp, swept[2]), old, old); // another host's, older than any put
    assert.equal(await store.sweep(), swept.length);
    assert.deepEqual((await fs.readdir(tmp)).sort(), [...kept].sort());
  });

  it('a batch whose process is killed before durable() leaves whole blocks and temp files only; sweep removes the temps', async (t) => {
    const root = await tempDir();
    const writer = new URL('../src/storage/blocks/local-block-store.ts', import.meta.url).href;
    // The child puts 48 fresh 1 MiB blocks in one batch and says so once every put has resolved
    // (bytes handed to the kernel); it is killed before durable(). The fsyncs of its last 8 blocks
    // never finish (a disk slower than the kill), so those are certainly still temp files.
    const script = `
      import { createHash, randomBytes } from 'node:crypto';
      import fs from 'node:fs/promises';
      import { LocalBlockStore } from ${JSON.stringify(writer)};
      const probe = await fs.open(${JSON.stringify(path.join(root, 'probe'))}, 'w');
      const FileHandle = Object.getPrototypeOf(probe);
      await probe.close();
      const datasync = FileHandle.datasync;
      let stall = false;
      FileHandle.datasync = function () { return stall ? new Promise(() => undefined) : datasync.call(this); };
      const batch = new LocalBlockStore(${JSON.stringify(root)}).openBatch();
      const hashes = [];
      for (let i = 0; i < 48; i++) {
        if (i === 40) stall = true;
        const data = randomBytes(1 << 20);
        data[data.length - 1] = 1;
        const hash = createHash('sha256').update(data).digest('hex');
        hashes.push(hash);
        await batch.put(hash, data);
      }
      process.stdout.write(JSON.stringify(hashes) + '\\n');
      setInterval(() => undefined, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const hashes = await new Promise<string[]>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk;
        if (out.includes('\n')) resolve(JSON.parse(out) as string[]);
      });
      child.on('exit', (code) => reject(new Error(`writer exited (${code}) before its puts resolved`)));
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const store = new LocalBlockStore(root);
    const underFinalName = new Set<string>();
    for await (const { hash } of store.list()) {
      const bytes = await store.get(hash);
      assert.ok(bytes, `listed block ${hash} reads`);
      assert.equal(blockHash(bytes), hash, 'a block under its final name is whole: its bytes hash to its name');
      underFinalName.add(hash);
    }
    const temps = await fs.readdir(path.join(root, '.tmp'));
    for (const t of temps)
      assert.match(t, new RegExp(`^[0-9a-f]{64}\\.[0-9a-f]{8}-${child.pid}\\.`), 'a temp file of the killed writer');
    for (const h of underFinalName) assert.ok(hashes.includes(h), 'only blocks the writer put');
    for (const h of hashes.slice(40)) assert.ok(!underFinalName.has(h), 'a block not synced is not under its name');
    assert.ok(temps.length >= 8, 'the blocks not synced are temp files');
    t.diagnostic(`${underFinalName.size} blocks under their final name, ${temps.length} temp files`);
    assert.equal(await store.sweep(), temps.length, 'sweep removes every temp file of the dead writer');
    assert.deepEqual(await fs.readdir(path.join(root, '.tmp')), []);
    for await (const { hash } of store.list()) assert.ok(underFinalName.has(hash), 'sweep touched no block');
  });

  it('sweep() of a store that never wrote is 0', async () => {
    assert.equal(await new LocalBlockStore(path.join(await tempDir(), 'none')).sweep(), 0);
  });

  it('refuses a hash that is not 64 lower-case hex before touching the file system', async () => {
    const root = await tempDir();
    const store = new LocalBlockStore(path.join(root, 'blocks'));
    const good = blockHash(Buffer.from('x'));
    for (const bad of [
      good.toUpperCase(),
      good.slice(1),
      `${good}0`,
      `../../${good.slice(6)}`,
      `${good.slice(0, 63)}g`,
    ]) {
      await assert.rejects(
        store.put(bad, Buffer.from('x')),
        (err: Error) => err.constructor === Error && /block hash/.test(err.message),
      );
      await assert.rejects(store.get(bad), /block hash/);
    }
    assert.deepEqual(await fs.readdir(root), [], 'nothing was created');
  });

  it('openBlockStore turns an unusable folder into one CliError line', async () => {
    const file = path.join(await tempDir(), 'a-file');
    await fs.writeFile(file, '');
    await assert.rejects(
      openBlockStore(path.join(file, 'blocks')),
      (err: Error) => err instanceof CliError && !err.message.includes('\n'),
    );
    await assert.rejects(openBlockStore('ftp://example.org/blocks'), CliError);
  });
});
