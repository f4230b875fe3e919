import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError } from '../errors.ts';
import type { InspectionReport } from '../domain/images/inspection/index.ts';
import { loadSettings } from '../config.ts';
import { Services } from '../services.ts';
import { out, outJson } from './output.ts';
import { storageOptions } from './storage-options.ts';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * `plankton image inspect <file|image-id>`: what an image file really is, before anyone uploads
 * it, or what a stored image's data is. It reads only the header regions it needs (never the
 * whole file or object), like registration does. An argument that names an existing file is a
 * file; otherwise an image id is looked up in the database given by the storage options.
 */
export function registerImageCommands(program: Command): void {
  const image = program.command('image').description('image files and records');
  storageOptions(
    image
      .command('inspect <file|image-id>')
      .description(
        "detect an image file's or a stored image's format, virtual size and safety failures (qcow2 backing or data files, VMDK host paths, QED, ambiguous formats)",
      )
      .option(
        '--json',
        'print one JSON line: {"file" or "image","format","virtual_size","size","safe","safety_failures":[{"check","message"}],"signatures","details"}',
      )
      .addHelpText(
        'after',
        "\nAn image id reads the image's data from the block store of --data-dir/--database-url/--blocks.\nExit status: 0 the image is safe, 1 it is unsafe or cannot be read, 2 usage error.",
      ),
  ).action(async (target: string, o: { json?: boolean; dataDir?: string; databaseUrl?: string; blocks?: string }) => {
    const isFile = await fs.stat(target).then(
      () => true,
      () => false,
    );
    const { report, subject } =
      isFile || !UUID.test(target)
        ? { report: await inspectFile(target), subject: { file: target } }
        : await inspectImage(target, o);
    const safe = report.safetyFailures.length === 0;
    if (o.json) {
      outJson({
        ...subject,
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
      if ('file' in subject) line('file', subject.file);
      else {
        line('image', subject.image);
        line('disk format', subject.disk_format);
      }
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

/** A stored image's data, by id: the same report, from the blocks the probes need. */
async function inspectImage(
  id: string,
  flags: { dataDir?: string; databaseUrl?: string; blocks?: string },
): Promise<{ report: InspectionReport; subject: { image: string; disk_format: string } }> {
  const services = await Services.open(loadSettings(flags));
  try {
    const found = await services.images.inspectStoredData(id);
    if (!found) throw new CliError(`no image ${id}`);
    return { report: found.report, subject: { image: found.image.id, disk_format: found.image.diskFormat } };
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot read image ${id}: ${(e as Error).message}`);
  } finally {
    await services.close();
  }
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
    const { fileRangeReader, inspectRandomAccess } = await import('../domain/images/inspection/index.ts');
    return await inspectRandomAccess(fileRangeReader(handle), stat.size);
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
