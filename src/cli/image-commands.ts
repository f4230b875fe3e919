import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError } from '../errors.ts';
import type { InspectionReport } from '../domain/images/inspection/index.ts';
import { out, outJson } from './output.ts';

/**
 * `plankton image inspect <file>`: what an image file really is, before anyone uploads it. It
 * reads only the header regions it needs (never the whole file), like registration does.
 */
export function registerImageCommands(program: Command): void {
  const image = program.command('image').description('image files and records');
  image
    .command('inspect <file>')
    .description(
      "detect an image file's format, virtual size and safety failures (qcow2 backing or data files, VMDK host paths, QED, ambiguous formats)",
    )
    .option(
      '--json',
      'print one JSON line: {"file","format","virtual_size","size","safe","safety_failures":[{"check","message"}],"signatures","details"}',
    )
    .addHelpText('after', '\nExit status: 0 the image is safe, 1 it is unsafe or cannot be read, 2 usage error.')
    .action(async (file: string, o: { json?: boolean }) => {
      const report = await inspectFile(file);
      const safe = report.safetyFailures.length === 0;
      if (o.json) {
        outJson({
          file,
          format: report.format,
          virtual_size: report.virtualSize,
          size: report.size,
          safe,
          safety_failures: report.safetyFailures,
          signatures: report.signatures,
          details: report.details,
        });
      } else {
        const line = (label: string, value: unknown) => out(`${(`${label}:`).padEnd(14)} ${value}`);
        line('file', file);
        line('format', report.format);
        line(
          'virtual size',
          report.virtualSize === null ? 'unknown' : `${report.virtualSize} (${humanBytes(report.virtualSize)})`,
        );
        line('file size', report.size);
        for (const [k, v] of Object.entries(report.details)) line(k.replace(/_/g, ' '), v);
        line('safe', safe ? 'yes' : 'no');
        for (const f of report.safetyFailures) line('failure', `${f.check}: ${f.message}`);
      }
      if (!safe) process.exitCode = 1;
    });
}

async function inspectFile(file: string): Promise<InspectionReport> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new CliError(`cannot read ${file}: not a regular file`);
    // Loaded on use: every other command starts without the inspector's modules.
    const { inspectRandomAccess } = await import('../domain/images/inspection/index.ts');
    return await inspectRandomAccess(async (offset, length) => {
      const buffer = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await handle.read(buffer, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return buffer.subarray(0, got);
    }, stat.size);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    await handle.close();
  }
}

function humanBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}
