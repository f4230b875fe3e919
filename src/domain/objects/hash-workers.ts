import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BLOCK_SIZE } from '../hashing.ts';
import { BufferPool } from './buffer-pool.ts';
import type { HashReply, HashRequest, StreamAlgorithm } from './hash-messages.ts';

/**
 * Block hashing off the event loop. An upload must compute SHA-256 per block and digests of the
 * whole stream (MD5, and SHA-512 for protocols that report it); on the main thread they cap a
 * stream near 0.4 GB/s and starve the socket. Here blocks live in SharedArrayBuffers, so workers
 * (`hash-worker.js`) read them without a copy: SHA-256 jobs go to any worker, each whole-stream
 * digest stays on one worker (its state is sequential, and a worker handles its messages in
 * order), and the digests of one stream are spread over the workers.
 */

/** Plain JavaScript, type-checked (see its header): runs without a loader in every mode. */
const WORKER_URL = new URL('./hash-worker.js', import.meta.url);

/** The digests of one stream, fed its blocks in order. */
export interface StreamDigests {
  /** Resolves once every digest has read `block[0, length)` (the buffer may then be reused). */
  update(block: Buffer, length: number): Promise<unknown>;
  /**
   * SHA-256 of one block of this stream, without trailing NULs (as `HashPool.blockHash`), on a
   * worker that holds none of this stream's digests when there is one: the stream digests are the
   * longest sequential work (MD5 0.67 GiB/s), so block hashes queued behind them on the same worker
   * would lengthen the upload's critical path while the other core idles.
   */
  blockHash(block: Buffer, length: number): Promise<{ hash: string; end: number }>;
  /** Hex digests, one per algorithm asked for. */
  digest(): Promise<Partial<Record<StreamAlgorithm, string>>>;
  abort(): void;
}

/** A request without its `id`, which the pool assigns. */
type Job = HashRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

class HashPool {
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, { resolve: (r: HashReply) => void; reject: (e: Error) => void }>();
  #nextId = 0;
  #nextStream = 0;
  #roundRobin = 0;

  #worker(i: number): Worker {
    let w = this.#workers[i];
    if (!w) {
      // No loader flags (tsx) in the worker: it needs none, and a loader costs a second per start.
      w = new Worker(WORKER_URL, { execArgv: [] });
      w.on('message', (r: HashReply) => {
        const p = this.#pending.get(r.id);
        this.#pending.delete(r.id);
        this.#refWhileBusy();
        if (r.error) p?.reject(new Error(r.error));
        else p?.resolve(r);
      });
      w.on('error', (err) => {
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
        delete this.#workers[i];
      });
      this.#workers[i] = w;
      this.#refWhileBusy();
    }
    return w;
  }

  get size(): number {
    return Math.max(1, Math.min(2, availableParallelism()));
  }

  #call(worker: number, job: Job): Promise<HashReply> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const w = this.#worker(worker);
      this.#pending.set(id, { resolve, reject });
      this.#refWhileBusy();
      w.postMessage({ ...job, id } satisfies HashRequest);
    });
  }

  #send(worker: number, message: Extract<HashRequest, { op: 'stream-open' | 'stream-abort' }>): void {
    this.#worker(worker).postMessage(message);
  }

  /** Workers keep the process alive only while a job is pending (an idle pool never blocks exit). */
  #refWhileBusy(): void {
    const busy = this.#pending.size > 0;
    for (const w of this.#workers) if (w) busy ? w.ref() : w.unref();
  }

  /** SHA-256 of `block[0, length)` without trailing NULs, and where the kept bytes end. */
  async blockHash(block: Buffer, length: number, among?: readonly number[]): Promise<{ hash: string; end: number }> {
    const w = among?.length ? among[this.#roundRobin++ % among.length] : this.#roundRobin++ % this.size;
    const r = await this.#call(w, { op: 'block-sha256', sab: block.buffer as SharedArrayBuffer, length });
    return { hash: r.hash!, end: r.end! };
  }

  /**
   * Running digests over blocks fed in order, one per algorithm (duplicates ignored). Each
   * algorithm gets its own worker, starting at a different one per stream, so two digests of one
   * stream hash in parallel and concurrent streams spread their load.
   */
  streamDigests(algorithms: readonly StreamAlgorithm[]): StreamDigests {
    const stream = this.#nextStream++;
    const byWorker = new Map<number, StreamAlgorithm[]>();
    [...new Set(algorithms)].forEach((algorithm, k) => {
      const w = (stream + k) % this.size;
      byWorker.set(w, [...(byWorker.get(w) ?? []), algorithm]);
    });
    for (const [w, list] of byWorker) this.#send(w, { op: 'stream-open', stream, algorithms: list });
    const workers = [...byWorker.keys()];
    const spare = Array.from({ length: this.size }, (_, w) => w).filter((w) => !byWorker.has(w));
    return {
      blockHash: (block, length) => this.blockHash(block, length, spare),
      update: (block, length) =>
        Promise.all(
          workers.map((w) =>
            this.#call(w, { op: 'stream-update', stream, sab: block.buffer as SharedArrayBuffer, length }),
          ),
        ),
      digest: async () => {
        const replies = await Promise.all(workers.map((w) => this.#call(w, { op: 'stream-end', stream })));
        return Object.assign({}, ...replies.map((r) => r.digests));
      },
      abort: () => {
        for (const w of workers) this.#send(w, { op: 'stream-abort', stream });
      },
    };
  }
}

export const hashPool = new HashPool();

/**
 * Block buffers the workers can read without a copy, recycled: shared memory is freed only when
 * every thread that saw it has collected it, and idle workers seldom collect, so fresh buffers
 * per block would make memory grow with the data size. Release one only once no worker and no
 * write uses it any more.
 */
export const blockBuffers = new BufferPool(() => Buffer.from(new SharedArrayBuffer(BLOCK_SIZE)), 8);
