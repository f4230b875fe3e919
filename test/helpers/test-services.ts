/**
 * The domain services on a fresh database and data dir, without an HTTP server: for tests below
 * HTTP that need real storage (each dialect).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSettings } from '../../src/config.ts';
import type { NewImageRecord } from '../../src/domain/images/image-status.ts';
import { Services } from '../../src/services.ts';
import { freshPostgresDatabase, type TestDialect } from './dialects.ts';

export interface TestServices {
  readonly services: Services;
  /** The columns of a new image record on a fresh object of its own (images reference objects). */
  newImageRecord(): Promise<NewImageRecord>;
  close(): Promise<void>;
}

export async function openTestServices(dialect: TestDialect): Promise<TestServices> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plankton-unit-'));
  const pgdb = dialect === 'postgres' ? await freshPostgresDatabase() : undefined;
  const settings = loadSettings({ dataDir, logLevel: 'silent', ...(pgdb ? { databaseUrl: pgdb.url } : {}) }, {});
  const services = await Services.open(settings);
  const owner = await services.users.create(`unit-${randomUUID()}@example.org`);
  const container = await services.containers.ensure(owner.uuid, 'images');
  let n = 0;
  return {
    services,
    async newImageRecord() {
      const uuid = randomUUID();
      await services.objects.upload(
        (async function* () {
          yield Buffer.from(`image data ${uuid}`);
        })(),
        container,
        `image-${++n}`,
        {
          contentType: 'application/octet-stream',
          contentEncoding: null,
          contentDisposition: null,
          meta: {},
        },
        { modifiedBy: owner.uuid, uuid, maxBytes: 1 << 20, onTooLarge: () => new Error('too large') as never },
      );
      return {
        id: uuid,
        owner: owner.uuid,
        name: `image ${n}`,
        disk_format: 'raw',
        container_format: 'bare',
        origin: 'upload',
        min_ram: 0,
        min_disk: 0,
        protected: 0,
        created_at: 1,
        updated_at: 1,
        declared_size: null,
        declared_checksum: null,
      };
    },
    async close() {
      await services.close();
      await pgdb?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
