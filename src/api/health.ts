import { methodNotAllowed } from '../errors.ts';
import type { ApiRequest } from './http/api-request.ts';
import { json, type ApiResponse } from './http/reply.ts';

/**
 * How long one dependency may take to answer. A stalled S3 endpoint or a database that accepts
 * connections but never replies counts as down after this, so /healthz itself never hangs.
 */
export const HEALTH_CHECK_TIMEOUT_MS = 2000;

/**
 * `GET /healthz`: `200 {"status":"ok"}` when the metadata database and the block store answer,
 * else `503 {"status":"unavailable","failed":["database","blocks"]}` naming those that did not
 * (README, failure behaviour). Each check runs again on every call: recovery shows at once.
 */
export async function handleHealth(req: ApiRequest): Promise<ApiResponse> {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(['GET', 'HEAD']);
  const { metadata, blocks } = req.services;
  const checks = { database: () => metadata.healthy(), blocks: () => blocks.healthy() };
  const results = await Promise.all(
    Object.entries(checks).map(
      async ([name, check]) => [name, await withinTimeout(check, HEALTH_CHECK_TIMEOUT_MS)] as const,
    ),
  );
  const failed = results.filter(([, ok]) => !ok).map(([name]) => name);
  return failed.length === 0 ? json(200, { status: 'ok' }) : json(503, { status: 'unavailable', failed });
}

/** The check's answer, or false if it throws or takes longer than `ms`. */
async function withinTimeout(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([check().catch(() => false), late]);
  } finally {
    clearTimeout(timer);
  }
}
