/**
 * The one order Plankton sorts names, keys and listings in: by Unicode code point, which is UTF-8
 * byte order (Pithos listings, Glance's sorted properties), never UTF-16 code-unit order (what
 * `Array.prototype.sort` and `<` give for characters beyond U+FFFF) nor a locale's order.
 */
export function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
