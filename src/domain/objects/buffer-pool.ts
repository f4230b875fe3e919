/**
 * Block-sized buffers, recycled. Streaming gigabytes through fresh 4 MiB buffers costs a page
 * fault per 4 KiB of each (the kernel hands out zeroed pages) and keeps the garbage collector busy
 * with external memory; a few buffers reused keep both flat. A buffer must be released only once
 * nothing (no thread, no pending write or read) uses it any more; one never released is simply
 * collected, so a caller that cannot tell drops it instead.
 */
export class BufferPool {
  readonly #free: Buffer[] = [];

  /**
   * @param make a new buffer when none is free
   * @param keep how many free buffers to hold on to between uses (the rest go to the collector)
   */
  constructor(
    private readonly make: () => Buffer,
    private readonly keep: number,
  ) {}

  acquire(): Buffer {
    return this.#free.pop() ?? this.make();
  }

  release(buffer: Buffer): void {
    if (this.#free.length < this.keep) this.#free.push(buffer);
  }
}
