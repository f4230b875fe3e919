/**
 * Runs the real Debian OpenStack image clients against a Plankton server from a test, with a token
 * and an explicit image endpoint, so no identity service (Keystone v3) is involved:
 *
 * | client | options this helper passes | requests go to |
 * |---|---|---|
 * | `openstack` 6.0 (openstacksdk 0.101) | `--os-auth-type admin_token --os-endpoint <url>/image/v2 --os-token T --os-image-api-version 2` | `<url>/image/v2/images…`, `X-Auth-Token: T`, no discovery, no identity call (openstack.md §2.5) |
 * | same, v1 | `… --os-endpoint <url>/image/v1 --os-image-api-version 1` | `<url>/image/v1/images/detail…` |
 * | `glance` 4.1 | `--os-image-api-version 2 --os-image-url <url>/image --os-auth-token T` | `<url>/image/v2/…` (glanceclient appends `/v2`, §1 item 1) |
 * | same, v1 | `--os-image-api-version 1 …` | `<url>/image/v1/…` |
 *
 * `keystoneOpenstackCli` / `keystoneGlanceCli` instead log in with a user name and a password at
 * `<url>/identity/v3` (`keystoneEnv`: the `OS_*` variables) and take the image URL from the catalog.
 *
 * What does not work (checked against openstackclient 6.0.0 / glanceclient 4.1.0):
 * * `--os-auth-type token_endpoint` (old osc name): "invalid choice"; `admin_token` is its successor.
 * * `admin_token` with `--os-endpoint <url>/image`: openstacksdk requests `<url>/image/images` (§2.5).
 * * `glance --os-image-url <url>/image/v2`: glanceclient would request `/image/v2/v2/images` (§1 item 1).
 * * openstacksdk's v1 mode expects JSON from `GET /v1/images/<id>` (v1 serves the data there, with the
 *   metadata in headers): against Plankton's v1, `openstack … --os-image-api-version 1 image show <id>`
 *   prints nulls, `image save` writes other bytes than the image's, `image show <name>` is a 400 (the
 *   name is not an id), and `image create` sends a JSON body v1 ignores ("Image 'name' parameter is
 *   required"). Only `image list [--long]` is meaningful in v1 mode.
 *
 * Every run gets a fresh empty `HOME` (glanceclient caches schemas in `~/.glanceclient`, osc reads
 * `~/.config/openstack/clouds.yaml`) and an environment with nothing but `PATH`, `HOME` and a UTF-8
 * locale: no `OS_*` variable of the calling shell leaks in. The clients run as `/usr/bin/…` so
 * Debian's python3 runs them whatever `python3` is first on the PATH.
 *
 * Standard input matters to these clients: any non-terminal stdin is image data for `glance
 * image-create`/`openstack image create` (openstack.md §4.7). The default is a closed stdin (`<&-`,
 * "no data"); `stdin: 'null'` gives /dev/null (an empty upload), `{ file }` redirects from a file.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const OPENSTACK_BIN = '/usr/bin/openstack';
export const GLANCE_BIN = '/usr/bin/glance';

export interface CliResult {
  /** Exit status (a signal counts as 128 + its number, as in a shell). */
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Where the clients go: the server's base URL (`TestServer.url`, no trailing slash) and a token. */
export interface ImageApiTarget {
  readonly url: string;
  readonly token: string;
}

export interface CliOptions {
  /** Image API version the client speaks; default `'2'`. */
  readonly imageApiVersion?: '1' | '2';
  /** Default `'closed'`. */
  readonly stdin?: 'closed' | 'null' | { readonly file: string };
  /** Adds `--debug` (both clients then log every request, e.g. `curl -g -i -X GET <url>`, to stderr). */
  readonly debug?: boolean;
  /** Kill the client after this long; default 120 s (Python start-up is slow on a loaded machine). */
  readonly timeoutMs?: number;
  /** Extra environment variables (e.g. `keystoneEnv(…)`); nothing else of the calling shell leaks in. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Why the clients cannot run here, or false when both are installed (use as a `skip` reason). */
export function missingOpenStackClients(): string | false {
  const missing = [OPENSTACK_BIN, GLANCE_BIN].filter((bin) => !fs.existsSync(bin));
  return missing.length === 0
    ? false
    : `${missing.join(', ')} not found: install python3-openstackclient and python3-glanceclient`;
}

/** The options that point `openstack` at the image API with a token and no identity service. */
export function openstackArgs(target: ImageApiTarget, version: '1' | '2' = '2'): string[] {
  return [
    '--os-auth-type',
    'admin_token',
    '--os-endpoint',
    `${target.url}/image/v${version}`,
    '--os-token',
    target.token,
    '--os-image-api-version',
    version,
  ];
}

/** The options that point `glance` at the image API with a token. */
export function glanceArgs(target: ImageApiTarget, version: '1' | '2' = '2'): string[] {
  return ['--os-image-api-version', version, '--os-image-url', `${target.url}/image`, '--os-auth-token', target.token];
}

/** A user who logs in through Keystone v3 with a name and a password (openstack.md §2.5). */
export interface KeystoneLogin {
  /** The server's base URL (`TestServer.url`). */
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

/**
 * The `OS_*` variables with which `openstack` and `glance` log in by password at `<url>/identity/v3`,
 * scoped to the user's own project (named like the user), and speak Image API v2 at the catalog's
 * image endpoint: the way a user with a clouds.yaml-less shell works.
 */
export function keystoneEnv(login: KeystoneLogin): Record<string, string> {
  return {
    OS_AUTH_URL: `${login.url}/identity/v3`,
    OS_IDENTITY_API_VERSION: '3',
    OS_USERNAME: login.username,
    OS_PASSWORD: login.password,
    OS_PROJECT_NAME: login.username,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_IMAGE_API_VERSION: '2',
  };
}

/** `openstack <args>` logged in through Keystone v3 (no endpoint override: the catalog's image URL). */
export function keystoneOpenstackCli(
  login: KeystoneLogin,
  args: readonly string[],
  opts: Omit<CliOptions, 'imageApiVersion' | 'env'> = {},
): Promise<CliResult> {
  return runClient(OPENSTACK_BIN, [...(opts.debug ? ['--debug'] : []), ...args], {
    ...opts,
    env: keystoneEnv(login),
  });
}

/** `glance <args>` logged in through Keystone v3 (Image API v2 from `OS_IMAGE_API_VERSION`). */
export function keystoneGlanceCli(
  login: KeystoneLogin,
  args: readonly string[],
  opts: Omit<CliOptions, 'imageApiVersion' | 'env'> = {},
): Promise<CliResult> {
  return runClient(GLANCE_BIN, [...(opts.debug ? ['--debug'] : []), ...args], { ...opts, env: keystoneEnv(login) });
}

/** `openstack <args>` (e.g. `['image', 'list', '-f', 'json']`) against the target. */
export function openstackCli(
  target: ImageApiTarget,
  args: readonly string[],
  opts: CliOptions = {},
): Promise<CliResult> {
  const version = opts.imageApiVersion ?? '2';
  return runClient(
    OPENSTACK_BIN,
    [...(opts.debug ? ['--debug'] : []), ...openstackArgs(target, version), ...args],
    opts,
  );
}

/** `glance <args>` (e.g. `['image-list']`) against the target. */
export function glanceCli(target: ImageApiTarget, args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  const version = opts.imageApiVersion ?? '2';
  return runClient(GLANCE_BIN, [...(opts.debug ? ['--debug'] : []), ...glanceArgs(target, version), ...args], opts);
}

/** Runs a client binary with a clean environment and a temporary HOME; never rejects on a failing exit. */
export async function runClient(
  bin: string,
  args: readonly string[],
  opts: Pick<CliOptions, 'stdin' | 'timeoutMs' | 'env'> = {},
): Promise<CliResult> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-osc-home-'));
  const stdin = opts.stdin ?? 'closed';
  // bash does the redirection so that "closed" really is a closed descriptor 0.
  const redirect = stdin === 'closed' ? '<&-' : stdin === 'null' ? '</dev/null' : '<"$f"';
  const env: NodeJS.ProcessEnv = {
    ...opts.env,
    PATH: '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
  };
  if (typeof stdin === 'object') env.PLANKTON_STDIN_FILE = stdin.file;
  try {
    return await new Promise<CliResult>((resolve, reject) => {
      const child = spawn(
        '/bin/bash',
        ['-c', `f=$PLANKTON_STDIN_FILE; unset PLANKTON_STDIN_FILE; exec "$0" "$@" ${redirect}`, bin, ...args],
        {
          env,
          cwd: home,
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: opts.timeoutMs ?? 120_000,
          killSignal: 'SIGKILL',
        },
      );
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        const signalNumber = signal ? (os.constants.signals[signal] ?? 0) : 0;
        resolve({
          status: code ?? 128 + signalNumber,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      });
    });
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}
