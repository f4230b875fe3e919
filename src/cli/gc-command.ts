import type { Command } from 'commander';
import { loadSettings, parseDuration } from '../config.ts';
import { CliError } from '../errors.ts';
import { collectGarbage, type GcPhase } from '../domain/objects/gc.ts';
import { Services } from '../services.ts';
import { recordMaintenanceRun } from '../storage/metadata/maintenance-runs.ts';
import { out, outJson } from './output.ts';
import { ProgressBar } from './progress-bar.ts';
import { storageOptions } from './storage-options.ts';

const UNITS: Record<GcPhase, string> = { list: 'blocks listed', mark: 'object versions', sweep: 'candidates' };

/** Removes every object expired by now, a page at a time. */
async function reapAllExpired(services: Services): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await services.objects.reapExpired(undefined, 1000);
    total += n;
    if (n < 1000) return total;
  }
}

export function registerGcCommand(program: Command): void {
  storageOptions(
    program
      .command('gc')
      .description('remove blocks that no committed object references; safe while serve runs uploads')
      .option(
        '--grace <duration>',
        'keep blocks written more recently than this, for uploads in progress (0: keep none; data stays safe, running uploads may fail)',
        '1h',
      )
      .option('--dry-run', 'report what would be removed, remove nothing')
      .option('--json', 'print one JSON line'),
  ).action(async (o) => {
    // 0 is allowed here (unlike a token lifetime): commits re-check their blocks, so no data is at
    // risk; only uploads running meanwhile may fail.
    const grace = /^\s*0+\s*[smhd]?\s*$/.test(o.grace) ? 0 : parseDuration(o.grace);
    if (grace === undefined)
      throw new CliError(`invalid --grace "${o.grace}": give a duration like 1h or 30m (0: no grace)`, 2);
    const dryRun = o.dryRun === true;
    const services = await Services.open(loadSettings(o));
    // Progress only for a person watching: a terminal on stderr, and never mixed into --json.
    const bar = process.stderr.isTTY && !o.json ? new ProgressBar(process.stderr) : undefined;
    try {
      // Expired objects first (X-Delete-At), through the one delete path, so their blocks are freed
      // by this same run. A dry run leaves them.
      const expired = dryRun ? 0 : await reapAllExpired(services);
      const report = await collectGarbage(services.metadata.db, services.blocks, {
        graceSeconds: grace,
        dryRun,
        onProgress: bar && ((p) => bar.update(p.phase, p.done, p.total, UNITS[p.phase])),
      });
      bar?.finish();
      // The last real run's counts, for every node's /metrics (a dry run changes nothing, so is not recorded).
      if (!dryRun)
        await recordMaintenanceRun(services.metadata.db, 'gc', {
          scanned_blocks: report.scanned,
          candidate_blocks: report.candidates,
          removed_blocks: report.removed.length,
        });
      if (o.json)
        return outJson({
          scanned: report.scanned,
          candidates: report.candidates,
          removed: report.removed,
          dry_run: dryRun,
        });
      const verb = dryRun ? 'would remove' : 'removed';
      if (expired) out(`removed ${expired} expired object${expired === 1 ? '' : 's'}`);
      for (const h of report.removed) out(`${verb} ${h}`);
      out(
        `scanned ${report.scanned} blocks, ${report.candidates} older than ${o.grace}, ${verb} ${report.removed.length} unreferenced${dryRun ? ' (dry run: nothing removed)' : ''}`,
      );
    } finally {
      bar?.finish();
      await services.close();
    }
  });
}
