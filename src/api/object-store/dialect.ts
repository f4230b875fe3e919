/**
 * The two dialects of the one object store: Pithos (`/object-store/v1/<uuid>`, kamaki's, answers
 * kept byte for byte) and Swift (`/swift/v1/AUTH_<uuid>`, OpenStack's tools). The handlers in this
 * folder serve both; where the protocols disagree they read it here, so the difference is this
 * table and not a second copy of the handlers.
 */
import type { IncomingMessage } from 'node:http';
import type { ContainerRecord, Policy } from '../../domain/objects/containers.ts';
import { epochSeconds6, isoMicros } from '../../domain/time.ts';
import { readSwiftVersioning, swiftVersioningHeaders } from '../swift/versioned-writes.ts';
import type { HeaderMap } from '../http/reply.ts';

export type MetaLevel = 'Account' | 'Container' | 'Object';

/** Limits on the `X-<Level>-Meta-*` headers of one request, and how a refusal is worded. */
export interface MetaRules {
  /** Most meta headers in one request. */
  readonly maxCount: number;
  readonly maxName: number;
  readonly maxValue: number;
  /** Most bytes of names and values together in one request (Swift), or none. */
  readonly maxOverall?: number;
  /** Most meta items one resource may hold after a change. */
  readonly maxItems: number;
  readonly messages: {
    readonly count: string;
    readonly name: (header: string) => string;
    readonly value: (header: string) => string;
    readonly overall: string;
  };
  /** `X-Remove-<Level>-Meta-<key>` removes the key (Swift). */
  readonly removeHeaders: boolean;
}

export interface Dialect {
  readonly name: 'pithos' | 'swift';
  /** Status of a metadata `POST` (account, container, object). */
  readonly postStatus: 202 | 204;
  /** Does a metadata `POST` on this level replace the whole meta set (else it merges)? */
  metaPostReplaces(level: MetaLevel, query: ReadonlyMap<string, string>): boolean;
  readonly meta: MetaRules;
  /** With `prefix` and `delimiter`, a prefix not ending in the delimiter gets it (Pithos); Swift lists as asked. */
  readonly appendDelimiterToPrefix: boolean;
  /** `limit` above the maximum, or not a number: this fault's status and message. */
  readonly badLimit: { readonly status: 400 | 412; readonly message: string };
  /** `last_modified` of a listing entry. */
  listingTime(micros: number): string;
  /** Rich Pithos object entries (`x_object_*`), or Swift's five keys. */
  readonly richListings: boolean;
  /** Swift's `X-Copied-From*` reply headers on a copy. */
  readonly copiedFromHeaders: boolean;
  /**
   * Pithos's `X-Container-Object-Meta` (every meta key of every object: a read of the whole
   * container on each container HEAD/GET); Swift has no such header.
   */
  readonly containerObjectMeta: boolean;
  /** The account as its path names it (XML listings). */
  accountName(uuid: string): string;
  /** An account named in a header (`Destination-Account`, `X-Copy-From-Account`) as a uuid. */
  accountUuid(named: string | undefined): string | undefined;
  /** Versioning asked by a container PUT/POST beyond `X-Container-Policy-*` (Swift's locations). */
  readVersioning(req: IncomingMessage): Policy;
  /** Policy of a container this mount creates, where the request is silent. */
  readonly newContainerPolicy: Policy;
  /** Versioning headers of a container HEAD/GET beyond the policy ones. */
  versioningHeaders(c: ContainerRecord): HeaderMap;
}

export const PITHOS: Dialect = {
  name: 'pithos',
  postStatus: 202,
  metaPostReplaces: (_level, query) => !query.has('update'),
  meta: {
    maxCount: 90,
    maxName: 128,
    maxValue: 256,
    maxItems: 32,
    messages: {
      count: 'Too many headers.',
      name: () => 'Header name too large.',
      value: () => 'Header value too large.',
      overall: 'Too many headers.',
    },
    removeHeaders: false,
  },
  appendDelimiterToPrefix: true,
  badLimit: { status: 400, message: 'Invalid limit' },
  listingTime: isoMicros,
  richListings: true,
  copiedFromHeaders: false,
  containerObjectMeta: true,
  accountName: (uuid) => uuid,
  accountUuid: (named) => named,
  readVersioning: () => ({}),
  newContainerPolicy: {},
  versioningHeaders: () => ({}),
};

/** Swift's limits as its `/info` announces them (constraints.py defaults). */
export const SWIFT_LIMITS = {
  max_meta_count: 90,
  max_meta_name_length: 128,
  max_meta_value_length: 256,
  max_meta_overall_size: 4096,
  max_object_name_length: 1024,
  max_container_name_length: 256,
  container_listing_limit: 10000,
  account_listing_limit: 10000,
  max_header_size: 8192,
} as const;

export const SWIFT: Dialect = {
  name: 'swift',
  postStatus: 204,
  // Swift: account and container POST merge (an empty value removes); object POST replaces.
  metaPostReplaces: (level) => level === 'Object',
  meta: {
    maxCount: SWIFT_LIMITS.max_meta_count,
    maxName: SWIFT_LIMITS.max_meta_name_length,
    maxValue: SWIFT_LIMITS.max_meta_value_length,
    maxOverall: SWIFT_LIMITS.max_meta_overall_size,
    maxItems: SWIFT_LIMITS.max_meta_count,
    messages: {
      count: `Too many metadata items; max ${SWIFT_LIMITS.max_meta_count}`,
      name: (h) => `Metadata name too long: ${h}; max ${SWIFT_LIMITS.max_meta_name_length}`,
      value: (h) => `Metadata value longer than ${SWIFT_LIMITS.max_meta_value_length}: ${h}`,
      overall: `Total metadata too large; max ${SWIFT_LIMITS.max_meta_overall_size}`,
    },
    removeHeaders: true,
  },
  appendDelimiterToPrefix: false,
  badLimit: { status: 412, message: `Maximum limit is ${SWIFT_LIMITS.container_listing_limit}` },
  // Swift's form: no zone suffix.
  listingTime: (us) => isoMicros(us).slice(0, 26),
  richListings: false,
  copiedFromHeaders: true,
  containerObjectMeta: false,
  accountName: (uuid) => `AUTH_${uuid}`,
  accountUuid: (named) => named?.replace(/^AUTH_/, ''),
  readVersioning: readSwiftVersioning,
  // Swift keeps no history unless X-Versions-Location or X-History-Location asks (versioned-writes.ts).
  newContainerPolicy: { versioning: 'none' },
  versioningHeaders: swiftVersioningHeaders,
};

/** Swift's `X-Timestamp`: epoch seconds with 5 decimals. */
export const swiftTimestamp = (us: number): string => epochSeconds6(us).slice(0, -1);
