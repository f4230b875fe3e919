// Which code `plankton` runs: the JavaScript that `npm run build` compiled into dist/ when it is
// up to date, else the TypeScript sources through tsx's loader. Compiled, a process needs about
// half the memory (no loader thread, no transpiler garbage in the heap) and starts faster; the
// sources stay the truth, so an edit made after the last build is never shadowed by a stale dist/.
import fs from 'node:fs';
import path from 'node:path';

/** Written by scripts/build.js after a complete, error-free compile. */
export const BUILD_STAMP = '.built';

/** Newest modification time (ms) of any file under `dir`. */
function newestChange(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}

/** 'dist' when `<root>/dist` holds a build of every current source file, 'sources' otherwise. */
export function chooseEntry(root) {
  let built;
  try {
    built = fs.statSync(path.join(root, 'dist', BUILD_STAMP)).mtimeMs;
  } catch {
    return 'sources';
  }
  return newestChange(path.join(root, 'src')) <= built ? 'dist' : 'sources';
}
