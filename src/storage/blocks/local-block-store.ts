import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BlockStore } from './block-store.ts';

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
 * Blocks as files: `<root>/<h[0..2]>/<h[2..4]>/<h>`. Writes go to `<root>/.tmp/` first, are fsynced,
 * then renamed into place (rename is atomic within one file system, and `.tmp` is inside root, so
 * it is the same one); the fan-out folder is fsynced too so the rename itself survives a crash.
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

  private pathOf(hash: string): string {
    assertBlockHash(hash);
    return path.join(this.root, hash.slice(0, 2), hash.slice(2, 4), hash);
  }

  async put(hash: string, data: Buffer): Promise<void> {
    const file = this.pathOf(hash);
    // Already stored: content is addressed by hash, so the bytes are the same. Refresh the mtime
    // only (a metadata change, not a write of data) so that `list()` reports it as recently
    // written and a running gc grace period protects it for the upload that is about to use it.
    try {
      const now = new Date();
      await fs.utimes(file, now, now);
      return;
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
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
    try {
      const fh = await fs.open(temp, 'wx');
      try {
        // One write call for the whole block (writeFile would split it into 512 KiB writes).
        for (let off = 0; off < data.length; ) off += (await fh.write(data, off, data.length - off, off)).bytesWritten;
        await fh.sync();
      } finally {
        await fh.close();
      }
      // Concurrent puts of one hash each rename their own complete temp file; the last wins, and
      // all of them hold the same bytes, so readers never see a torn block.
      await fs.rename(temp, file);
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw err;
    }
    const dh = await fs.open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
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
