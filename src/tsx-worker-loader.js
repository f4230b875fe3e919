// Loader for worker threads that run a `.ts` file: `new Worker(url, { execArgv: ['--import', <this file>] })`.
// On Node 20 a worker inherits no loader hooks from its parent, and `--import tsx` registers tsx
// on the main thread only, so the worker registers tsx itself (through its API) before its entry loads.
import { register } from 'tsx/esm/api';

register();
