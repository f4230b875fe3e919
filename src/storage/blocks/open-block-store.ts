import fs from 'node:fs/promises';
import path from 'node:path';
import { CliError } from '../../errors.ts';
import type { BlockStore } from './block-store.ts';
import { LocalBlockStore } from './local-block-store.ts';
import type { S3BlockStore } from './s3-block-store.ts';

const SETTING = '--blocks (PLANKTON_BLOCKS)';

/**
 * Opens the block store named by the `blocks` setting: `s3://…` or a local folder (created if
 * needed). Problems an operator can fix become a one-line CliError.
 */
export async function openBlockStore(spec: string): Promise<BlockStore> {
  if (spec.startsWith('s3://')) return openS3(spec);
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

async function openS3(spec: string): Promise<BlockStore> {
  // Loaded only when used: the AWS SDK is large, and most commands never need it.
  const { S3BlockStore: Driver } = await import('./s3-block-store.ts');
  let store: S3BlockStore;
  try {
    store = Driver.fromUrl(spec);
  } catch (err) {
    throw new CliError(`invalid ${SETTING}: ${(err as Error).message}`, 2);
  }
  try {
    await store.ensureBucket();
    return store;
  } catch (err) {
    await store.close();
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
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
