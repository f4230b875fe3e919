/**
 * How every API checks the JSON documents clients send: one zod schema per body, whose messages
 * are the API's own wording (the spec's, byte for byte), and one call that turns the first
 * problem into the API's fault. zod reports problems in the order of the schema's keys and array
 * elements; where a spec checks a whole stage before the next (every element an object before any
 * element's field), the stages are chained with `.pipe`, which runs a stage only when the one
 * before passed.
 */
import type { z } from 'zod';

/** The largest JSON document an API reads whole (bodies of metadata calls; hashmaps and Keystone's auth have their own). */
export const JSON_BODY_LIMIT = 1024 * 1024;

/** A JSON object (not an array, not null): what `JSON.parse` gives for `{…}`. */
export const isJsonObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a failed check tells the API's fault builder: the schema's message and, for custom checks, its params. */
export interface BodyProblem {
  readonly message: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

/**
 * `doc` checked (and transformed) by `schema`, or the API's fault for the first problem found.
 * Every message a client can see comes from the schema, so a schema without its own message for
 * some node is a bug the unit tests catch (zod's default wording is never an API's).
 */
export function validateBody<S extends z.ZodType>(
  schema: S,
  doc: unknown,
  fault: (problem: BodyProblem) => Error,
): z.output<S> {
  const result = schema.safeParse(doc);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  throw fault({ message: first.message, params: first.code === 'custom' ? first.params : undefined });
}
