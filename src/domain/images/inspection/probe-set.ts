/**
 * The probes every inspection runs, and how their conclusions become one report: the
 * highest-priority matching format wins, every matched probe's failures count, and two
 * formats at once is itself a failure (a file that qemu could open one way and something else
 * another way) — except an ISO that also carries a GPT (bootable hybrid ISOs), which is an iso.
 */
import { wholeSectors } from './byte-fields.ts';
import type { DetectedFormat, InspectionReport, SafetyFailure } from './inspection-report.ts';
import { failure, type FormatProbe, type ProbeConclusion } from './format-probe.ts';
import { Qcow2Probe } from './probes/qcow2-probe.ts';
import { QedProbe } from './probes/qed-probe.ts';
import { VmdkProbe } from './probes/vmdk-probe.ts';
import { VhdxProbe } from './probes/vhdx-probe.ts';
import { VhdProbe } from './probes/vhd-probe.ts';
import { VdiProbe } from './probes/vdi-probe.ts';
import { IsoProbe } from './probes/iso-probe.ts';
import { GptProbe } from './probes/gpt-probe.ts';

/** In priority order. */
export function allProbes(): FormatProbe[] {
  return [
    new Qcow2Probe(),
    new QedProbe(),
    new VmdkProbe(),
    new VhdxProbe(),
    new VhdProbe(),
    new VdiProbe(),
    new IsoProbe(),
    new GptProbe(),
  ];
}

export function combine(probes: readonly FormatProbe[], size: number, tail: Uint8Array): InspectionReport {
  const matched: { name: string; c: ProbeConclusion }[] = [];
  for (const p of probes) {
    const c = p.conclude(size, tail);
    if (c.matched) matched.push({ name: p.name, c });
  }
  const signatures = matched.map((m) => m.name);
  const formats = matched.filter((m) => m.name !== 'gpt');
  const hybridIso = formats.length === 1 && formats[0].name === 'iso';
  const ambiguous = formats.length > 1 || (formats.length === 1 && signatures.includes('gpt') && !hybridIso);
  const failures = mergeByCheck(matched.flatMap((m) => m.c.failures));
  if (ambiguous)
    failures.unshift(failure('multiple_formats', `image matches several formats: ${signatures.join(', ')}`));
  const details = Object.assign({}, ...matched.map((m) => m.c.details ?? {}));
  if (signatures.includes('gpt')) details.partition_table = 'gpt';
  const winner = formats[0];
  return {
    format: (winner?.name ?? 'raw') as DetectedFormat,
    virtualSize: winner ? (winner.c.virtualSize ?? null) : wholeSectors(size),
    safetyFailures: failures,
    signatures,
    size,
    details,
  };
}

/** One failure per check (a qcow2 can name its data file two ways): the messages joined. */
function mergeByCheck(failures: readonly SafetyFailure[]): SafetyFailure[] {
  const byCheck = new Map<string, string[]>();
  for (const f of failures) byCheck.set(f.check, [...(byCheck.get(f.check) ?? []), f.message]);
  return [...byCheck].map(([check, messages]) => ({ check, message: messages.join('; ') }));
}
