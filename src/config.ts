import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { CliError } from './errors.ts';
import { qemuImgOnPath } from './domain/images/image-conversion.ts';
import { FORMAT_MATCH_MODES, type FormatMatchMode } from './domain/images/inspection/format-match.ts';
import { allowListProblem } from './domain/images/web-source.ts';

export const DEFAULT_DISK_FORMATS = [
  'diskdump',
  'extdump',
  'ntfsdump',
  'raw',
  'qcow2',
  'vhd',
  'vmdk',
  'vdi',
  'iso',
  'aki',
  'ari',
  'ami',
] as const;
export const DEFAULT_CONTAINER_FORMATS = ['bare', 'ovf', 'aki', 'ari', 'ami'] as const;
const TIB = 2 ** 40;
/** More HTTP workers than this only add memory and database connections. */
export const MAX_WORKERS = 64;

/** Settings every command shares: where the data is. */
export interface StorageSettings {
  readonly dataDir: string;
  /** `postgres://…` or undefined for the embedded SQLite file. */
  readonly databaseUrl: string | undefined;
  /** A local folder or `s3://bucket?endpoint=…&region=…`. */
  readonly blocks: string;
}

export interface Settings extends StorageSettings {
  readonly host: string;
  readonly port: number;
  /** Base URL given to clients; derived from host and port unless set (see `publicUrlGiven`). */
  readonly publicUrl: string;
  readonly publicUrlGiven: boolean;
  readonly tokenTtlSeconds: number;
  /** Lifetime of the token a Keystone v3 password login mints. */
  readonly v3TokenTtlSeconds: number;
  /** Region id in the Keystone v3 catalog. */
  readonly region: string;
  /** Sliding window of the failed-password throttle. */
  readonly loginWindowSeconds: number;
  readonly imageSizeCap: number;
  readonly objectMaxUpload: number;
  readonly diskFormats: readonly string[];
  readonly containerFormats: readonly string[];
  /** Which image APIs refuse content that does not match its `disk_format` (unsafe content is always refused). */
  readonly requireFormatMatch: FormatMatchMode;
  readonly logLevel: string;
  /** SIGTERM/SIGINT: how long requests in flight may still run before they are cut. */
  readonly shutdownGraceSeconds: number;
  /** A client must send its request line and headers within this (slowloris). */
  readonly headersTimeoutSeconds: number;
  /** A socket with no byte in either direction for this long is closed (stalled senders and readers). */
  readonly idleTimeoutSeconds: number;
  /** Open client connections; beyond it new ones are closed at once. */
  readonly maxConnections: number;
  /** `GET /metrics` on a listener of its own (no token), e.g. 127.0.0.1:9090; undefined: none. */
  readonly metricsListen: { readonly host: string; readonly port: number } | undefined;
  /** `GET /metrics` on the public listener for `Authorization: Bearer <this>`; undefined: not there. */
  readonly metricsToken: string | undefined;
  /** Requests carrying a body in flight; beyond it 503 with Retry-After. */
  readonly maxUploads: number;
  /** `serve`: HTTP worker processes (node:cluster) sharing the port; 1 = one process, no cluster. */
  readonly workers: number;
  /** `serve --workers N`: each worker's V8 old-generation limit, MiB (`--max-old-space-size`). */
  readonly workerHeapMib: number;
  /** `serve --workers N`: each worker's V8 young-generation semi-space, MiB (`--max-semi-space-size`). */
  readonly workerSemiSpaceMib: number;
  /** `web-download` import allow-list (URL prefixes, hosts, `*`); empty: web-download is off. */
  readonly webDownloadAllow: readonly string[];
  /** Largest body a web-download may bring, bytes. */
  readonly webDownloadMax: number;
  /** Imports convert their data to this format with `qemu-img convert`; `off`: no conversion. */
  readonly importConvertTo: ImportConversion;
  /** How long one conversion may run. */
  readonly importConvertTimeoutSeconds: number;
  /** Deadline of one block-store call (a block put or get, an S3 HTTP call). */
  readonly blocksTimeoutSeconds: number;
  /** Deadline of a database connect and of one query (PostgreSQL). */
  readonly databaseTimeoutSeconds: number;
  /** An upload whose body arrives slower than this (bytes/s) over a whole window is cut with 408; 0: never. */
  readonly bodyMinRate: number;
  /** The window over which `bodyMinRate` is measured. */
  readonly bodyRateWindowSeconds: number;
  /** How often `serve` removes expired objects (X-Delete-At); 0: never (then only `plankton gc` does). */
  readonly expiryReapIntervalSeconds: number;
  /** How long an image stays `saving`/`importing` after the process uploading it stopped renewing (died). */
  readonly uploadLeaseSeconds: number;
}

export const IMPORT_CONVERSIONS = ['off', 'raw', 'qcow2'] as const;
export type ImportConversion = (typeof IMPORT_CONVERSIONS)[number];

/** `30d`, `12h`, `90m`, `45s` → seconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([smhd]?)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = Number(m[1]) * unit;
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : undefined;
}

const duration = z.string().transform((v, ctx) => {
  const s = parseDuration(v);
  if (s === undefined) ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration like 30d, 12h, 90m or 45s` });
  return s ?? 0;
});
const byteCount = z
  .string()
  .regex(/^\d+$/, 'must be a number of bytes')
  .transform(Number)
  .refine((n) => Number.isSafeInteger(n) && n > 0, 'must be a positive number of bytes');
const positiveCount = z
  .string()
  .regex(/^\d+$/, 'must be a positive whole number')
  .transform(Number)
  .refine((n) => Number.isSafeInteger(n) && n > 0, 'must be a positive whole number');
const rate = z
  .string()
  .regex(/^\d+$/, 'must be a number of bytes per second (0: off)')
  .transform(Number)
  .refine((n) => Number.isSafeInteger(n), 'must be a number of bytes per second (0: off)');
const list = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .refine((l) => l.length > 0, 'must name at least one value');
const databaseUrl = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '';
  } catch {
    return false;
  }
}, 'must look like postgres://USER@HOST:PORT/DATABASE');
const blocks = z
  .string()
  .min(1)
  .refine((v) => {
    if (!v.startsWith('s3://')) return !/^[a-z][a-z0-9+.-]*:\/\//i.test(v);
    try {
      return new URL(v).hostname !== '';
    } catch {
      return false;
    }
  }, 'must be a folder or s3://BUCKET?endpoint=http://HOST:PORT&region=REGION');

const schema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z
    .string()
    .regex(/^\d+$/, 'must be a port number')
    .transform(Number)
    .refine((p) => p >= 0 && p <= 65535, 'must be a port number from 0 to 65535')
    .default(8080),
  publicUrl: z.string().url('must be an absolute URL like http://host:8080').optional(),
  dataDir: z.string().min(1).default('./data'),
  databaseUrl: databaseUrl.optional(),
  blocks: blocks.optional(),
  tokenTtl: duration.default(30 * 86400),
  v3TokenTtl: duration.default(12 * 3600),
  region: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a region id like RegionOne (letters, digits, . _ -)')
    .default('RegionOne'),
  loginWindow: duration.default(15 * 60),
  imageSizeCap: byteCount.default(TIB),
  objectMaxUpload: byteCount.default(TIB),
  diskFormats: list.default([...DEFAULT_DISK_FORMATS]),
  containerFormats: list.default([...DEFAULT_CONTAINER_FORMATS]),
  requireFormatMatch: z.enum(FORMAT_MATCH_MODES).default('v2'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  shutdownGrace: duration.default(30),
  headersTimeout: duration.default(30),
  idleTimeout: duration.default(60),
  maxConnections: positiveCount.default(1024),
  maxUploads: positiveCount.default(64),
  workers: positiveCount
    .refine((n) => n <= MAX_WORKERS, `must be at most ${MAX_WORKERS}`)
    .default(Math.min(MAX_WORKERS, os.availableParallelism())),
  workerHeap: positiveCount.refine((n) => n >= 64 && n <= 65_536, 'must be 64 to 65536 (MiB)').default(512),
  workerSemiSpace: positiveCount.refine((n) => n <= 256, 'must be 1 to 256 (MiB)').default(4),
  webDownloadAllow: list
    .transform((l, ctx) => {
      const problem = allowListProblem(l);
      if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (want URL prefixes, hosts or *)` });
      return l;
    })
    .optional(),
  webDownloadMax: byteCount.optional(),
  importConvertTo: z
    .enum(IMPORT_CONVERSIONS)
    .refine((v) => v === 'off' || qemuImgOnPath(), 'needs qemu-img on PATH (Debian package qemu-utils)')
    .default('off'),
  importConvertTimeout: duration.default(600),
  metricsListen: z
    .string()
    .regex(/^(\[[0-9A-Fa-f:.]+\]|[^:\s]+):\d+$/, 'must be HOST:PORT, e.g. 127.0.0.1:9090 ([::1]:9090 for IPv6)')
    .transform((v) => {
      const at = v.lastIndexOf(':');
      return { host: v.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(v.slice(at + 1)) };
    })
    .refine((l) => l.port <= 65535, 'must be HOST:PORT with a port from 0 to 65535')
    .optional(),
  // Compared in constant time; long enough that guessing it is hopeless.
  metricsToken: z
    .string()
    .regex(/^[\x21-\x7e]{32,}$/, 'must be at least 32 printable characters without spaces (e.g. openssl rand -hex 32)')
    .optional(),
  blocksTimeout: duration.default(30),
  databaseTimeout: duration.default(30),
  bodyMinRate: rate.default(1024),
  bodyRateWindow: duration.default(20),
  uploadLease: duration.default(120),
  expiryReapInterval: z
    .string()
    .transform((v, ctx) => {
      if (/^\s*(0+[smhd]?|off)\s*$/i.test(v)) return 0;
      const s = parseDuration(v);
      if (s === undefined)
        ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration like 5m or 60s, or 0 (off)` });
      return s ?? 0;
    })
    .default(60),
});

type RawSettings = Partial<Record<keyof z.input<typeof schema>, string>>;

/** Each setting's PLANKTON_* variable (also how tests hand settings to a `serve` child process). */
export const SETTING_VARIABLES: Readonly<Record<keyof RawSettings, string>> = {
  host: 'PLANKTON_HOST',
  port: 'PLANKTON_PORT',
  publicUrl: 'PLANKTON_PUBLIC_URL',
  dataDir: 'PLANKTON_DATA_DIR',
  databaseUrl: 'PLANKTON_DATABASE_URL',
  blocks: 'PLANKTON_BLOCKS',
  tokenTtl: 'PLANKTON_TOKEN_TTL',
  v3TokenTtl: 'PLANKTON_V3_TOKEN_TTL',
  region: 'PLANKTON_REGION',
  loginWindow: 'PLANKTON_LOGIN_WINDOW',
  imageSizeCap: 'PLANKTON_IMAGE_SIZE_CAP',
  objectMaxUpload: 'PLANKTON_OBJECT_MAX_UPLOAD',
  diskFormats: 'PLANKTON_DISK_FORMATS',
  containerFormats: 'PLANKTON_CONTAINER_FORMATS',
  requireFormatMatch: 'PLANKTON_REQUIRE_FORMAT_MATCH',
  logLevel: 'PLANKTON_LOG_LEVEL',
  shutdownGrace: 'PLANKTON_SHUTDOWN_GRACE',
  headersTimeout: 'PLANKTON_HEADERS_TIMEOUT',
  idleTimeout: 'PLANKTON_IDLE_TIMEOUT',
  maxConnections: 'PLANKTON_MAX_CONNECTIONS',
  maxUploads: 'PLANKTON_MAX_UPLOADS',
  workers: 'PLANKTON_WORKERS',
  workerHeap: 'PLANKTON_WORKER_HEAP',
  workerSemiSpace: 'PLANKTON_WORKER_SEMI_SPACE',
  webDownloadAllow: 'PLANKTON_WEB_DOWNLOAD_ALLOW',
  webDownloadMax: 'PLANKTON_WEB_DOWNLOAD_MAX',
  importConvertTo: 'PLANKTON_IMPORT_CONVERT_TO',
  importConvertTimeout: 'PLANKTON_IMPORT_CONVERT_TIMEOUT',
  metricsListen: 'PLANKTON_METRICS_LISTEN',
  metricsToken: 'PLANKTON_METRICS_TOKEN',
  blocksTimeout: 'PLANKTON_BLOCKS_TIMEOUT',
  databaseTimeout: 'PLANKTON_DATABASE_TIMEOUT',
  bodyMinRate: 'PLANKTON_BODY_MIN_RATE',
  bodyRateWindow: 'PLANKTON_BODY_RATE_WINDOW',
  expiryReapInterval: 'PLANKTON_EXPIRY_REAP_INTERVAL',
  uploadLease: 'PLANKTON_UPLOAD_LEASE',
};

/** Flag wins over environment variable wins over default; any invalid value is one clear error. */
export function loadSettings(flags: RawSettings, env: NodeJS.ProcessEnv = process.env): Settings {
  const raw: RawSettings = {};
  for (const key of Object.keys(SETTING_VARIABLES) as (keyof RawSettings)[]) {
    const value = flags[key] ?? env[SETTING_VARIABLES[key]];
    if (value !== undefined && value !== '') raw[key] = String(value);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path[0] as keyof RawSettings;
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    const shown = key === 'metricsToken' ? '(value not shown: a secret)' : `"${raw[key]}"`;
    throw new CliError(`invalid ${flag} (${SETTING_VARIABLES[key]}) ${shown}: ${issue.message}`, 2);
  }
  const s = parsed.data;
  const dataDir = path.resolve(s.dataDir);
  const urlHost = s.host.includes(':') ? `[${s.host}]` : s.host;
  return Object.freeze({
    host: s.host,
    port: s.port,
    publicUrl: (s.publicUrl ?? `http://${urlHost}:${s.port}`).replace(/\/+$/, ''),
    publicUrlGiven: s.publicUrl !== undefined,
    dataDir,
    databaseUrl: s.databaseUrl,
    blocks: s.blocks ?? path.join(dataDir, 'blocks'),
    tokenTtlSeconds: s.tokenTtl,
    v3TokenTtlSeconds: s.v3TokenTtl,
    region: s.region,
    loginWindowSeconds: s.loginWindow,
    imageSizeCap: s.imageSizeCap,
    objectMaxUpload: s.objectMaxUpload,
    diskFormats: Object.freeze([...s.diskFormats]),
    containerFormats: Object.freeze([...s.containerFormats]),
    requireFormatMatch: s.requireFormatMatch,
    logLevel: s.logLevel,
    shutdownGraceSeconds: s.shutdownGrace,
    headersTimeoutSeconds: s.headersTimeout,
    idleTimeoutSeconds: s.idleTimeout,
    maxConnections: s.maxConnections,
    maxUploads: s.maxUploads,
    workers: s.workers,
    workerHeapMib: s.workerHeap,
    workerSemiSpaceMib: s.workerSemiSpace,
    webDownloadAllow: Object.freeze([...(s.webDownloadAllow ?? [])]),
    webDownloadMax: s.webDownloadMax ?? s.imageSizeCap,
    importConvertTo: s.importConvertTo,
    importConvertTimeoutSeconds: s.importConvertTimeout,
    metricsListen: s.metricsListen,
    metricsToken: s.metricsToken,
    blocksTimeoutSeconds: s.blocksTimeout,
    databaseTimeoutSeconds: s.databaseTimeout,
    bodyMinRate: s.bodyMinRate,
    bodyRateWindowSeconds: s.bodyRateWindow,
    expiryReapIntervalSeconds: s.expiryReapInterval,
    uploadLeaseSeconds: s.uploadLease,
  });
}
