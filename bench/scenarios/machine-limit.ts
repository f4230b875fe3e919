import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { BenchContext, Scenario } from '../lib/context.ts';
import { mibPerSecond } from '../lib/http-client.ts';

const CHUNK = 4 << 20;

/** Reads `limit` bytes of the file chunk by chunk (page cache) into every one of `algorithms`; MiB/s. */
function hashSpeed(file: string, limit: number, algorithms: readonly string[]): number {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  const hashes = algorithms.map((a) => createHash(a));
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, limit - bytes), bytes);
      if (n <= 0) break;
      const chunk = buf.subarray(0, n);
      for (const h of hashes) h.update(chunk);
      bytes += n;
    }
    for (const h of hashes) h.digest();
  } finally {
    fs.closeSync(fd);
  }
  return mibPerSecond(bytes, Number(process.hrtime.bigint() - t0) / 1e9);
}

/** Best of two passes: other work on the machine can only make a pass slower. */
const bestHashSpeed = (file: string, limit: number, algorithms: readonly string[]): number =>
  Math.max(hashSpeed(file, limit, algorithms), hashSpeed(file, limit, algorithms));

/** Writes `bytes` to a new file and fsyncs it: what the disk takes when the page cache must empty. */
function diskWrite(dir: string, bytes: number, source: string): number {
  const file = path.join(dir, 'disk-write.bin');
  const buf = Buffer.allocUnsafe(CHUNK);
  const src = fs.openSync(source, 'r');
  fs.readSync(src, buf, 0, CHUNK, 0);
  fs.closeSync(src);
  const fd = fs.openSync(file, 'w');
  const t0 = process.hrtime.bigint();
  try {
    for (let done = 0; done < bytes; done += CHUNK) {
      // a different first byte per block, so no layer below can deduplicate or skip it
      buf[0] = (done / CHUNK) & 0xff;
      fs.writeSync(fd, buf, 0, Math.min(CHUNK, bytes - done));
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.rmSync(file);
  return mibPerSecond(bytes, seconds);
}

/** The machine's own limits: hashing speed (one thread, like one streamed upload) and disk writes. */
export const machineLimit: Scenario = {
  name: 'machine',
  async run(ctx: BenchContext) {
    const { results, dataFile, profile } = ctx;
    const limit = Math.min(profile.hashBytes, profile.dataBytes);
    hashSpeed(dataFile, limit, []); // warm the page cache, so the figures below are hashing only
    results.set('upload_limit_mib_s', bestHashSpeed(dataFile, limit, ['sha256', 'md5']));
    results.set('sha256_mib_s', bestHashSpeed(dataFile, limit, ['sha256']));
    results.set('md5_mib_s', bestHashSpeed(dataFile, limit, ['md5']));
    ctx.log(
      `sha256+md5 ${results.metrics.upload_limit_mib_s} MiB/s, sha256 ${results.metrics.sha256_mib_s}, md5 ${results.metrics.md5_mib_s}`,
    );
    results.set('disk_write_mib_s', diskWrite(ctx.dir('disk'), profile.dataBytes, dataFile));
    ctx.log(`disk write with fsync ${results.metrics.disk_write_mib_s} MiB/s`);
  },
};
