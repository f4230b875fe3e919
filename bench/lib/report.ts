import fs from 'node:fs';
import path from 'node:path';
import type { Machine } from './machine.ts';
import { METRICS, type MetricKey } from './metrics.ts';
import type { Profile } from './options.ts';
import type { Results } from './results.ts';

type Status = 'met' | 'missed' | 'n.a.';

/**
 * A goal: `metric` compared with a fixed limit or with a baseline × factor. The baseline is one
 * figure, or several of which the largest counts ("the faster of nginx and Glance"); then every
 * one of them must have been measured, else the status is `n.a.`.
 */
interface Target {
  readonly name: string;
  /** The row of the issue's table this target judges (issue 14's wording), when it is one. */
  readonly figure?: string;
  readonly metric: MetricKey;
  readonly baseline?: MetricKey | readonly MetricKey[];
  /** Ratio metric/baseline must be ≥ atLeast (or ≤ atMost); or metric must be < below (or ≥ atLeastValue). */
  readonly atLeast?: number;
  readonly atMost?: number;
  readonly below?: number;
  readonly atLeastValue?: number;
  readonly goal: string;
}

const DOWNLOAD_PEERS = ['nginx_download_mib_s', 'glance_download_mib_s'] as const;

/** Issue 14 (performance): its targets table, row by row, in its order and wording. */
const ISSUE14_TARGETS: readonly Target[] = [
  {
    figure: 'image and object download',
    name: 'image download vs the faster of nginx and Glance',
    metric: 'download_mib_s',
    baseline: DOWNLOAD_PEERS,
    atLeast: 0.9,
    goal: '≥ 0.9× the faster of nginx and Glance',
  },
  {
    figure: 'image and object download',
    name: 'object download vs the faster of nginx and Glance',
    metric: 'object_get_mib_s',
    baseline: DOWNLOAD_PEERS,
    atLeast: 0.9,
    goal: '≥ 0.9× the faster of nginx and Glance',
  },
  {
    figure: 'image and object upload (durable: fsync before the reply)',
    name: "image upload vs the fsync'd disk write",
    metric: 'upload_mib_s',
    baseline: 'disk_write_mib_s',
    atLeast: 0.8,
    goal: '≥ 0.8× the disk write',
  },
  {
    figure: 'image and object upload (durable: fsync before the reply)',
    name: "object PUT vs the fsync'd disk write",
    metric: 'object_put_mib_s',
    baseline: 'disk_write_mib_s',
    atLeast: 0.8,
    goal: '≥ 0.8× the disk write',
  },
  {
    figure: 'image and object upload (durable: fsync before the reply)',
    name: "image upload vs Swift's PUT",
    metric: 'upload_mib_s',
    baseline: 'swift_upload_mib_s',
    atLeast: 1.1,
    goal: "≥ 1.1× Swift's PUT",
  },
  {
    figure: 'image and object upload (durable: fsync before the reply)',
    name: "object PUT vs Swift's PUT",
    metric: 'object_put_mib_s',
    baseline: 'swift_upload_mib_s',
    atLeast: 1.1,
    goal: "≥ 1.1× Swift's PUT",
  },
  {
    figure: '8 concurrent 256 MiB uploads, aggregate',
    name: "8 concurrent object PUTs vs the fsync'd disk write",
    metric: 'concurrent_upload_mib_s',
    baseline: 'disk_write_mib_s',
    atLeast: 0.8,
    goal: '≥ 0.8× the disk write',
  },
  {
    figure: 'HEAD /image/v1.0/images/{id}, 64 connections',
    name: "HEAD req/s vs Glance's image GET",
    metric: 'head_rps',
    baseline: 'glance_head_rps',
    atLeast: 20,
    goal: '≥ 20× Glance',
  },
  {
    figure: 'HEAD /image/v1.0/images/{id}, 64 connections',
    name: 'HEAD p99 vs p50',
    metric: 'head_p99_ms',
    baseline: 'head_p50_ms',
    atMost: 5,
    goal: 'p99 ≤ 5× p50',
  },
  {
    figure: 'GET …/images/detail?limit=100 at 100,000 images, 64 connections',
    name: 'list req/s',
    metric: 'list_rps',
    atLeastValue: 985,
    goal: "≥ 985 req/s (2.5× the issue's 394)",
  },
  {
    figure: 'GET …/images/detail?limit=100 at 100,000 images, 64 connections',
    name: 'list p99 vs p50',
    metric: 'list_p99_ms_100k',
    baseline: 'list_p50_ms',
    atMost: 5,
    goal: 'p99 ≤ 5× p50',
  },
  {
    figure: 'same list, one connection',
    name: 'list p99, one connection',
    metric: 'list_1c_p99_ms',
    below: 20,
    goal: '< 20 ms',
  },
  {
    figure: 'list p50 at 1,000,000 images vs at 100,000',
    name: 'list p50 at ten times the images vs at `seeded_images`',
    metric: 'list_p50_ms_1m',
    baseline: 'list_p50_ms',
    atMost: 1.5,
    goal: '≤ 1.5× (cost must not grow with the catalogue)',
  },
  {
    figure: 'server RSS over the whole run, lists under wrk included',
    name: 'peak RSS',
    metric: 'max_rss_mb',
    below: 300,
    goal: '< 300 MB',
  },
];

/** The goals of earlier issues, still judged. */
const OTHER_TARGETS: readonly Target[] = [
  {
    name: 'upload vs the hashing limit',
    metric: 'upload_mib_s',
    baseline: 'upload_limit_mib_s',
    atLeast: 0.8,
    goal: '≥ 80% of the limit',
  },
  {
    name: 'upload vs Glance',
    metric: 'upload_mib_s',
    baseline: 'glance_upload_mib_s',
    atLeast: 2.5,
    goal: '≥ 2.5× Glance',
  },
  {
    name: 'download vs Glance',
    metric: 'download_mib_s',
    baseline: 'glance_download_mib_s',
    atLeast: 1,
    goal: '≥ Glance',
  },
  {
    name: 'download vs nginx',
    metric: 'download_mib_s',
    baseline: 'nginx_download_mib_s',
    atLeast: 0.7,
    goal: '≥ 70% of nginx',
  },
  {
    name: 'v2 upload vs Glance',
    metric: 'v2_upload_mib_s',
    baseline: 'glance_upload_mib_s',
    atLeast: 2.5,
    goal: '≥ 2.5× Glance',
  },
  {
    name: 'v2 download vs Glance',
    metric: 'v2_download_mib_s',
    baseline: 'glance_download_mib_s',
    atLeast: 1,
    goal: '≥ Glance',
  },
  {
    name: 'DLO download vs object GET',
    metric: 'dlo_get_mib_s',
    baseline: 'object_get_mib_s',
    atLeast: 0.9,
    goal: '≥ 0.9× object GET',
  },
  {
    name: 'SLO download vs object GET',
    metric: 'slo_get_mib_s',
    baseline: 'object_get_mib_s',
    atLeast: 0.9,
    goal: '≥ 0.9× object GET',
  },
  { name: 'dedup re-upload', metric: 'dedup_reupload_s', below: 1, goal: '< 1 s' },
  { name: 'HEAD vs Glance', metric: 'head_rps', baseline: 'glance_head_rps', atLeast: 50, goal: '≥ 50× Glance' },
  { name: 'list p99', metric: 'list_p99_ms_100k', below: 20, goal: '< 20 ms at 100k images' },
  { name: 'v2 list p99', metric: 'v2_list_p99_ms', below: 20, goal: '< 20 ms at 100k images' },
  {
    name: 'versioning auto vs none (overwrite upload)',
    metric: 'versioning_auto_overwrite_mib_s',
    baseline: 'versioning_none_overwrite_mib_s',
    atLeast: 0.95,
    goal: '≥ 0.95× none',
  },
];

/** Side-by-side figures without a goal, for reading the run. */
const COMPARISONS: readonly { name: string; metric: MetricKey; baseline: MetricKey }[] = [
  { name: 'object PUT vs the hashing limit', metric: 'object_put_mib_s', baseline: 'upload_limit_mib_s' },
  { name: 'object PUT vs Swift', metric: 'object_put_mib_s', baseline: 'swift_upload_mib_s' },
  { name: 'object GET vs Swift', metric: 'object_get_mib_s', baseline: 'swift_download_mib_s' },
  { name: 'object GET vs nginx', metric: 'object_get_mib_s', baseline: 'nginx_download_mib_s' },
  { name: 'object GET vs plain Node (no sendfile)', metric: 'object_get_mib_s', baseline: 'node_download_mib_s' },
  { name: 'image download vs plain Node (no sendfile)', metric: 'download_mib_s', baseline: 'node_download_mib_s' },
  {
    name: 'plain Node vs nginx (what sendfile is worth)',
    metric: 'node_download_mib_s',
    baseline: 'nginx_download_mib_s',
  },
  { name: 'list p99 vs Glance (lower is better)', metric: 'list_p99_ms_100k', baseline: 'glance_list_p99_ms' },
  { name: 'v2 upload vs v1 upload', metric: 'v2_upload_mib_s', baseline: 'upload_mib_s' },
  { name: 'swift SLO upload vs object PUT', metric: 'swift_slo_upload_mib_s', baseline: 'object_put_mib_s' },
  { name: 'Swift container listing vs v1 list (req/s)', metric: 'swift_list_rps', baseline: 'list_rps' },
  { name: 'v2 image GET vs Glance image GET', metric: 'v2_show_rps', baseline: 'glance_head_rps' },
  { name: 'v2 list req/s vs Glance list', metric: 'v2_list_rps', baseline: 'glance_list_rps' },
  { name: 'v2 list p99 vs Glance (lower is better)', metric: 'v2_list_p99_ms', baseline: 'glance_list_p99_ms' },
  { name: 'Glance upload vs the hashing limit', metric: 'glance_upload_mib_s', baseline: 'upload_limit_mib_s' },
  { name: 'Swift upload vs the hashing limit', metric: 'swift_upload_mib_s', baseline: 'upload_limit_mib_s' },
  { name: 'disk write vs the hashing limit', metric: 'disk_write_mib_s', baseline: 'upload_limit_mib_s' },
  {
    name: 'PostgreSQL + S3 object PUT vs SQLite + disk',
    metric: 'pg_s3_object_put_mib_s',
    baseline: 'object_put_mib_s',
  },
  {
    name: 'PostgreSQL + S3 object GET vs SQLite + disk',
    metric: 'pg_s3_object_get_mib_s',
    baseline: 'object_get_mib_s',
  },
  { name: 'PostgreSQL + S3 HEAD req/s vs SQLite', metric: 'pg_s3_head_rps', baseline: 'head_rps' },
  { name: 'PostgreSQL + S3 list req/s vs SQLite', metric: 'pg_s3_list_rps', baseline: 'list_rps' },
  {
    name: 'PostgreSQL + S3 list p99 vs SQLite (lower is better)',
    metric: 'pg_s3_list_p99_ms',
    baseline: 'list_p99_ms_100k',
  },
  { name: 'list req/s at ten times the images vs at `seeded_images`', metric: 'list_rps_1m', baseline: 'list_rps' },
  { name: 'concurrent object PUTs vs one object PUT', metric: 'concurrent_upload_mib_s', baseline: 'object_put_mib_s' },
];

const unitOf = (key: MetricKey): string => METRICS.find((m) => m.key === key)!.unit;

/** The baseline's value: the figure, or the largest of several (null when any is missing). */
function baselineValue(r: Results, baseline: Target['baseline']): number | null {
  if (baseline === undefined) return null;
  if (typeof baseline === 'string') return r.metrics[baseline];
  const values = baseline.map((k) => r.metrics[k]);
  return values.some((v) => v === null) ? null : Math.max(...(values as number[]));
}

function ratio(r: Results, metric: MetricKey, baseline: Target['baseline']): number | null {
  const a = r.metrics[metric];
  const b = baselineValue(r, baseline);
  return a === null || b === null || b === 0 ? null : a / b;
}

function judge(r: Results, t: Target): { status: Status; ratio: number | null } {
  const value = r.metrics[t.metric];
  const rat = ratio(r, t.metric, t.baseline);
  if (t.atLeast !== undefined)
    return { ratio: rat, status: rat === null ? 'n.a.' : rat >= t.atLeast ? 'met' : 'missed' };
  if (t.atMost !== undefined) return { ratio: rat, status: rat === null ? 'n.a.' : rat <= t.atMost ? 'met' : 'missed' };
  if (t.atLeastValue !== undefined)
    return { ratio: rat, status: value === null ? 'n.a.' : value >= t.atLeastValue ? 'met' : 'missed' };
  return { ratio: rat, status: value === null ? 'n.a.' : value < t.below! ? 'met' : 'missed' };
}

const fmt = (v: number | null, unit = ''): string => {
  if (v === null) return '—';
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })}${unit ? ` ${unit}` : ''}`;
};
const fmtRatio = (v: number | null): string => (v === null ? '—' : `${v.toFixed(2)}×`);

export interface ReportInput {
  readonly machine: Machine;
  readonly profile: Profile;
  readonly results: Results;
  readonly totalSeconds: number;
}

export function buildJson(input: ReportInput): Record<string, unknown> {
  const { machine, profile, results } = input;
  return {
    machine,
    mode: profile.mode,
    ...results.metrics,
    targets: [
      ...ISSUE14_TARGETS.map((t) => ({ group: 'issue 14', t })),
      ...OTHER_TARGETS.map((t) => ({ group: 'earlier issues', t })),
    ].map(({ group, t }) => {
      const j = judge(results, t);
      return {
        group,
        figure: t.figure ?? null,
        name: t.name,
        metric: t.metric,
        baseline: t.baseline ?? null,
        goal: t.goal,
        ratio: j.ratio === null ? null : Math.round(j.ratio * 1000) / 1000,
        status: j.status,
      };
    }),
    settings: {
      data_bytes: profile.dataBytes,
      seed_images: profile.seedImages,
      wrk_connections: profile.wrkConnections,
      wrk_seconds: profile.wrkSeconds,
      wrk_warmup_seconds: profile.wrkWarmupSeconds,
      only: profile.only.length ? profile.only : null,
    },
    sections: results.sections,
    total_seconds: Math.round(input.totalSeconds * 10) / 10,
    notes: results.notes,
  };
}

export function buildMarkdown(input: ReportInput): string {
  const { machine: m, profile: p, results: r } = input;
  const lines: string[] = [];
  lines.push(`# Plankton benchmark: ${p.mode} run`, '');
  lines.push(`${m.date} · ${m.cpu_model}, ${m.cores} cores, ${m.memory_gib} GiB · ${m.kernel} · Node ${m.node}`, '');
  lines.push(
    `Data: ${fmt(p.dataBytes / 2 ** 20)} MiB of random bytes per transfer · HEAD/list: ${p.seedImages.toLocaleString('en-US')} images seeded through SQL into each server, wrk ${p.wrkConnections} connections × ${p.wrkSeconds} s · whole run ${fmt(input.totalSeconds)} s`,
    '',
  );
  if (p.mode === 'quick')
    lines.push(
      'Quick run: smaller data and 10× fewer images than the goals are stated for; read its statuses as a trend, not a verdict.',
      '',
    );

  const base = (t: Target): string => {
    if (t.baseline === undefined) return '—';
    if (typeof t.baseline === 'string') return `${fmt(r.metrics[t.baseline], unitOf(t.baseline))} (\`${t.baseline}\`)`;
    const parts = t.baseline.map((k) => `\`${k}\` ${fmt(r.metrics[k], unitOf(k))}`).join(', ');
    return `${fmt(baselineValue(r, t.baseline), unitOf(t.baseline[0]))} (the larger of ${parts})`;
  };
  const row = (t: Target): string => {
    const j = judge(r, t);
    return `${fmt(r.metrics[t.metric], unitOf(t.metric))} (\`${t.metric}\`) | ${base(t)} | ${fmtRatio(j.ratio)} | ${t.goal} | ${j.status} |`;
  };
  lines.push(
    '## Targets of issue 14',
    '',
    "Issue 14's table, row by row (a row of the issue judged on several figures has one line per figure).",
    '',
    '| Figure (issue 14) | Target | Plankton | Baseline | Ratio | Goal | Status |',
    '|---|---|---:|---:|---:|---|---|',
  );
  for (const t of ISSUE14_TARGETS) lines.push(`| ${t.figure} | ${t.name} | ${row(t)}`);

  lines.push(
    '',
    '## Targets of earlier issues',
    '',
    '| Target | Plankton | Baseline | Ratio | Goal | Status |',
    '|---|---:|---:|---:|---|---|',
  );
  for (const t of OTHER_TARGETS) lines.push(`| ${t.name} | ${row(t)}`);

  lines.push('', '## Side by side', '', '| Comparison | Value | Baseline | Ratio |', '|---|---:|---:|---:|');
  for (const c of COMPARISONS) {
    lines.push(
      `| ${c.name} | ${fmt(r.metrics[c.metric], unitOf(c.metric))} | ${fmt(r.metrics[c.baseline], unitOf(c.baseline))} | ${fmtRatio(ratio(r, c.metric, c.baseline))} |`,
    );
  }

  lines.push('', '## Every figure', '', '| Key | Value | What |', '|---|---:|---|');
  for (const metric of METRICS)
    lines.push(`| \`${metric.key}\` | ${fmt(r.metrics[metric.key], metric.unit)} | ${metric.what} |`);

  if (r.notes.length) lines.push('', '## Notes', '', ...r.notes.map((n) => `- ${n}`));
  lines.push('', '## Sections', '', '| Section | Seconds | Load average (1 min) at its start |', '|---|---:|---:|');
  for (const [name, s] of Object.entries(r.sections))
    lines.push(`| ${name} | ${fmt(s.seconds)} | ${s.load_at_start} |`);
  lines.push('');
  return lines.join('\n');
}

/** Writes latest.json and latest.md (each through a temp file, so a reader never sees half a file). */
export function writeReport(dir: string, input: ReportInput): { json: string; md: string } {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'latest.json');
  const md = path.join(dir, 'latest.md');
  for (const [file, text] of [
    [json, `${JSON.stringify(buildJson(input), null, 2)}\n`],
    [md, buildMarkdown(input)],
  ] as const) {
    fs.writeFileSync(`${file}.tmp`, text);
    fs.renameSync(`${file}.tmp`, file);
  }
  return { json, md };
}
