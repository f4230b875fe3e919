/**
 * What the image inspector costs an upload: feeds 1 GiB (INSPECT_GIB to change) in 4 MiB chunks,
 * as the upload pipeline's blocks, for raw, qcow2, VMDK and VHDX heads, and prints MiB/s and
 * ns/byte beside SHA-256 over the same chunks (which every upload already pays). Standalone,
 * not part of `npm run bench`:
 *
 *   node --import tsx bench/inspector-cost.ts
 */
import { createHash } from 'node:crypto';
import { StreamInspector } from '../src/domain/images/inspection/index.ts';

const CHUNK = 4 * 1024 * 1024;
const TOTAL = Number(process.env.INSPECT_GIB ?? 1) * 1024 ** 3;

function firstChunk(kind: string): Buffer {
  const b = Buffer.alloc(CHUNK);
  for (let i = 0; i < b.length; i += 4096) b[i] = i & 0xff; // not all zeros
  if (kind === 'qcow2') {
    b.write('QFI\xfb', 0, 'latin1');
    b.writeUInt32BE(3, 4);
    b.writeUInt32BE(16, 20);
    b.writeBigUInt64BE(BigInt(TOTAL), 24);
    b.fill(0, 32, 112);
    b.writeUInt32BE(104, 100);
    b.fill(0, 104, 120); // end-of-extensions marker
  } else if (kind === 'vmdk') {
    b.write('KDMV', 0, 'latin1');
    b.writeUInt32LE(1, 4);
    b.writeBigUInt64LE(BigInt(TOTAL / 512), 12);
    b.writeBigUInt64LE(1n, 28);
    b.writeBigUInt64LE(2048n, 36); // a 1 MiB descriptor: the largest region a stream keeps
    b.fill(0, 44, 512 + 1024 * 1024);
    b.write('# Disk DescriptorFile\nversion=1\ncreateType="monolithicSparse"\nRW 8 SPARSE "x.vmdk"\n', 512, 'latin1');
  }
  return b;
}

function measure(label: string, first: Buffer, body: Buffer, consume: (chunk: Uint8Array) => void): number {
  const start = process.hrtime.bigint();
  consume(first);
  for (let done = CHUNK; done < TOTAL; done += CHUNK) consume(body);
  const ns = Number(process.hrtime.bigint() - start);
  const mibps = TOTAL / 1024 / 1024 / (ns / 1e9);
  console.log(
    `${label.padEnd(28)} ${mibps.toFixed(0).padStart(9)} MiB/s  ${(ns / TOTAL).toFixed(4)} ns/byte  (${(ns / 1e6).toFixed(1)} ms for ${TOTAL / 1024 ** 3} GiB)`,
  );
  return ns;
}

const body = Buffer.alloc(CHUNK, 0x5a);
for (const kind of ['raw', 'qcow2', 'vmdk']) {
  const first = firstChunk(kind);
  const inspector = new StreamInspector();
  measure(`inspect ${kind}`, first, body, (c) => inspector.push(c));
  const report = inspector.finish();
  console.log(
    `  -> ${report.format}, virtual size ${report.virtualSize}, failures ${report.safetyFailures.length}, peak retained ${inspector.retainedBytes.peak} bytes`,
  );
}
const hash = createHash('sha256');
measure('sha256 (for scale)', firstChunk('raw'), body, (c) => hash.update(c));
