import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
