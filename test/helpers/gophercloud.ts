/**
 * The gophercloud client harness (test/clients/gophercloud): builds the Go program once, offline,
 * against Debian's gophercloud 0.12 sources in GOPATH mode, and runs its commands.
 *
 * The binary lands in a temp folder named after a hash of the Go sources, the Go version and the
 * installed gophercloud, so every test file of a run (each its own process) and later runs reuse
 * one build; it is written under a temporary name and renamed, so concurrent builders never see
 * half a binary.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const GOPHERCLOUD_SOURCES = path.resolve(import.meta.dirname, '../clients/gophercloud');
const GOCODE = '/usr/share/gocode';
const GOPHERCLOUD_PKG = path.join(GOCODE, 'src/github.com/gophercloud/gophercloud');

function findGo(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/lib/go/bin']) {
    if (!dir) continue;
    const candidate = path.join(dir, 'go');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here: try the next folder
    }
  }
  return undefined;
}

const GO = findGo();

/**
 * Why the gophercloud tests cannot run here, or false. Only a missing toolchain or missing
 * gophercloud sources skip; a build failure is a test failure.
 */
export const gophercloudMissing: string | false = !GO
  ? 'go not found: install golang-go to run the gophercloud tests'
  : !fs.existsSync(GOPHERCLOUD_PKG)
    ? `${GOPHERCLOUD_PKG} not found: install golang-github-gophercloud-gophercloud-dev to run the gophercloud tests`
    : false;

/** The Go environment: GOPATH mode, Debian's sources only, no network, a private build cache. */
function goEnv(work: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GO') && !k.startsWith('OS_')) env[k] = v;
  return {
    ...env,
    GO111MODULE: 'off',
    GOPATH: `${path.join(work, 'gopath')}${path.delimiter}${GOCODE}`,
    GOCACHE: path.join(work, 'cache'),
    GOFLAGS: '',
    GOPROXY: 'off',
    GOSUMDB: 'off',
    CGO_ENABLED: '0',
  };
}

function sourceHash(goVersion: string): string {
  // The Go version and the installed gophercloud (its folder changes when the package does).
  const h = createHash('sha256')
    .update(goVersion)
    .update(String(fs.statSync(GOPHERCLOUD_PKG).mtimeMs));
  for (const name of fs
    .readdirSync(GOPHERCLOUD_SOURCES)
    .filter((n) => n.endsWith('.go'))
    .sort()) {
    h.update(name)
      .update('\0')
      .update(fs.readFileSync(path.join(GOPHERCLOUD_SOURCES, name)))
      .update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

let built: Promise<string> | undefined;

/** The path of the built client (building it on first use). */
export function gophercloudBinary(): Promise<string> {
  built ??= build();
  return built;
}

async function build(): Promise<string> {
  if (gophercloudMissing || !GO) throw new Error(gophercloudMissing || 'go not found');
  const { stdout: version } = await run(GO, ['version'], { env: goEnv(os.tmpdir()) });
  const dir = path.join(os.tmpdir(), `plankton-gophercloud-${sourceHash(version)}`);
  const binary = path.join(dir, 'gophercloud-client');
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(dir, { recursive: true });
  const work = fs.mkdtempSync(path.join(dir, 'build-'));
  try {
    const partial = path.join(work, 'gophercloud-client');
    // A folder outside GOPATH builds as a local package; its imports resolve in /usr/share/gocode.
    await run(GO, ['build', '-o', partial, '.'], {
      cwd: GOPHERCLOUD_SOURCES,
      env: goEnv(work),
      timeout: 600_000,
      maxBuffer: 16 << 20,
    }).catch((e: { stderr?: string; message: string }) => {
      throw new Error(`go build of ${GOPHERCLOUD_SOURCES} failed: ${e.stderr || e.message}`);
    });
    fs.renameSync(partial, binary);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return binary;
}

/** gophercloud's error as the client prints it (see test/clients/gophercloud/errors.go). */
export interface GophercloudError {
  type: string;
  message: string;
  status?: number;
  method?: string;
  url?: string;
  expected?: number[];
  body?: string;
}

export interface GophercloudRun<T> {
  code: number;
  /** The printed JSON result (exit 0). */
  result?: T;
  /** The printed error (exit 1). */
  error?: GophercloudError;
  stdout: string;
  stderr: string;
}

/** Credentials and catalog filters, as the OS_* variables Terraform's provider maps. */
export type GophercloudAuth = Partial<
  Record<
    | 'OS_AUTH_URL'
    | 'OS_USERNAME'
    | 'OS_USER_ID'
    | 'OS_PASSWORD'
    | 'OS_TOKEN'
    | 'OS_APPLICATION_CREDENTIAL_ID'
    | 'OS_APPLICATION_CREDENTIAL_NAME'
    | 'OS_APPLICATION_CREDENTIAL_SECRET'
    | 'OS_USER_DOMAIN_NAME'
    | 'OS_USER_DOMAIN_ID'
    | 'OS_PROJECT_NAME'
    | 'OS_PROJECT_ID'
    | 'OS_PROJECT_DOMAIN_NAME'
    | 'OS_PROJECT_DOMAIN_ID'
    | 'OS_REGION_NAME'
    | 'OS_INTERFACE',
    string
  >
>;

/**
 * Runs `gophercloud-client <command> <args>` with exactly the given OS_* variables (none of the
 * machine's). Resolves whatever the exit status; the caller asserts on it.
 */
export async function gophercloud<T = Record<string, unknown>>(
  auth: GophercloudAuth,
  command: string,
  args: string[] = [],
  opts: { input?: string } = {},
): Promise<GophercloudRun<T>> {
  const binary = await gophercloudBinary();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OS_')) env[k] = v;
  Object.assign(env, auth);
  const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = execFile(
      binary,
      [command, ...args],
      { env, timeout: 120_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : undefined) : 0;
        if (code === undefined) reject(new Error(`gophercloud-client ${command}: ${err?.message}\n${stderr}`));
        else resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(opts.input ?? '');
  });
  const r: GophercloudRun<T> = { ...out };
  if (out.code === 0) r.result = JSON.parse(out.stdout) as T;
  if (out.code === 1) {
    const lastLine = out.stderr.trim().split('\n').at(-1) ?? '';
    r.error = (JSON.parse(lastLine) as { error: GophercloudError }).error;
  }
  return r;
}
