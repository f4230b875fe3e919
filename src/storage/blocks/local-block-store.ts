import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BlockBatch, BlockStore } from './block-store.ts';

const BLOCK_NAME = /^[0-9a-f]{64}$/;
const FAN_OUT = /^[0-9a-f]{2}$/;
/** Parallel file-system or network calls per `missing()`; enough to hide latency, few enough to spare descriptors. */
const MISSING_CONCURRENCY = 16;

/**
 * Defence in depth: callers validate and lower-case hashes first; this makes sure no other string
 * ever becomes a file name or an object key. Shared by every driver.
 */
export function assertBlockHash(hash: string): void {
  if (!BLOCK_NAME.test(hash))
    throw new Error(`not a block hash (64 lower-case hex characters): ${JSON.stringify(hash).slice(0, 80)}`);
}

/** Runs `fn` on every item, at most MISSING_CONCURRENCY at a time; results in item order. */
async function mapLimited<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(MISSING_CONCURRENCY, items.length) }, worker));
  return results;
}

/** `missing()` for drivers that can only ask one hash at a time: dedupe, then `has` with a small concurrency. */
export async function missingByHas(
  hashes: readonly string[],
  has: (hash: string) => Promise<boolean>,
): Promise<string[]> {
  const unique = [...new Set(hashes)];
  unique.forEach(assertBlockHash);
  const present = await mapLimited(unique, has);
  return unique.filter((_, i) => !present[i]);
}

/**
 * Temp files are named `<hash>.<host tag>-<pid>.<random>`: which machine and process writes it, so
 * `sweep` can tell a leftover from another node's write in progress on a shared folder.
 */
const HOST_TAG = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
/** Another host's temp file this old is a leftover: a put writes its one block in far less. */
const FOREIGN_TEMP_MAX_AGE_MS = 3600_000;

function tempWriter(name: string): { host: string; pid: number } | undefined {
  const m = /^[0-9a-f]{64}\.([0-9a-f]{8})-(\d+)\.[0-9a-f]+$/.exec(name);
  return m ? { host: m[1], pid: Number(m[2]) } : undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

const isMissing = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Blocks of one batch written but not yet durable (their temp file still open, waiting for its
 * fsync): bounds the descriptors and the dirty page cache an upload holds (16 × 4 MiB), and how
 * much `durable()` can still have to wait for after the last byte arrived.
 */
const MAX_UNSYNCED_PER_BATCH = 16;
/**
 * fsyncs in flight per store (every batch of the process shares them). Each holds one thread of
 * libuv's pool until the disk has the bytes; a few keep the disk's queue full, more only take
 * threads from reads and writes (bin/plankton.js raises the pool to 16 threads).
 */
const SYNC_DEPTH = 4;

/** A FIFO counting semaphore. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(count: number) {
    this.free = count;
  }
  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await call();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/** fsync of a folder, so the renames into it survive a crash. */
async function syncFolder(dir: string): Promise<void> {
  const dh = await fs.open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/**
 * Blocks as files: `<root>/<h[0..2]>/<h[2..4]>/<h>`. Writes go to `<root>/.tmp/` first, are fsynced,
 * then renamed into place (rename is atomic within one file system, and `.tmp` is inside root, so
 * it is the same one); the fan-out folder is fsynced too so the rename itself survives a crash.
 * A batch (LocalBlockBatch) does the same per block, but off the upload's write slot.
 */
export class LocalBlockStore implements BlockStore {
  readonly root: string;
  readonly label: string;
  private readonly tmp: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.tmp = path.join(this.root, '.tmp');
    this.label = `local:${this.root}`;
  }

  pathOf(hash: string): string {
    assertBlockHash(hash);
    return path.join(this.root, hash.slice(0, 2), hash.slice(2, 4), hash);
  }

  /** A batch of one: durable when it resolves. */
  async put(hash: string, data: Buffer): Promise<void> {
    const batch = this.openBatch();
    try {
      await batch.put(hash, data);
      await batch.durable();
    } catch (err) {
      await batch.abandon();
      throw err;
    }
  }

  openBatch(): BlockBatch {
    return new LocalBlockBatch(this);
  }

  /** Shared by every batch of this store: see SYNC_DEPTH. */
  readonly syncs = new Slots(SYNC_DEPTH);
  /** Folder fsyncs asked for and not started yet, by folder: a rename asked later joins the next one. */
  private readonly folderSyncs = new Map<string, Promise<void>>();

  /**
   * Makes the renames done so far into `dir` durable: joins a folder fsync that has not started
   * yet (it will cover them), else queues a new one.
   */
  syncFolderAfterRename(dir: string): Promise<void> {
    let queued = this.folderSyncs.get(dir);
    if (!queued) {
      queued = this.syncs.run(() => {
        this.folderSyncs.delete(dir); // started: a later rename needs a later fsync
        return syncFolder(dir);
      });
      this.folderSyncs.set(dir, queued);
    }
    return queued;
  }

  /** `<root>/<h[0..2]>/<h[2..4]>/<h>`, its folder and a fresh temp name for it; the folders exist. */
  async prepare(hash: string): Promise<{ file: string; dir: string; temp: string }> {
    const file = this.pathOf(hash);
    const dir = path.dirname(file);
    const temp = path.join(this.tmp, `${hash}.${HOST_TAG}-${process.pid}.${randomBytes(6).toString('hex')}`);
    await Promise.all([fs.mkdir(this.tmp, { recursive: true }), fs.mkdir(dir, { recursive: true })]).catch(
      async (err) => {
        // A recursive mkdir on a read-only file system reports ENOENT; say EROFS (or whatever
        // makes the root unwritable) so the caller can tell a read-only store from a missing folder.
        throw await fs.access(this.root, fsConstants.W_OK).then(
          () => err,
          (why: unknown) => why,
        );
      },
    );
    return { file, dir, temp };
  }

  /**
   * True when the block is already stored; refreshes its mtime then. Content is addressed by
   * hash, so the bytes are the same; the mtime (a metadata change, not a write of data) makes
   * `list()` report it as recently written, so a running gc's grace period protects it for the
   * upload that is about to use it.
   */
  async touch(hash: string): Promise<boolean> {
    try {
      const now = new Date();
      await fs.utimes(this.pathOf(hash), now, now);
      return true;
    } catch (err) {
      if (!isMissing(err)) throw err;
      return false;
    }
  }

  async get(hash: string): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(this.pathOf(hash));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async readInto(hash: string, into: Buffer): Promise<number | undefined> {
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(this.pathOf(hash), 'r');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    try {
      // Unlike readFile (fstat, then 512 KiB reads into a fresh buffer), one read of the whole
      // block into the caller's buffer: no allocation, no page faults of a new buffer, no concat.
      let length = 0;
      for (let n = -1; n !== 0 && length < into.length; length += n)
        n = (await fh.read(into, length, into.length - length, length)).bytesRead;
      if (length === into.length && (await fh.read(Buffer.alloc(1), 0, 1, length)).bytesRead > 0)
        throw new Error(`block ${hash} is longer than the ${into.length} bytes given to read it into`);
      return length;
    } finally {
      await fh.close();
    }
  }

  async has(hash: string): Promise<boolean> {
    try {
      await fs.stat(this.pathOf(hash));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  missing(hashes: readonly string[]): Promise<string[]> {
    return missingByHas(hashes, (h) => this.has(h));
  }

  async delete(hash: string): Promise<void> {
    await fs.rm(this.pathOf(hash), { force: true });
  }

  /** One unlink per block (a file system has no batch delete), a few in parallel. */
  async deleteMany(hashes: readonly string[]): Promise<void> {
    const files = [...new Set(hashes)].map((h) => this.pathOf(h));
    await mapLimited(files, (file) => fs.rm(file, { force: true }));
  }

  async *list(): AsyncIterable<{ hash: string; writtenAt: Date }> {
    for (const a of await this.names(this.root, FAN_OUT)) {
      const dirA = path.join(this.root, a);
      for (const b of await this.names(dirA, FAN_OUT)) {
        const dirB = path.join(dirA, b);
        for (const hash of await this.names(dirB, BLOCK_NAME)) {
          if (!hash.startsWith(a + b)) continue; // not ours: a block is only valid under its own fan-out
          try {
            const st = await fs.stat(path.join(dirB, hash));
            yield { hash, writtenAt: st.mtime };
          } catch (err) {
            if (!isMissing(err)) throw err; // deleted while we walked: skip it
          }
        }
      }
    }
  }

  /** Sorted entries of `dir` whose names match; [] when the folder is gone. */
  private async names(dir: string, pattern: RegExp): Promise<string[]> {
    try {
      return (await fs.readdir(dir)).filter((n) => pattern.test(n)).sort();
    } catch (err) {
      if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw err;
    }
  }

  /**
   * Removes the temp files no running `put` can still be writing: this process's own (the server
   * sweeps at start, before it listens, and at the end of a shutdown, after cutting its uploads),
   * those of processes of this host that are gone (a crash), those of other hosts older than
   * FOREIGN_TEMP_MAX_AGE_MS, and names of an unknown form. Several nodes may share one folder: a
   * node starting or stopping must not remove the temp file of an upload running on another one.
   */
  async sweep(): Promise<number> {
    let entries: string[];
    try {
      entries = await fs.readdir(this.tmp);
    } catch (err) {
      if (isMissing(err)) return 0;
      throw err;
    }
    const now = Date.now();
    const doomed: string[] = [];
    for (const name of entries) {
      const file = path.join(this.tmp, name);
      const writer = tempWriter(name);
      if (writer && writer.host === HOST_TAG && writer.pid !== process.pid && processAlive(writer.pid)) continue;
      if (writer && writer.host !== HOST_TAG) {
        const age = await fs.stat(file).then(
          (st) => now - st.mtimeMs,
          () => Number.POSITIVE_INFINITY,
        );
        if (age < FOREIGN_TEMP_MAX_AGE_MS) continue;
      }
      doomed.push(file);
    }
    await Promise.all(doomed.map((f) => fs.rm(f, { recursive: true, force: true })));
    return doomed.length;
  }

  async healthy(): Promise<boolean> {
    try {
      await fs.access(this.root, fsConstants.W_OK | fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {}
}

/**
 * The blocks of one upload. `put` writes the block into a temp file (unsynced: the bytes are in
 * the page cache, the caller's buffer is free) and returns; a background step per block then
 * fsyncs the temp file (fdatasync: data and size), renames it under its hash and fsyncs its
 * fan-out folder, at most SYNC_DEPTH fsyncs at once for the whole store. So a name never points
 * at bytes that are not on disk, and `durable()` (which waits for every step) resolves only when
 * every block of the batch is durable under its final name. A crash before that leaves temp files
 * (swept at the next start) and whole, synced blocks; never a torn one under a hash name.
 */
class LocalBlockBatch implements BlockBatch {
  /** Background steps still running (they never reject: a failure is recorded in `failure`). */
  private readonly steps = new Set<Promise<void>>();
  /** Hashes put in this batch: a hash put twice (the zero blocks of a sparse image) is written once. */
  private readonly seen = new Set<string>();
  private failure: { err: unknown } | undefined;
  private abandoned = false;

  constructor(private readonly store: LocalBlockStore) {}

  private fail(err: unknown): void {
    this.failure ??= { err };
  }

  /** Throws the batch's first failure, if any. */
  private check(): void {
    if (this.failure) throw this.failure.err;
  }

  async put(hash: string, data: Buffer): Promise<void> {
    this.check();
    if (this.abandoned) throw new Error('block batch abandoned');
    if (this.seen.has(hash)) return; // written or being written by this batch: durable() covers it
    this.seen.add(hash);
    while (this.steps.size >= MAX_UNSYNCED_PER_BATCH) await Promise.race(this.steps);
    this.check();
    try {
      if (await this.store.touch(hash)) {
        // Stored, but maybe by a batch that has renamed it and not yet synced its folder: sync
        // the folder before our commit may count on the name (cheap when nothing is pending).
        this.track(this.store.syncFolderAfterRename(path.dirname(this.store.pathOf(hash))));
        return;
      }
      const { file, dir, temp } = await this.store.prepare(hash);
      const fh = await fs.open(temp, 'wx');
      try {
        // One write call for the whole block (writeFile would split it into 512 KiB writes).
        for (let off = 0; off < data.length; ) off += (await fh.write(data, off, data.length - off, off)).bytesWritten;
      } catch (err) {
        await fh.close().catch(() => undefined);
        await fs.rm(temp, { force: true });
        throw err;
      }
      this.track(this.finish(fh, temp, file, dir));
    } catch (err) {
      this.fail(err);
      throw err;
    }
  }

  /** Runs `step` in the background; a failure is the batch's, reported by later puts and durable(). */
  private track(step: Promise<void>): void {
    const settled: Promise<void> = step
      .catch((err: unknown) => this.fail(err))
      .finally(() => this.steps.delete(settled));
    this.steps.add(settled);
  }

  /** temp file synced → renamed under its hash → folder synced; or, abandoned or failed, no temp file left. */
  private async finish(fh: fs.FileHandle, temp: string, file: string, dir: string): Promise<void> {
    try {
      try {
        if (!this.abandoned && !this.failure) await this.store.syncs.run(() => fh.datasync());
      } finally {
        await fh.close();
      }
      if (this.abandoned || this.failure) {
        await fs.rm(temp, { force: true });
        return;
      }
      // Concurrent puts of one hash each rename their own complete temp file; the last wins, and
      // all of them hold the same bytes, so readers never see a torn block.
      await fs.rename(temp, file);
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw err;
    }
    await this.store.syncFolderAfterRename(dir);
  }

  private async settle(): Promise<void> {
    while (this.steps.size > 0) await Promise.all(this.steps);
  }

  async durable(): Promise<void> {
    await this.settle();
    this.check();
  }

  async abandon(): Promise<void> {
    this.abandoned = true;
    await this.settle();
  }
}
