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

/**
 * A statement whose form depends on its arguments (a list with optional filters): compiled once
 * per form, then run with each call's values, like `compiledOnce`. The form is `structure` (what
 * changes the SQL but is no bound value: sort key, direction) plus which arguments are present.
 * `build` gets a placeholder for each present argument and must use each only as a bound value.
 * Forms are few (one per combination of filters a client sends); the cache is bounded anyway, so
 * a client sending every combination cannot grow it without end (the oldest form is dropped).
 */
export function compiledPerForm<Structure, Row>(
  build: (structure: Structure, slots: Readonly<Record<string, string>>) => Compilable<Row>,
  maxForms = 64,
): (
  runOn: Pick<Kysely<unknown>, 'executeQuery'>,
  structure: Structure,
  args: Readonly<Record<string, unknown>>,
) => Promise<Row[]> {
  const forms = new Map<string, { sql: string; parameters: readonly unknown[]; positions: [number, string][] }>();
  return async (runOn, structure, args) => {
    const names = Object.keys(args).filter((k) => args[k] !== undefined);
    const key = `${JSON.stringify(structure)}|${names.join(',')}`;
    let form = forms.get(key);
    if (!form) {
      const slots = Object.fromEntries(names.map((n) => [n, `${SLOT}${n}`]));
      const compiled = build(structure, slots).compile();
      const positions: [number, string][] = [];
      compiled.parameters.forEach((p, index) => {
        if (typeof p === 'string' && p.startsWith(SLOT)) positions.push([index, p.slice(SLOT.length)]);
      });
      if (new Set(positions.map(([, n]) => n)).size !== names.length)
        throw new Error(`compiledPerForm: not every argument is used as a value (${names.join(', ')})`);
      form = { sql: compiled.sql, parameters: compiled.parameters, positions };
      if (forms.size >= maxForms) forms.delete(forms.keys().next().value!);
      forms.set(key, form);
    }
    const parameters = [...form.parameters];
    for (const [index, name] of form.positions) parameters[index] = args[name];
    const result = await runOn.executeQuery<Row>(CompiledQuery.raw(form.sql, parameters));
    return result.rows;
  };
}
