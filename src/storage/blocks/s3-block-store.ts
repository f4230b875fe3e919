import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { type BlockBatch, type BlockStore, immediateBatch } from './block-store.ts';
import { assertBlockHash, missingByHas } from './local-block-store.ts';

export interface S3BlockStoreOptions {
  readonly bucket: string;
  readonly endpoint: string;
  readonly region: string;
  /** Key prefix before `blocks/`; '' or ending in '/'. */
  readonly prefix: string;
  /** Keys per DeleteObjects call; DELETE_BATCH (the API's limit) unless a test wants smaller calls. */
  readonly deleteBatch?: number;
  /**
   * Connect and socket-idle timeout of each HTTP call, ms (PLANKTON_BLOCKS_TIMEOUT): a stalled
   * endpoint fails the call instead of holding it for the kernel's TCP timeouts.
   */
  readonly timeoutMs?: number;
}

/** HTTP status of an SDK error, when the server answered. */
const statusOf = (err: unknown): number | undefined =>
  (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
/** Keys one DeleteObjects call may name (the S3 API's limit). */
export const DELETE_BATCH = 1000;

const isNotFound = (err: unknown): boolean =>
  statusOf(err) === 404 || ['NoSuchKey', 'NotFound'].includes((err as Error).name);

/**
 * Blocks as objects `<prefix>blocks/<hash>` in one bucket of an S3 API (AWS, MinIO, Swift s3api).
 * A PUT is atomic on S3: readers see the old state or the whole new object, so no temp objects.
 * Credentials come from the SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles…),
 * never from the URL, so `label` and logs cannot leak them.
 */
export class S3BlockStore implements BlockStore {
  readonly label: string;
  private readonly client: S3Client;
  private readonly keyPrefix: string;
  /** DeleteObjects calls made so far (tests check the batching). */
  deleteCalls = 0;

  constructor(readonly options: S3BlockStoreOptions) {
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: true,
      // Non-AWS servers (Swift s3api) reject the SDK's default CRC trailers on streamed bodies.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(options.timeoutMs
        ? {
            requestHandler: {
              connectionTimeout: options.timeoutMs,
              requestTimeout: options.timeoutMs,
              // Without it the SDK only logs a warning and keeps waiting.
              throwOnRequestTimeout: true,
            },
          }
        : {}),
    });
    this.keyPrefix = `${options.prefix}blocks/`;
    this.label = `s3:${options.endpoint}/${options.bucket}/${options.prefix}`;
  }

  /** `s3://BUCKET?endpoint=http://host:port&region=us-east-1[&prefix=some/path]`. */
  static fromUrl(url: string, timeoutMs?: number): S3BlockStore {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new Error(`not a URL: ${url.replace(/\/\/[^@/]*@/, '//')}`);
    }
    if (u.protocol !== 's3:' || !u.hostname)
      throw new Error('block store URL must look like s3://BUCKET?endpoint=http://HOST:PORT&region=REGION');
    if (u.username || u.password)
      throw new Error('put S3 credentials in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, not in the block store URL');
    const endpoint = u.searchParams.get('endpoint') ?? undefined;
    let endpointUrl: URL | undefined;
    try {
      endpointUrl = endpoint ? new URL(endpoint) : undefined;
    } catch {
      endpointUrl = undefined;
    }
    if (!endpointUrl || !/^https?:$/.test(endpointUrl.protocol) || endpointUrl.username || endpointUrl.password) {
      throw new Error('the s3:// block store URL needs endpoint=http(s)://HOST:PORT (without credentials)');
    }
    const prefix = (u.searchParams.get('prefix') ?? '').replace(/^\/+|\/+$/g, '');
    return new S3BlockStore({
      bucket: u.hostname,
      endpoint: endpointUrl.origin + endpointUrl.pathname.replace(/\/+$/, ''),
      region: u.searchParams.get('region') || 'us-east-1',
      prefix: prefix ? `${prefix}/` : '',
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  }

  private key(hash: string): string {
    assertBlockHash(hash);
    return this.keyPrefix + hash;
  }

  /** Creates the bucket unless it exists already (explicit: used at server start and by tests). */
  async ensureBucket(): Promise<void> {
    const Bucket = this.options.bucket;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket }));
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket }));
    } catch (err) {
      // Another process created it between our HEAD and PUT.
      if ((err as Error).name !== 'BucketAlreadyOwnedByYou') throw err;
    }
  }

  async put(hash: string, data: Buffer): Promise<void> {
    // Skipping a present block saves the upload. Its LastModified is not refreshed (that would cost a
    // server-side copy), so gc's grace period does not cover it: version commits re-check their blocks.
    if (await this.has(hash)) return;
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: this.key(hash),
        Body: data,
        ContentLength: data.length,
        // The server rejects a body damaged on the way; cheap next to sending 4 MiB.
        ContentMD5: createHash('md5').update(data).digest('base64'),
        ContentType: 'application/octet-stream',
      }),
    );
  }

  /** An S3 PUT is durable when acknowledged: each block of a batch is a plain put. */
  openBatch(): BlockBatch {
    return immediateBatch((hash, data) => this.put(hash, data));
  }

  async get(hash: string): Promise<Buffer | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(hash) }));
      if (!res.Body) return Buffer.alloc(0);
      const bytes = await res.Body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async readInto(hash: string, into: Buffer): Promise<number | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(hash) }));
      let length = 0;
      for await (const chunk of (res.Body ?? []) as AsyncIterable<Uint8Array>) {
        if (length + chunk.length > into.length)
          throw new Error(`block ${hash} is longer than the ${into.length} bytes given to read it into`);
        into.set(chunk, length);
        length += chunk.length;
      }
      return length;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async has(hash: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.key(hash) }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  missing(hashes: readonly string[]): Promise<string[]> {
    return missingByHas(hashes, (h) => this.has(h));
  }

  async delete(hash: string): Promise<void> {
    // S3 DELETE of an absent key succeeds, which is what we want.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.key(hash) }));
  }

  /** DeleteObjects, up to DELETE_BATCH keys a call; absent keys count as deleted on S3. */
  async deleteMany(hashes: readonly string[]): Promise<void> {
    const keys = [...new Set(hashes)].map((h) => this.key(h));
    const size = Math.min(this.options.deleteBatch ?? DELETE_BATCH, DELETE_BATCH);
    for (let i = 0; i < keys.length; i += size) {
      const batch = keys.slice(i, i + size);
      const command = new DeleteObjectsCommand({
        Bucket: this.options.bucket,
        Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
      });
      withContentMd5(command);
      // Quiet: the answer lists only the keys that could not be deleted.
      const failed = (await this.client.send(command)).Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw new Error(
          `S3 refused to delete ${failed.length} of ${batch.length} blocks, e.g. ${first.Key}: ${first.Code} ${first.Message ?? ''}`.trim(),
        );
      }
      this.deleteCalls++;
    }
  }

  async *list(): AsyncIterable<{ hash: string; writtenAt: Date }> {
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: this.keyPrefix,
          ContinuationToken,
        }),
      );
      for (const obj of page.Contents ?? []) {
        const hash = obj.Key?.slice(this.keyPrefix.length) ?? '';
        if (/^[0-9a-f]{64}$/.test(hash)) yield { hash, writtenAt: obj.LastModified ?? new Date(0) };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /** Nothing to sweep: an interrupted S3 PUT leaves no object behind. */
  async sweep(): Promise<number> {
    return 0;
  }

  async healthy(): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/**
 * DeleteObjects must carry a body checksum. The SDK sends a CRC32 header, which AWS accepts but
 * other S3 APIs (Swift s3api, older MinIO) refuse with "Missing required header for this request:
 * Content-MD5"; every one of them accepts Content-MD5, so send that instead.
 */
function withContentMd5(command: DeleteObjectsCommand): void {
  command.middlewareStack.add(
    (next) => async (args) => {
      // The serialized request (smithy's HttpRequest), typed here by the two fields used.
      const request = args.request as { headers: Record<string, string>; body: string | Uint8Array };
      for (const name of Object.keys(request.headers)) {
        if (/^x-amz-(sdk-)?checksum-/i.test(name)) delete request.headers[name];
      }
      request.headers['content-md5'] = createHash('md5').update(request.body).digest('base64');
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'planktonDeleteObjectsContentMd5' },
  );
}
