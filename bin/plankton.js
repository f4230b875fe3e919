#!/usr/bin/env node
// Entry point of the `plankton` command: the compiled build when it is current, else the
// TypeScript sources through tsx's loader (bin/entry-point.js says why).
import path from 'node:path';
import { chooseEntry } from './entry-point.js';

// Block writes fsync on libuv's thread pool; its default 4 threads would let a few uploads' fsyncs
// queue every other file operation (block reads of downloads, stats). Must be set before first use.
process.env.UV_THREADPOOL_SIZE ??= '16';
const root = path.resolve(import.meta.dirname, '..');
if (process.env.PLANKTON_FROM_SOURCES !== '1' && chooseEntry(root) === 'dist') {
  await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
