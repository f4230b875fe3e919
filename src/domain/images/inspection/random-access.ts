/**
 * Inspects an image that is already stored (registration from an existing object), reading only
 * the regions the probes ask for — the head, a few header regions, maybe the tail — never the
 * whole object. Same probes and same report as the streaming inspector.
 */
import type { FileHandle } from 'node:fs/promises';
import { HEAD_BYTES, MAX_REGION_BYTES, TAIL_BYTES, type FormatProbe, type RegionRequest } from './format-probe.ts';
import type { InspectionReport } from './inspection-report.ts';
import { allProbes, combine } from './probe-set.ts';

/** Reads `length` bytes at `offset`; fewer only at the end of the object. */
export type RangeReader = (offset: number, length: number) => Promise<Uint8Array>;

/** A RangeReader over an open file (an operator's file, an import's temporary copy). */
export function fileRangeReader(handle: FileHandle): RangeReader {
  return async (offset, length) => {
    const buffer = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await handle.read(buffer, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buffer.subarray(0, got);
  };
}

export async function inspectRandomAccess(read: RangeReader, size: number): Promise<InspectionReport> {
  const probes = allProbes();
  const head = size > 0 ? await readRange(read, 0, Math.min(size, HEAD_BYTES), size) : new Uint8Array(0);
  const queue: { probe: FormatProbe; request: RegionRequest }[] = [];
  const enqueue = (probe: FormatProbe, requests: readonly RegionRequest[]) => {
    for (const request of requests) queue.push({ probe, request });
  };
  for (const probe of probes) enqueue(probe, probe.examineHead(head));
  // Bounded: each probe asks for a short, fixed chain of regions.
  while (queue.length > 0) {
    const { probe, request } = queue.shift()!;
    const length = Math.min(request.length, MAX_REGION_BYTES);
    const offset = request.offset;
    if (!Number.isSafeInteger(offset) || offset < 0 || length <= 0 || offset >= size) {
      enqueue(probe, probe.onRegion(request.key, new Uint8Array(0), 'short'));
      continue;
    }
    const wanted = Math.min(length, size - offset);
    const data =
      offset + wanted <= head.length
        ? head.slice(offset, offset + wanted)
        : await readRange(read, offset, wanted, size);
    enqueue(probe, probe.onRegion(request.key, data, data.length === length ? 'complete' : 'short'));
  }
  const tailLength = Math.min(size, TAIL_BYTES);
  const tail =
    probes.some((p) => p.wantsTail()) && tailLength > 0
      ? await readRange(read, size - tailLength, tailLength, size)
      : new Uint8Array(0);
  return combine(probes, size, tail);
}

/** One read, checked: a reader that returns more than asked is trimmed, and bytes are copied. */
async function readRange(read: RangeReader, offset: number, length: number, size: number): Promise<Uint8Array> {
  const data = await read(offset, length);
  if (data.length < length && offset + data.length < size) {
    throw new Error(`short read at ${offset}: ${data.length} of ${length} bytes before the end of the object`);
  }
  return Uint8Array.from(data.subarray(0, length));
}
