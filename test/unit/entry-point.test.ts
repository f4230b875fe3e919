/** bin/entry-point.js: the compiled build runs only while it is newer than every source file. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { BUILD_STAMP, chooseEntry } from '../../bin/entry-point.js';

describe('which code plankton runs', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-entry-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const at = (file: string, seconds: number) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (!fs.existsSync(file)) fs.writeFileSync(file, '');
    fs.utimesSync(file, seconds, seconds);
  };

  it('the sources without a stamped build; the build once stamped after every source; the sources again after an edit', () => {
    at(path.join(root, 'src/cli/main.ts'), 1000);
    at(path.join(root, 'src/domain/deep/nested/rule.ts'), 1100);
    assert.equal(chooseEntry(root), 'sources', 'no dist/');
    at(path.join(root, 'dist/cli/main.js'), 1200);
    assert.equal(chooseEntry(root), 'sources', 'dist/ without its stamp (a failed or running build)');
    at(path.join(root, 'dist', BUILD_STAMP), 1200);
    assert.equal(chooseEntry(root), 'dist');
    at(path.join(root, 'src/domain/deep/nested/rule.ts'), 1300);
    assert.equal(chooseEntry(root), 'sources', 'a nested source edited after the build');
  });
});
