import { CompiledQuery, type Compilable, type Kysely } from 'kysely';

/** Stands for the n-th argument while the statement is compiled; never a value a caller could pass. */
const SLOT = '\u0000plankton-compiled-once-slot:';

/**
 * A hot statement (the token lookup and the image lookup every authenticated request and every
 * `HEAD` make) built and compiled to SQL once, then run with each call's values. Kysely otherwise
 * rebuilds the query tree and recompiles the same SQL text on every call: about a tenth of a
 * `HEAD`'s CPU in the profiles of docs/performance.md. `build` gets one placeholder per argument
 * and must use each only as a bound value (a `where` operand), which is where the real values go;
 * it is called at the first run, so it may use what its owner's constructor sets.
 */
export function compiledOnce<Row>(
  build: (...slots: string[]) => Compilable<Row>,
): (runOn: Pick<Kysely<unknown>, 'executeQuery'>, ...args: unknown[]) => Promise<Row[]> {
  const arity = build.length;
  let compiled: CompiledQuery<Row> | undefined;
  let positions: { index: number; arg: number }[] = [];
  return async (runOn, ...args) => {
    if (!compiled) {
      compiled = build(...Array.from({ length: arity }, (_, i) => `${SLOT}${i}`)).compile();
      positions = compiled.parameters.flatMap((p, index) =>
        typeof p === 'string' && p.startsWith(SLOT) ? [{ index, arg: Number(p.slice(SLOT.length)) }] : [],
      );
      if (positions.length === 0 && arity > 0) throw new Error('compiledOnce: the statement uses no placeholder');
    }
    const parameters = [...compiled.parameters];
    for (const { index, arg } of positions) parameters[index] = args[arg];
    const result = await runOn.executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters));
    return result.rows;
  };
}
