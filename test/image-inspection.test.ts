/**
 * The image format inspector (src/domain/images/inspection/) on real images made here with
 * qemu-img and xorriso, fed as a stream in several chunk sizes and read at random: every way
 * must give the same report, and virtual_size must be what `qemu-img info` says. Then forged
 * and hostile headers (truncated, offsets past the end, huge sizes, bits out of range), which
 * must give clear failures, never a throw or a hang; the format-match rule and its setting; and
 * the `plankton image inspect` command.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import {
  formatMatchRequired,
  inspectRandomAccess,
  matchesDeclared,
  StreamInspector,
  type InspectionReport,
} from '../src/domain/images/inspection/index.ts';
import { HEAD_BYTES, MAX_REGION_BYTES, TAIL_BYTES } from '../src/domain/images/inspection/format-probe.ts';
import { loadSettings } from '../src/config.ts';
import { CliError } from '../src/errors.ts';

const BIN = fileURLToPath(new URL('../bin/plankton.js', import.meta.url));
const MiB = 1024 * 1024;
const CHUNKINGS = [512, 4093, 64 * 1024, 4 * MiB];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-inspect-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => path.join(dir, name);

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}
const qemuImg = (...args: string[]) => run('qemu-img', args);

function qemuInfo(file: string, format?: string): { 'virtual-size': number; format: string } {
  return JSON.parse(qemuImg('info', '--output=json', ...(format ? ['-f', format] : []), file));
}

function streamed(bytes: Uint8Array, chunk: number): { report: InspectionReport; peak: number } {
  const inspector = new StreamInspector();
  for (let i = 0; i < bytes.length; i += chunk) inspector.push(bytes.subarray(i, i + chunk));
  const report = inspector.finish();
  return { report, peak: inspector.retainedBytes.peak };
}

async function randomAccess(
  bytes: Uint8Array,
): Promise<{ report: InspectionReport; bytesRead: number; reads: number }> {
  let bytesRead = 0;
  let reads = 0;
  const report = await inspectRandomAccess(async (offset, length) => {
    reads++;
    const data = bytes.subarray(offset, offset + length);
    bytesRead += data.length;
    return data;
  }, bytes.length);
  return { report, bytesRead, reads };
}

/** Every chunking and random access agree; returns the report. */
async function inspectAllWays(bytes: Uint8Array): Promise<InspectionReport> {
  const { report } = await randomAccess(bytes);
  for (const chunk of CHUNKINGS) {
    assert.deepEqual(streamed(bytes, chunk).report, report, `${chunk}-byte chunks agree with random access`);
  }
  return report;
}

const checks = (r: InspectionReport) => r.safetyFailures.map((f) => f.check).sort();

function patch(bytes: Uint8Array, offset: number, values: ArrayLike<number>): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy.set(values, offset);
  return copy;
}
const le64 = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b;
};
const le32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const be32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
};
const ascii = (s: string) => Buffer.from(s, 'latin1');

interface Fixture {
  file: string;
  format: string;
  checks: string[];
  /** qemu-img's driver name to read it with, or null when qemu cannot (or must not) open it. */
  qemu: string | null;
  expectedSize?: number;
}
const fixtures: Record<string, Fixture> = {};
const read = (name: string) => new Uint8Array(fs.readFileSync(fixtures[name]?.file ?? at(name)));

before(() => {
  // Some data, so converted images hold allocated clusters, not just headers.
  const data = Buffer.alloc(3 * MiB + 1234);
  for (let i = 0; i < MiB; i++) data[i] = (i * 2654435761) >>> 24;
  fs.writeFileSync(at('data.raw'), data);
  const add = (name: string, f: Omit<Fixture, 'file'>, make: () => void) => {
    make();
    fixtures[name] = { file: at(name), ...f };
  };
  add('disk.raw', { format: 'raw', checks: [], qemu: 'raw' }, () => fs.copyFileSync(at('data.raw'), at('disk.raw')));
  add('v2.qcow2', { format: 'qcow2', checks: [], qemu: 'qcow2' }, () =>
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'compat=0.10', 'v2.qcow2', '100M'),
  );
  add('v3.qcow2', { format: 'qcow2', checks: [], qemu: 'qcow2' }, () =>
    qemuImg('create', '-q', '-f', 'qcow2', 'v3.qcow2', '1G'),
  );
  add('data.qcow2', { format: 'qcow2', checks: [], qemu: 'qcow2' }, () =>
    qemuImg('convert', '-q', '-O', 'qcow2', 'data.raw', 'data.qcow2'),
  );
  add('backing.qcow2', { format: 'qcow2', checks: ['backing_file'], qemu: 'qcow2' }, () =>
    qemuImg('create', '-q', '-f', 'qcow2', '-b', 'v3.qcow2', '-F', 'qcow2', 'backing.qcow2'),
  );
  add('datafile.qcow2', { format: 'qcow2', checks: ['data_file'], qemu: 'qcow2' }, () =>
    qemuImg('create', '-q', '-f', 'qcow2', '-o', `data_file=${at('datafile.bin')}`, 'datafile.qcow2', '64M'),
  );
  add(
    'unknown-feature.qcow2',
    { format: 'qcow2', checks: ['unknown_features'], qemu: null, expectedSize: 2 ** 30 },
    () => {
      // incompatible_features is a big-endian u64 at 72: bit 13 lives in byte 78.
      fs.writeFileSync(at('unknown-feature.qcow2'), patch(read('v3.qcow2'), 78, [0x20]));
    },
  );
  add('sparse.vmdk', { format: 'vmdk', checks: [], qemu: 'vmdk' }, () =>
    qemuImg('convert', '-q', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', 'data.raw', 'sparse.vmdk'),
  );
  add('stream.vmdk', { format: 'vmdk', checks: [], qemu: 'vmdk' }, () =>
    qemuImg('convert', '-q', '-O', 'vmdk', '-o', 'subformat=streamOptimized', 'data.raw', 'stream.vmdk'),
  );
  add('footer.vmdk', { format: 'vmdk', checks: [], qemu: 'vmdk' }, () => {
    // VMware's streamOptimized layout: grain directory "at the end", the real header in a
    // footer before the end-of-stream marker; the front capacity is stale on purpose.
    const original = read('stream.vmdk');
    let front = patch(original, 56, le64(0xffffffffffffffffn));
    front = patch(front, 12, le64(12345n));
    const marker = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]), le32(0), le32(3), Buffer.alloc(496)]);
    fs.writeFileSync(at('footer.vmdk'), Buffer.concat([front, marker, original.subarray(0, 512), Buffer.alloc(512)]));
  });
  add(
    'passwd.vmdk',
    {
      format: 'vmdk',
      checks: ['vmdk_create_type', 'vmdk_descriptor_file', 'vmdk_extent_path', 'vmdk_extent_type'],
      qemu: null,
      expectedSize: 8192,
    },
    () =>
      fs.writeFileSync(
        at('passwd.vmdk'),
        '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\n\nRW 16 FLAT "/etc/passwd" 0\n',
      ),
  );
  add('embedded-passwd.vmdk', { format: 'vmdk', checks: ['vmdk_extent_path'], qemu: 'vmdk' }, () => {
    const bytes = read('sparse.vmdk');
    const descriptorEnd = 512 + Number(Buffer.from(bytes).readBigUInt64LE(36)) * 512;
    const text = Buffer.from(bytes.subarray(512, descriptorEnd))
      .toString('latin1')
      .replace(/\0+$/, '')
      .replace(/SPARSE "sparse.vmdk"/, 'SPARSE "/etc/passwd"');
    const region = Buffer.alloc(descriptorEnd - 512);
    region.write(text, 'latin1');
    fs.writeFileSync(at('embedded-passwd.vmdk'), patch(bytes, 512, region));
  });
  add('dynamic.vhd', { format: 'vhd', checks: [], qemu: 'vpc' }, () =>
    qemuImg('convert', '-q', '-O', 'vpc', 'data.raw', 'dynamic.vhd'),
  );
  add('exact.vhd', { format: 'vhd', checks: [], qemu: 'vpc' }, () =>
    qemuImg('create', '-q', '-f', 'vpc', '-o', 'force_size=on', 'exact.vhd', '100000256'),
  );
  add('fixed.vhd', { format: 'vhd', checks: [], qemu: 'vpc' }, () =>
    qemuImg('convert', '-q', '-O', 'vpc', '-o', 'subformat=fixed', 'data.raw', 'fixed.vhd'),
  );
  add('fixed-tail.qcow2', { format: 'qcow2', checks: ['multiple_formats'], qemu: 'qcow2' }, () => {
    const footer = read('fixed.vhd').slice(-512);
    fs.writeFileSync(at('fixed-tail.qcow2'), Buffer.concat([read('data.qcow2'), footer]));
  });
  add('disk.vhdx', { format: 'vhdx', checks: [], qemu: 'vhdx' }, () =>
    qemuImg('convert', '-q', '-O', 'vhdx', 'data.raw', 'disk.vhdx'),
  );
  add('disk.vdi', { format: 'vdi', checks: [], qemu: 'vdi' }, () =>
    qemuImg('convert', '-q', '-O', 'vdi', 'data.raw', 'disk.vdi'),
  );
  add('disk.qed', { format: 'qed', checks: ['qed'], qemu: 'qed' }, () =>
    qemuImg('create', '-q', '-f', 'qed', 'disk.qed', '70M'),
  );
  add('disk.iso', { format: 'iso', checks: [], qemu: 'raw' }, () => {
    fs.mkdirSync(at('iso-tree'));
    fs.writeFileSync(at('iso-tree/hello.txt'), 'hello\n');
    fs.copyFileSync(at('data.raw'), at('iso-tree/data.bin'));
    run('xorriso', ['-as', 'mkisofs', '-quiet', '-V', 'PLANKTON', '-o', 'disk.iso', 'iso-tree']);
  });
  add('hybrid.iso', { format: 'iso', checks: [], qemu: 'raw' }, () => {
    // A bootable hybrid's system area: protective MBR and a GPT header at LBA 1.
    const mbr = patch(read('disk.iso'), 510, [0x55, 0xaa]);
    fs.writeFileSync(at('hybrid.iso'), patch(mbr, 512, ascii('EFI PART')));
  });
  add('iso-in.qcow2', { format: 'qcow2', checks: ['multiple_formats'], qemu: 'qcow2' }, () => {
    fs.writeFileSync(
      at('iso-in.qcow2'),
      patch(read('v3.qcow2'), 16 * 2048, Buffer.concat([Buffer.from([1]), ascii('CD001')])),
    );
  });
  add('gpt-in.qcow2', { format: 'qcow2', checks: ['multiple_formats'], qemu: 'qcow2' }, () => {
    fs.writeFileSync(at('gpt-in.qcow2'), patch(patch(read('v3.qcow2'), 510, [0x55, 0xaa]), 512, ascii('EFI PART')));
  });
  add('gpt.raw', { format: 'raw', checks: [], qemu: 'raw' }, () => {
    fs.writeFileSync(at('gpt.raw'), patch(patch(read('disk.raw'), 510, [0x55, 0xaa]), 512, ascii('EFI PART')));
  });
});

describe('real images: format, safety, and virtual_size as qemu-img info says', () => {
  const names = [
    'disk.raw',
    'v2.qcow2',
    'v3.qcow2',
    'data.qcow2',
    'backing.qcow2',
    'datafile.qcow2',
    'unknown-feature.qcow2',
    'sparse.vmdk',
    'stream.vmdk',
    'footer.vmdk',
    'passwd.vmdk',
    'embedded-passwd.vmdk',
    'dynamic.vhd',
    'exact.vhd',
    'fixed.vhd',
    'fixed-tail.qcow2',
    'disk.vhdx',
    'disk.vdi',
    'disk.qed',
    'disk.iso',
    'hybrid.iso',
    'iso-in.qcow2',
    'gpt-in.qcow2',
    'gpt.raw',
  ];
  for (const name of names) {
    it(name, async () => {
      const f = fixtures[name];
      const bytes = read(name);
      const report = await inspectAllWays(bytes);
      assert.equal(report.format, f.format);
      assert.deepEqual(checks(report), f.checks);
      assert.equal(report.size, bytes.length);
      const expected = f.qemu ? qemuInfo(f.file, f.qemu)['virtual-size'] : f.expectedSize;
      assert.equal(typeof expected, 'number');
      assert.equal(report.virtualSize, expected);
      for (const failure of report.safetyFailures) assert.match(failure.message, /\S/);
    });
  }

  it('qemu-img info without -f probes the same format (iso aside: qemu reads it as raw)', () => {
    for (const name of [
      'disk.raw',
      'v2.qcow2',
      'v3.qcow2',
      'sparse.vmdk',
      'stream.vmdk',
      'dynamic.vhd',
      'disk.vhdx',
      'disk.vdi',
      'disk.qed',
    ]) {
      const expected = fixtures[name].format === 'vhd' ? 'vpc' : fixtures[name].format;
      assert.equal(qemuInfo(fixtures[name].file).format, expected, name);
    }
  });

  it('names what it found: backing and data file names, create type, hybrid iso', async () => {
    const backing = await inspectAllWays(read('backing.qcow2'));
    assert.match(backing.safetyFailures[0].message, /v3\.qcow2/);
    const datafile = await inspectAllWays(read('datafile.qcow2'));
    assert.match(datafile.safetyFailures[0].message, /datafile\.bin/);
    const unknown = await inspectAllWays(read('unknown-feature.qcow2'));
    assert.match(unknown.safetyFailures[0].message, /\b13\b/);
    assert.equal((await inspectAllWays(read('stream.vmdk'))).details.vmdk_create_type, 'streamOptimized');
    const hybrid = await inspectAllWays(read('hybrid.iso'));
    assert.deepEqual(hybrid.signatures, ['iso', 'gpt']);
    assert.equal(hybrid.details.partition_table, 'gpt');
    assert.deepEqual((await inspectAllWays(read('gpt-in.qcow2'))).signatures, ['qcow2', 'gpt']);
  });

  it('random access reads only header regions, never the whole object', async () => {
    // The head, and the tail (a fixed VHD's footer) unless the head already said VHD.
    for (const name of ['disk.raw', 'data.qcow2', 'disk.iso', 'disk.vdi', 'dynamic.vhd', 'fixed.vhd']) {
      const { bytesRead, reads } = await randomAccess(read(name));
      assert.ok(bytesRead <= HEAD_BYTES + TAIL_BYTES && reads <= 2, `${name}: ${reads} reads, ${bytesRead} bytes`);
    }
    for (const name of ['disk.vhdx', 'sparse.vmdk', 'footer.vmdk']) {
      const { bytesRead, reads } = await randomAccess(read(name));
      assert.ok(
        bytesRead <= HEAD_BYTES + 2 * 64 * 1024 + TAIL_BYTES + 8 && reads <= 5,
        `${name}: ${reads} reads, ${bytesRead} bytes`,
      );
    }
  });

  it('a stream keeps only the head, the tail and the regions it is filling', () => {
    for (const name of ['disk.raw', 'data.qcow2', 'disk.iso']) {
      assert.equal(streamed(read(name), 4093).peak, HEAD_BYTES + TAIL_BYTES, name);
    }
    assert.ok(streamed(read('disk.vhdx'), 4093).peak <= HEAD_BYTES + TAIL_BYTES + 64 * 1024);
    assert.ok(streamed(read('sparse.vmdk'), 4093).peak <= HEAD_BYTES + TAIL_BYTES + MAX_REGION_BYTES);
  });

  it('reports are plain data (they cross worker threads and become JSON unchanged)', async () => {
    for (const name of ['datafile.qcow2', 'disk.vhdx', 'hybrid.iso']) {
      const report = await inspectAllWays(read(name));
      assert.deepEqual(structuredClone(report), report);
      assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
    }
  });

  it('runs on a worker thread: chunks in, the same plain report out', async () => {
    const bytes = read('datafile.qcow2');
    // Workers do not inherit tsx's loader: register it, then load the TypeScript worker.
    const tsx = import.meta.resolve('tsx/esm/api');
    const script = new URL('./helpers/inspection-worker.ts', import.meta.url).href;
    const worker = new Worker(
      `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script)}); })`,
      { eval: true },
    );
    try {
      const reply = new Promise<InspectionReport>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
      shared.set(bytes);
      for (let i = 0; i < bytes.length; i += 64 * 1024) worker.postMessage(shared.subarray(i, i + 64 * 1024));
      worker.postMessage('finish');
      assert.deepEqual(await reply, (await randomAccess(bytes)).report);
    } finally {
      await worker.terminate();
    }
  });

  it('does not keep a reference to pushed chunks (the pipeline recycles its buffers)', () => {
    const bytes = read('sparse.vmdk');
    const inspector = new StreamInspector();
    const buffer = new Uint8Array(4093);
    for (let i = 0; i < bytes.length; i += buffer.length) {
      const n = Math.min(buffer.length, bytes.length - i);
      buffer.set(bytes.subarray(i, i + n));
      inspector.push(buffer.subarray(0, n));
      buffer.fill(0xee);
    }
    assert.deepEqual(inspector.finish(), streamed(bytes, 4093).report);
  });
});

describe('hostile and broken headers: clear failures, never a throw', () => {
  it('empty and tiny inputs are raw', async () => {
    const empty = await inspectAllWays(new Uint8Array(0));
    assert.deepEqual([empty.format, empty.virtualSize, empty.safetyFailures.length], ['raw', 0, 0]);
    // qemu shows a raw file as whole sectors.
    const tiny = await inspectAllWays(Uint8Array.from([1, 2, 3]));
    assert.deepEqual([tiny.format, tiny.virtualSize, tiny.size], ['raw', 512, 3]);
  });

  it('truncated headers of every format', async () => {
    // [fixture, cut at, format, failed check, virtual size still known (its field was in)]
    const cases: [string, number, string, string, boolean][] = [
      ['v3.qcow2', 20, 'qcow2', 'qcow2_header', false],
      ['v3.qcow2', 50, 'qcow2', 'qcow2_header', false],
      ['v3.qcow2', 90, 'qcow2', 'qcow2_header', false],
      ['v3.qcow2', 110, 'qcow2', 'qcow2_header', true],
      ['sparse.vmdk', 60, 'vmdk', 'vmdk_header', false],
      ['sparse.vmdk', 700, 'vmdk', 'vmdk_descriptor', true],
      ['disk.vhdx', 100 * 1024, 'vhdx', 'vhdx_header', false],
      ['disk.vhdx', 200 * 1024, 'vhdx', 'vhdx_header', false],
      ['disk.vhdx', 1 * MiB, 'vhdx', 'vhdx_header', false],
      ['disk.vdi', 0x100, 'vdi', 'vdi_header', false],
      ['dynamic.vhd', 40, 'vhd', 'vhd_header', false],
    ];
    for (const [name, length, format, check, sized] of cases) {
      const report = await inspectAllWays(read(name).subarray(0, length));
      assert.equal(report.format, format, `${name} cut at ${length}`);
      assert.ok(checks(report).includes(check), `${name} cut at ${length}: ${JSON.stringify(report.safetyFailures)}`);
      assert.equal(report.virtualSize !== null, sized, `${name} cut at ${length}`);
    }
  });

  it('every prefix of every fixture inspects without throwing, the same every way', async () => {
    for (const name of [
      'v3.qcow2',
      'sparse.vmdk',
      'footer.vmdk',
      'disk.vhdx',
      'dynamic.vhd',
      'disk.vdi',
      'disk.qed',
      'disk.iso',
    ]) {
      const bytes = read(name);
      for (const length of [
        1,
        4,
        8,
        71,
        72,
        103,
        511,
        512,
        513,
        1535,
        4096,
        32 * 1024,
        40 * 1024,
        HEAD_BYTES,
        HEAD_BYTES + 1,
        300 * 1024,
        bytes.length - 1,
      ]) {
        const report = await inspectAllWays(bytes.subarray(0, Math.min(length, bytes.length)));
        if (report.format !== 'raw' && report.virtualSize === null)
          assert.ok(report.safetyFailures.length > 0, `${name}[0..${length}]`);
      }
    }
  });

  it('qcow2: version, cluster bits, endless extensions, a huge size', async () => {
    const v3 = read('v3.qcow2');
    const version = await inspectAllWays(patch(v3, 4, be32(9)));
    assert.deepEqual(checks(version), ['qcow2_version']);
    for (const bits of [0, 8, 22, 40, 0xffffffff]) {
      assert.deepEqual(
        checks(await inspectAllWays(patch(v3, 20, be32(bits)))),
        ['qcow2_header'],
        `cluster_bits ${bits}`,
      );
    }
    // An extension list that never reaches its end marker inside the first cluster.
    const extensionsAt = Buffer.from(v3).readUInt32BE(100);
    const endless = patch(v3, extensionsAt, Buffer.alloc(HEAD_BYTES - extensionsAt, 0x11));
    assert.deepEqual(checks(await inspectAllWays(endless)), ['qcow2_header']);
    const hugeLength = patch(v3, extensionsAt, Buffer.concat([be32(0x12345678), be32(0xfffffff0)]));
    assert.deepEqual(checks(await inspectAllWays(hugeLength)), ['qcow2_header']);
    const huge = await inspectAllWays(patch(v3, 24, Buffer.alloc(8, 0xff)));
    assert.deepEqual([checks(huge), huge.virtualSize], [['qcow2_header'], null]);
    const backingPastEnd = await inspectAllWays(patch(v3, 8, Buffer.alloc(8, 0x7f)));
    assert.ok(checks(backingPastEnd).includes('backing_file'));
  });

  it('vmdk: descriptor elsewhere, huge, or missing; footer missing; capacity 0', async () => {
    const sparse = read('sparse.vmdk');
    assert.ok(checks(await inspectAllWays(patch(sparse, 28, le64(2n)))).includes('vmdk_descriptor'));
    const huge = patch(sparse, 36, le64(1n << 40n));
    assert.ok(checks(await inspectAllWays(huge)).includes('vmdk_descriptor'));
    assert.ok(streamed(huge, 4093).peak <= HEAD_BYTES + TAIL_BYTES);
    const none = patch(patch(sparse, 28, le64(0n)), 36, le64(0n));
    assert.ok(checks(await inspectAllWays(none)).includes('vmdk_no_extents'));
    const noFooter = await inspectAllWays(patch(sparse, 56, le64(0xffffffffffffffffn)));
    assert.deepEqual([checks(noFooter), noFooter.virtualSize], [['vmdk_header'], null]);
    assert.ok(checks(await inspectAllWays(patch(sparse, 12, le64(0n)))).includes('vmdk_descriptor_file'));
    assert.ok(checks(await inspectAllWays(patch(sparse, 4, le32(7)))).includes('vmdk_header'));
  });

  it('vmdk descriptors: odd lines, no extents, binary, a descriptor file over 1 MiB', async () => {
    const descriptor = (body: string) =>
      ascii(`# Disk DescriptorFile\nversion=1\ncreateType="monolithicSparse"\n${body}`);
    assert.ok(checks(await inspectAllWays(descriptor('RW 8 SPARSE "x.vmdk"\nrm -rf /\n'))).includes('vmdk_descriptor'));
    assert.ok(checks(await inspectAllWays(descriptor('# nothing\n'))).includes('vmdk_no_extents'));
    assert.ok(
      checks(
        await inspectAllWays(Buffer.concat([descriptor('RW 8 SPARSE "x.vmdk"\n'), Buffer.from([0xff, 0x80])])),
      ).includes('vmdk_descriptor'),
    );
    const big = Buffer.concat([descriptor('RW 8 SPARSE "x.vmdk"\n'), Buffer.alloc(MiB + 10, 0x23)]);
    const report = await inspectAllWays(big);
    assert.equal(report.format, 'vmdk');
    assert.ok(checks(report).includes('vmdk_descriptor'));
    assert.ok(streamed(big, 64 * 1024).peak <= HEAD_BYTES + TAIL_BYTES + MAX_REGION_BYTES);
  });

  it('vhdx: offsets past the end or backwards, absurd counts, missing items', async () => {
    const vhdx = read('disk.vhdx');
    const table = 192 * 1024;
    const buffer = Buffer.from(vhdx);
    const count = buffer.readUInt32LE(table + 8);
    let metaEntry = -1;
    for (let i = 0; i < count; i++) {
      if (buffer.readUInt32LE(table + 16 + i * 32) === 0x8b7ca206) metaEntry = table + 16 + i * 32;
    }
    assert.ok(metaEntry > 0, 'the metadata region entry is there');
    const metaAt = Number(buffer.readBigUInt64LE(metaEntry + 16));
    const variants: [string, Uint8Array][] = [
      ['metadata offset past the end', patch(vhdx, metaEntry + 16, le64(1n << 40n))],
      ['metadata offset beyond 2^53', patch(vhdx, metaEntry + 16, le64(0xffffffffffff0000n))],
      ['metadata offset backwards', patch(vhdx, metaEntry + 16, le64(64n * 1024n))],
      ['region count', patch(vhdx, table + 8, le32(5000))],
      ['region signature', patch(vhdx, table, ascii('xxxx'))],
      ['no metadata region', patch(vhdx, metaEntry, Buffer.alloc(16))],
      ['metadata signature', patch(vhdx, metaAt, ascii('nothing!'))],
      ['metadata count', patch(vhdx, metaAt + 10, [0xff, 0xff])],
    ];
    const meta = Buffer.from(vhdx.subarray(metaAt, metaAt + 64 * 1024));
    for (let i = 0; i < meta.readUInt16LE(10); i++) {
      const entry = 32 + i * 32;
      if (meta.readUInt32LE(entry) === 0x2fa54224) {
        variants.push(['size item past the end', patch(vhdx, metaAt + entry + 16, le32(0xfffffff0))]);
        variants.push(['size item inside the table', patch(vhdx, metaAt + entry + 16, le32(64))]);
        variants.push(['no size item', patch(vhdx, metaAt + entry, Buffer.alloc(16))]);
      }
    }
    assert.equal(variants.length, 11);
    for (const [label, bytes] of variants) {
      const report = await inspectAllWays(bytes);
      assert.deepEqual([report.format, checks(report), report.virtualSize], ['vhdx', ['vhdx_header'], null], label);
    }
  });

  it('random bytes behind every signature: no throw, every way the same', async () => {
    const magics = [
      ascii('QFI\xfb'),
      ascii('QED\0'),
      ascii('KDMV'),
      ascii('vhdxfile'),
      ascii('conectix'),
      ascii('version=1\n'),
      Buffer.concat([Buffer.alloc(0x40), le32(0xbeda107f)]),
      Buffer.alloc(0),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...magics),
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 0, max: 300 * 1024 }),
        fc.integer({ min: 1, max: 70000 }),
        async (magic, noise, padding, chunk) => {
          const bytes = new Uint8Array(magic.length + noise.length + padding);
          bytes.set(magic);
          bytes.set(noise, magic.length);
          const { report } = await randomAccess(bytes);
          assert.deepEqual(streamed(bytes, chunk).report, report);
          if (report.format !== 'raw' && report.virtualSize === null) assert.ok(report.safetyFailures.length > 0);
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
  });
});

describe('format match rule and PLANKTON_REQUIRE_FORMAT_MATCH', () => {
  const report = (format: InspectionReport['format']) => ({ format });

  it('declared formats the inspector knows must be what the content is', () => {
    for (const f of ['qcow2', 'vmdk', 'vhd', 'vhdx', 'vdi', 'iso', 'qed'] as const) {
      assert.equal(matchesDeclared(f, report(f)), true, f);
      assert.equal(matchesDeclared(f, report('raw')), false, `${f} declared, raw content`);
    }
    assert.equal(matchesDeclared('qcow2', report('vmdk')), false);
  });

  it('raw accepts any content (qemu is told raw); dump formats, ami/ari/aki and unknown formats accept raw content only', () => {
    assert.equal(matchesDeclared('raw', report('raw')), true);
    assert.equal(matchesDeclared('raw', report('qcow2')), true);
    for (const f of ['diskdump', 'extdump', 'ntfsdump', 'ami', 'ari', 'aki', 'ploop']) {
      assert.equal(matchesDeclared(f, report('raw')), true, f);
      assert.equal(matchesDeclared(f, report('qcow2')), false, `${f} declared, qcow2 content`);
    }
  });

  it('the setting: v2 by default, all, off; anything else is a start-up error', () => {
    assert.equal(loadSettings({}, {}).requireFormatMatch, 'v2');
    assert.equal(loadSettings({}, { PLANKTON_REQUIRE_FORMAT_MATCH: 'all' }).requireFormatMatch, 'all');
    assert.equal(loadSettings({}, { PLANKTON_REQUIRE_FORMAT_MATCH: 'off' }).requireFormatMatch, 'off');
    assert.throws(
      () => loadSettings({}, { PLANKTON_REQUIRE_FORMAT_MATCH: 'yes' }),
      (e: unknown) => e instanceof CliError && e.exitCode === 2 && /PLANKTON_REQUIRE_FORMAT_MATCH/.test(e.message),
    );
    assert.deepEqual(
      ['v2', 'all', 'off'].map((m) => [formatMatchRequired(m as 'v2', 'v1'), formatMatchRequired(m as 'v2', 'v2')]),
      [
        [false, true],
        [true, true],
        [false, false],
      ],
    );
  });
});

describe('plankton image inspect', () => {
  const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLANKTON_')));
  const plankton = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env: ENV, encoding: 'utf8' });

  it('--json: one line, exit 0 for a safe image', () => {
    const r = plankton('image', 'inspect', '--json', fixtures['data.qcow2'].file);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1);
    const out = JSON.parse(lines[0]);
    assert.equal(out.format, 'qcow2');
    assert.equal(out.virtual_size, qemuInfo(fixtures['data.qcow2'].file)['virtual-size']);
    assert.equal(out.safe, true);
    assert.deepEqual(out.safety_failures, []);
  });

  it('text: an unsafe image exits 1 and says why', () => {
    const r = plankton('image', 'inspect', fixtures['backing.qcow2'].file);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^format: +qcow2$/m);
    assert.match(r.stdout, /^safe: +no$/m);
    assert.match(r.stdout, /^failure: +backing_file: .*v3\.qcow2/m);
    const vmdk = plankton('image', 'inspect', '--json', fixtures['passwd.vmdk'].file);
    assert.equal(vmdk.status, 1);
    assert.ok(JSON.parse(vmdk.stdout).safety_failures.some((f: { check: string }) => f.check === 'vmdk_extent_path'));
  });

  it('an unreadable file exits 1 with one line on stderr; a usage error exits 2; --help documents the exit status', () => {
    const missing = plankton('image', 'inspect', at('no-such-file'));
    assert.equal(missing.status, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^plankton: cannot read .*no-such-file: ENOENT\n$/);
    const folder = plankton('image', 'inspect', dir);
    assert.equal(folder.status, 1);
    assert.equal(plankton('image', 'inspect').status, 2);
    const help = plankton('image', 'inspect', '--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Exit status: 0 the image is safe, 1 it is unsafe or cannot be read/);
  });
});
