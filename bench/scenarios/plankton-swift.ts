/**
 * The Swift mount as its own clients use it (issue 19's bench): Debian's `swift` CLI uploading a
 * fresh data file as a static large object (`--use-slo --segment-size 64M --segment-threads 8`;
 * quick: 16M segments), through v1.0 auth, timed until the manifest is written, so the figure
 * compares with the plain object PUT (`object_put_mib_s`) of the same size.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mibPerSecond } from '../lib/http-client.ts';
import { runCommand } from '../lib/processes.ts';
import type { Results } from '../lib/results.ts';

const SWIFT = '/usr/bin/swift';
const MIB = 1024 * 1024;

export interface SwiftSession {
  readonly base: string;
  readonly userName: string;
  readonly token: string;
  readonly size: number;
}

/** 64 MiB segments for the full run's 2 GiB, 16 MiB for the quick run's smaller file (16 segments either way or more). */
export const sloSegmentMiB = (size: number): number => (size >= 1024 * MIB ? 64 : 16);

export async function swiftSloUpload(s: SwiftSession, file: string, results: Results): Promise<void> {
  if (!fs.existsSync(SWIFT)) {
    results.note(`swift SLO upload: ${SWIFT} not found (python3-swiftclient); not measured`);
    return;
  }
  const args = [
    '-A',
    `${s.base}/auth/v1.0`,
    '-U',
    s.userName,
    '-K',
    s.token,
    'upload',
    '--use-slo',
    '--segment-size',
    `${sloSegmentMiB(s.size)}M`,
    '--segment-threads',
    '8',
    'bench-slo-upload',
    path.basename(file),
  ];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OS|ST)_/.test(k)));
  const t0 = process.hrtime.bigint();
  const run = await runCommand(SWIFT, args, { cwd: path.dirname(file), env });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (run.code !== 0) throw new Error(`swift upload --use-slo: ${run.stderr.trim().slice(0, 300)}`);
  results.set('swift_slo_upload_mib_s', mibPerSecond(s.size, seconds));
}

/** A `check` for Swift JSON listings: an array of exactly `n` entries. */
export function expectEntries(n: number): (body: string) => string | undefined {
  return (body) => {
    try {
      const doc = JSON.parse(body) as unknown;
      const got = Array.isArray(doc) ? doc.length : undefined;
      return got === n ? undefined : `expected ${n} entries in the listing, got ${got ?? 'no array'}`;
    } catch {
      return 'the listing is not JSON';
    }
  };
}
