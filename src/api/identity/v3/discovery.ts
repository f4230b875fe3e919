/**
 * Version discovery (openstack.md §2.1). Only v3 is listed: with v2.0 listed, keystoneauth's
 * generic plugins pick v2.0 whenever no domain option is given. /identity/v2.0/tokens stays
 * reachable by its explicit URL for kamaki.
 */
export function v3Version(publicUrl: string) {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${publicUrl}/identity/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

/** `GET /identity` → 300 with this body and `Location` of v3. */
export const versionsDocument = (publicUrl: string) => ({ versions: { values: [v3Version(publicUrl)] } });

/** `GET /identity/v3` → 200. */
export const versionDocument = (publicUrl: string) => ({ version: v3Version(publicUrl) });
