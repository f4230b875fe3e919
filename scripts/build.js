// `npm run build`: compiles src/ into dist/ (tsconfig.build.json) and stamps it complete, so that
// `plankton` runs the JavaScript (bin/entry-point.js). With `--if-possible` (npm's `prepare`, run
// by `npm install`/`npm ci`) a failed compile is a warning, not a failed install: `plankton` then
// runs the sources through tsx, as it always could.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BUILD_STAMP } from '../bin/entry-point.js';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
const lenient = process.argv.includes('--if-possible');

function give_up(why) {
  process.stderr.write(`build: ${why}\n`);
  if (!lenient) process.exit(1);
  process.stderr.write('build: plankton will run the TypeScript sources through tsx instead.\n');
  process.exit(0);
}

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  give_up('typescript is not installed (a production-only install?)');
}
fs.rmSync(dist, { recursive: true, force: true });
const run = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (run.status !== 0) give_up(`tsc failed (exit ${run.status ?? run.signal}); dist/ is not stamped`);
fs.writeFileSync(path.join(dist, BUILD_STAMP), `${new Date().toISOString()}\n`);
process.stdout.write('build: dist/ is up to date\n');
