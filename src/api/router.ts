import { handleHealth } from './health.ts';
import type { ApiRequest } from './http/api-request.ts';
import type { ApiResponse, FaultMapper, FaultNames } from './http/reply.ts';
import { handleAccount, handleIdentity } from './identity/identity-api.ts';
import { imageApi } from './image/v1/image-api.ts';
import { imageV2Api } from './image/v2/image-v2-api.ts';
import { pithosFault } from './object-store/faults.ts';
import { handleIdentityV3, IDENTITY_V3_PREFIX } from './identity/v3/v3-api.ts';
import { handleObjectStore } from './object-store/object-store-api.ts';
import { handlePublic } from './public/public-api.ts';
import { handleSwift, SWIFT_PREFIX, swiftIdHeaders } from './swift/swift-api.ts';
import { uiApi } from './ui/ui-api.ts';

/** One protocol mounted under a path prefix. */
export interface Api {
  readonly name: string;
  readonly prefix: RegExp;
  handle(req: ApiRequest): Promise<ApiResponse>;
  /** How this API names faults (image API: `overLimit` for 413). */
  readonly faultNames?: FaultNames;
  /** This API's faults module: how it words domain errors. */
  readonly faults?: FaultMapper;
  /** Headers this API adds to every response, errors included. */
  readonly commonHeaders?: Readonly<Record<string, string>>;
  /**
   * Headers that name the request in this API's words (Swift's `X-Trans-Id`), new for each
   * request: the shell sets them on the reply before the handler runs, so every reply carries
   * them, also those the shell words itself; the request's log lines name them too.
   */
  readonly idHeaders?: () => Record<string, string>;
}

/** Every API on the one listener (spec/README.md, "One listener, six prefixes"). */
export const APIS: readonly Api[] = [
  { name: 'health', prefix: /^\/healthz$/, handle: handleHealth },
  { name: 'identity-v3', prefix: IDENTITY_V3_PREFIX, handle: handleIdentityV3 },
  { name: 'identity', prefix: /^\/identity(\/|$)/, handle: handleIdentity },
  { name: 'account', prefix: /^\/account(\/|$)/, handle: handleAccount },
  { name: 'object-store', prefix: /^\/object-store(\/|$)/, handle: handleObjectStore, faults: pithosFault },
  { name: 'public', prefix: /^\/public(\/|$)/, handle: handlePublic, faults: pithosFault },
  // The Swift dialect of the object store (and /info, /crossdomain.xml, /auth/v1.0): words its own faults.
  { name: 'swift', prefix: SWIFT_PREFIX, handle: handleSwift, idHeaders: swiftIdHeaders },
  // Before the image API: `/image/v2/…` is v2, the rest of `/image` is v1 (openstack.md Decision 7).
  imageV2Api,
  imageApi,
  uiApi,
];

export const findApi = (path: string): Api | undefined => APIS.find((api) => api.prefix.test(path));
