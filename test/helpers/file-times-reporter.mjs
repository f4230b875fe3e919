/**
 * A node:test reporter that sums, per test file, the durations of its top-level tests and suites,
 * and prints the files longest first ("seconds<TAB>file"): the numbers behind test/run-order.ts.
 * Used by `npm run test:times` next to the spec reporter. A file's own start-up (imports, tsx) is
 * not in its tests' durations, so the sums are a little under each file's wall time.
 */
// Plain JavaScript: node loads reporters before tsx's loader is registered.

/**
 * @param {AsyncIterable<{ type: string, data?: { nesting?: number, file?: string, details?: { duration_ms?: number } } }>} source
 * @returns {AsyncGenerator<string>}
 */
export default async function* fileTimes(source) {
  const perFile = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { nesting, file, details } = event.data ?? {};
    if (nesting !== 0 || !file) continue;
    const relative = file.startsWith(process.cwd()) ? file.slice(process.cwd().length + 1) : file;
    perFile.set(relative, (perFile.get(relative) ?? 0) + (details?.duration_ms ?? 0));
  }
  const rows = [...perFile].sort((a, b) => b[1] - a[1]);
  for (const [file, ms] of rows) yield `${(ms / 1000).toFixed(1)}\t${file}\n`;
  yield `${(rows.reduce((s, [, ms]) => s + ms, 0) / 1000).toFixed(1)}\tin all (${rows.length} files)\n`;
}
