import os from 'node:os';
import { describe, ok, request } from './http-client.ts';
import { waitForIdle } from './proc.ts';
import type { MetricKey } from './metrics.ts';
import type { Results } from './results.ts';
import { runWrk, type WrkLoad, type WrkResult } from './wrk.ts';

export interface LoadTest extends Omit<WrkLoad, 'timeoutSeconds'> {
  /** Process groups of the server under test (to wait until it has finished abandoned requests). */
  readonly serverGroups: readonly number[];
  readonly warmupSeconds: number;
  /** Longest measurement a slow server may stretch the run to (also wrk's per-request timeout). */
  readonly maxSeconds: number;
  /** Checks a reply body of the single requests; returns what is wrong, or undefined. */
  readonly check?: (body: string) => string | undefined;
}

export interface LoadResult extends WrkResult {
  readonly seconds: number;
  /** Latency of one request alone, median of three. */
  readonly singleMs: number;
  /** Connections that got no reply in the whole run (their requests took longer than it). */
  readonly starved: number;
}

/**
 * One wrk measurement done carefully: a few single requests first (they must succeed, and they
 * say how slow one request is); a warm-up when requests are cheap; a measurement long enough
 * for every connection to finish a few requests (up to `maxSeconds`); and a wait until the server
 * is idle again before and after, so abandoned requests of one run never slow the next.
 */
export async function loadTest(t: LoadTest): Promise<LoadResult> {
  const singles: number[] = [];
  for (const p of [0, 1, 2].map((i) => t.paths[i % t.paths.length])) {
    const r = await request(t.method, t.base + p, { ...t.headers });
    if (!ok(r)) throw new Error(`${t.method} ${p}: ${describe(r)}`);
    if (t.method === 'HEAD' && Number(r.headers['content-length'] ?? 0) > 0) {
      // wrk 4.1 does not know a HEAD reply has no body: it would wait for those bytes forever
      throw new Error(
        `HEAD ${p} answers Content-Length: ${r.headers['content-length']} (not 0), which wrk cannot measure`,
      );
    }
    const wrong = t.check?.(r.body);
    if (wrong) throw new Error(`${t.method} ${p}: ${wrong}`);
    singles.push(r.seconds);
  }
  const single = singles.sort((a, b) => a - b)[Math.floor(singles.length / 2)];
  // time for every connection to get one reply if the server spreads itself over all cores
  const round = (t.connections * single) / os.availableParallelism();
  const seconds = Math.ceil(Math.min(t.maxSeconds, Math.max(t.seconds, 3 * round)));
  if (t.warmupSeconds > 0 && 3 * round < t.warmupSeconds) {
    await runWrk({ ...t, seconds: t.warmupSeconds, timeoutSeconds: t.maxSeconds });
    await waitForIdle(t.serverGroups, 60);
  }
  const result = await runWrk({ ...t, seconds, timeoutSeconds: t.maxSeconds });
  await waitForIdle(t.serverGroups, 60);
  if (result.requests === 0)
    throw new Error(`no ${t.method} completed within ${seconds} s (one alone takes ${(single * 1000).toFixed(0)} ms)`);
  // wrk's percentiles cover completed requests only. A server that serves a few connections over
  // and over (eventlet does) leaves the others waiting the whole run: their requests count here
  // as taking at least the run's length, which can move p50 and p99.
  const starved = Math.max(0, t.connections - result.requests);
  const atLeast = (p: number, ms: number) =>
    starved / (result.requests + starved) > 1 - p ? Math.max(ms, seconds * 1000) : ms;
  return {
    ...result,
    p50Ms: atLeast(0.5, result.p50Ms),
    p99Ms: atLeast(0.99, result.p99Ms),
    seconds,
    singleMs: single * 1000,
    starved,
  };
}

/** Where one load test's figures go in the results. */
export interface LoadKeys {
  readonly rps: MetricKey;
  readonly p50: MetricKey;
  readonly p99: MetricKey;
}

/** Runs the load test and records rps/p50/p99 (left null, with a note, if it cannot be measured). */
export async function measureLoad(
  results: Results,
  label: string,
  keys: LoadKeys,
  t: LoadTest,
): Promise<LoadResult | undefined> {
  try {
    const r = await loadTest(t);
    results.set(keys.rps, r.rps);
    results.set(keys.p50, r.p50Ms);
    results.set(keys.p99, r.p99Ms);
    if (r.errors > 0)
      results.note(
        `${label}: ${r.errors} of ${r.requests} requests under wrk failed or took over ${t.maxSeconds} s (wrk then gives up on them, so the p99 is a lower bound)`,
      );
    if (r.starved > 0)
      results.note(
        `${label}: ${r.starved} of ${t.connections} connections got no reply in ${r.seconds} s; their requests count as taking at least that long, so p50/p99 are lower bounds`,
      );
    if (r.seconds > t.seconds)
      results.note(
        `${label}: one request alone takes ${r.singleMs.toFixed(0)} ms, so wrk ran ${r.seconds} s instead of ${t.seconds} s (${r.requests} requests in all)`,
      );
    return r;
  } catch (e) {
    results.note(`${label}: not measured (${(e as Error).message})`);
    return undefined;
  }
}
