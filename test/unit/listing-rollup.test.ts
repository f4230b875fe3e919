/**
 * Container listing roll-up below HTTP (object-store.md §10): the scope of a request (prefix,
 * delimiter, path=), the subdir a name rolls up into, and the upper bound the listing jumps to
 * past a subdir.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { prefixUpperBound } from '../../src/domain/objects/containers.ts';
import { listingScope, subdirOf, type ListingScope } from '../../src/domain/objects/listing-rollup.ts';

/** Code point order = UTF-8 byte order (JavaScript's `<` compares UTF-16 code units). */
const codePointCompare = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/**
 * What `ObjectService.list` does with a sorted page of names, without the database: each name is
 * listed, or rolled up into its subdir, after which the listing jumps to the subdir's upper bound.
 */
function rollUp(sortedNames: readonly string[], scope: ListingScope): string[] {
  const out: string[] = [];
  let from: string | undefined;
  for (const name of sortedNames) {
    if (!name.startsWith(scope.prefix)) continue;
    if (from !== undefined && codePointCompare(name, from) < 0) continue;
    const subdir = subdirOf(name, scope);
    if (subdir === undefined) {
      out.push(name);
    } else {
      out.push(subdir);
      from = prefixUpperBound(subdir);
      if (from === undefined) break;
    }
  }
  return out;
}

describe('listing roll-up: the scope of a request', () => {
  it('no prefix, no delimiter: everything, no roll-up', () => {
    assert.deepEqual(listingScope({}), { prefix: '' });
  });

  it('a delimiter is appended to a prefix that does not end in it', () => {
    assert.deepEqual(listingScope({ prefix: 'photos', delimiter: '/' }), { prefix: 'photos/', delimiter: '/' });
    assert.deepEqual(listingScope({ prefix: 'photos/', delimiter: '/' }), { prefix: 'photos/', delimiter: '/' });
    assert.deepEqual(listingScope({ prefix: 'a', delimiter: '::' }), { prefix: 'a::', delimiter: '::' });
    assert.deepEqual(listingScope({ delimiter: '/' }), { prefix: '', delimiter: '/' });
  });

  it('without a delimiter the prefix is taken as it is', () => {
    assert.deepEqual(listingScope({ prefix: 'photos' }), { prefix: 'photos' });
  });

  it('path= means prefix <path>/ and delimiter /, whatever the trailing slashes', () => {
    assert.deepEqual(listingScope({ prefix: 'a/b', pathMode: true }), { prefix: 'a/b/', delimiter: '/' });
    assert.deepEqual(listingScope({ prefix: 'a/b///', pathMode: true }), { prefix: 'a/b/', delimiter: '/' });
    assert.deepEqual(listingScope({ prefix: '', pathMode: true }), { prefix: '', delimiter: '/' });
    assert.deepEqual(listingScope({ pathMode: true, delimiter: ':' }), { prefix: '', delimiter: '/' });
  });

  it('a leading / of the prefix is dropped', () => {
    assert.deepEqual(listingScope({ prefix: '/a', delimiter: '/' }), { prefix: 'a/', delimiter: '/' });
    assert.deepEqual(listingScope({ prefix: '/a/b', pathMode: true }), { prefix: 'a/b/', delimiter: '/' });
  });
});

describe('listing roll-up: subdirs', () => {
  it('a name rolls up at the first delimiter after the prefix, delimiter included', () => {
    const scope = listingScope({ prefix: 'a', delimiter: '/' });
    assert.equal(subdirOf('a/b/c/d', scope), 'a/b/');
    assert.equal(subdirOf('a/b', scope), undefined);
    assert.equal(subdirOf('a//x', scope), 'a//');
    assert.equal(subdirOf('a/', scope), undefined, 'the prefix itself is an object');
  });

  it('multi-character delimiters, and no delimiter no roll-up', () => {
    assert.equal(subdirOf('x::y::z', { prefix: '', delimiter: '::' }), 'x::');
    assert.equal(subdirOf('x:y', { prefix: '', delimiter: '::' }), undefined);
    assert.equal(subdirOf('a/b/c', { prefix: '' }), undefined);
  });

  it('a sorted listing rolls up into subdirs and objects, each subdir once', () => {
    const names = ['a', 'a/', 'a/b', 'a/b/c', 'a/b/d', 'a/c', 'a0', 'b/x', 'b/y', 'ba', '\u{1F600}/x', '\uFFFD/y'].sort(
      codePointCompare,
    );
    assert.deepEqual(rollUp(names, listingScope({ delimiter: '/' })), [
      'a',
      'a/',
      'a0',
      'b/',
      'ba',
      '\uFFFD/',
      '\u{1F600}/',
    ]);
    assert.deepEqual(rollUp(names, listingScope({ prefix: 'a', delimiter: '/' })), ['a/', 'a/b', 'a/b/', 'a/c']);
    assert.deepEqual(rollUp(names, listingScope({ prefix: 'a/b', pathMode: true })), ['a/b/c', 'a/b/d']);
    assert.deepEqual(rollUp(names, listingScope({ prefix: 'a/' })), ['a/', 'a/b', 'a/b/c', 'a/b/d', 'a/c']);
  });
});

describe('listing roll-up: the upper bound past a subdir', () => {
  it('the next code point at the end, carrying past the end of Unicode, skipping surrogates', () => {
    assert.equal(prefixUpperBound('a/'), 'a0');
    assert.equal(prefixUpperBound('a\u{10FFFF}'), 'b');
    assert.equal(prefixUpperBound('\u{10FFFF}\u{10FFFF}'), undefined);
    assert.equal(prefixUpperBound('\uD7FF'), '\uE000');
    assert.equal(prefixUpperBound('\uFFFF'), '\u{10000}');
  });

  it('every name under a prefix sorts below its bound, and the bound itself is not under it', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 6 });
    fc.assert(
      fc.property(
        text.filter((p) => p.length > 0),
        text,
        (prefix, rest) => {
          const bound = prefixUpperBound(prefix);
          if (bound === undefined) return;
          assert.ok(
            codePointCompare(prefix + rest, bound) < 0,
            `${JSON.stringify(prefix + rest)} < ${JSON.stringify(bound)}`,
          );
          assert.ok(codePointCompare(prefix, bound) < 0);
          assert.ok(!bound.startsWith(prefix));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
