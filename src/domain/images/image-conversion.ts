/**
 * Conversion on import (issue 13 item 4, like Glance's `image_conversion` plugin):
 * `PLANKTON_IMPORT_CONVERT_TO=raw|qcow2` makes every Image API v2 import rewrite its data into
 * that format with Debian's `qemu-img convert` before it becomes the image's data.
 *
 * qemu-img needs a seekable file, so the import's data is first written to a temporary file
 * (size-capped as it streams). Then, and only then, in this order:
 * 1. the inspector reads the file's header regions; unsafe content (a qcow2 backing or data
 *    file, VMDK extents naming host paths, QED, several formats…) is refused before qemu-img
 *    ever opens it, since opening is exactly what such images abuse;
 * 2. the output size is bounded before converting when it is known (raw output = virtual size);
 * 3. `qemu-img convert -f <detected format> -O <target>` runs in a child process: the source
 *    format is given explicitly (no probing by qemu), with a wall-clock limit (killed past it),
 *    under `prlimit` when available (output file size and address space bounded);
 * 4. the output file streams back through the normal upload pipeline (hashes, size cap), and
 *    `disk_format` becomes the target. ISO images and data already in the target format are
 *    passed through unconverted (an ISO keeps `disk_format` iso).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { DataTooLarge, ImageContentRefused, ImageRuleRefused } from '../errors.ts';
import type { ConvertedData, ImportConverter } from './image-import.ts';
import { fileRangeReader, inspectRandomAccess, type DetectedFormat } from './inspection/index.ts';

/** The detected format as qemu-img names it; undefined: not converted (passed through). */
const QEMU_FORMAT: Readonly<Record<DetectedFormat, string | undefined>> = {
  raw: 'raw',
  qcow2: 'qcow2',
  qed: undefined, // always unsafe, refused before
  vmdk: 'vmdk',
  vhd: 'vpc',
  vhdx: 'vhdx',
  vdi: 'vdi',
  iso: undefined,
};

/** Address space given to qemu-img under prlimit (it needs little: it streams). */
const QEMU_ADDRESS_SPACE = 2 * 1024 ** 3;

/** Whether an executable `name` is on PATH (checked once at start-up, synchronously). */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      // not in this one
    }
  }
  return false;
}

export const qemuImgOnPath = (): boolean => onPath('qemu-img');

const failed = (why: string) => new ImageRuleRefused('import-failed', why);

export class QemuImgConverter implements ImportConverter {
  readonly #to: 'raw' | 'qcow2';
  readonly #timeoutMs: number;
  readonly #tmpDir: string;
  readonly #prlimit = onPath('prlimit');

  constructor(opts: { to: 'raw' | 'qcow2'; timeoutMs: number; tmpDir: string }) {
    this.#to = opts.to;
    this.#timeoutMs = opts.timeoutMs;
    this.#tmpDir = opts.tmpDir;
  }

  async convert(
    data: AsyncIterable<Buffer>,
    image: { readonly diskFormat: string; readonly maxBytes: number },
  ): Promise<ConvertedData> {
    await fsp.mkdir(this.#tmpDir, { recursive: true });
    const base = path.join(this.#tmpDir, `import-${randomUUID()}`);
    const input = `${base}.in`;
    const output = `${base}.out`;
    const cleanup = async () => {
      await fsp.rm(input, { force: true });
      await fsp.rm(output, { force: true });
    };
    try {
      await pipeline(data, sizeCap(image.maxBytes), fs.createWriteStream(input, { mode: 0o600 }));
      const report = await inspectFile(input);
      if (report.safetyFailures.length > 0) {
        // The same refusal as an upload's (content-rules.ts): v2 answers 415 either way.
        throw new ImageContentRefused('unsafe', image.diskFormat, report.format, report.safetyFailures);
      }
      const source = QEMU_FORMAT[report.format];
      if (source === undefined || report.format === this.#to) {
        // Nothing to convert: the data as it came, its format named as detected (iso stays iso).
        const diskFormat = report.format === this.#to ? this.#to : image.diskFormat;
        return { body: fs.createReadStream(input), diskFormat, cleanup };
      }
      if (this.#to === 'raw' && report.virtualSize !== null && report.virtualSize > image.maxBytes) {
        throw new DataTooLarge(image.maxBytes, true);
      }
      await this.#run(source, input, output, image.maxBytes);
      await fsp.rm(input, { force: true });
      return { body: fs.createReadStream(output), diskFormat: this.#to, cleanup };
    } catch (err) {
      await cleanup();
      throw err;
    }
  }

  /** `qemu-img convert`, bounded in time (killed) and, under prlimit, in output size and memory. */
  #run(source: string, input: string, output: string, maxBytes: number): Promise<void> {
    const convert = ['qemu-img', 'convert', '-f', source, '-O', this.#to, input, output];
    const argv = this.#prlimit
      ? ['prlimit', `--fsize=${maxBytes}`, `--as=${QEMU_ADDRESS_SPACE}`, '--', ...convert]
      : convert;
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d: string) => {
        if (stderr.length < 4096) stderr += d;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), this.#timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(failed(`qemu-img could not run: ${err.message}`));
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) return resolve();
        if (signal === 'SIGKILL') return reject(failed('the conversion took too long'));
        if (signal === 'SIGXFSZ') return reject(new DataTooLarge(maxBytes));
        const line = stderr.trim().split('\n').pop() ?? '';
        reject(failed(`qemu-img convert failed${line ? `: ${line.replace(/^qemu-img: /, '')}` : ''}`));
      });
    });
  }
}

/** Counts bytes on their way to the temporary file; past the cap, DataTooLarge. */
function sizeCap(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > maxBytes) return done(new DataTooLarge(maxBytes));
      done(null, chunk);
    },
  });
}

async function inspectFile(file: string) {
  const handle = await fsp.open(file, 'r');
  try {
    const { size } = await handle.stat();
    return await inspectRandomAccess(fileRangeReader(handle), size);
  } finally {
    await handle.close();
  }
}
