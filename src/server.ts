import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { notFound, CliError, dependencyFault, serviceUnavailable } from './errors.ts';
import { DependencyUnavailable } from './domain/errors.ts';
import { apiRequest } from './api/http/api-request.ts';
import { redactUrl } from './api/http/auth.ts';
import { errorResponse, failureResponse, send, type ApiResponse } from './api/http/reply.ts';
import { findApi, type Api } from './api/router.ts';
import type { Services } from './services.ts';
import type { Metrics } from './metrics/metrics.ts';
import { routeLabel } from './metrics/route-label.ts';

export interface RunningServer {
  readonly url: string;
  /** The metrics listener's URL (PLANKTON_METRICS_LISTEN), if there is one. */
  readonly metricsUrl?: string;
  readonly server: http.Server;
  close(): Promise<void>;
  /**
   * Graceful stop: refuse new connections, let requests in flight finish for up to `graceMs`,
   * then cut what still runs and wait (bounded) for its handlers to unwind.
   */
  shutdown(graceMs: number): Promise<{ inFlightAtStart: number; cut: number }>;
}

/** What the shell tracks per server: requests in flight, uploads holding a slot, and whether it is stopping. */
interface ShellState {
  readonly inFlight: Set<Promise<void>>;
  uploads: number;
  stopping: boolean;
}

/** After the grace, how long cut requests get to unwind (abort their uploads, remove temp files). */
const UNWIND_LIMIT_MS = 10_000;

const requestIdPrefix = `${randomBytes(4).toString('hex')}-`;
let requestCounter = 0;
/** Unique per process start, cheap per request (no RNG call on the hot path). */
const nextRequestId = (): string => requestIdPrefix + (++requestCounter).toString(36);

/** Request line plus headers larger than this → 400 "Request headers too large" (spec/README.md). */
const MAX_HEADER_SIZE = 128 * 1024;

/** `worker`: under `serve --workers N`, which process wrote the line (0 the primary, 1… the HTTP workers). */
export function createLogger(level: string, worker?: number): Logger {
  const base = worker === undefined ? { service: 'plankton' } : { service: 'plankton', worker };
  return pino({ level, base, timestamp: isoTimeOncePerMs() });
}

/**
 * pino's `isoTime` (`,"time":"2026-12-08T00:52:18.775Z"`), formatted once per millisecond: under
 * load several lines share one, and a Date plus `toISOString` per line showed in HEAD profiles.
 */
function isoTimeOncePerMs(): () => string {
  let lastMs = -1;
  let last = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      last = `,"time":"${new Date(now).toISOString()}"`;
    }
    return last;
  };
}

/**
 * The HTTP shell: node:http and the `Api` table, nothing else. Every API parses its own paths,
 * bodies and headers (their rules differ: raw octets, percent-encoding, Content-Types a framework
 * would refuse), so a framework's router, body parsers and error pages would only stand in the
 * way (README, design decisions). COPY and MOVE are methods node's parser knows.
 */
export function createHttpServer(services: Services, log: Logger, state: ShellState = newShellState()): http.Server {
  const { headersTimeoutSeconds, idleTimeoutSeconds, maxConnections } = services.settings;
  const headersTimeout = headersTimeoutSeconds * 1000;
  const server = http.createServer(
    {
      maxHeaderSize: MAX_HEADER_SIZE,
      // Uploads of any length are fine as long as bytes keep moving (the idle timeout below).
      requestTimeout: 0,
      // Request line and headers must all arrive within this: a slowloris sender is answered 408 and closed.
      headersTimeout,
      // Node checks the headers deadline on this period (default 30 s): check often enough to keep it.
      connectionsCheckingInterval: Math.max(250, Math.min(30_000, headersTimeout / 4)),
      // An idle keep-alive connection lives as long as any idle connection. A short one (Node's 5 s)
      // races clients that reuse a pooled connection just as the server closes it: the request
      // goes out on a dying socket and fails (a PUT is not retried). Clients close first this way.
      keepAliveTimeout: idleTimeoutSeconds * 1000,
    },
    (req, res) => {
      const id = nextRequestId();
      // First of all: every reply to this request names it, also one the shell words itself (a 408).
      res.setHeader('X-Request-Id', id);
      // Keep-alive connections must not carry new requests past a shutdown.
      if (state.stopping) res.setHeader('Connection', 'close');
      const handled = dispatch(req, res, id, log, services, state).catch((err: unknown) => {
        // Only writing the reply can fail here (every handler error became a reply): cut the connection.
        log.error({ reqId: id, err }, 'could not send the reply');
        res.destroy();
      });
      state.inFlight.add(handled);
      void handled.finally(() => state.inFlight.delete(handled));
    },
  );
  // No byte either way for this long (a sender that stalls, a reader that stopped reading a
  // download): node destroys the socket, which aborts the upload or the block reads behind it.
  server.setTimeout(idleTimeoutSeconds * 1000);
  server.maxConnections = maxConnections;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(err, socket, log));
  return server;
}

function newShellState(): ShellState {
  return { inFlight: new Set(), uploads: 0, stopping: false };
}

/** A request that streams a body to store holds an upload slot (PLANKTON_MAX_UPLOADS) while it runs. */
function carriesBody(raw: http.IncomingMessage): boolean {
  if (raw.method !== 'PUT' && raw.method !== 'POST') return false;
  if (raw.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(raw.headers['content-length'] ?? 0);
  return !(length === 0);
}

/**
 * `serverLog`: the server's logger. The request's own (`reqId` and the API's id fields bound) is
 * made only when something logs more than the access line: a child logger costs a serialisation
 * of its bindings per request, and most requests write just that one line.
 */
async function dispatch(
  raw: http.IncomingMessage,
  res: http.ServerResponse,
  id: string,
  serverLog: Logger,
  services: Services,
  state: ShellState,
): Promise<void> {
  const started = process.hrtime.bigint();
  const path = pathOf(raw.url);
  const metrics = services.metrics;
  const onMetricsPath = path === '/metrics' && services.settings.metricsToken !== undefined;
  const api = onMetricsPath ? undefined : findApi(path);
  // The API's own request ids (Swift's X-Trans-Id): on every reply, and in the log lines.
  const idHeaders = api?.idHeaders?.();
  let requestLog: Logger | undefined;
  if (idHeaders) {
    for (const [name, value] of Object.entries(idHeaders)) res.setHeader(name, value);
    requestLog = serverLog.child({ reqId: id, ...logFieldsOf(idHeaders) });
  }
  const logOf = (): Logger => (requestLog ??= serverLog.child({ reqId: id }));
  const req = apiRequest(raw, id, logOf, services);
  const apiLabel = onMetricsPath ? 'metrics' : (api?.name ?? 'none');
  const socket = raw.socket;
  // The request's log line and metrics when its reply is done, whoever wrote the reply (the shell's
  // 408 for a body too slow closes the response before the handler has unwound).
  res.once('close', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const labels = {
      api: apiLabel,
      route: onMetricsPath ? 'metrics' : (req.routeLabel ?? routeLabel(api?.name, req.path)),
      method: methodLabel(raw.method),
      status: String(res.statusCode),
    };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, ms / 1000);
    // Bytes the connection moved since the previous request on it was counted: this request's
    // headers and body (read partly before the handler ran, so a count from dispatch on would miss them).
    const counted = bytesCounted.get(socket) ?? { read: 0, written: 0 };
    metrics.bytesIn.inc({ api: apiLabel }, Math.max(0, socket.bytesRead - counted.read));
    metrics.bytesOut.inc({ api: apiLabel }, Math.max(0, socket.bytesWritten - counted.written));
    bytesCounted.set(socket, { read: socket.bytesRead, written: socket.bytesWritten });
    const url = redactUrl(raw.url ?? '');
    const status = res.statusCode;
    const roundedMs = Math.round(ms * 10) / 10;
    const aborted = !res.writableFinished || undefined;
    // The same line either way: a child's bindings come first, as `reqId` does here.
    if (requestLog) requestLog.info({ method: req.method, url, status, ms: roundedMs, aborted }, 'request');
    else serverLog.info({ reqId: id, method: req.method, url, status, ms: roundedMs, aborted }, 'request');
  });
  let response: ApiResponse;
  const upload = carriesBody(raw);
  try {
    if (upload && state.uploads >= services.settings.maxUploads) {
      throw serviceUnavailable('Too many uploads in progress, retry later');
    }
    if (upload) {
      state.uploads++;
      metrics.uploadsInFlight.inc();
      res.once('close', () => {
        state.uploads--;
        metrics.uploadsInFlight.dec();
      });
      const { bodyMinRate, bodyRateWindowSeconds } = services.settings;
      if (bodyMinRate > 0) watchBodyRate(raw, res, bodyMinRate, bodyRateWindowSeconds * 1000, logOf());
    }
    if (onMetricsPath) response = await metricsResponse(raw, metrics, services.settings.metricsToken!);
    else response = api ? await api.handle(req) : errorResponse(notFound('Not found'));
  } catch (err) {
    // An API without a faults module of its own (identity v2.0, account, health) still words a
    // failed dependency as every API does, not as an unexpected error.
    const fault =
      err instanceof DependencyUnavailable && !api?.faults ? dependencyFault(err.dependency, err.problem) : err;
    response = failureResponse(logOf(), fault, api?.faults, api?.faultNames);
  }
  // Already answered by the shell (a body too slow got its 408): the handler only unwound.
  if (res.headersSent) return;
  // Set ahead of the reply's own, in this order, as a merged copy of both would: a header of the
  // reply by the same name replaces the value in place (no copy of every header per request: the
  // copy grew a new object key by key, which showed as ~6% of a HEAD's CPU).
  if (api?.commonHeaders) for (const name in api.commonHeaders) res.setHeader(name, api.commonHeaders[name]);
  if (response.body instanceof Readable && raw.method !== 'HEAD') {
    metrics.downloadsInFlight.inc();
    res.once('close', () => metrics.downloadsInFlight.dec());
  }
  await send(raw, res, response);
}

/** The path of a request target, still percent-encoded (as ApiRequest's `path`). */
const pathOf = (url: string | undefined): string => {
  const target = url ?? '/';
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
};

/**
 * `X-Trans-Id: tx…` → `transId: "tx…"`: how an API's request-id headers appear in the log; a
 * value already logged under an earlier name (Swift's `X-Openstack-Request-Id`) is not repeated.
 */
function logFieldsOf(headers: Record<string, string>): Record<string, string> {
  const fields: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    if (seen.has(value)) continue;
    seen.add(value);
    const words = name.replace(/^X-/i, '').toLowerCase().split('-');
    fields[words.map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1))).join('')] = value;
  }
  return fields;
}

/** Per connection, the byte counts already attributed to a request (keep-alive carries several). */
const bytesCounted = new WeakMap<Socket, { read: number; written: number }>();

const METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'COPY', 'MOVE', 'OPTIONS']);
/** A bounded label: the methods the APIs know, anything else `other`. */
const methodLabel = (method: string | undefined): string => (method && METHODS.has(method) ? method : 'other');

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * `/metrics` on the public listener (PLANKTON_METRICS_TOKEN set): `GET`/`HEAD` with
 * `Authorization: Bearer <token>`, compared in constant time (on digests, so lengths do not leak
 * either). Anything else is `401` (a wrong or missing token) or `405`.
 */
async function metricsResponse(raw: http.IncomingMessage, metrics: Metrics, token: string): Promise<ApiResponse> {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(raw.headers.authorization ?? '')?.[1];
  if (given === undefined || !timingSafeEqual(digest(given), digest(token))) {
    return {
      status: 401,
      headers: { 'Content-Type': 'application/json; charset=UTF-8', 'WWW-Authenticate': 'Bearer realm="metrics"' },
      body: Buffer.from(
        JSON.stringify({
          unauthorized: {
            code: 401,
            message: 'Metrics need Authorization: Bearer <PLANKTON_METRICS_TOKEN>',
            details: '',
          },
        }),
      ),
    };
  }
  if (raw.method !== 'GET' && raw.method !== 'HEAD') {
    return {
      status: 405,
      headers: { 'Content-Type': 'application/json; charset=UTF-8', Allow: 'GET, HEAD' },
      body: Buffer.from(
        JSON.stringify({ notAllowed: { code: 405, message: 'Metrics answer GET and HEAD only', details: '' } }),
      ),
    };
  }
  return { status: 200, headers: { 'Content-Type': metrics.contentType }, body: await metrics.render() };
}

/**
 * The metrics listener (PLANKTON_METRICS_LISTEN): `GET /metrics` only, no token, for a scraper on
 * a private address; nothing else of the APIs is reachable on it.
 */
export async function startMetricsListener(
  metrics: { render(): Promise<string>; readonly contentType: string },
  host: string,
  port: number,
  log: Logger,
): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const reply = (status: number, headers: Record<string, string>, body: string) => {
      res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (path !== '/metrics')
      return reply(404, { 'Content-Type': 'text/plain; charset=utf-8' }, 'Not found: only /metrics here\n');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return reply(405, { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' }, 'GET or HEAD\n');
    metrics.render().then(
      (text) => reply(200, { 'Content-Type': metrics.contentType }, text),
      (err: unknown) => {
        log.error({ err }, 'could not render the metrics');
        reply(500, { 'Content-Type': 'text/plain; charset=utf-8' }, 'metrics failed\n');
      },
    );
  });
  server.keepAliveTimeout = 5000;
  await listenOn(server, host, port);
  const address = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/metrics`;
  log.info(`metrics on ${url}`);
  return { server, url };
}

/**
 * Slowloris bodies: a sender that keeps a connection (and an upload slot) by trickling a byte now
 * and then never trips the idle timeout. Over every window the body must bring at least
 * `minRate` bytes a second on average, else the client is answered 408 (`requestTimeout`, as for
 * slow headers) and the connection closed; the handler sees its body cut and commits nothing.
 * A window in which the server was the slow side (unread bytes waiting in the request's buffer:
 * the block store is slow, the hash workers busy) does not count against the client.
 */
function watchBodyRate(
  raw: http.IncomingMessage,
  res: http.ServerResponse,
  minRate: number,
  windowMs: number,
  log: Logger,
): void {
  const socket = raw.socket;
  const sampleMs = Math.max(100, Math.min(1000, windowMs / 4));
  let windowStart = Date.now();
  let bytesAtStart = socket.bytesRead;
  let serverWasSlow = false;
  const timer = setInterval(() => {
    if (raw.complete || res.headersSent || socket.destroyed) return stop();
    if (raw.readableLength > 0) serverWasSlow = true;
    const elapsed = Date.now() - windowStart;
    if (elapsed < windowMs) return;
    const received = socket.bytesRead - bytesAtStart;
    if (!serverWasSlow && received < (minRate * elapsed) / 1000) {
      stop();
      log.info({ received, windowMs: elapsed, minRate }, 'upload body too slow: cut');
      const body = JSON.stringify({
        requestTimeout: { code: 408, message: 'Request body not received in time', details: '' },
      });
      res.writeHead(408, {
        'Content-Type': 'application/json; charset=UTF-8',
        'Content-Length': Buffer.byteLength(body),
        Connection: 'close',
      });
      // Once the answer is on its way, cut the body: the upload sees it end early and keeps nothing.
      res.end(body, () => raw.destroy());
      return;
    }
    windowStart = Date.now();
    bytesAtStart = socket.bytesRead;
    serverWasSlow = false;
  }, sampleMs);
  const stop = () => clearInterval(timer);
  res.once('close', stop);
}

/** Malformed HTTP never reaches a handler: answer it with the fault body ourselves. */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket, log: Logger): void {
  if (!socket.writable || (err as { code?: string }).code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  // The bad bytes came after a request the server is still answering (pipelined, or a client that
  // split its own request with a CR/LF in a header value). Writing a raw 400 now would land in the
  // middle of, or be joined to, that response: let it finish alone, then close the connection.
  // A request whose own body broke (the client went away mid-upload) is not that case: closing the
  // socket is what tells its handler the body was interrupted.
  const inFlight = (socket as { _httpMessage?: http.ServerResponse | null })._httpMessage;
  if (inFlight && !inFlight.writableFinished && inFlight.req.complete) {
    if (!inFlight.headersSent) inFlight.shouldKeepAlive = false;
    inFlight.once('finish', () => socket.end());
    inFlight.once('close', () => socket.end());
    return;
  }
  if (inFlight?.headersSent) {
    socket.destroy(); // a raw 400 now would be joined to a response already started
    return;
  }
  // No request came of it, but the reply still names one, and the log line says which.
  const id = nextRequestId();
  const target = requestTargetOf(err);
  const idHeaders = (target !== undefined && findApi(pathOf(target))?.idHeaders?.()) || {};
  const [status, reason, fault, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? // The headers did not all arrive in time (PLANKTON_HEADERS_TIMEOUT).
        [408, 'Request Timeout', 'requestTimeout', 'Request headers not received in time']
      : [
          400,
          'Bad Request',
          'badRequest',
          err.code === 'HPE_HEADER_OVERFLOW' ? 'Request headers too large' : 'Bad request',
        ];
  const body = JSON.stringify({ [fault]: { code: status, message, details: '' } });
  const headers = {
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
    'X-Request-Id': id,
    ...idHeaders,
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  log.info({ reqId: id, ...logFieldsOf(idHeaders), status, error: err.code }, 'request refused by the HTTP parser');
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${head}\r\n${body}`);
}

/**
 * The request target of the bytes the parser refused, when they got as far as a request line
 * (node hands them over as `rawPacket` on parse errors; a headers timeout has none): which API
 * the client meant, for its request-id headers.
 */
function requestTargetOf(err: NodeJS.ErrnoException): string | undefined {
  const packet = (err as { rawPacket?: unknown }).rawPacket;
  if (!Buffer.isBuffer(packet)) return undefined;
  const line = /^[A-Z]+ (\/[^ \r\n]*) HTTP\/1\.[01]\r?\n/.exec(packet.subarray(0, 8192).toString('latin1'));
  return line?.[1];
}

export async function startServer(services: Services, log: Logger): Promise<RunningServer> {
  const state = newShellState();
  const server = createHttpServer(services, log, state);
  services.images.onImportFailure((imageId, err) =>
    log.warn({ imageId, err: err instanceof Error ? err.message : String(err) }, 'image import failed'),
  );
  services.images.statusRepairs.onEvent((e) => {
    if (e.outcome === 'repaired') log.info({ imageId: e.imageId, attempts: e.attempts }, 'image status repaired');
    else
      log[e.outcome === 'pending' ? 'warn' : 'error'](
        { imageId: e.imageId, err: e.err instanceof Error ? e.err.message : String(e.err) },
        e.outcome === 'pending'
          ? 'failed upload: the image could not leave its upload status, retried until the database takes it'
          : 'failed upload: the image could not leave its upload status before shutdown',
      );
  });
  services.images.uploadLeases.onRenewalFailure((err) =>
    log.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'renewing upload leases failed (tried again shortly)',
    ),
  );
  services.onDatabaseFailure((err, statement) => {
    const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
    log.warn(
      {
        dependency: err.dependency,
        problem: err.problem,
        statement,
        cause: { code: cause?.code, message: typeof cause?.message === 'string' ? cause.message : String(cause) },
      },
      'database failed',
    );
  });
  const { host, port } = services.settings;
  await listenOn(server, host, port);
  const address = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${address.port}`;
  log.info(`listening on ${url}`);
  if (!services.settings.publicUrlGiven) services.setPublicUrl(url);
  const listen = services.settings.metricsListen;
  let metricsListener: { server: http.Server; url: string } | undefined;
  try {
    metricsListener = listen && (await startMetricsListener(services.metrics, listen.host, listen.port, log));
  } catch (err) {
    server.close();
    throw new CliError(
      `cannot listen for metrics on ${listen?.host}:${listen?.port} (PLANKTON_METRICS_LISTEN): ${(err as Error).message}`,
    );
  }
  const closeMetrics = () =>
    new Promise<void>((resolve) => {
      if (!metricsListener) return resolve();
      metricsListener.server.close(() => resolve());
      metricsListener.server.closeAllConnections();
    });
  return {
    url,
    metricsUrl: metricsListener?.url,
    server,
    close: async () => {
      await closeMetrics();
      await new Promise<void>((resolve, reject) => {
        // Idle keep-alive connections would hold close() open; requests in flight still finish.
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      });
    },
    shutdown: async (graceMs) => {
      await closeMetrics();
      return shutdown(server, state, graceMs);
    },
  };
}

async function shutdown(
  server: http.Server,
  state: ShellState,
  graceMs: number,
): Promise<{ inFlightAtStart: number; cut: number }> {
  state.stopping = true;
  const inFlightAtStart = state.inFlight.size;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Connections that go idle between requests are closed as they do; busy ones finish first.
  const sweeper = setInterval(() => server.closeIdleConnections(), 100);
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'grace'>((resolve) => {
    timer = setTimeout(() => resolve('grace'), graceMs);
  });
  const outcome = await Promise.race([closed.then(() => 'done' as const), graceOver]);
  clearTimeout(timer);
  clearInterval(sweeper);
  const cut = outcome === 'grace' ? state.inFlight.size : 0;
  if (outcome === 'grace') {
    // Cut everything still open: uploads see their body end early and commit nothing.
    server.closeAllConnections();
    let unwind: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...state.inFlight]),
      new Promise((resolve) => {
        unwind = setTimeout(resolve, UNWIND_LIMIT_MS);
      }),
    ]);
    clearTimeout(unwind);
  }
  return { inFlightAtStart, cut };
}

export type { Api };

/** Listens on host:port; a bind failure (port taken, address not local) rejects. */
function listenOn(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
