/** The `route` label of /metrics (src/metrics/route-label.ts): templates only, whatever the path holds. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routeLabel } from '../../src/metrics/route-label.ts';

describe('routeLabel', () => {
  it('names each API route by its template, never by the ids or names in the path', () => {
    const id = '6f1c8a52-3b4e-4d0a-9a55-0e2f3c4d5e6f';
    const cases: [string | undefined, string, string][] = [
      ['health', '/healthz', 'healthz'],
      ['object-store', '/object-store/v1', 'root'],
      ['object-store', `/object-store/v1/${id}`, 'account'],
      ['object-store', `/object-store/v1/${id}/images`, 'container'],
      ['object-store', `/object-store/v1/${id}/images/a/b/c.img`, 'object'],
      ['public', '/public/abcdef', 'published-object'],
      ['image', `/image/v1.0/images/${id}`, 'image'],
      ['image', '/image/v1/images/detail', 'detail'],
      ['image', `/image/v1/images/${id}/members/${id}`, 'member'],
      ['image', '/image/v1/nothing/here', 'unmatched'],
      ['image-v2', `/image/v2/images/${id}/file`, 'imageFile'],
      ['image-v2', `/image/v2/images/${id}/tags/secret-tag`, 'tag'],
      ['identity-v3', '/identity/v3/auth/tokens', '/identity/v3/auth/tokens'],
      ['identity-v3', `/identity/v3/users/${id}`, '/identity/v3/users/{id}'],
      ['identity', '/identity/v2.0/tokens', '/identity/v2.0/tokens'],
      ['account', '/account/v1.0/user_catalogs', '/account/v1.0/user_catalogs'],
      ['identity-v3', '/identity/v3/a/b/c/d/e/f', 'unmatched'],
      [undefined, '/whatever/else', 'unmatched'],
    ];
    for (const [api, path, label] of cases) assert.equal(routeLabel(api, path), label, `${api} ${path}`);
  });
});
