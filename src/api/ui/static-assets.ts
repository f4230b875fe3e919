/**
 * The web catalog's files (`ui/` of the repository, plus preact+htm's single-file ES module from
 * node_modules): no build step, the browser loads ES modules as they are.
 *
 * All files are read once, at first use (they are a few tens of KiB), and served under
 * `/ui/assets/<build>/…`, where `<build>` is a digest of every file: their URLs change whenever
 * any file does, so they can be cached as immutable. The page itself (`/ui`) is never cached and
 * names the current build.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

export interface AssetBundle {
  readonly build: string;
  readonly page: Buffer;
  readonly files: ReadonlyMap<string, Asset>;
}

const UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../ui');
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

let bundle: AssetBundle | undefined;

export function assets(): AssetBundle {
  bundle ??= loadBundle();
  return bundle;
}

function loadBundle(): AssetBundle {
  const files = new Map<string, Asset>();
  for (const name of fs.readdirSync(UI_DIR).sort()) {
    const type = TYPES[path.extname(name)];
    if (type) files.set(name, { body: fs.readFileSync(path.join(UI_DIR, name)), type });
  }
  // preact + hooks + htm as one ES module: no bare import specifiers, so no import map (an inline script CSP forbids).
  // htm's exports map hides package.json and has no `require` file for this module: go from its main file.
  const htmDir = path.resolve(path.dirname(createRequire(import.meta.url).resolve('htm')), '..');
  const standalone = path.join(htmDir, 'preact', 'standalone.module.js');
  files.set('vendor-preact-htm.js', { body: fs.readFileSync(standalone), type: TYPES['.js'] });
  const digest = createHash('sha256');
  for (const [name, asset] of files) digest.update(name).update('\0').update(asset.body);
  const template = fs.readFileSync(path.join(UI_DIR, 'index.html'), 'utf8');
  digest.update(template);
  const build = digest.digest('hex').slice(0, 16);
  return { build, page: Buffer.from(template.replaceAll('{{ASSETS}}', `/ui/assets/${build}`)), files };
}
