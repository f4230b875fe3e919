/** What a run does: `--quick` shrinks sizes and durations, never the list of scenarios. */
export interface Profile {
  readonly mode: 'quick' | 'full';
  /** Bytes of the file every transfer moves. */
  readonly dataBytes: number;
  /** Downloads are repeated this often and the fastest counts (other load on the machine only slows). */
  readonly downloadRepeats: number;
  /** Bytes hashed for the machine's hashing limit (the speed does not depend on the size). */
  readonly hashBytes: number;
  /** Images in each server's database for the HEAD/list runs. */
  readonly seedImages: number;
  /** Seconds per wrk measurement (after a short warm-up). */
  readonly wrkSeconds: number;
  readonly wrkWarmupSeconds: number;
  readonly wrkConnections: number;
  /** Longest a wrk measurement may stretch to when single requests are slow (Glance's list). */
  readonly wrkMaxSeconds: number;
  /** Run only these sections (names as in run.ts); empty = all. */
  readonly only: readonly string[];
  /** `plankton serve --workers`; undefined: serve's default (one per core). */
  readonly workers?: number;
}

const MIB = 1 << 20;

export function parseOptions(argv: readonly string[]): Profile {
  let quick = false;
  const only: string[] = [];
  let workers: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') quick = true;
    else if (a === '--workers' && argv[i + 1]) workers = positive(argv[++i]);
    else if (a.startsWith('--workers=')) workers = positive(a.slice('--workers='.length));
    else if (a === '--only' && argv[i + 1]) only.push(...argv[++i].split(','));
    else if (a.startsWith('--only=')) only.push(...a.slice('--only='.length).split(','));
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: npm run bench [-- --quick] [-- --only machine,nginx,swift,glance,plankton,pg-s3] [-- --workers N]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  return quick
    ? {
        mode: 'quick',
        dataBytes: 256 * MIB,
        downloadRepeats: 2,
        hashBytes: 256 * MIB,
        seedImages: 10_000,
        wrkSeconds: 5,
        wrkWarmupSeconds: 1,
        wrkConnections: 64,
        wrkMaxSeconds: 30,
        only,
        workers,
      }
    : {
        mode: 'full',
        dataBytes: 2048 * MIB,
        downloadRepeats: 2,
        hashBytes: 512 * MIB,
        seedImages: 100_000,
        wrkSeconds: 10,
        wrkWarmupSeconds: 2,
        wrkConnections: 64,
        wrkMaxSeconds: 90,
        only,
        workers,
      };
}

function positive(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--workers wants a positive whole number, not ${text}`);
  return n;
}
