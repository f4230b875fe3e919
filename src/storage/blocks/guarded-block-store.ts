import { DependencyUnavailable, type DependencyProblem } from '../../domain/errors.ts';
import type { BlockBatch, BlockStore } from './block-store.ts';

/**
 * What a driver's failure means for the caller. Any error out of a driver is the store failing
 * (absent blocks are `undefined`/`false`, not errors), except the hash check, which is a bug
 * upstream and stays as it is. File systems say why in `code`; S3 failures (refused, reset, 5xx,
 * no credentials) are all "unavailable".
 */
export function blockStoreProblem(err: unknown): DependencyProblem | undefined {
  if (err instanceof DependencyUnavailable) return err.problem;
  if (err instanceof Error && err.message.startsWith('not a block hash')) return undefined;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'full';
  if (code === 'EROFS') return 'read-only';
  if ((err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode === 507)
    return 'full';
  return 'unavailable';
}

class BlockStoreTimeout extends Error {}

/**
 * Puts every block-store call behind a deadline (PLANKTON_BLOCKS_TIMEOUT) and turns driver
 * failures into `DependencyUnavailable('blocks', …)`, which every API answers with 503 (507 when
 * full). Without the deadline a stalled S3 endpoint or a hung mount would hold the request, its
 * upload slot and its buffers for as long as the TCP stack keeps trying. A call that missed its
 * deadline may still finish in the background; that is harmless: blocks are content-addressed and
 * a block no commit references is only garbage for `gc`.
 */
export class GuardedBlockStore implements BlockStore {
  readonly label: string;

  constructor(
    readonly inner: BlockStore,
    private readonly timeoutMs: number,
  ) {
    this.label = inner.label;
  }

  private async guard<T>(call: () => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BlockStoreTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const running = call();
    try {
      return await Promise.race([running, late]);
    } catch (err) {
      if (err instanceof BlockStoreTimeout) {
        running.catch(() => undefined); // it may still fail later: nobody waits for it any more
        throw new DependencyUnavailable('blocks', 'timeout', err);
      }
      const problem = blockStoreProblem(err);
      throw problem ? new DependencyUnavailable('blocks', problem, err) : err;
    } finally {
      clearTimeout(timer);
    }
  }

  put(hash: string, data: Buffer): Promise<void> {
    return this.guard(() => this.inner.put(hash, data));
  }
  /**
   * Each put and `durable()` has its own deadline (a batch bounds the work still pending, so one
   * deadline fits `durable()` too). `abandon()` never fails: past its deadline the cleanup goes on
   * in the background, and what it misses is a temp file for the next sweep.
   */
  openBatch(): BlockBatch {
    const batch = this.inner.openBatch();
    return {
      put: (hash, data) => this.guard(() => batch.put(hash, data)),
      durable: () => this.guard(() => batch.durable()),
      abandon: () => this.guard(() => batch.abandon()).catch(() => undefined),
    };
  }
  get(hash: string): Promise<Buffer | undefined> {
    return this.guard(() => this.inner.get(hash));
  }
  /** On a timeout the read may still write into `into` later: the caller must not reuse it then. */
  readInto(hash: string, into: Buffer): Promise<number | undefined> {
    return this.guard(() => this.inner.readInto(hash, into));
  }
  has(hash: string): Promise<boolean> {
    return this.guard(() => this.inner.has(hash));
  }
  missing(hashes: readonly string[]): Promise<string[]> {
    // One deadline per call would be wrong for a long hashmap: the driver asks in bounded batches,
    // so give it a deadline per started thousand hashes.
    return this.guardScaled(hashes.length, () => this.inner.missing(hashes));
  }
  delete(hash: string): Promise<void> {
    return this.guard(() => this.inner.delete(hash));
  }
  deleteMany(hashes: readonly string[]): Promise<void> {
    return this.guardScaled(hashes.length, () => this.inner.deleteMany(hashes));
  }

  private guardScaled<T>(count: number, call: () => Promise<T>): Promise<T> {
    return this.guard(call, this.timeoutMs * Math.max(1, Math.ceil(count / 1000)));
  }

  /** gc's walk: failures are classified, but there is no deadline on a walk of any length. */
  async *list(): AsyncIterable<{ hash: string; writtenAt: Date }> {
    try {
      yield* this.inner.list();
    } catch (err) {
      const problem = blockStoreProblem(err);
      throw problem ? new DependencyUnavailable('blocks', problem, err) : err;
    }
  }
  sweep(): Promise<number> {
    return this.inner.sweep();
  }
  healthy(): Promise<boolean> {
    return this.inner.healthy();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
