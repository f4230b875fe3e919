import type { Command } from 'commander';
import { loadSettings } from '../config.ts';
import cluster from 'node:cluster';
import { createLogger, startServer } from '../server.ts';
import { startServeDuties } from './serve-duties.ts';
import { Services } from '../services.ts';
import { err } from './output.ts';
import { runPrimary, runWorker } from './serve-cluster.ts';
import { banner, bindFailure, createFirstAdmin } from './serve-start.ts';
import { storageOptions } from './storage-options.ts';

export { banner };

export function registerServeCommand(program: Command): void {
  storageOptions(
    program
      .command('serve')
      .description('apply pending migrations, then serve every API on one listener')
      .option('--host <host>', 'address to bind (env PLANKTON_HOST)', undefined)
      .option('--port <port>', 'port to bind, 0 for any free one (env PLANKTON_PORT)')
      .option('--public-url <url>', 'base URL given to clients (env PLANKTON_PUBLIC_URL; default http://HOST:PORT)')
      .option(
        '--workers <n>',
        'HTTP worker processes sharing the port (env PLANKTON_WORKERS; default: number of cores; 1: a single process)',
      ),
  ).action(async (o) => {
    const settings = loadSettings(o);
    // Under the cluster every worker runs this same command line again (cluster.fork).
    if (cluster.isWorker) return runWorker(settings);
    if (settings.workers > 1) return runPrimary(settings);
    const log = createLogger(settings.logLevel);
    // An S3 endpoint down at start-up is not fatal: the server starts, healthz names it and block
    // reads and writes answer 503 until it is back (README, "When a dependency fails").
    const services = await Services.open(settings, { onBlocksUnreachable: (message) => log.warn(message) });
    const swept = await services.blocks.sweep();
    // Imports a stopped process left half-way fail visibly now, rather than stay `importing`.
    const imports = await services.images.recoverInterruptedImports();
    let server: Awaited<ReturnType<typeof startServer>>;
    try {
      server = await startServer(services, log);
    } catch (e) {
      await services.close();
      throw bindFailure((e as NodeJS.ErrnoException).code, settings) ?? e;
    }
    // Only once the port is ours: a failed start must not create an admin whose token nobody saw.
    const firstAdmin = await createFirstAdmin(services);
    log.info(
      {
        url: server.url,
        publicUrl: services.publicUrl(),
        database: services.metadata.label,
        blocks: services.blocks.label,
        sweptTempFiles: swept,
        interruptedImports: imports.failed,
        droppedStagedData: imports.dropped,
      },
      'plankton is serving',
    );
    err(banner(services.publicUrl(), firstAdmin, services.settings.region));
    const duties = startServeDuties(services, log);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return; // a second signal during the grace changes nothing
      stopping = true;
      const started = Date.now();
      const graceSeconds = settings.shutdownGraceSeconds;
      log.info({ signal, graceSeconds }, 'shutdown started');
      await duties.stop();
      const { inFlightAtStart, cut } = await server.shutdown(graceSeconds * 1000);
      // Background imports get what is left of the grace; one still running then fails with the
      // database closing, and the next start marks it failed (recoverInterruptedImports).
      const left = Math.max(0, graceSeconds * 1000 - (Date.now() - started));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        services.images.importsSettled(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, left);
        }),
      ]);
      clearTimeout(timer);
      // Nothing writes blocks any more: temp files of the cut uploads can go now.
      const swept = await services.blocks.sweep().catch(() => 0);
      await services.close();
      log.info({ signal, inFlightAtStart, cut, sweptTempFiles: swept, ms: Date.now() - started }, 'shutdown finished');
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  });
}
