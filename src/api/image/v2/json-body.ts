/**
 * Reading a v2 JSON request body with Glance's two 400s (its `JSONRequestDeserializer`): no body at
 * all is `Body expected in request.`, a body that is not JSON is `Malformed JSON in request body.`
 * (openstack.md §4.2 step 1, §4.5, §4.10). The caller reads the bytes (size-capped).
 */
import { v2Error } from './faults.ts';

export function parseJsonBody(raw: string | Uint8Array | undefined): unknown {
  const text = raw === undefined ? '' : typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
  if (text.length === 0) throw v2Error('bodyExpected');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw v2Error('malformedJson');
  }
}

/** A JSON object (not an array, not null): the one definition, shared by every API. */
export { isJsonObject } from '../../http/json-body.ts';
