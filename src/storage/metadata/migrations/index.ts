import type { Migration } from './migration-kit.ts';
import { identity } from './001-identity.ts';
import { objectStore } from './002-object-store.ts';
import { images } from './003-images.ts';
import { identityV3 } from './004-identity-v3.ts';
import { objectsVersion } from './005-objects-version.ts';
import { imageApiV2 } from './006-image-api-v2.ts';
import { maintenanceRuns } from './007-maintenance-runs.ts';
import { aclsAndGroups } from './008-acls-and-groups.ts';
import { objectManifests } from './009-object-manifests.ts';
import { objectHistory } from './010-object-history.ts';
import { expiryQuotas } from './011-expiry-quotas.ts';
import { uploadLeases } from './012-upload-leases.ts';

/** Every migration in order; names sort as they apply. Add new ones at the end, never edit old ones. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '001-identity': identity,
  '002-object-store': objectStore,
  '003-images': images,
  '004-identity-v3': identityV3,
  '005-objects-version': objectsVersion,
  '006-image-api-v2': imageApiV2,
  '007-maintenance-runs': maintenanceRuns,
  '008-acls-and-groups': aclsAndGroups,
  '009-object-manifests': objectManifests,
  '010-object-history': objectHistory,
  '011-expiry-quotas': expiryQuotas,
  '012-upload-leases': uploadLeases,
});
