/** A worker thread that inspects the chunks it is sent, as an upload's hash worker would. */
import { parentPort } from 'node:worker_threads';
import { StreamInspector } from '../../src/domain/images/inspection/index.ts';

const inspector = new StreamInspector();
parentPort!.on('message', (message: Uint8Array | 'finish') => {
  if (message === 'finish') parentPort!.postMessage(inspector.finish());
  else inspector.push(message);
});
