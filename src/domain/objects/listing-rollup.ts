/**
 * The pure rules of a container listing's prefix/delimiter roll-up (object-store.md §10), apart
 * from the paging over the database in `ObjectService.list`.
 */

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
