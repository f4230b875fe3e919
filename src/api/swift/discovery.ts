/**
 * Swift's discoverability and probes: `GET /info` (what this build offers and its limits, as
 * Swift's `/info` lists them; `swift capabilities` prints it), `GET /swift/healthcheck`, and
 * `GET /crossdomain.xml` (Swift's default policy document).
 */
import type { Settings } from '../../config.ts';
import { JSON_TYPE, type ApiResponse } from '../http/reply.ts';
import { MAX_LISTING } from '../object-store/listing-format.ts';
import { SWIFT_LIMITS } from '../object-store/dialect.ts';
import { LARGE_OBJECT_LIMITS } from '../../domain/objects/manifests.ts';
import { signedAndBulkInfo } from './signed-and-bulk-info.ts';

export const STORAGE_POLICY = 'Policy-0';

/**
 * Only what this build does (each feature arrives with its slice of issue 19), so clients that
 * probe `/info` don't try the rest: `swift delete` sends bulk deletes once `bulk_delete` is here.
 */
export function infoDocument(settings: Settings) {
  return {
    swift: {
      version: 'plankton',
      max_file_size: settings.objectMaxUpload,
      ...SWIFT_LIMITS,
      container_listing_limit: MAX_LISTING,
      account_listing_limit: MAX_LISTING,
      max_account_name_length: 256,
      extra_header_count: 0,
      valid_api_versions: ['v1', 'v1.0'],
      policies: [{ name: STORAGE_POLICY, default: true }],
      allow_account_management: false,
      account_autocreate: true,
      strict_cors_mode: true,
    },
    tempauth: { account_acls: false },
    slo: {
      max_manifest_segments: LARGE_OBJECT_LIMITS.maxManifestSegments,
      max_manifest_size: LARGE_OBJECT_LIMITS.maxManifestSize,
      min_segment_size: LARGE_OBJECT_LIMITS.minSegmentSize,
    },
    dlo: { max_segments: LARGE_OBJECT_LIMITS.maxDynamicSegments },
    ...signedAndBulkInfo(),
    // One history for both mounts (src/api/swift/versioned-writes.ts).
    versioned_writes: { allowed_flags: ['X-Versions-Location', 'X-History-Location'] },
    // Quotas (issue 19 item 8), as Swift's middlewares register themselves; expiry (X-Delete-At)
    // is core Swift and has no entry.
    container_quotas: {},
    account_quotas: {},
  };
}

export function info(settings: Settings): ApiResponse {
  return {
    status: 200,
    headers: { 'Content-Type': JSON_TYPE },
    body: Buffer.from(JSON.stringify(infoDocument(settings))),
  };
}

export const healthcheck = (): ApiResponse => ({
  status: 200,
  headers: { 'Content-Type': 'text/plain; charset=UTF-8' },
  body: 'OK',
});

const CROSSDOMAIN = `<?xml version="1.0"?>
<!DOCTYPE cross-domain-policy SYSTEM "http://www.adobe.com/xml/dtds/cross-domain-policy.dtd" >
<cross-domain-policy>
<allow-access-from domain="*" secure="false" />
</cross-domain-policy>`;

export const crossdomain = (): ApiResponse => ({
  status: 200,
  headers: { 'Content-Type': 'application/xml; charset=UTF-8' },
  body: CROSSDOMAIN,
});
