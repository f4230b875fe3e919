/**
 * What the local block store's writes cost alone (no HTTP, no hashing): BLOCKS fresh 4 MiB blocks
 * written with IN_FLIGHT at once, as an upload's `writeBlocks` keeps them, either one durable
 * `put` per block (the store before batches) or one batch (`openBatch`, `durable()` at the end).
 * Prints wall MiB/s and MiB per CPU-second of this process (every thread: libuv's pool does the
 * writes and fsyncs). Standalone, not part of `npm run bench`:
 *
 *   node --import tsx bench/block-store-cost.ts [--mode put|batch] [--blocks 256] [--in-flight 4] [--src DIR]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'batch' },
    blocks: { type: 'string', default: '256' },
    'in-flight': { type: 'string', default: '4' },
    dir: { type: 'string', default: path.join(import.meta.dirname, '..') },
    src: { type: 'string', default: path.join(import.meta.dirname, '../src') },
  },
});
const { LocalBlockStore } = await import(
  pathToFileURL(path.join(path.resolve(values.src), 'storage/blocks/local-block-store.ts')).href
);
const BLOCK = 4 * 1024 * 1024;
const blocks = Number(values.blocks);
const inFlight = Number(values['in-flight']);
const pattern = randomBytes(BLOCK);

const dir = await mkdtemp(path.join(values.dir, '.upload-cost.blocks-'));
try {
  const store = new LocalBlockStore(dir);
  const batch = values.mode === 'batch' ? store.openBatch() : undefined;
  const put = (hash: string, data: Buffer): Promise<void> => (batch ? batch.put(hash, data) : store.put(hash, data));
  const buffers = Array.from({ length: inFlight }, () => Buffer.from(pattern));
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const slots = buffers.map(async (buffer, slot) => {
    for (let b = slot; b < blocks; b += inFlight) {
      buffer.writeUInt32BE(b, 0); // a fresh block each time: nothing deduplicates
      buffer.writeUInt32BE(process.pid, 4);
      const hash = randomBytes(32).toString('hex'); // the name does not matter to the store's cost
      await put(hash, buffer);
    }
  });
  await Promise.all(slots);
  await batch?.durable();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const mib = (blocks * BLOCK) / 1048576;
  console.log(
    `${values.mode} blocks=${blocks} in-flight=${inFlight}: ${(mib / seconds).toFixed(0)} MiB/s, ${((cpu.user + cpu.system) / 1e6 / (mib / 1024)).toFixed(2)} CPU-s/GiB (user ${(cpu.user / 1e6).toFixed(2)} s, sys ${(cpu.system / 1e6).toFixed(2)} s)`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
