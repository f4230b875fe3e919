import fs from 'node:fs';

/** Fields of /proc/<pid>/stat after the ")" that closes the command name (field 3 onwards). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Pids whose process group is one of `groups` (a server and the workers it forked). */
export function membersOf(groups: ReadonlySet<number>): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(Number(entry));
    if (f && groups.has(Number(f[2]))) pids.push(Number(entry)); // f[2] = pgrp
  }
  return pids;
}

/** True while the process exists and has not exited (a zombie waiting to be reaped has). */
export function isAlive(pid: number): boolean {
  const f = statFields(pid);
  return f !== undefined && f[0] !== 'Z';
}

/** True while any process of the group is alive (a server's forked workers included). */
export const groupAlive = (pgid: number): boolean => membersOf(new Set([pgid])).some(isAlive);

/** kB field of /proc/<pid>/status (VmRSS, VmHWM), or 0 when the process is gone. */
export function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

const TICKS_PER_SECOND = 100; // USER_HZ on every Linux this runs on

/** CPU seconds (user + system) used so far by every process in the groups. */
export function cpuSeconds(groups: ReadonlySet<number>): number {
  let ticks = 0;
  for (const pid of membersOf(groups)) {
    const f = statFields(pid);
    if (f) ticks += Number(f[11]) + Number(f[12]); // utime, stime
  }
  return ticks / TICKS_PER_SECOND;
}

/**
 * Waits until the servers have (nearly) stopped using CPU: a load generator that stops leaves
 * requests in flight, and a slow server keeps working on them long after the clients are gone.
 * Returns the seconds waited.
 */
export async function waitForIdle(groups: readonly number[], maxSeconds: number): Promise<number> {
  const set = new Set(groups);
  const t0 = Date.now();
  let before = cpuSeconds(set);
  while ((Date.now() - t0) / 1000 < maxSeconds) {
    await new Promise((r) => setTimeout(r, 300));
    const now = cpuSeconds(set);
    if (now - before < 0.3 * 0.1) break; // under 10% of one core
    before = now;
  }
  return (Date.now() - t0) / 1000;
}
