/**
 * The authorization rules of all three APIs as one table (object-store.md §2, image-api.md §4.6,
 * identity.md §4): for each endpoint, target kind and caller, the status the spec gives.
 * test/authorization-matrix.test.ts checks every cell against the running server;
 * `npm run docs:authz` writes docs/authorization.md from this same table.
 */
export const CALLERS = ['owner', 'reader', 'writer', 'other', 'anonymous', 'bad token', 'expired token'] as const;
export const TARGETS = ['private', 'shared', 'public'] as const;
export type CallerKind = (typeof CALLERS)[number];
export type TargetKind = (typeof TARGETS)[number];

export interface Rule {
  readonly api: 'identity' | 'object store' | 'image';
  readonly endpoint: string;
  /** Statuses in CALLERS order, per target; null where the cell does not apply. */
  readonly expect: Readonly<Record<TargetKind, readonly (number | null)[] | null>>;
}

const DENIED = [401, 401, 401];
/** owner, reader, writer, other + the three 401s. */
const row = (owner: number, reader: number, writer: number, other: number): number[] => [
  owner,
  reader,
  writer,
  other,
  ...DENIED,
];

export const TARGET_MEANING: Readonly<Record<'object store' | 'image', Record<TargetKind, string>>> = {
  'object store': {
    private: 'no grants, not published',
    shared: '`X-Object-Sharing: read=<reader>; write=<writer>`',
    public: 'published (`X-Object-Public: true`), no grants',
  },
  image: {
    private: 'registered image, members: the owner only',
    shared: 'read grants (members) `[owner, reader]`, write grant `[writer]`',
    public: '`is_public` (read grants `[owner, *]`)',
  },
};

export const RULES: readonly Rule[] = [
  {
    api: 'identity',
    endpoint: "POST /identity/v2.0/tokens (the caller's token in the body; anonymous: empty body)",
    expect: { private: [200, 200, 200, 200, 200, 401, 401], shared: null, public: null },
  },
  {
    api: 'identity',
    endpoint: 'POST /account/v1.0/user_catalogs',
    expect: { private: row(200, 200, 200, 200), shared: null, public: null },
  },

  {
    api: 'object store',
    endpoint: 'HEAD object',
    expect: { private: row(200, 404, 404, 404), shared: row(200, 200, 200, 404), public: row(200, 200, 200, 200) },
  },
  {
    api: 'object store',
    endpoint: 'GET object',
    expect: { private: row(200, 404, 404, 404), shared: row(200, 200, 200, 404), public: row(200, 200, 200, 200) },
  },
  {
    api: 'object store',
    endpoint: 'GET object ?hashmap',
    expect: { private: row(200, 404, 404, 404), shared: row(200, 200, 200, 404), public: row(200, 200, 200, 200) },
  },
  {
    api: 'object store',
    endpoint: 'PUT object (overwrite)',
    expect: { private: row(201, 404, 404, 404), shared: row(201, 403, 201, 404), public: row(201, 403, 403, 403) },
  },
  {
    api: 'object store',
    endpoint: 'PUT object (new name in the container)',
    expect: { private: row(201, 404, 404, 404), shared: row(201, 403, 403, 404), public: row(201, 404, 404, 404) },
  },
  {
    api: 'object store',
    endpoint: 'POST object (X-Object-Meta-*)',
    expect: { private: row(202, 404, 404, 404), shared: row(202, 403, 202, 404), public: row(202, 403, 403, 403) },
  },
  {
    api: 'object store',
    endpoint: 'POST object (X-Object-Sharing)',
    expect: { private: row(202, 404, 404, 404), shared: row(202, 403, 403, 404), public: row(202, 403, 403, 403) },
  },
  {
    api: 'object store',
    endpoint: 'DELETE object',
    expect: { private: row(204, 404, 404, 404), shared: row(204, 403, 403, 404), public: row(204, 403, 403, 403) },
  },
  {
    api: 'object store',
    endpoint: 'HEAD container',
    expect: { private: row(204, 404, 404, 404), shared: row(204, 204, 204, 404), public: row(204, 404, 404, 404) },
  },
  {
    api: 'object store',
    endpoint: 'GET container (listing)',
    expect: { private: row(200, 404, 404, 404), shared: row(200, 200, 200, 404), public: row(200, 404, 404, 404) },
  },
  {
    api: 'object store',
    endpoint: 'HEAD account',
    expect: { private: row(204, 404, 404, 404), shared: row(204, 204, 204, 404), public: row(204, 404, 404, 404) },
  },
  {
    api: 'object store',
    endpoint: 'GET /public/<token> (no token needed)',
    expect: { private: null, shared: null, public: [200, 200, 200, 200, 200, 200, 200] },
  },

  // The Swift mount (issue 19): the same objects; an account or container the caller holds no
  // grant in is refused (403), not hidden; a published object is no Swift ACL (public-read comes with ACLs).
  {
    api: 'object store',
    endpoint: 'Swift HEAD object',
    expect: { private: row(200, 403, 403, 403), shared: row(200, 200, 200, 403), public: row(200, 403, 403, 403) },
  },
  {
    api: 'object store',
    endpoint: 'Swift GET object',
    expect: { private: row(200, 403, 403, 403), shared: row(200, 200, 200, 403), public: row(200, 403, 403, 403) },
  },
  {
    api: 'object store',
    endpoint: 'Swift PUT object (overwrite)',
    expect: { private: row(201, 403, 403, 403), shared: row(201, 403, 201, 403), public: row(201, 403, 403, 403) },
  },
  {
    api: 'object store',
    endpoint: 'Swift POST object (X-Object-Meta-*)',
    expect: { private: row(204, 403, 403, 403), shared: row(204, 403, 204, 403), public: row(204, 403, 403, 403) },
  },
  {
    api: 'object store',
    endpoint: 'Swift DELETE object',
    expect: { private: row(204, 403, 403, 403), shared: row(204, 403, 403, 403), public: row(204, 403, 403, 403) },
  },
  {
    api: 'object store',
    endpoint: 'Swift GET container (listing)',
    expect: { private: row(200, 403, 403, 403), shared: row(200, 200, 200, 403), public: row(200, 403, 403, 403) },
  },
  {
    api: 'object store',
    endpoint: 'Swift HEAD account',
    expect: { private: row(204, 403, 403, 403), shared: row(204, 204, 204, 403), public: row(204, 403, 403, 403) },
  },
  {
    api: 'object store',
    endpoint: 'GET /info (Swift discoverability, no token needed)',
    expect: { private: [200, 200, 200, 200, 200, 200, 200], shared: null, public: null },
  },

  {
    api: 'image',
    endpoint: 'HEAD image',
    expect: { private: row(200, 404, 404, 404), shared: row(200, 200, 200, 404), public: row(200, 200, 200, 200) },
  },
  {
    api: 'image',
    endpoint: 'GET image (data)',
    expect: { private: row(200, 404, 404, 404), shared: row(200, 200, 200, 404), public: row(200, 200, 200, 200) },
  },
  {
    api: 'image',
    endpoint: 'PUT image (name)',
    expect: { private: row(200, 404, 404, 404), shared: row(200, 403, 200, 404), public: row(200, 403, 403, 403) },
  },
  {
    api: 'image',
    endpoint: 'PUT image (is_public)',
    expect: { private: row(200, 404, 404, 404), shared: row(200, 403, 403, 404), public: row(200, 403, 403, 403) },
  },
  {
    api: 'image',
    endpoint: 'DELETE image (unregister)',
    expect: { private: row(204, 404, 404, 404), shared: row(204, 403, 403, 404), public: row(204, 403, 403, 403) },
  },
  {
    api: 'image',
    endpoint: 'GET image members',
    expect: { private: row(200, 404, 404, 404), shared: row(200, 200, 200, 404), public: row(200, 200, 200, 200) },
  },
  {
    api: 'image',
    endpoint: 'PUT image member',
    expect: { private: row(204, 404, 404, 404), shared: row(204, 403, 403, 404), public: row(204, 403, 403, 403) },
  },
  {
    api: 'image',
    endpoint: 'DELETE image member',
    expect: { private: row(204, 404, 404, 404), shared: row(204, 403, 403, 404), public: row(204, 403, 403, 403) },
  },
  {
    api: 'image',
    endpoint: "POST image (register the object's location)",
    expect: { private: row(200, 404, 404, 404), shared: row(200, 403, 403, 404), public: row(200, 403, 403, 403) },
  },

  // Image API v2 (openstack.md §4): the same images; members only on `shared` images (403 otherwise, §4.10).
  {
    api: 'image',
    endpoint: 'v2 GET image',
    expect: { private: row(200, 404, 404, 404), shared: row(200, 200, 200, 404), public: row(200, 200, 200, 200) },
  },
  {
    api: 'image',
    endpoint: 'v2 GET image file',
    expect: { private: row(200, 404, 404, 404), shared: row(200, 200, 200, 404), public: row(200, 200, 200, 200) },
  },
  {
    api: 'image',
    endpoint: 'v2 PATCH image (name)',
    expect: { private: row(200, 404, 404, 404), shared: row(200, 403, 200, 404), public: row(200, 403, 403, 403) },
  },
  {
    api: 'image',
    endpoint: 'v2 DELETE image',
    expect: { private: row(204, 404, 404, 404), shared: row(204, 403, 403, 404), public: row(204, 403, 403, 403) },
  },
  {
    api: 'image',
    endpoint: 'v2 PUT image tag',
    expect: { private: row(204, 404, 404, 404), shared: row(204, 403, 204, 404), public: row(204, 403, 403, 403) },
  },
  {
    api: 'image',
    endpoint: 'v2 POST image deactivate',
    expect: { private: row(204, 404, 404, 404), shared: row(204, 403, 403, 404), public: row(204, 403, 403, 403) },
  },
  // Import (§4.9): only the owner uploads; the matrix's images are active, so the owner's answer is the 409.
  {
    api: 'image',
    endpoint: 'v2 PUT image stage',
    expect: { private: row(409, 404, 404, 404), shared: row(409, 403, 403, 404), public: row(409, 403, 403, 403) },
  },
  {
    api: 'image',
    endpoint: 'v2 POST image import (glance-direct)',
    expect: { private: row(409, 404, 404, 404), shared: row(409, 403, 403, 404), public: row(409, 403, 403, 403) },
  },
  {
    api: 'image',
    endpoint: 'v2 GET image members',
    expect: { private: row(403, 404, 404, 404), shared: row(200, 200, 200, 404), public: row(403, 403, 403, 403) },
  },
  {
    api: 'image',
    endpoint: 'v2 POST image member',
    expect: { private: row(403, 404, 404, 404), shared: row(200, 403, 403, 404), public: row(403, 403, 403, 403) },
  },
];

/** docs/authorization.md, generated from RULES. */
export function authorizationDoc(): string {
  const lines = [
    '# Who may do what',
    '',
    'Generated from `test/authz/rules.ts` by `npm run docs:authz`; `test/authorization-matrix.test.ts`',
    'checks every cell against a running server. Unreadable means not found: a caller who may not',
    'see a resource gets the same `404` as for a missing one; one who may see it but lacks the right',
    'gets `403`; a missing, unknown or expired token is `401` before either.',
    '',
    'Callers: **owner** (the account the object is in), **reader** (read grant / image member),',
    '**writer** (write grant), **other** (any other user), **anonymous** (no token), **bad token**',
    '(unknown), **expired token**.',
    '',
  ];
  for (const api of ['identity', 'object store', 'image'] as const) {
    lines.push(`## ${api[0].toUpperCase() + api.slice(1)}`, '');
    if (api !== 'identity') {
      lines.push(`Targets: ${TARGETS.map((t) => `**${t}**: ${TARGET_MEANING[api][t]}`).join('; ')}.`, '');
    }
    lines.push(`| endpoint | target | ${CALLERS.join(' | ')} |`, `|---|---|${CALLERS.map(() => '---').join('|')}|`);
    for (const r of RULES.filter((x) => x.api === api)) {
      for (const t of TARGETS) {
        const cells = r.expect[t];
        if (cells)
          lines.push(
            `| ${r.endpoint} | ${api === 'identity' ? 'any' : t} | ${cells.map((c) => (c === null ? '—' : String(c))).join(' | ')} |`,
          );
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}
