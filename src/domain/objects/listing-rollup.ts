/**
 * The rules of a listing's prefix/delimiter roll-up (object-store.md §10), for objects in a
 * container and containers in an account alike, and the paging that applies them over the
 * database's name ranges.
 */
import { byCodePoint } from '../code-point-order.ts';

/** What a listing covers: names starting with `prefix`, rolled up at the first `delimiter` after it. */
export interface ListingScope {
  readonly prefix: string;
  readonly delimiter?: string;
}

/**
 * The scope of a listing request. `path=` means prefix `<path>/` and delimiter `/`; with a
 * delimiter, a prefix that does not end in it gets it appended; a leading `/` is dropped.
 */
export function listingScope(opts: {
  readonly prefix?: string;
  readonly delimiter?: string;
  readonly pathMode?: boolean;
  /** Pithos's rule (default): a prefix not ending in the delimiter gets it; Swift lists as asked. */
  readonly appendDelimiter?: boolean;
}): ListingScope {
  let prefix = opts.prefix ?? '';
  let delimiter = opts.delimiter;
  if (opts.pathMode) {
    prefix = opts.prefix === undefined || opts.prefix === '' ? '' : opts.prefix.replace(/\/*$/, '/');
    delimiter = '/';
  } else if (opts.appendDelimiter !== false && delimiter && prefix && !prefix.endsWith(delimiter)) {
    prefix += delimiter;
  }
  return { prefix: prefix.replace(/^\//, ''), ...(delimiter ? { delimiter } : {}) };
}

/**
 * The subdir entry a name (one that starts with the scope's prefix) rolls up into: the prefix,
 * then the rest up to and including the first delimiter; undefined when the name is listed itself.
 */
export function subdirOf(name: string, scope: ListingScope): string | undefined {
  if (!scope.delimiter) return undefined;
  const rest = name.slice(scope.prefix.length);
  const cut = rest.indexOf(scope.delimiter);
  return cut >= 0 ? scope.prefix + rest.slice(0, cut + scope.delimiter.length) : undefined;
}

/** The lowest of some upper bounds (code point order); undefined if there are none. */
export const lowest = (bounds: readonly (string | undefined)[]): string | undefined =>
  bounds.reduce<string | undefined>(
    (m, b) => (b === undefined || (m !== undefined && byCodePoint(m, b) <= 0) ? m : b),
    undefined,
  );

/** Bounds of one page's query: names after `after`, from `from` on, below `below` (all optional). */
export interface PageWindow {
  readonly after?: string;
  readonly from?: string;
  readonly below?: string;
}

/**
 * Pages through names in order (highest first with `reverse`), `fetch` giving one page of rows
 * within a window, and rolls up names under the scope's delimiter into one `subdir` each, jumping
 * past each subdir's names in one step: a listing costs a few range scans whatever it covers.
 * `window` is the request's own bounds (marker, end_marker, the prefix's range).
 */
export async function rolledUpListing<Row extends { readonly name: string }>(
  fetch: (window: PageWindow, limit: number) => Promise<readonly Row[]>,
  opts: {
    readonly scope: ListingScope;
    readonly window: PageWindow;
    readonly limit: number;
    readonly reverse: boolean;
    /** Swift's `path=`: rolled-up names are skipped, not listed. */
    readonly omitSubdirs?: boolean;
    /** Rows it refuses are passed over: neither listed nor rolled up. */
    readonly accept?: (row: Row) => boolean;
  },
): Promise<({ readonly row: Row } | { readonly subdir: string })[]> {
  const { scope, limit, reverse } = opts;
  let { after, from, below } = opts.window;
  const out: ({ row: Row } | { subdir: string })[] = [];
  // With a delimiter each roll-up ends the page's query early: smaller pages waste fewer rows.
  const batch = scope.delimiter ? 100 : Math.min(Math.max(limit, 100), 1000);
  while (out.length < limit) {
    const rows = await fetch({ after, from, below }, batch);
    let rolledUp = false;
    for (const row of rows) {
      if (opts.accept && !opts.accept(row)) {
        if (reverse) below = row.name;
        else after = row.name;
        continue;
      }
      const subdir = subdirOf(row.name, scope);
      if (subdir !== undefined) {
        // A subdir given back as the marker (how clients page) was listed on the page before.
        if (!opts.omitSubdirs && !(subdir === opts.window.after && !reverse)) out.push({ subdir });
        // Skip every other name under this subdir in one step.
        if (reverse) below = lowest([subdir, below]);
        else {
          from = prefixUpperBound(subdir);
          if (from === undefined) return out.slice(0, limit);
        }
        rolledUp = true;
        break;
      }
      out.push({ row });
      if (out.length >= limit) break;
      if (reverse) below = row.name;
      else after = row.name;
    }
    if (!rolledUp && rows.length < batch) break;
  }
  return out.slice(0, limit);
}

/** The least string greater than every string starting with `prefix` (code point order); undefined if none. */
export function prefixUpperBound(prefix: string): string | undefined {
  const cps = [...prefix];
  while (cps.length) {
    const last = cps.pop()!.codePointAt(0)!;
    let next = last + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next <= 0x10ffff) return cps.join('') + String.fromCodePoint(next);
  }
  return undefined;
}
