import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Block hashing off the event loop. An upload must compute SHA-256 per block and the MD5 of the
 * whole stream; on the main thread together they cap a stream near 0.4 GB/s and starve the
 * socket. Here blocks live in SharedArrayBuffers, so workers read them without a copy: SHA-256
 * jobs go to any worker, the MD5 of one stream stays on one worker (its state is sequential, and
 * a worker handles its messages in order).
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const streams = new Map();
parentPort.on('message', (m) => {
  try {
    if (m.op === 'sha256') {
      const bytes = Buffer.from(m.sab, 0, m.length);
      let end = m.length;
      while (end > 0 && bytes[end - 1] === 0) end--;
      parentPort.postMessage({ id: m.id, hash: createHash('sha256').update(bytes.subarray(0, end)).digest('hex'), end });
    } else if (m.op === 'md5-update') {
      let h = streams.get(m.stream);
      if (!h) streams.set(m.stream, (h = createHash('md5')));
      h.update(Buffer.from(m.sab, 0, m.length));
      parentPort.postMessage({ id: m.id });
    } else if (m.op === 'md5-end') {
      const h = streams.get(m.stream) || createHash('md5');
      streams.delete(m.stream);
      parentPort.postMessage({ id: m.id, hash: h.digest('hex') });
    } else if (m.op === 'md5-abort') {
      streams.delete(m.stream);
    }
  } catch (err) {
    if (m.id !== undefined) parentPort.postMessage({ id: m.id, error: String(err) });
  }
});
`;

interface Reply {
  id: number;
  hash?: string;
  end?: number;
  error?: string;
}

class HashPool {
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  #nextId = 0;
  #nextStream = 0;
  #roundRobin = 0;

  #worker(i: number): Worker {
    let w = this.#workers[i];
    if (!w) {
      // No loader flags (tsx) in the worker: it runs plain JavaScript, and a loader would keep it alive.
      w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
      w.on('message', (r: Reply) => {
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

  #call(worker: number, message: object): Promise<Reply> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const w = this.#worker(worker);
      this.#pending.set(id, { resolve, reject });
      this.#refWhileBusy();
      w.postMessage({ ...message, id });
    });
  }

  /** Workers keep the process alive only while a job is pending (an idle pool never blocks exit). */
  #refWhileBusy(): void {
    const busy = this.#pending.size > 0;
    for (const w of this.#workers) if (w) busy ? w.ref() : w.unref();
  }

  /** SHA-256 of `block[0, length)` without trailing NULs, and where the kept bytes end. */
  async blockHash(block: Buffer, length: number): Promise<{ hash: string; end: number }> {
    const w = this.#roundRobin++ % this.size;
    const r = await this.#call(w, { op: 'sha256', sab: block.buffer, length });
    return { hash: r.hash!, end: r.end! };
  }

  /** A running MD5 over blocks fed in order. */
  md5Stream() {
    const stream = this.#nextStream++;
    const worker = stream % this.size;
    return {
      update: (block: Buffer, length: number): Promise<unknown> => this.#call(worker, { op: 'md5-update', stream, sab: block.buffer, length }),
      digest: async () => (await this.#call(worker, { op: 'md5-end', stream })).hash!,
      abort: () => this.#worker(worker).postMessage({ op: 'md5-abort', stream }),
    };
  }
}

export const hashPool = new HashPool();

/**
 * Block buffers the workers can read without a copy, recycled: shared memory is freed only when
 * every thread that saw it has collected it, and idle workers seldom collect, so fresh buffers
 * per block would make memory grow with the data size.
 */
class BlockBuffers {
  readonly #free: Buffer[] = [];

  acquire(size: number): Buffer {
    return this.#free.pop() ?? Buffer.from(new SharedArrayBuffer(size));
  }

  /** Only once no worker and no write uses it any more. Keeps a few for the next uploads. */
  release(block: Buffer): void {
    if (this.#free.length < 8) this.#free.push(block);
  }
}

export const blockBuffers = new BlockBuffers();
