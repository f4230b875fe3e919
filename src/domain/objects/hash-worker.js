// @ts-check
/**
 * A hash worker thread (started by `hash-workers.ts`). It reads blocks straight from shared
 * memory, so no block is copied between threads. The running digests of a stream live here
 * because their state is sequential: one worker, which handles its messages in order, sees every
 * block of the stream in order.
 *
 * Plain JavaScript, type-checked by `tsc` (`// @ts-check`, JSDoc types from `hash-messages.ts`):
 * on Node 20 a worker inherits no loader hooks, so a `.ts` worker would have to register tsx
 * itself, which costs about a second of CPU per worker start (measured: 1.1-1.3 s against 0.2-0.4 s
 * on a loaded 2-core machine) and an extra loader thread per worker. This file needs no loader.
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/**
 * @typedef {import('./hash-messages.ts').HashRequest} HashRequest
 * @typedef {import('./hash-messages.ts').HashReply} HashReply
 * @typedef {import('./hash-messages.ts').StreamAlgorithm} StreamAlgorithm
 * @typedef {{ algorithm: StreamAlgorithm, hash: import('node:crypto').Hash }[]} RunningDigests
 */

if (!parentPort) throw new Error('hash-worker.js runs only as a worker thread');
const port = parentPort;

/** @type {Map<number, RunningDigests>} */
const streams = new Map();

/**
 * A stream this worker never opened (say, a worker restarted mid-upload) must fail, not yield no digests.
 * @param {number} stream
 * @returns {RunningDigests}
 */
function openStream(stream) {
  const digests = streams.get(stream);
  if (!digests) throw new Error(`hash stream ${stream} is not open on this worker`);
  return digests;
}

/**
 * @param {HashRequest} m
 * @returns {HashReply | undefined}
 */
function handle(m) {
  switch (m.op) {
    case 'block-sha256': {
      const bytes = Buffer.from(m.sab, 0, m.length);
      let end = m.length;
      while (end > 0 && bytes[end - 1] === 0) end--;
      return { id: m.id, hash: createHash('sha256').update(bytes.subarray(0, end)).digest('hex'), end };
    }
    case 'stream-open':
      streams.set(
        m.stream,
        m.algorithms.map((algorithm) => ({ algorithm, hash: createHash(algorithm) })),
      );
      return undefined;
    case 'stream-update': {
      const bytes = Buffer.from(m.sab, 0, m.length);
      for (const d of openStream(m.stream)) d.hash.update(bytes);
      return { id: m.id };
    }
    case 'stream-end': {
      /** @type {Partial<Record<StreamAlgorithm, string>>} */
      const digests = {};
      for (const d of openStream(m.stream)) digests[d.algorithm] = d.hash.digest('hex');
      streams.delete(m.stream);
      return { id: m.id, digests };
    }
    case 'stream-abort':
      streams.delete(m.stream);
      return undefined;
  }
}

port.on('message', (/** @type {HashRequest} */ m) => {
  try {
    const reply = handle(m);
    if (reply) port.postMessage(reply);
  } catch (err) {
    if ('id' in m) port.postMessage(/** @type {HashReply} */ ({ id: m.id, error: String(err) }));
  }
});
