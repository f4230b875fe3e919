import path from 'node:path';
import { onCleanup } from './cleanup.ts';
import { runCommand, runCommandSync } from './processes.ts';

/**
 * A peer server brought up by one of bench/scripts/*.sh (`start DIR …` prints key=value lines,
 * `stop DIR` ends exactly what start launched). The stop is also registered with the run's cleanup.
 */
export interface PeerHandle {
  /** The key=value pairs `start` printed. */
  readonly info: Readonly<Record<string, string>>;
  stop(): void;
}

export async function startPeer(
  repo: string,
  script: string,
  dir: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<PeerHandle> {
  const file = path.join(repo, 'bench', 'scripts', script);
  // registered before starting: a start that fails half-way still leaves pid files to stop
  const stop = onCleanup(`${script} stop ${dir}`, () => void runCommandSync(file, ['stop', dir])).now;
  const r = await runCommand(file, ['start', dir, ...args], { env });
  if (r.code !== 0) {
    stop();
    throw new Error(`${script} start failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-12).join(' | ')}`);
  }
  const info: Record<string, string> = {};
  for (const m of r.stdout.matchAll(/(\w+)=(\S+)/g)) info[m[1]] = m[2];
  return { info, stop };
}
