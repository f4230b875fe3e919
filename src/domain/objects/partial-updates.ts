/**
 * Pithos partial updates (object-store.md §7.4, issue 19 item 7): write bytes over a range of an
 * existing object (extending it past its end), append, splice in another object's bytes, and
 * truncate or zero-extend, each as ONE new version committed through the object service's one
 * write path (`ObjectService.commitOver` → `writeVersion`), so quotas, image hooks and whatever
 * else hooks there apply here too.
 *
 * Block-wise: a splice only rewrites the blocks it touches. The untouched ones keep their hashes;
 * a touched block is rebuilt from the object's own bytes around the new ones (at most one partial
 * block on each side is read back) and hashed like any uploaded block, so the resulting hashmap
 * and object hash are exactly those a fresh upload of the same bytes would get. Streamed: the new
 * bytes go through the block writer (≤ 4 blocks in memory), never buffered whole. The MD5 of the
 * whole is unknown afterwards (null: the ETag becomes the object hash), as for a hashmap PUT.
 *
 * Atomic: readers see the old version or the new one, never a mix, because a version is one row
 * whose hashmap is replaced in one commit, and blocks are immutable (content-addressed). Partial
 * updates of one object run one at a time in this process (kamaki appends with parallel
 * requests), each reading the live version under that lock; the commit then checks, under the
 * object's row lock, that nothing else (a PUT, a copy onto it) replaced the version it started
 * from, else nothing is committed and `ObjectChanged` is thrown.
 */
import type { BlockStore } from '../../storage/blocks/block-store.ts';
import { DataTooLarge, NotFound, UploadBlocksRemoved } from '../errors.ts';
import { BLOCK_SIZE, EMPTY_HASH, blockCount, objectHash } from '../hashing.ts';
import { writeBlocks } from './block-writer.ts';
import { readObject } from './object-reader.ts';
import type { ObjectRecord } from './object-record.ts';
export { ObjectChanged } from './object-service.ts';
import {
  MissingBlocksError,
  type Attributes,
  type Content,
  type ObjectService,
  type WriteOptions,
} from './object-service.ts';

/** The new bytes of a splice: a stream (a request body) or another object's first bytes. */
export type SpliceData =
  | {
      readonly kind: 'stream';
      readonly stream: AsyncIterable<Buffer>;
      /** Exactly this many bytes are expected (a declared length); undefined: whatever comes. */
      readonly length?: number;
      /** The stream gave more or fewer bytes than `length`. */
      readonly onLengthMismatch: () => Error;
    }
  | { readonly kind: 'object'; readonly source: ObjectRecord; readonly length: number };

/** What one partial update does to the live version it is given. */
export interface UpdatePlan {
  /** Write `data` at `offset` (≤ the object's size); absent: no bytes change before the resize. */
  readonly splice?: { readonly offset: number; readonly data: SpliceData };
  /** Then truncate to, or zero-extend to, this size. */
  readonly resizeTo?: number;
  /** The attributes of the new version (meta, encoding…), from the live one. */
  readonly attrs: Attributes;
}

/** The size and blocks of a version as a splice sees them. */
interface Layout {
  readonly size: number;
  /** One hash per block: `[]` for an empty object (the stored form is `[EMPTY_HASH]`). */
  readonly hashes: readonly string[];
}

const layoutOf = (c: { size: number; hashes: readonly string[] }): Layout => ({
  size: c.size,
  hashes: c.size === 0 ? [] : c.hashes.slice(0, blockCount(c.size)),
});

/** Serialises async work per key (one object's partial updates); a key is dropped when idle. */
class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}

export class PartialUpdates {
  readonly #queue = new KeyedQueue();

  constructor(
    private readonly objects: ObjectService,
    private readonly blocks: BlockStore,
    /** Largest size an object may reach (PLANKTON_OBJECT_MAX_UPLOAD). */
    private readonly maxSize: number,
  ) {}

  /**
   * Applies the plan that `plan(live)` makes for the live version of `obj` (which it may refuse
   * by throwing: ranges are judged against the size at the time of the update, not of the
   * request). Returns the new version, or the live one untouched when the plan changes nothing.
   */
  apply(obj: ObjectRecord, plan: (live: ObjectRecord) => UpdatePlan, opts: WriteOptions): Promise<ObjectRecord> {
    return this.#queue.run(obj.uuid, async () => {
      const live = await this.objects.getByUuid(obj.uuid);
      if (!live || live.containerId !== obj.containerId || live.name !== obj.name) throw new NotFound('object');
      const p = plan(live);
      let layout = layoutOf(live);
      if (p.splice) layout = await this.splice(live, layout, p.splice.offset, p.splice.data);
      if (p.resizeTo !== undefined) layout = await this.resize(layout, p.resizeTo);
      const hashes = layout.hashes.length ? [...layout.hashes] : [EMPTY_HASH];
      const content: Content = { size: layout.size, hashes, objectHash: objectHash(hashes), md5: null };
      try {
        return await this.objects.commitOver(live, content, p.attrs, opts);
      } catch (err) {
        if (err instanceof MissingBlocksError) throw new UploadBlocksRemoved(err.missing);
        throw err;
      }
    });
  }

  /** `data` written at `offset` of `base` (block-wise; see the module comment). */
  private async splice(live: ObjectRecord, base: Layout, offset: number, data: SpliceData): Promise<Layout> {
    if (data.kind === 'object') {
      const { source, length } = data;
      if (length === 0) return base;
      // The object's own first bytes put back where they are (kamaki's truncate): nothing changes.
      if (source.uuid === live.uuid && source.version === live.version && offset === 0) return base;
      let layout = base;
      let done = 0;
      if (offset % BLOCK_SIZE === 0) {
        // Block-aligned: whole source blocks are taken by hash, no byte read or written.
        const whole = Math.floor(length / BLOCK_SIZE);
        const first = offset / BLOCK_SIZE;
        const hashes = [
          ...base.hashes.slice(0, first),
          ...source.hashes.slice(0, whole),
          ...base.hashes.slice(first + whole),
        ];
        done = whole * BLOCK_SIZE;
        layout = { size: Math.max(base.size, offset + done), hashes };
        this.checkSize(layout.size);
      }
      if (done === length) return layout;
      const rest = readObject(this.blocks, source.hashes, source.size, done, length - 1);
      return this.spliceStream(layout, offset + done, rest, length - done, () => new Error('source object changed'));
    }
    return this.spliceStream(base, offset, data.stream, data.length, data.onLengthMismatch);
  }

  /**
   * Rewrites the blocks that `[offset, offset + n)` touches: the stream given to the block
   * writer is the head of the first touched block (old bytes), the new bytes, then the rest of
   * the last touched block (old bytes), so it starts and ends on the object's block grid.
   */
  private async spliceStream(
    base: Layout,
    offset: number,
    stream: AsyncIterable<Buffer>,
    length: number | undefined,
    onLengthMismatch: () => Error,
  ): Promise<Layout> {
    const first = Math.floor(offset / BLOCK_SIZE);
    const headStart = first * BLOCK_SIZE;
    let written = 0;
    const blocks = this.blocks;
    const maxSize = this.maxSize;
    async function* bytes(): AsyncGenerator<Buffer> {
      if (offset > headStart) yield* readObject(blocks, base.hashes, base.size, headStart, offset - 1);
      for await (const chunk of stream) {
        written += chunk.length;
        if (length !== undefined && written > length) throw onLengthMismatch();
        if (offset + written > maxSize) throw new DataTooLarge(maxSize);
        yield chunk;
      }
      if (length !== undefined && written !== length) throw onLengthMismatch();
      const end = offset + written;
      if (end < base.size && end % BLOCK_SIZE !== 0) {
        const tailEnd = Math.min((Math.floor(end / BLOCK_SIZE) + 1) * BLOCK_SIZE, base.size) - 1;
        yield* readObject(blocks, base.hashes, base.size, end, tailEnd);
      }
    }
    const out = await writeBlocks(bytes(), this.blocks, Number.POSITIVE_INFINITY, () => new DataTooLarge(maxSize));
    if (written === 0) return base;
    const rewritten = out.size === 0 ? [] : out.hashes;
    return {
      size: Math.max(base.size, offset + written),
      hashes: [...base.hashes.slice(0, first), ...rewritten, ...base.hashes.slice(first + rewritten.length)],
    };
  }

  /**
   * Truncates (the last kept block is cut and rehashed, so no byte past the end survives in it)
   * or zero-extends (whole new blocks are the empty block, which reads as NULs and is never
   * stored; the last block is re-cut first in case it held bytes past the old end).
   */
  private async resize(base: Layout, size: number): Promise<Layout> {
    if (size === base.size) return base;
    this.checkSize(size);
    const cut = Math.min(size, base.size);
    const keep = blockCount(cut);
    const hashes = base.hashes.slice(0, keep);
    if (cut % BLOCK_SIZE !== 0) {
      const start = (keep - 1) * BLOCK_SIZE;
      const last = readObject(this.blocks, base.hashes, base.size, start, cut - 1);
      const out = await writeBlocks(last, this.blocks, BLOCK_SIZE, () => new DataTooLarge(BLOCK_SIZE));
      hashes[keep - 1] = out.hashes[0];
    }
    while (hashes.length < blockCount(size)) hashes.push(EMPTY_HASH);
    return { size, hashes };
  }

  private checkSize(size: number): void {
    if (size > this.maxSize) throw new DataTooLarge(this.maxSize);
  }
}
