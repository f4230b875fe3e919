import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import Fastify, { LogController } from 'fastify';
import pino, { type Logger } from 'pino';
import { notFound, badRequest } from './errors.ts';
import { apiRequest } from './api/http/api-request.ts';
import { redactUrl } from './api/http/auth.ts';
import { errorResponse, failureResponse, send, type ApiResponse } from './api/http/reply.ts';
import { findApi, type Api } from './api/router.ts';
import type { Services } from './services.ts';

export interface RunningServer {
  readonly url: string;
  readonly app: ReturnType<typeof buildApp>;
  close(): Promise<void>;
}

const requestIdPrefix = randomBytes(4).toString('hex') + '-';
let requestCounter = 0;

/** Request line plus headers larger than this → 400 "Request headers too large" (spec/README.md). */
const MAX_HEADER_SIZE = 128 * 1024;

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'plankton' }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** Builds the HTTP server: fastify for lifecycle and logging, one dispatcher for every API. */
export function buildApp(services: Services, log: Logger) {
  const app = Fastify({
    loggerInstance: log,
    // One access-log line per request is written by `dispatch`, with the token redacted.
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    // Unique per process start, cheap per request (no RNG call on the hot path).
    genReqId: () => requestIdPrefix + (++requestCounter).toString(36),
    // Our own dispatcher parses the raw URL; a URL fastify's router cannot decode goes there too.
    frameworkErrors: (_err, request, reply) => void dispatch(request.raw, reply.raw, request.id, request.log as Logger, services),
    serverFactory: (handler) => http.createServer({ maxHeaderSize: MAX_HEADER_SIZE, requestTimeout: 0 }, handler),
  });
  for (const method of ['COPY', 'MOVE']) app.addHttpMethod(method, { hasBody: true });
  // Bodies are read (streamed) by the handlers themselves, never by the framework.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));
  // fastify refuses a Content-Type it cannot parse (`foo`, empty, non-ASCII) with its own 415
  // before any route runs. The handlers read bodies themselves, so such requests go to the
  // dispatcher too, where each API applies its own rules and fault body.
  app.setErrorHandler((err: { code?: string }, request, reply) => {
    if (!err.code?.startsWith('FST_ERR_CTP_')) throw err;
    reply.hijack();
    void dispatch(request.raw, reply.raw, request.id, request.log as Logger, services);
  });
  app.route({
    method: [...app.supportedMethods],
    url: '*',
    handler: async (request, reply) => {
      reply.hijack();
      await dispatch(request.raw, reply.raw, request.id, request.log as Logger, services);
    },
  });
  return app;
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
  const app = buildApp(services, log);
  await app.ready();
  app.server.removeAllListeners('clientError');
  app.server.on('clientError', answerClientError);
  const { host, port } = services.settings;
  await app.listen({ host, port, listenTextResolver: (address) => `listening on ${address}` });
  const address = app.server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${address.port}`;
  if (!services.settings.publicUrlGiven) services.setPublicUrl(url);
  return { url, app, close: () => app.close() };
}

export type { Api };
