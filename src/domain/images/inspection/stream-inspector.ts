/**
 * Inspects an image as it streams past, in one pass, whatever the chunk sizes. It keeps only:
 * the head (first HEAD_BYTES), a rolling tail (last TAIL_BYTES), and the regions the probes ask
 * for — each at most MAX_REGION_BYTES, and only while they are being filled. Once past every
 * region, `push` only counts bytes (and refreshes the tail), so it costs nothing measurable next
 * to hashing. It never throws on any input: hostile headers become safety failures.
 *
 * It holds no reference to a pushed chunk after `push` returns (the upload pipeline recycles
 * its buffers), and uses plain data only, so it can live on a hash worker thread.
 */
import { HEAD_BYTES, MAX_REGION_BYTES, TAIL_BYTES, type FormatProbe, type RegionRequest } from './format-probe.ts';
import type { InspectionReport } from './inspection-report.ts';
import { allProbes, combine } from './probe-set.ts';

interface Capture {
  readonly probe: FormatProbe;
  readonly key: string;
  readonly offset: number;
  readonly bytes: Uint8Array;
  filled: number;
}

export class StreamInspector {
  readonly #probes = allProbes();
  readonly #head = new Uint8Array(HEAD_BYTES);
  #headFilled = 0;
  #headExamined = false;
  readonly #tail = new Uint8Array(TAIL_BYTES);
  #position = 0;
  #captures: Capture[] = [];
  #retained = HEAD_BYTES + TAIL_BYTES;
  #peakRetained = this.#retained;
  #report: InspectionReport | undefined;

  /** Bytes held right now and at most so far (head, tail and open regions). */
  get retainedBytes(): { now: number; peak: number } {
    return { now: this.#retained, peak: this.#peakRetained };
  }

  push(chunk: Uint8Array): void {
    if (this.#report) throw new Error('StreamInspector: push after finish');
    if (chunk.length === 0) return;
    const start = this.#position;
    const end = start + chunk.length;
    this.#keepTail(chunk);
    if (!this.#headExamined) {
      const n = Math.min(chunk.length, HEAD_BYTES - this.#headFilled);
      if (n > 0 && start < HEAD_BYTES) {
        this.#head.set(chunk.subarray(0, n), this.#headFilled);
        this.#headFilled += n;
      }
      if (this.#headFilled === HEAD_BYTES) {
        this.#headExamined = true;
        for (const probe of this.#probes) this.#request(probe, probe.examineHead(this.#head), start);
      }
    }
    if (this.#captures.length > 0) this.#fill(chunk, start, end);
    this.#position = end;
  }

  finish(): InspectionReport {
    if (this.#report) return this.#report;
    const size = this.#position;
    if (!this.#headExamined) {
      this.#headExamined = true;
      const head = this.#head.subarray(0, this.#headFilled);
      for (const probe of this.#probes) this.#request(probe, probe.examineHead(head), size);
    }
    // Whatever is still open ended with the image; what probes ask for now lies beyond it.
    while (this.#captures.length > 0) {
      const c = this.#captures.shift()!;
      this.#release(c);
      this.#request(c.probe, c.probe.onRegion(c.key, c.bytes.subarray(0, c.filled), 'short'), size);
    }
    const tailLength = Math.min(size, TAIL_BYTES);
    const tail = this.#tail.slice(TAIL_BYTES - tailLength);
    this.#report = combine(this.#probes, size, tail);
    return this.#report;
  }

  /** Opens captures for a probe's requests; what the head already holds is served from it. */
  #request(probe: FormatProbe, requests: readonly RegionRequest[], position: number): void {
    for (const r of requests) {
      const length = Math.min(r.length, MAX_REGION_BYTES);
      const offset = r.offset;
      if (!Number.isSafeInteger(offset) || offset < 0 || length <= 0) {
        this.#request(probe, probe.onRegion(r.key, new Uint8Array(0), 'short'), position);
        continue;
      }
      const fromHead = Math.max(0, Math.min(this.#headFilled, offset + length) - offset);
      if (offset + length <= this.#headFilled) {
        this.#request(probe, probe.onRegion(r.key, this.#head.slice(offset, offset + length), 'complete'), position);
        continue;
      }
      // A stream cannot go back: bytes after the head that went by before this request are gone.
      if (offset + fromHead < position) {
        this.#request(probe, probe.onRegion(r.key, new Uint8Array(0), 'passed'), position);
        continue;
      }
      const bytes = new Uint8Array(length);
      if (fromHead > 0) bytes.set(this.#head.subarray(offset, offset + fromHead));
      const capture: Capture = { probe, key: r.key, offset, bytes, filled: fromHead };
      this.#captures.push(capture);
      this.#retained += length;
      this.#peakRetained = Math.max(this.#peakRetained, this.#retained);
    }
  }

  #fill(chunk: Uint8Array, start: number, end: number): void {
    // Captures opened while handling this chunk are appended and so also see it.
    for (let i = 0; i < this.#captures.length; ) {
      const c = this.#captures[i];
      const want = c.offset + c.filled;
      const stop = Math.min(end, c.offset + c.bytes.length);
      if (want >= start && want < stop) {
        c.bytes.set(chunk.subarray(want - start, stop - start), c.filled);
        c.filled += stop - want;
      }
      if (c.filled === c.bytes.length) {
        this.#captures.splice(i, 1);
        this.#release(c);
        this.#request(c.probe, c.probe.onRegion(c.key, c.bytes, 'complete'), start);
      } else {
        i++;
      }
    }
  }

  #release(c: Capture): void {
    this.#retained -= c.bytes.length;
  }

  #keepTail(chunk: Uint8Array): void {
    if (chunk.length >= TAIL_BYTES) {
      this.#tail.set(chunk.subarray(chunk.length - TAIL_BYTES));
    } else {
      this.#tail.copyWithin(0, chunk.length);
      this.#tail.set(chunk, TAIL_BYTES - chunk.length);
    }
  }
}
