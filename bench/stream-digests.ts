/**
 * Upload throughput of the block writer with more whole-stream digests: N MiB of distinct blocks,
 * in 64 KiB chunks (as a socket delivers them), through `writeBlocks` into a temp local block
 * store (or a store that drops blocks, `--store null`, to see the hashing alone). Not part of
 * `npm run bench`; run by hand:
 *
 *   node --import tsx bench/stream-digests.ts [--mib 1024] [--runs 3] [--store local|null] [--src DIR]
 *
 * `--src` points at another checkout's `src/` to measure it with the same script. Prints, per
 * run and best of the runs for `md5` and for `md5,sha512`: MiB/s of wall time, and MiB per
 * CPU-second of the whole process (every thread), which a busy shared machine disturbs less.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BlockStore } from '../src/storage/blocks/block-store.ts';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    store: { type: 'string', default: 'local' },
    src: { type: 'string', default: path.join(import.meta.dirname, '../src') },
  },
});
const src = path.resolve(values.src);
const { writeBlocks } = await import(pathToFileURL(path.join(src, 'domain/objects/block-writer.ts')).href);
const { LocalBlockStore } = await import(pathToFileURL(path.join(src, 'storage/blocks/local-block-store.ts')).href);

const BLOCK = 4 * 1024 * 1024;
const CHUNK = 64 * 1024;
const pattern = randomBytes(BLOCK);

/** `mib` MiB where every 4 MiB block differs (its first bytes count blocks), so no block dedupes. */
async function* body(mib: number, salt: number): AsyncGenerator<Buffer> {
  const blocks = Math.ceil((mib * 1024 * 1024) / BLOCK);
  for (let b = 0; b < blocks; b++) {
    const block = Buffer.from(pattern);
    block.writeUInt32BE(b, 0);
    block.writeUInt32BE(salt, 4);
    for (let o = 0; o < BLOCK; o += CHUNK) yield block.subarray(o, o + CHUNK);
  }
}

const nothing = async () => undefined;
// `put` for a --src tree older than block batches.
const nullStore = {
  put: nothing,
  openBatch: () => ({ put: nothing, durable: nothing, abandon: nothing }),
} as unknown as BlockStore;

async function run(digests: string[], salt: number, mib = Number(values.mib)): Promise<{ wall: number; cpu: number }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'plankton-digests-'));
  const store: BlockStore = values.store === 'null' ? nullStore : new LocalBlockStore(dir);
  try {
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const written = await writeBlocks(
      body(mib, salt),
      store,
      Number.MAX_SAFE_INTEGER,
      () => new Error('too large'),
      digests,
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    if (written.size !== mib * 1024 * 1024) throw new Error(`wrote ${written.size} bytes`);
    return { wall: mib / seconds, cpu: mib / ((cpu.user + cpu.system) / 1e6) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let salt = 0;
await run(['md5', 'sha512'], salt++, 64); // warm-up: starts the workers, compiles the hot paths
const best: Record<string, { wall: number; cpu: number }> = {};
const show = (label: string, key: string, r: { wall: number; cpu: number }) =>
  console.log(
    `${label} ${key.padEnd(10)} ${r.wall.toFixed(0).padStart(5)} MiB/s  ${r.cpu.toFixed(0).padStart(5)} MiB/CPU-s`,
  );
for (let r = 0; r < Number(values.runs); r++) {
  for (const digests of [['md5'], ['md5', 'sha512']]) {
    const rate = await run(digests, salt++);
    const key = digests.join(',');
    best[key] = { wall: Math.max(best[key]?.wall ?? 0, rate.wall), cpu: Math.max(best[key]?.cpu ?? 0, rate.cpu) };
    show(`run ${r + 1}`, key, rate);
  }
}
for (const [key, rate] of Object.entries(best)) show('best ', key, rate);
