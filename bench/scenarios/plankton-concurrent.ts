/**
 * Issue 14's "8 concurrent 256 MiB uploads, aggregate": eight curl object PUTs started at once,
 * each of its own fresh file (distinct random bytes: no block is stored already, nothing
 * deduplicates), the figure being all their bytes over the wall time until the last reply.
 * The files are a eighth of the data size each (2 GiB → 8 × 256 MiB; quick: 8 × 32 MiB), so the
 * total matches the single upload's and the two figures compare with the same disk write.
 */
import fs from 'node:fs';
import path from 'node:path';
import { uploadFile } from '../lib/curl.ts';
import { writeRandomFile } from '../lib/data-file.ts';
import { describe, mibPerSecond, ok, request, type Headers } from '../lib/http-client.ts';
import type { Results } from '../lib/results.ts';

export const CONCURRENT_UPLOADS = 8;

export interface ConcurrentSession {
  readonly base: string;
  readonly account: string;
  readonly auth: Headers;
  /** Total bytes over all uploads. */
  readonly size: number;
}

/** Returns the seconds until the last reply; sets `concurrent_upload_mib_s`. */
export async function concurrentUploads(s: ConcurrentSession, workDir: string, results: Results): Promise<number> {
  const each = Math.floor(s.size / CONCURRENT_UPLOADS);
  const container = `${s.base}/object-store/v1/${s.account}/concurrent`;
  const made = await request('PUT', container, s.auth);
  if (!ok(made)) throw new Error(`container PUT: ${describe(made)}`);
  const files = Array.from({ length: CONCURRENT_UPLOADS }, (_, i) => path.join(workDir, `concurrent-${i}.bin`));
  try {
    for (const file of files) writeRandomFile(file, each);
    const started = process.hrtime.bigint();
    const puts = await Promise.all(
      files.map((file, i) =>
        uploadFile(
          'PUT',
          `${container}/part-${i}.bin`,
          { ...s.auth, 'Content-Type': 'application/octet-stream' },
          file,
        ),
      ),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const failed = puts.find((p) => !ok(p) || p.bytes !== each);
    if (failed)
      throw new Error(`one of the concurrent PUTs: ${describe(failed)} (${failed.bytes} of ${each} bytes sent)`);
    results.set('concurrent_upload_mib_s', mibPerSecond(each * CONCURRENT_UPLOADS, seconds));
    return seconds;
  } finally {
    for (const file of files) fs.rmSync(file, { force: true });
  }
}
