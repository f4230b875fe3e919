/**
 * Checks a value against a node of the image schema (schemas.ts) and words the first failure as
 * Python's jsonschema does, because Glance puts that sentence in its 400 (openstack.md Appendix A,
 * "schema violation": `'foo' is not one of [...]`) and clients show it. Only the keywords the v2
 * documents use are implemented: type, enum, maxLength, minLength, pattern, items, properties,
 * required, additionalProperties.
 */
import type { SchemaNode } from './schemas.ts';

/** Python's `repr` of a JSON value (jsonschema quotes the offending instance with it). */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pythonFloat(value);
  if (typeof value === 'string') return pythonString(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${pythonString(k)}: ${pythonRepr(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

function pythonFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  const s = String(n);
  return s.includes('e') ? s.replace(/e([+-])(\d)$/, 'e$10$2') : s;
}

/** Single quotes unless the text has a `'` and no `"`, as Python chooses. */
function pythonString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value; // string, boolean, object
}

function isOfType(value: unknown, type: string): boolean {
  const actual = jsonType(value);
  if (type === 'number') return actual === 'number' || actual === 'integer';
  return actual === type;
}

/** Code points, as Python's `len` counts a string (not UTF-16 units). */
const length = (s: string) => [...s].length;

/** The first jsonschema failure of `value` against `node`, or null when it conforms. */
export function schemaFailure(value: unknown, node: SchemaNode): string | null {
  if (node.type !== undefined) {
    const types = typeof node.type === 'string' ? [node.type] : node.type;
    if (!types.some((t) => isOfType(value, t))) {
      return `${pythonRepr(value)} is not of type ${types.map((t) => pythonString(t)).join(', ')}`;
    }
  }
  if (node.enum !== undefined && !node.enum.some((e) => e === value)) {
    return `${pythonRepr(value)} is not one of ${pythonRepr(node.enum)}`;
  }
  if (typeof value === 'string') {
    if (node.maxLength !== undefined && length(value) > node.maxLength) return `${pythonRepr(value)} is too long`;
    if (node.minLength !== undefined && length(value) < node.minLength) return `${pythonRepr(value)} is too short`;
    if (node.pattern !== undefined && !new RegExp(node.pattern, 'u').test(value)) {
      return `${pythonRepr(value)} does not match ${pythonString(node.pattern)}`;
    }
  }
  if (Array.isArray(value) && node.items !== undefined) {
    for (const item of value) {
      const failure = schemaFailure(item, node.items);
      if (failure) return failure;
    }
  }
  if (jsonType(value) === 'object') return objectFailure(value as Record<string, unknown>, node);
  return null;
}

function objectFailure(obj: Record<string, unknown>, node: SchemaNode): string | null {
  for (const key of node.required ?? []) {
    if (!Object.hasOwn(obj, key)) return `${pythonString(key)} is a required property`;
  }
  const extra: string[] = [];
  for (const [key, v] of Object.entries(obj)) {
    const sub = node.properties?.[key];
    if (sub) {
      const failure = schemaFailure(v, sub);
      if (failure) return failure;
    } else if (typeof node.additionalProperties === 'object') {
      const failure = schemaFailure(v, node.additionalProperties);
      if (failure) return failure;
    } else if (node.additionalProperties === false) {
      extra.push(key);
    }
  }
  if (extra.length > 0) {
    const which = extra.map(pythonString).join(', ');
    return `Additional properties are not allowed (${which} ${extra.length === 1 ? 'was' : 'were'} unexpected)`;
  }
  return null;
}
