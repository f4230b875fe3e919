import type { BlockStore } from '../storage/blocks/block-store.ts';
import type { Metrics } from './metrics.ts';

/**
 * A BlockStore that times every call into `metrics` (latency by operation and outcome, errors by
 * operation) and otherwise passes it through unchanged. `list` is timed per page the caller pulls
 * only as a whole (first to last item), since it runs as long as its consumer.
 */
export function instrumentBlockStore(inner: BlockStore, metrics: Metrics): BlockStore {
  const timed = async <T>(op: string, call: () => Promise<T>): Promise<T> => {
    const end = metrics.blockOps.startTimer({ op });
    try {
      const result = await call();
      end({ outcome: 'ok' });
      return result;
    } catch (err) {
      end({ outcome: 'error' });
      metrics.blockErrors.inc({ op });
      throw err;
    }
  };
  return {
    get label() {
      return inner.label;
    },
    put: (hash, data) => timed('put', () => inner.put(hash, data)),
    // A batch's put is timed as a put (until the bytes are handed over), its wait for durability as `durable`.
    openBatch: () => {
      const batch = inner.openBatch();
      return {
        put: (hash, data) => timed('put', () => batch.put(hash, data)),
        durable: () => timed('durable', () => batch.durable()),
        abandon: () => batch.abandon(),
      };
    },
    get: (hash) => timed('get', () => inner.get(hash)),
    readInto: (hash, into) => timed('get', () => inner.readInto(hash, into)),
    has: (hash) => timed('has', () => inner.has(hash)),
    missing: (hashes) => timed('missing', () => inner.missing(hashes)),
    delete: (hash) => timed('delete', () => inner.delete(hash)),
    deleteMany: (hashes) => timed('delete_many', () => inner.deleteMany(hashes)),
    async *list() {
      const end = metrics.blockOps.startTimer({ op: 'list' });
      try {
        yield* inner.list();
        end({ outcome: 'ok' });
      } catch (err) {
        end({ outcome: 'error' });
        metrics.blockErrors.inc({ op: 'list' });
        throw err;
      }
    },
    sweep: () => timed('sweep', () => inner.sweep()),
    healthy: () => timed('healthy', () => inner.healthy()),
    close: () => inner.close(),
  };
}
