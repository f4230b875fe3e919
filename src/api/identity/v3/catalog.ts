import { storageUrl } from '../../swift/v1-auth.ts';
import { createHash } from 'node:crypto';

const INTERFACES = ['public', 'internal', 'admin'] as const;

/** Stable ids: the same catalog on every node and every start. */
const stableId = (text: string) => createHash('sha256').update(`plankton:${text}`).digest('hex').slice(0, 32);

/**
 * The Keystone v3 service catalog (openstack.md §1 items 1 and 6, §2.2): every service on this
 * listener, the same URL on the three interfaces. The image URL is unversioned: glanceclient and
 * gophercloud append `/v2` themselves. The object store URL names the project's account.
 */
export function v3Catalog(publicUrl: string, region: string, projectId: string) {
  const service = (type: string, name: string, url: string) => ({
    id: stableId(type),
    type,
    name,
    endpoints: INTERFACES.map((iface) => ({
      id: stableId(`${type}/${iface}`),
      interface: iface,
      region,
      region_id: region,
      url,
    })),
  });
  return [
    service('identity', 'keystone', `${publicUrl}/identity`),
    service('image', 'glance', `${publicUrl}/image`),
    // The Swift dialect: OpenStack's tools expect Swift's answers (the Astakos catalog keeps Pithos for kamaki).
    service('object-store', 'swift', storageUrl(publicUrl, projectId)),
  ];
}
