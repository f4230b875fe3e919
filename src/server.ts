import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { notFound, badRequest, ServiceError } from './errors.ts';
import { apiRequest } from './api/http/api-request.ts';
import { redactUrl } from './api/http/auth.ts';
import { errorResponse, failureResponse, send, type ApiResponse } from './api/http/reply.ts';
import { findApi, type Api } from './api/router.ts';
import type { Services } from './services.ts';

export interface RunningServer {
  readonly url: string;
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

/** Seconds a client told "too many uploads" is asked to wait. */
const RETRY_AFTER_SECONDS = 5;
/** After the grace, how long cut requests get to unwind (abort their uploads, remove temp files). */
const UNWIND_LIMIT_MS = 10_000;

const requestIdPrefix = `${randomBytes(4).toString('hex')}-`;
let requestCounter = 0;

/** Request line plus headers larger than this → 400 "Request headers too large" (spec/README.md). */
const MAX_HEADER_SIZE = 128 * 1024;

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'plankton' }, timestamp: pino.stdTimeFunctions.isoTime });
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
      keepAliveTimeout: Math.min(5000, headersTimeout),
    },
    (req, res) => {
      // Unique per process start, cheap per request (no RNG call on the hot path).
      const id = requestIdPrefix + (++requestCounter).toString(36);
      const reqLog = log.child({ reqId: id });
      // Keep-alive connections must not carry new requests past a shutdown.
      if (state.stopping) res.setHeader('Connection', 'close');
      const handled = dispatch(req, res, id, reqLog, services, state).catch((err: unknown) => {
        // Only writing the reply can fail here (every handler error became a reply): cut the connection.
        reqLog.error({ err }, 'could not send the reply');
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
  server.on('clientError', answerClientError);
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

async function dispatch(
  raw: http.IncomingMessage,
  res: http.ServerResponse,
  id: string,
  log: Logger,
  services: Services,
  state: ShellState,
): Promise<void> {
  const started = process.hrtime.bigint();
  const req = apiRequest(raw, id, log, services);
  const api = findApi(req.path);
  let response: ApiResponse;
  const upload = carriesBody(raw);
  try {
    if (upload && state.uploads >= services.settings.maxUploads) {
      throw new ServiceError('serviceUnavailable', 'Too many uploads in progress, retry later', {
        'Retry-After': String(RETRY_AFTER_SECONDS),
      });
    }
    if (upload) {
      state.uploads++;
      res.once('close', () => state.uploads--);
    }
    response = api ? await api.handle(req) : errorResponse(notFound('Not found'));
  } catch (err) {
    response = failureResponse(log, err, api?.faults, api?.faultNames);
  }
  if (api?.commonHeaders) response.headers = { ...api.commonHeaders, ...response.headers };
  res.setHeader('X-Request-Id', id);
  res.once('close', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    log.info(
      {
        method: req.method,
        url: redactUrl(raw.url ?? ''),
        status: res.statusCode,
        ms: Math.round(ms * 10) / 10,
        aborted: !res.writableFinished || undefined,
      },
      'request',
    );
  });
  await send(raw, res, response);
}

/** Malformed HTTP never reaches a handler: answer it with the fault body ourselves. */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
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
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    // The headers did not all arrive in time (PLANKTON_HEADERS_TIMEOUT).
    const body = JSON.stringify({
      requestTimeout: { code: 408, message: 'Request headers not received in time', details: '' },
    });
    socket.end(
      `HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    return;
  }
  const e = err.code === 'HPE_HEADER_OVERFLOW' ? badRequest('Request headers too large') : badRequest('Bad request');
  const body = JSON.stringify({ badRequest: { code: 400, message: e.message, details: '' } });
  socket.end(
    `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export async function startServer(services: Services, log: Logger): Promise<RunningServer> {
  const state = newShellState();
  const server = createHttpServer(services, log, state);
  services.images.onImportFailure((imageId, err) =>
    log.warn({ imageId, err: err instanceof Error ? err.message : String(err) }, 'image import failed'),
  );
  const { host, port } = services.settings;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${address.port}`;
  log.info(`listening on ${url}`);
  if (!services.settings.publicUrlGiven) services.setPublicUrl(url);
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Idle keep-alive connections would hold close() open; requests in flight still finish.
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
    shutdown: (graceMs) => shutdown(server, state, graceMs),
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
