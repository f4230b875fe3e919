import fs from 'node:fs';
import os from 'node:os';

export interface Machine {
  readonly cpu_model: string;
  readonly cores: number;
  readonly memory_gib: number;
  readonly kernel: string;
  readonly node: string;
  readonly date: string;
  readonly mode: 'quick' | 'full';
  /** 1, 5 and 15 minute load averages when the run began (other work on the machine skews figures). */
  readonly load_average_start: number[];
  readonly load_average_end?: number[];
}

export function describeMachine(mode: 'quick' | 'full'): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    /* not Linux */
  }
  return {
    cpu_model: cpu.trim(),
    cores: os.availableParallelism(),
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    date: new Date().toISOString(),
    mode,
    load_average_start: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
