import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { HashReply, HashRequest, StreamAlgorithm } from './hash-messages.ts';

/**
 * A hash worker thread (started by `hash-workers.ts`). It reads blocks straight from shared
 * memory, so no block is copied between threads. The running digests of a stream live here
 * because their state is sequential: one worker, which handles its messages in order, sees every
 * block of the stream in order.
 */
if (!parentPort) throw new Error('hash-worker.ts runs only as a worker thread');
const port = parentPort;

const streams = new Map<number, { algorithm: StreamAlgorithm; hash: Hash }[]>();

/** A stream this worker never opened (say, a worker restarted mid-upload) must fail, not yield no digests. */
function openStream(stream: number): { algorithm: StreamAlgorithm; hash: Hash }[] {
  const digests = streams.get(stream);
  if (!digests) throw new Error(`hash stream ${stream} is not open on this worker`);
  return digests;
}

function handle(m: HashRequest): HashReply | undefined {
  switch (m.op) {
    case 'block-sha256': {
      const bytes = Buffer.from(m.sab, 0, m.length);
      let end = m.length;
      while (end > 0 && bytes[end - 1] === 0) end--;
      return { id: m.id, hash: createHash('sha256').update(bytes.subarray(0, end)).digest('hex'), end };
    }
    case 'stream-open':
      streams.set(m.stream, m.algorithms.map((algorithm) => ({ algorithm, hash: createHash(algorithm) })));
      return undefined;
    case 'stream-update': {
      const bytes = Buffer.from(m.sab, 0, m.length);
      for (const d of openStream(m.stream)) d.hash.update(bytes);
      return { id: m.id };
    }
    case 'stream-end': {
      const digests: Partial<Record<StreamAlgorithm, string>> = {};
      for (const d of openStream(m.stream)) digests[d.algorithm] = d.hash.digest('hex');
      streams.delete(m.stream);
      return { id: m.id, digests };
    }
    case 'stream-abort':
      streams.delete(m.stream);
      return undefined;
  }
}

port.on('message', (m: HashRequest) => {
  try {
    const reply = handle(m);
    if (reply) port.postMessage(reply);
  } catch (err) {
    if ('id' in m) port.postMessage({ id: m.id, error: String(err) } satisfies HashReply);
  }
});
