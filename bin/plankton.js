#!/usr/bin/env node
// Entry point of the `plankton` command: TypeScript sources run through tsx's loader.
import { register } from 'tsx/esm/api';

// Block writes fsync on libuv's thread pool; its default 4 threads would let a few uploads' fsyncs
// queue every other file operation (block reads of downloads, stats). Must be set before first use.
process.env.UV_THREADPOOL_SIZE ??= '16';
register();
await import('../src/cli/main.ts');
