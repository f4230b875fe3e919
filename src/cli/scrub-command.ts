import type { Command } from 'commander';
import { loadSettings } from '../config.ts';
import { type ScrubPhase, scrubBlocks } from '../domain/objects/scrub.ts';
import { CliError } from '../errors.ts';
import { Services } from '../services.ts';
import { recordMaintenanceRun } from '../storage/metadata/maintenance-runs.ts';
import { out, outJson } from './output.ts';
import { ProgressBar } from './progress-bar.ts';
import { storageOptions } from './storage-options.ts';

const UNITS: Record<ScrubPhase, string> = { count: 'blocks listed', verify: 'blocks read', objects: 'objects' };
const MIB = 1024 * 1024;

/** Exit status when scrub ran and found missing or corrupt blocks (1 is also any failure to run). */
export const SCRUB_DAMAGE_EXIT = 1;

export function registerScrubCommand(program: Command): void {
  storageOptions(
    program
      .command('scrub')
      .description(
        're-read every stored block and check its SHA-256; report missing and corrupt blocks with the objects and images that use them (read-only, safe while serve runs); exit status 1 when any is found',
      )
      .option('--rate <MiB/s>', 'read at most this many MiB per second (default: as fast as the store answers)')
      .option('--json', 'print one JSON line'),
  ).action(async (o) => {
    let rate: number | undefined;
    if (o.rate !== undefined) {
      rate = Number(o.rate);
      if (!/^\s*\d+(\.\d+)?\s*$/.test(o.rate) || !(rate > 0))
        throw new CliError(`invalid --rate "${o.rate}": give MiB per second, a number above 0 (e.g. 50 or 0.5)`, 2);
    }
    const services = await Services.open(loadSettings(o));
    const bar = process.stderr.isTTY && !o.json ? new ProgressBar(process.stderr) : undefined;
    let ok = false;
    try {
      const report = await scrubBlocks(services.metadata.db, services.blocks, {
        rateBytesPerSecond: rate === undefined ? undefined : rate * MIB,
        onProgress: bar && ((p) => bar.update(p.phase, p.done, p.total, UNITS[p.phase])),
      });
      bar?.finish();
      ok = report.ok;
      // The counts (never hashes or names) for every node's /metrics.
      await recordMaintenanceRun(services.metadata.db, 'scrub', {
        checked_blocks: report.checked,
        checked_bytes: report.bytes,
        corrupt_blocks: report.corrupt.length,
        missing_blocks: report.missing.length,
        damaged_objects: report.damaged.length,
        damaged_images: report.damaged.reduce((n, d) => n + d.images.length, 0),
      });
      if (o.json) {
        outJson(report);
      } else {
        for (const h of report.corrupt) out(`corrupt ${h}`);
        for (const h of report.missing) out(`missing ${h}`);
        for (const d of report.damaged) {
          const what = [
            d.missing.length ? `${d.missing.length} missing` : '',
            d.corrupt.length ? `${d.corrupt.length} corrupt` : '',
          ].filter(Boolean);
          out(`object ${d.account}/${d.container}/${d.name} (${d.uuid}): ${what.join(', ')} block(s)`);
          for (const i of d.images) out(`  image ${i.id} "${i.name}" owner ${i.owner} status ${i.status}`);
        }
        out(
          `read ${report.checked} blocks (${(report.bytes / MIB).toFixed(1)} MiB), scanned ${report.objects} objects: ${report.corrupt.length} corrupt, ${report.missing.length} missing, ${report.damaged.length} damaged objects`,
        );
      }
    } finally {
      bar?.finish();
      await services.close();
    }
    if (!ok) process.exitCode = SCRUB_DAMAGE_EXIT;
  });
}
