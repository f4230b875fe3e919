import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { notFound, badRequest } from './errors.ts';
import { apiRequest } from './api/http/api-request.ts';
import { redactUrl } from './api/http/auth.ts';
import { errorResponse, failureResponse, send, type ApiResponse } from './api/http/reply.ts';
import { findApi, type Api } from './api/router.ts';
import type { Services } from './services.ts';

export interface RunningServer {
  readonly url: string;
  readonly server: http.Server;
  close(): Promise<void>;
}

const requestIdPrefix = randomBytes(4).toString('hex') + '-';
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
export function createHttpServer(services: Services, log: Logger): http.Server {
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_SIZE, requestTimeout: 0 }, (req, res) => {
    // Unique per process start, cheap per request (no RNG call on the hot path).
    const id = requestIdPrefix + (++requestCounter).toString(36);
    const reqLog = log.child({ reqId: id });
    dispatch(req, res, id, reqLog, services).catch((err: unknown) => {
      // Only writing the reply can fail here (every handler error became a reply): cut the connection.
      reqLog.error({ err }, 'could not send the reply');
      res.destroy();
    });
  });
  server.on('clientError', answerClientError);
  return server;
}

async function dispatch(raw: http.IncomingMessage, res: http.ServerResponse, id: string, log: Logger, services: Services): Promise<void> {
  const started = process.hrtime.bigint();
  const req = apiRequest(raw, id, log, services);
  const api = findApi(req.path);
  let response: ApiResponse;
  try {
    response = api ? await api.handle(req) : errorResponse(notFound('Not found'));
  } catch (err) {
    response = failureResponse(log, err, api?.faults, api?.faultNames);
  }
  if (api?.commonHeaders) response.headers = { ...api.commonHeaders, ...response.headers };
  res.setHeader('X-Request-Id', id);
  res.once('close', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    log.info({ method: req.method, url: redactUrl(raw.url ?? ''), status: res.statusCode, ms: Math.round(ms * 10) / 10,
      aborted: !res.writableFinished || undefined }, 'request');
  });
  await send(raw, res, response);
}

/** Malformed HTTP never reaches a handler: answer it with the fault body ourselves. */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || (err as { code?: string }).code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const e = err.code === 'HPE_HEADER_OVERFLOW' ? badRequest('Request headers too large') : badRequest('Bad request');
  const body = JSON.stringify({ badRequest: { code: 400, message: e.message, details: '' } });
  socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export async function startServer(services: Services, log: Logger): Promise<RunningServer> {
  const server = createHttpServer(services, log);
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
    close: () => new Promise<void>((resolve, reject) => {
      // Idle keep-alive connections would hold close() open; requests in flight still finish.
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeIdleConnections();
    }),
  };
}

export type { Api };
