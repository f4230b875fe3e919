/**
 * Runs the object store's command-line clients from a test: the `swift` CLI (python3-swiftclient),
 * python-swiftclient's library through `python3 -c`, Debian's `rclone` and `restic`, and curl.
 *
 * Every run gets the caller's environment without the clients' own variables (`OS_*`, `ST_*`,
 * `RCLONE_*`, `RESTIC_*`), so only the flags and variables a test gives count; `run` never rejects
 * (the exit status is in the result) and `ok` asserts a zero exit, printing both streams when not.
 * The clients are the Debian ones under /usr/bin, whatever is first on the PATH.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const SWIFT_BIN = '/usr/bin/swift';
export const RCLONE_BIN = '/usr/bin/rclone';
export const RESTIC_BIN = '/usr/bin/restic';
export const PYTHON_BIN = '/usr/bin/python3';

/**
 * Per command: a Python client starts in a second or two idle and many times that on a loaded
 * 2-core machine; the limit is there only to end a command that hangs.
 */
export const CLI_LIMIT_MS = 180_000;

export interface Run {
  /** Exit status; 1 when the command could not start or was killed. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  /** The whole environment of the command; default `cleanEnv()`. */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  /** How stdout is decoded (`latin1` keeps raw bytes one per character); default UTF-8. */
  readonly stdoutEncoding?: BufferEncoding;
  /** Largest stdout or stderr kept; default 1 MiB (execFile's). */
  readonly maxBuffer?: number;
}

/** Why `bin` cannot run here (a `skip` reason, also written once to stderr), or false when it is installed. */
export function missingClient(bin: string, debianPackage: string, suite: string): string | false {
  if (fs.existsSync(bin)) return false;
  const why = `${bin} not found: install ${debianPackage} to run the ${suite}`;
  process.stderr.write(`# ${suite} skipped: ${why}\n`);
  return why;
}

/** The caller's environment without the clients' variables, plus `extra`. */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OS|ST|RCLONE|RESTIC)_/.test(k))),
    ...extra,
  };
}

/** Runs `cmd args`; never rejects on a failing exit. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        cwd: opts.cwd,
        env: opts.env ?? cleanEnv(),
        timeout: opts.timeoutMs ?? CLI_LIMIT_MS,
        maxBuffer: opts.maxBuffer ?? 1024 * 1024,
        encoding: 'buffer',
      },
      (err, stdout, stderr) => {
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
          stdout: stdout.toString(opts.stdoutEncoding ?? 'utf8'),
          stderr: stderr.toString('utf8'),
        });
      },
    );
  });
}

/** Asserts that the command exited 0 and returns its stdout. */
export async function ok(r: Run | Promise<Run>, what: string): Promise<string> {
  const done = await r;
  assert.equal(done.code, 0, `${what} → ${done.code}\n${done.stdout}\n${done.stderr}`);
  return done.stdout;
}

/** `swift` options that log in through Keystone v3 at `<url>/identity/v3` (the project is named after its user). */
export function swiftV3Args(url: string, username: string, password: string): string[] {
  return [
    '--os-auth-url',
    `${url}/identity/v3`,
    '--auth-version',
    '3',
    '--os-username',
    username,
    '--os-password',
    password,
    '--os-project-name',
    username,
    '--os-user-domain-name',
    'Default',
    '--os-project-domain-name',
    'Default',
  ];
}

/** `swift` options that log in through v1.0 auth at `<url>/auth/v1.0` (the key: a token or the password). */
export function swiftV1Args(url: string, username: string, key: string): string[] {
  return ['-A', `${url}/auth/v1.0`, '-U', username, '-K', key];
}

/** `swift` options that skip the login: a storage URL (either mount) and a token. */
export function swiftTokenArgs(storageUrl: string, token: string): string[] {
  return [`--os-storage-url=${storageUrl}`, `--os-auth-token=${token}`];
}

/** `swift <args>` (login options first), in `cwd`. */
export function swift(args: readonly string[], opts: RunOptions = {}): Promise<Run> {
  return run(SWIFT_BIN, args, opts);
}

/** `swift stat` output as key → value (`Account`, `Objects`, `Meta Color`…). */
export function statOf(out: string): Record<string, string> {
  return Object.fromEntries(
    out
      .split('\n')
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim()]),
  );
}

/** Every file under `root`: its path relative to `root` → its bytes (base64), to compare two trees. */
export function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out[path.relative(root, full)] = fs.readFileSync(full).toString('base64');
  }
  return out;
}

/**
 * The environment of an `rclone` whose remote `p:` is a `swift` remote logging in through v1.0
 * auth at `<url>/auth/v1.0`; `config` is an (empty) config file of the test's own.
 */
export function rcloneEnv(login: { url: string; user: string; key: string; config: string }): NodeJS.ProcessEnv {
  return cleanEnv({
    RCLONE_CONFIG: login.config,
    RCLONE_CONFIG_P_TYPE: 'swift',
    RCLONE_CONFIG_P_AUTH: `${login.url}/auth/v1.0`,
    RCLONE_CONFIG_P_USER: login.user,
    RCLONE_CONFIG_P_KEY: login.key,
  });
}

export type ResticLogin = 'keystone-v3' | 'v1.0';

/**
 * The environment of a `restic` with a `swift:` repository: `home` as HOME, the repository and its
 * password, and the login, through Keystone v3 (`OS_*`, the key given as the password, the project
 * named after its user: openstack.md) or v1.0 auth (`ST_*`).
 */
export function resticEnv(opts: {
  login: ResticLogin;
  url: string;
  user: string;
  key: string;
  home: string;
  repository: string;
  password: string;
  cache?: string;
}): NodeJS.ProcessEnv {
  const auth: Record<string, string> =
    opts.login === 'v1.0'
      ? { ST_AUTH: `${opts.url}/auth/v1.0`, ST_USER: opts.user, ST_KEY: opts.key }
      : {
          OS_AUTH_URL: `${opts.url}/identity/v3`,
          OS_USERNAME: opts.user,
          OS_PASSWORD: opts.key,
          OS_USER_DOMAIN_NAME: 'Default',
          OS_PROJECT_NAME: opts.user,
          OS_PROJECT_DOMAIN_NAME: 'Default',
        };
  return cleanEnv({
    HOME: opts.home,
    ...(opts.cache ? { XDG_CACHE_HOME: opts.cache } : {}),
    RESTIC_REPOSITORY: opts.repository,
    RESTIC_PASSWORD: opts.password,
    ...auth,
  });
}
