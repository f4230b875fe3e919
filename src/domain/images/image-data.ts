/** Image data as the service receives it: a byte stream and what was declared about it. */
import type { DataDeclaration } from './image-input.ts';

export interface ImageData {
  readonly declaration: DataDeclaration;
  /**
   * The bytes. A failure of the source itself (the client went away, a broken chunked encoding)
   * must surface as `DataInterrupted`, so that it is told apart from a storage failure: the first
   * keeps nothing, the second marks the image `error` (image-api.md §4.2).
   */
  readonly body: AsyncIterable<Buffer>;
}

export class DataInterrupted extends Error {
  constructor(cause: unknown) {
    super('the image data stream was interrupted', { cause });
  }
}

/** Thrown by verification when a body ended after 0 bytes: "empty data is no data" (§4.2). */
export class EmptyData extends Error {
  constructor() {
    super('the image data was empty');
  }
}
