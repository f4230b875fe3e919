import { byCodePoint } from '../code-point-order.ts';

/**
 * Pithos's `meta` listing filter (object-store.md §10), parsed by the API: an object is listed when
 * it has at least one of `anyOf` (if any are given), none of `noneOf`, and every comparison holds.
 * Keys are the stored (normalised) meta keys; values compare as strings, in code point order.
 */
export interface MetaFilter {
  readonly anyOf: readonly string[];
  readonly noneOf: readonly string[];
  readonly compare: readonly { readonly key: string; readonly op: MetaOperator; readonly value: string }[];
}

export type MetaOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

export const isEmptyFilter = (f: MetaFilter): boolean =>
  f.anyOf.length === 0 && f.noneOf.length === 0 && f.compare.length === 0;

export function matchesMeta(f: MetaFilter, meta: Readonly<Record<string, string>>): boolean {
  const has = (k: string) => Object.hasOwn(meta, k);
  if (f.anyOf.length && !f.anyOf.some(has)) return false;
  if (f.noneOf.some(has)) return false;
  return f.compare.every(({ key, op, value }) => has(key) && holds(op, byCodePoint(meta[key], value)));
}

/** Does `a <op> b` hold, given `c` = the comparison of a with b (negative, zero, positive)? */
function holds(op: MetaOperator, c: number): boolean {
  if (op === '=') return c === 0;
  if (op === '!=') return c !== 0;
  if (op === '<') return c < 0;
  if (op === '<=') return c <= 0;
  if (op === '>') return c > 0;
  return c >= 0;
}
