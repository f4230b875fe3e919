import type { Command } from 'commander';
import { loadSettings } from '../config.ts';
import { CliError } from '../errors.ts';
import { createLogger, startServer } from '../server.ts';
import { Services } from '../services.ts';
import { startExpiryReaper } from '../domain/objects/expiry-reaper.ts';
import { err } from './output.ts';
import { storageOptions } from './storage-options.ts';

export function registerServeCommand(program: Command): void {
  storageOptions(
    program
      .command('serve')
      .description('apply pending migrations, then serve every API on one listener')
      .option('--host <host>', 'address to bind (env PLANKTON_HOST)', undefined)
      .option('--port <port>', 'port to bind, 0 for any free one (env PLANKTON_PORT)')
      .option('--public-url <url>', 'base URL given to clients (env PLANKTON_PUBLIC_URL; default http://HOST:PORT)'),
  ).action(async (o) => {
    const settings = loadSettings(o);
    const log = createLogger(settings.logLevel);
    // An S3 endpoint down at start-up is not fatal: the server starts, healthz names it and block
    // reads and writes answer 503 until it is back (README, "When a dependency fails").
    const services = await Services.open(settings, { onBlocksUnreachable: (message) => log.warn(message) });
    const swept = await services.blocks.sweep();
    // Imports a stopped process left half-way fail visibly now, rather than stay `importing`.
    const imports = await services.images.recoverInterruptedImports();
    let server: Awaited<ReturnType<typeof startServer>>;
    try {
      server = await startServer(services, log);
    } catch (e) {
      await services.close();
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE')
        throw new CliError(`port ${settings.port} on ${settings.host} is in use: stop what runs there or pass --port`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
        throw new CliError(`cannot bind ${settings.host}: give an address of this machine with --host`);
      if (code === 'EACCES') throw new CliError(`no permission to bind port ${settings.port}: use a port above 1023`);
      throw e;
    }
    // Only once the port is ours: a failed start must not create an admin whose token nobody saw.
    const firstAdmin = await createFirstAdmin(services);
    log.info(
      {
        url: server.url,
        publicUrl: services.publicUrl(),
        database: services.metadata.label,
        blocks: services.blocks.label,
        sweptTempFiles: swept,
        interruptedImports: imports.failed,
        droppedStagedData: imports.dropped,
      },
      'plankton is serving',
    );
    err(banner(services.publicUrl(), firstAdmin, services.settings.region));
    const reaper =
      settings.expiryReapIntervalSeconds > 0
        ? startExpiryReaper(services.objects, settings.expiryReapIntervalSeconds, log)
        : undefined;
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return; // a second signal during the grace changes nothing
      stopping = true;
      const started = Date.now();
      const graceSeconds = settings.shutdownGraceSeconds;
      log.info({ signal, graceSeconds }, 'shutdown started');
      await reaper?.stop();
      const { inFlightAtStart, cut } = await server.shutdown(graceSeconds * 1000);
      // Background imports get what is left of the grace; one still running then fails with the
      // database closing, and the next start marks it failed (recoverInterruptedImports).
      const left = Math.max(0, graceSeconds * 1000 - (Date.now() - started));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        services.images.importsSettled(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, left);
        }),
      ]);
      clearTimeout(timer);
      // Nothing writes blocks any more: temp files of the cut uploads can go now.
      const swept = await services.blocks.sweep().catch(() => 0);
      await services.close();
      log.info({ signal, inFlightAtStart, cut, sweptTempFiles: swept, ms: Date.now() - started }, 'shutdown finished');
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  });
}

/**
 * The first admin, unless there is one. Several nodes started at once on one fresh database all see
 * no admin and race to create `admin`: the unique name lets one win; the others find the winner's
 * admin on the re-check and start without a banner secret (the winner printed it).
 */
async function createFirstAdmin(services: Services): Promise<FirstAdmin | undefined> {
  if (await services.users.anyAdmin()) return undefined;
  const name = (await services.users.byName('admin')) ? `admin-${Date.now()}` : 'admin';
  let user: Awaited<ReturnType<typeof services.users.create>>;
  try {
    user = await services.users.create(name, { admin: true });
  } catch (e) {
    if (await services.users.anyAdmin()) return undefined;
    throw e;
  }
  const token = await services.tokens.issue(user.uuid, services.settings.tokenTtlSeconds, 'first start');
  return { uuid: user.uuid, token: token.secret, tokenId: token.tokenId };
}

interface FirstAdmin {
  readonly uuid: string;
  readonly token: string;
  /** The token's public id: the application credential id of Keystone v3 clients. */
  readonly tokenId: string;
}

/** Plain text for people, outside the JSON log: how to log in. The secret is printed only on the first start. */
export function banner(publicUrl: string, admin: FirstAdmin | undefined, region = 'RegionOne'): string {
  const P = publicUrl;
  if (!admin) {
    return `\nPlankton is serving at ${P}\nGet a token with:  npx plankton token issue admin   (same --data-dir/--database-url as serve)\n`;
  }
  const T = admin.token;
  return `
Plankton is serving at ${P}
A first admin user was created. Its token (shown only this once):

  ${T}

curl (authenticate, get the service catalog):
  curl -s -X POST -H 'Content-Type: application/json' -d '{"auth":{"token":{"id":"${T}"}}}' ${P}/identity/v2.0/tokens

kamaki (~/.kamakirc):
  [cloud "plankton"]
  url = ${P}/identity/v2.0
  token = ${T}

glance v1 CLI:
  glance --os-image-api-version 1 --os-image-url ${P}/image --os-auth-token ${T} image-list <&-

swift CLI (the Swift mount; or v1.0 auth: swift -A ${P}/auth/v1.0 -U <name> -K <token> stat):
  swift --os-storage-url ${P}/swift/v1/AUTH_${admin.uuid} --os-auth-token ${T} stat

openstack CLI, openstacksdk, Ansible, Terraform (Keystone v3; the token is an application credential):
  openstack --os-auth-type v3applicationcredential --os-auth-url ${P}/identity \\
    --os-application-credential-id ${admin.tokenId} --os-application-credential-secret ${T} catalog list

clouds.yaml (~/.config/openstack/clouds.yaml; then: openstack --os-cloud plankton token issue):
  clouds:
    plankton:
      auth_type: v3applicationcredential
      auth:
        auth_url: ${P}/identity
        application_credential_id: ${admin.tokenId}
        application_credential_secret: ${T}
      region_name: ${region}
      identity_api_version: 3
      image_api_version: 2

More users:  npx plankton user create alice@example.org
`;
}
