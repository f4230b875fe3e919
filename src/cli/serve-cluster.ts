import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Settings } from '../config.ts';
import { CliError } from '../errors.ts';
import { createLogger, startMetricsListener, startServer } from '../server.ts';
import { Services } from '../services.ts';
import { err } from './output.ts';
import { banner, bindFailure, createFirstAdmin } from './serve-start.ts';
import { startServeDuties } from './serve-duties.ts';

/**
 * `plankton serve --workers N` (N > 1): one primary process and N HTTP workers (node:cluster) on
 * one port. The API nodes are stateless (every shared fact is in the database and the block
 * store), so a worker is simply another node; what must happen once happens in the primary:
 *
 * - start-up: migrations, the sweep of temp block files, failing imports a stopped process left
 *   half-way, the first admin and its banner (after every worker is listening, as in one process);
 * - shutdown: the primary tells every worker to stop (each lets its requests finish within
 *   PLANKTON_SHUTDOWN_GRACE, cuts the rest), waits for them, and only then sweeps temp files:
 *   a worker's sweep would delete the temp files of uploads another worker is still writing;
 * - metrics: each worker counts its own requests; PLANKTON_METRICS_LISTEN is served by the primary
 *   with the sum over the workers (prom-client's AggregatorRegistry), and the public `/metrics`
 *   (PLANKTON_METRICS_TOKEN), answered by whichever worker got the request, asks the primary for
 *   the same sum.
 *
 * The primary accepts connections and hands them to the workers in turn (node's round-robin
 * scheduling, the default on Linux): fairer than letting the workers race for accept(), and when
 * the primary dies (SIGKILL) the port closes with it and the workers exit at once (node ends a
 * worker whose IPC channel to the primary closes), as one process would.
 *
 * Per-process limits (PLANKTON_MAX_CONNECTIONS, PLANKTON_MAX_UPLOADS) apply to each worker.
 */

const LISTENING = 'plankton:listening';
const START_FAILED = 'plankton:start-failed';
const CLOSED = 'plankton:closed';
const STOPPED = 'plankton:stopped';
const SHUTDOWN = 'plankton:shutdown';
const METRICS_REQ = 'plankton:metrics-req';
const METRICS_RES = 'plankton:metrics-res';

type Message =
  | { type: typeof LISTENING; url: string }
  | { type: typeof START_FAILED; code?: string; message: string }
  | { type: typeof CLOSED }
  | { type: typeof STOPPED; inFlightAtStart: number; cut: number }
  | { type: typeof SHUTDOWN }
  | { type: typeof METRICS_REQ; id: number }
  | { type: typeof METRICS_RES; id: number; text?: string; error?: string };

/**
 * The node flags of a worker: the primary's own (a loader, `--cpu-prof`…), with the V8 heap sized
 * by PLANKTON_WORKER_HEAP and PLANKTON_WORKER_SEMI_SPACE instead of any the primary was given.
 * Set here, for the workers only, and not through NODE_OPTIONS, which every node process started
 * from that environment would read (the CLI, test and bench runners, seeders). Why these values:
 * docs/performance.md §4 (a worker's live heap under 64 list connections stays under 40 MiB; the
 * young generation's semi-spaces, 16 MiB each by default, were most of its resident heap).
 */
export function workerExecArgv(
  primary: readonly string[],
  s: Pick<Settings, 'workerHeapMib' | 'workerSemiSpaceMib'>,
): string[] {
  const own = primary.filter((a) => !/^--max-(old|semi)-space-size(=|$)/.test(a));
  return [...own, `--max-old-space-size=${s.workerHeapMib}`, `--max-semi-space-size=${s.workerSemiSpaceMib}`];
}

/** After the grace, how long the primary waits for workers to unwind before it kills them. */
const WORKER_UNWIND_MS = 20_000;
/** A worker that dies this soon after it started is restarted only after a pause (no crash loop). */
const RESTART_PAUSE_MS = 1000;

export async function runPrimary(settings: Settings): Promise<void> {
  const log = createLogger(settings.logLevel, 0);
  const services = await Services.open(settings, { onBlocksUnreachable: (message) => log.warn(message) });
  const swept = await services.blocks.sweep();
  const imports = await services.images.recoverInterruptedImports();
  const aggregator = new AggregatorRegistry();
  const clusterMetrics = { render: () => aggregator.clusterMetrics(), contentType: aggregator.contentType };
  let metricsListener: Awaited<ReturnType<typeof startMetricsListener>> | undefined;
  const listen = settings.metricsListen;
  if (listen) {
    try {
      metricsListener = await startMetricsListener(clusterMetrics, listen.host, listen.port, log);
    } catch (e) {
      await services.close();
      throw new CliError(
        `cannot listen for metrics on ${listen.host}:${listen.port} (PLANKTON_METRICS_LISTEN): ${(e as Error).message}`,
      );
    }
  }

  let stopping = false;
  let ready = false;
  const stopped = { inFlightAtStart: 0, cut: 0 };
  const closed = new Set<number>();
  const startedAt = new Map<number, number>();
  let url = '';

  cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, settings) });
  const fork = (): Worker => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
    worker.on('message', (m: Message) => {
      if (m?.type === METRICS_REQ) {
        clusterMetrics.render().then(
          (text) => worker.isConnected() && worker.send({ type: METRICS_RES, id: m.id, text } satisfies Message),
          (e: unknown) =>
            worker.isConnected() &&
            worker.send({ type: METRICS_RES, id: m.id, error: (e as Error).message } satisfies Message),
        );
      } else if (m?.type === CLOSED) closed.add(worker.id);
      else if (m?.type === STOPPED) {
        stopped.inFlightAtStart += m.inFlightAtStart;
        stopped.cut += m.cut;
      }
    });
    return worker;
  };

  // Start: every worker listening, or the first failure is the command's error.
  const starting = Array.from({ length: settings.workers }, fork);
  try {
    [url] = await Promise.all(starting.map((w) => listening(w)));
  } catch (e) {
    stopping = true;
    for (const w of starting) w.process.kill('SIGKILL');
    metricsListener?.server.close();
    await services.close();
    const failure = e as { code?: string; message: string };
    throw bindFailure(failure.code, settings) ?? new CliError(failure.message);
  }
  ready = true;
  if (!settings.publicUrlGiven) services.setPublicUrl(url);

  cluster.on('exit', (worker, code, signal) => {
    if (stopping || !ready) return;
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    log.warn({ exitedWorker: worker.id, code, signal }, 'worker exited: starting another');
    setTimeout(fork, lived < 5000 ? RESTART_PAUSE_MS : 0);
  });

  const firstAdmin = await createFirstAdmin(services);
  log.info(
    {
      url,
      publicUrl: services.publicUrl(),
      database: services.metadata.label,
      blocks: services.blocks.label,
      workers: settings.workers,
      sweptTempFiles: swept,
      interruptedImports: imports.failed,
      droppedStagedData: imports.dropped,
    },
    'plankton is serving',
  );
  err(banner(services.publicUrl(), firstAdmin, settings.region));
  // Once per node, not per worker: the primary has its own connection to the database.
  const duties = startServeDuties(services, log);

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    await duties.stop();
    const graceSeconds = settings.shutdownGraceSeconds;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    for (const w of workers) if (w.isConnected()) w.send({ type: SHUTDOWN } satisfies Message);
    // Logged once every worker has stopped accepting (the port is then closed), as one process does.
    await waitFor(() => workers.every((w) => closed.has(w.id) || w.isDead()), 5000);
    log.info({ signal, graceSeconds }, 'shutdown started');
    metricsListener?.server.close();
    metricsListener?.server.closeAllConnections();
    const allExited = () => workers.every((w) => w.isDead());
    if (!(await waitFor(allExited, graceSeconds * 1000 + WORKER_UNWIND_MS))) {
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
      await waitFor(allExited, 5000);
    }
    // No worker writes blocks any more: temp files of the cut uploads can go now.
    const sweptAtEnd = await services.blocks.sweep().catch(() => 0);
    await services.close();
    log.info({ signal, ...stopped, sweptTempFiles: sweptAtEnd, ms: Date.now() - started }, 'shutdown finished');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** Resolves with the worker's URL once it listens; rejects with its bind error or its exit. */
function listening(worker: Worker): Promise<string> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Message) => {
      if (m?.type === LISTENING) done(() => resolve(m.url));
      else if (m?.type === START_FAILED) done(() => reject(Object.assign(new Error(m.message), { code: m.code })));
    };
    const onExit = (code: number | null) =>
      done(() => reject(new Error(`a worker exited with status ${code} before it listened`)));
    const done = (settle: () => void) => {
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      settle();
    };
    worker.on('message', onMessage);
    worker.on('exit', onExit);
  });
}

async function waitFor(condition: () => boolean, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

/** One HTTP worker: the same server as a single process, minus what the primary does once. */
export async function runWorker(settings: Settings): Promise<void> {
  const log = createLogger(settings.logLevel, cluster.worker!.id);
  const send = (m: Message, then?: () => void) => {
    if (process.connected) process.send!(m, undefined, {}, () => then?.());
    else then?.();
  };
  // The primary serves PLANKTON_METRICS_LISTEN; the workers must not all try to bind it.
  const own: Settings = { ...settings, metricsListen: undefined };
  let services: Services;
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    services = await Services.open(own, { migrate: false, onBlocksUnreachable: (message) => log.warn(message) });
  } catch (e) {
    return send({ type: START_FAILED, message: (e as Error).message }, () => process.exit(1));
  }
  // Answer the primary's AggregatorRegistry with this worker's registry (prom-client listens once one exists).
  AggregatorRegistry.setRegistries([services.metrics.registry]);
  new AggregatorRegistry();
  services.metrics.renderWith(askPrimaryForMetrics);
  try {
    server = await startServer(services, log);
  } catch (e) {
    await services.close();
    const code = (e as NodeJS.ErrnoException).code;
    return send({ type: START_FAILED, code, message: (e as Error).message }, () => process.exit(1));
  }
  send({ type: LISTENING, url: server.url });

  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    const graceMs = settings.shutdownGraceSeconds * 1000;
    log.info({ reason }, 'worker shutdown started');
    const shutdown = server.shutdown(graceMs);
    send({ type: CLOSED }); // after server.close() has told the primary to stop handing it connections
    const { inFlightAtStart, cut } = await shutdown;
    await settleImports(services, Math.max(0, graceMs - (Date.now() - started)));
    await services.close();
    log.info({ reason, inFlightAtStart, cut, ms: Date.now() - started }, 'worker shutdown finished');
    send({ type: STOPPED, inFlightAtStart, cut }, () => process.exit(0));
  };
  process.on('message', (m: Message) => {
    if (m?.type === SHUTDOWN) void stop('primary');
  });
  // A terminal's Ctrl-C reaches every process of the group; the primary's message follows anyway.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** Background imports get what is left of the grace (as in one process: serve-command.ts). */
async function settleImports(services: Services, leftMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    services.images.importsSettled(),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, leftMs);
    }),
  ]);
  clearTimeout(timer);
}

let metricsRequests = 0;
const pendingMetrics = new Map<number, { resolve: (text: string) => void; reject: (e: Error) => void }>();

/** The public `/metrics` in a worker: the whole cluster's figures, gathered by the primary. */
function askPrimaryForMetrics(): Promise<string> {
  if (pendingMetrics.size === 0 && metricsRequests === 0) {
    process.on('message', (m: Message) => {
      if (m?.type !== METRICS_RES) return;
      const pending = pendingMetrics.get(m.id);
      pendingMetrics.delete(m.id);
      if (m.text !== undefined) pending?.resolve(m.text);
      else pending?.reject(new Error(m.error ?? 'no metrics'));
    });
  }
  const id = ++metricsRequests;
  return new Promise((resolve, reject) => {
    pendingMetrics.set(id, { resolve, reject });
    if (!process.connected) {
      pendingMetrics.delete(id);
      return reject(new Error('the primary process is gone'));
    }
    process.send!({ type: METRICS_REQ, id } satisfies Message);
  });
}
