import type { MetaFilter, MetaOperator } from '../../domain/objects/meta-filter.ts';
import { normalizeMetaKey } from './request-headers.ts';

/** One term: `key`, `!key`, or `key<op>value` (Pithos's filter.py grammar; spaces around allowed). */
const TERM = /^(!?)\s*(\S+?)\s*(?:(=|!=|<=|>=|<|>)\s*(\S*?)\s*)?$/u;

/**
 * The `meta` parameter of a Pithos container listing (`meta=key1,!key2,key3=value,key4>=v`): terms
 * split on `,`, empty and unparsable ones ignored, as Pithos does. Keys name `X-Object-Meta-*` keys
 * (any case, `_` for `-`).
 */
export function parseMetaFilter(param: string): MetaFilter {
  const anyOf: string[] = [];
  const noneOf: string[] = [];
  const compare: { key: string; op: MetaOperator; value: string }[] = [];
  for (const raw of param.split(',')) {
    const term = raw.trim();
    if (!term) continue;
    const m = TERM.exec(term);
    if (!m) continue;
    const [, neg, name, op, value] = m;
    const key = normalizeMetaKey(name);
    if (neg) noneOf.push(key);
    else if (op) compare.push({ key, op: op as MetaOperator, value: value ?? '' });
    else anyOf.push(key);
  }
  return { anyOf, noneOf, compare };
}
