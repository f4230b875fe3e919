import fs from 'node:fs/promises';
import path from 'node:path';
import { CliError } from '../../errors.ts';
import type { BlockStore } from './block-store.ts';
import { LocalBlockStore } from './local-block-store.ts';
import type { S3BlockStore } from './s3-block-store.ts';

const SETTING = '--blocks (PLANKTON_BLOCKS)';

export interface OpenBlockStoreOptions {
  /** Per-call HTTP timeout of the S3 driver, ms (PLANKTON_BLOCKS_TIMEOUT). */
  readonly timeoutMs?: number;
  /**
   * When the S3 endpoint cannot be reached (no answer, refused, timed out): log it through this
   * and open anyway, creating the bucket in the background once the endpoint answers (the
   * server: it serves what needs no block and answers 503 for the rest meanwhile). Without it
   * (the CLI commands) an unreachable endpoint is a one-line error, as before.
   */
  readonly onUnreachable?: (message: string) => void;
}

/** How often a server that started without its S3 endpoint tries to create the bucket again. */
const ENSURE_BUCKET_RETRY_MS = 2000;

/**
 * Opens the block store named by the `blocks` setting: `s3://…` or a local folder (created if
 * needed). Problems an operator can fix become a one-line CliError.
 */
export async function openBlockStore(spec: string, options: OpenBlockStoreOptions = {}): Promise<BlockStore> {
  if (spec.startsWith('s3://')) return openS3(spec, options);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    throw new CliError(`${SETTING} must be a folder or s3://BUCKET?endpoint=http://HOST:PORT&region=REGION`, 2);
  }
  const store = new LocalBlockStore(spec);
  try {
    await fs.mkdir(path.join(store.root, '.tmp'), { recursive: true });
  } catch (err) {
    throw new CliError(
      `cannot create block folder ${store.root} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): create it with write access for this user or set ${SETTING} to another folder`,
    );
  }
  if (!(await store.healthy())) {
    throw new CliError(
      `block folder ${store.root} is not writable: give this user write access or set ${SETTING} to another folder`,
    );
  }
  return store;
}

async function openS3(spec: string, options: OpenBlockStoreOptions): Promise<BlockStore> {
  // Loaded only when used: the AWS SDK is large, and most commands never need it.
  const { S3BlockStore: Driver } = await import('./s3-block-store.ts');
  let store: S3BlockStore;
  try {
    store = Driver.fromUrl(spec, options.timeoutMs);
  } catch (err) {
    throw new CliError(`invalid ${SETTING}: ${(err as Error).message}`, 2);
  }
  try {
    await store.ensureBucket();
    return store;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    const unreachable = status === undefined && e.name !== 'CredentialsProviderError';
    if (unreachable && options.onUnreachable) {
      options.onUnreachable(
        `S3 endpoint ${store.options.endpoint} does not answer (${e.message}); serving anyway, block reads and writes answer 503 until it does`,
      );
      retryEnsureBucket(store);
      return store;
    }
    await store.close();
    const where = `bucket "${store.options.bucket}" at ${store.options.endpoint}`;
    if (e.name === 'CredentialsProviderError') {
      throw new CliError(`no S3 credentials for ${where}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
    }
    if (status === 401 || status === 403) {
      throw new CliError(
        `S3 refused access to ${where} (HTTP ${status}): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      );
    }
    if (status === undefined) {
      throw new CliError(
        `cannot reach S3 endpoint ${store.options.endpoint} (${e.message}): start the server or fix endpoint= in ${SETTING}`,
      );
    }
    throw new CliError(`cannot open or create ${where}: ${e.name} (HTTP ${status}): ${e.message}`);
  }
}

/** Creates the bucket as soon as the endpoint answers; the timer never keeps the process alive. */
function retryEnsureBucket(store: S3BlockStore): void {
  const timer = setInterval(() => {
    store.ensureBucket().then(
      () => clearInterval(timer),
      () => undefined, // still down: healthz and the requests say so
    );
  }, ENSURE_BUCKET_RETRY_MS);
  timer.unref();
}
