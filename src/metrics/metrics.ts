import type { Kysely } from 'kysely';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { lastMaintenanceRuns } from '../storage/metadata/maintenance-runs.ts';
import type { Database } from '../storage/metadata/schema.ts';

/**
 * The process's Prometheus metrics (`GET /metrics`, README "Metrics"), on a registry of its own
 * (not prom-client's global one: tests run several servers in one process). Labels are bounded
 * sets only: API names, route templates (route-label.ts), methods, status codes, operation names.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'plankton_http_requests_total',
    help: 'Requests answered, by API, route template, method and status',
    labelNames: ['api', 'route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'plankton_http_request_duration_seconds',
    help: 'From the request headers to the last byte of the reply (or the connection closing)',
    labelNames: ['api', 'route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly bytesIn = new Counter({
    name: 'plankton_http_received_bytes_total',
    help: 'Bytes received on the connection while a request ran (headers and body), by API',
    labelNames: ['api'] as const,
    registers: [this.registry],
  });
  readonly bytesOut = new Counter({
    name: 'plankton_http_sent_bytes_total',
    help: 'Bytes sent on the connection for a reply (headers and body), by API',
    labelNames: ['api'] as const,
    registers: [this.registry],
  });
  readonly uploadsInFlight = new Gauge({
    name: 'plankton_uploads_in_flight',
    help: 'Requests with a body (PUT/POST) running now; PLANKTON_MAX_UPLOADS caps them',
    registers: [this.registry],
  });
  readonly downloadsInFlight = new Gauge({
    name: 'plankton_downloads_in_flight',
    help: 'Replies streaming stored data (objects, image files) now',
    registers: [this.registry],
  });
  readonly blockOps = new Histogram({
    name: 'plankton_block_store_operation_duration_seconds',
    help: 'Block store calls by operation and outcome (ok, error)',
    labelNames: ['op', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly blockErrors = new Counter({
    name: 'plankton_block_store_errors_total',
    help: 'Block store calls that failed, by operation',
    labelNames: ['op'] as const,
    registers: [this.registry],
  });
  readonly dbQueries = new Histogram({
    name: 'plankton_database_query_duration_seconds',
    help: 'Database statements by kind (select, insert, update, delete, other) and outcome (ok, error)',
    labelNames: ['kind', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  readonly dbErrors = new Counter({
    name: 'plankton_database_errors_total',
    help: 'Database statements that failed, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  /** The database the last gc and scrub results are read from at each scrape (set once it is open). */
  #db: Kysely<Database> | undefined;

  constructor() {
    const metrics = this;
    // gc and scrub run as their own processes (possibly on another machine): their last results
    // live in the database (maintenance_runs), so every node exports the same figures.
    new Gauge({
      name: 'plankton_maintenance_last_run_timestamp_seconds',
      help: 'When the last gc or scrub finished (Unix time)',
      labelNames: ['command'] as const,
      registers: [this.registry],
      // Every worker reads the same database row: a cluster-wide scrape shows it once, not summed.
      aggregator: 'first',
      async collect() {
        for (const run of await metrics.#maintenanceRuns()) this.set({ command: run.kind }, run.finishedAt / 1e6);
      },
    });
    new Gauge({
      name: 'plankton_maintenance_last_run_result',
      help: 'Counts of the last gc (scanned, candidates, removed blocks) and scrub (checked, corrupt, missing blocks, damaged objects and images)',
      labelNames: ['command', 'result'] as const,
      registers: [this.registry],
      aggregator: 'first',
      async collect() {
        for (const run of await metrics.#maintenanceRuns())
          for (const [result, value] of Object.entries(run.summary)) this.set({ command: run.kind, result }, value);
      },
    });
  }

  useDatabase(db: Kysely<Database>): void {
    this.#db = db;
  }

  /**
   * Under `serve --workers N` each worker counts only its own requests; the public `/metrics`
   * then renders the whole cluster's figures, which only the primary can gather (cluster.ts).
   */
  #renderer: (() => Promise<string>) | undefined;

  renderWith(renderer: () => Promise<string>): void {
    this.#renderer = renderer;
  }

  /** The text exposition format. */
  render(): Promise<string> {
    return this.#renderer ? this.#renderer() : this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async #maintenanceRuns() {
    if (!this.#db) return [];
    try {
      return await lastMaintenanceRuns(this.#db);
    } catch {
      return []; // the database is down: the other metrics still answer (database errors count it)
    }
  }
}

/** A statement's kind, from its first keyword: a fixed set of label values. */
export function statementKind(sql: string): string {
  const word = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase();
  return word === 'select' || word === 'insert' || word === 'update' || word === 'delete' ? word : 'other';
}
