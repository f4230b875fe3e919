import type { Command } from 'commander';
import { loadSettings, parseDuration } from '../config.ts';
import { CliError } from '../errors.ts';
import { collectGarbage } from '../domain/objects/gc.ts';
import { Services } from '../services.ts';
import { out, outJson } from './output.ts';
import { storageOptions } from './storage-options.ts';

export function registerGcCommand(program: Command): void {
  storageOptions(program.command('gc')
    .description('remove blocks that no committed object references; safe while serve runs uploads')
    .option('--grace <duration>', 'keep blocks written more recently than this (uploads in progress)', '1h')
    .option('--json', 'print one JSON line'))
    .action(async (o) => {
      const grace = parseDuration(o.grace);
      if (grace === undefined) throw new CliError(`invalid --grace "${o.grace}": give a duration like 1h or 30m`, 2);
      const services = await Services.open(loadSettings(o));
      try {
        const tty = process.stderr.isTTY;
        const report = await collectGarbage(services.metadata.db, services.blocks, {
          graceSeconds: grace,
          onProgress: (n) => tty && process.stderr.write(`\rscanned ${n} blocks…`),
        });
        if (tty) process.stderr.write('\n');
        if (o.json) return outJson({ scanned: report.scanned, candidates: report.candidates, removed: report.removed });
        for (const h of report.removed) out(`removed ${h}`);
        out(`scanned ${report.scanned} blocks, ${report.candidates} older than ${o.grace}, removed ${report.removed.length} unreferenced`);
      } finally {
        await services.close();
      }
    });
}
