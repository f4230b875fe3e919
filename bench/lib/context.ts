import fs from 'node:fs';
import path from 'node:path';
import type { Profile } from './options.ts';
import type { Results } from './results.ts';

/** What every scenario gets: the run's settings, the shared data file and where to record figures. */
export interface BenchContext {
  readonly profile: Profile;
  readonly results: Results;
  /** The random data file all transfers move, `profile.dataBytes` long. */
  readonly dataFile: string;
  /**
   * Another file of the same size with other random bytes: for a second upload into a store that
   * keeps blocks by content, which would otherwise find every block of `dataFile` already there.
   */
  readonly otherDataFile: string;
  /** The repository root (for `bin/plankton.js` and `bench/scripts/`). */
  readonly repo: string;
  /** A new empty folder under the run's temp folder (removed at the end of the run). */
  dir(name: string): string;
  /** A progress line under the current section's name. */
  log(message: string): void;
}

export interface Scenario {
  /** Short name, used by `--only`. */
  readonly name: string;
  run(ctx: BenchContext): Promise<void>;
}

export function makeDirFactory(root: string): (name: string) => string {
  return (name) => {
    const dir = path.join(root, name);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  };
}
