/**
 * The `/info` sections of TempURL, FormPost, bulk delete and archive extraction, in Swift's keys
 * (its middlewares register the same), with this build's methods and limits.
 */
import { DEPRECATED_DIGESTS, SIGNATURE_DIGESTS } from '../../domain/objects/signed-requests.ts';
import { MAX_DELETES_PER_REQUEST, MAX_FAILED_DELETES } from './bulk-delete.ts';
import { MAX_CONTAINERS_PER_EXTRACTION, MAX_FAILED_EXTRACTIONS } from './extract-archive.ts';
import { OUTGOING_ALLOW, OUTGOING_REMOVE, TEMP_URL_METHODS } from './temp-url.ts';

export function signedAndBulkInfo() {
  const digests = { allowed_digests: [...SIGNATURE_DIGESTS], deprecated_digests: [...DEPRECATED_DIGESTS] };
  return {
    tempurl: {
      methods: [...TEMP_URL_METHODS],
      incoming_remove_headers: ['x-timestamp'],
      incoming_allow_headers: [],
      outgoing_remove_headers: OUTGOING_REMOVE,
      outgoing_allow_headers: OUTGOING_ALLOW,
      ...digests,
    },
    formpost: { ...digests },
    bulk_delete: { max_deletes_per_request: MAX_DELETES_PER_REQUEST, max_failed_deletes: MAX_FAILED_DELETES },
    bulk_upload: {
      max_containers_per_extraction: MAX_CONTAINERS_PER_EXTRACTION,
      max_failed_extractions: MAX_FAILED_EXTRACTIONS,
    },
  };
}
