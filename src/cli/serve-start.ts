import { CliError } from '../errors.ts';
import type { Settings } from '../config.ts';
import type { Services } from '../services.ts';

/** What `serve` says when it cannot bind its port (single process, or a worker's bind under the cluster). */
export function bindFailure(code: string | undefined, settings: Settings): CliError | undefined {
  if (code === 'EADDRINUSE')
    return new CliError(`port ${settings.port} on ${settings.host} is in use: stop what runs there or pass --port`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return new CliError(`cannot bind ${settings.host}: give an address of this machine with --host`);
  if (code === 'EACCES') return new CliError(`no permission to bind port ${settings.port}: use a port above 1023`);
  return undefined;
}

/**
 * The first admin, unless there is one. Several nodes started at once on one fresh database all see
 * no admin and race to create `admin`: the unique name lets one win; the others find the winner's
 * admin on the re-check and start without a banner secret (the winner printed it).
 */
export async function createFirstAdmin(services: Services): Promise<FirstAdmin | undefined> {
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

export interface FirstAdmin {
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
