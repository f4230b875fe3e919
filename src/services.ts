import type { Settings } from './config.ts';
import { Tokens } from './domain/identity/tokens.ts';
import { Users } from './domain/identity/users.ts';
import { ImageService } from './domain/images/image-service.ts';
import { Containers } from './domain/objects/containers.ts';
import { ObjectService } from './domain/objects/object-service.ts';
import type { BlockStore } from './storage/blocks/block-store.ts';
import { openBlockStore } from './storage/blocks/open-block-store.ts';
import { MetadataStore } from './storage/metadata/database.ts';

/**
 * The composition root: storage drivers chosen from the settings, domain services built on them.
 * The API layer reaches everything through this object.
 */
export class Services {
  readonly users: Users;
  readonly tokens: Tokens;
  readonly containers: Containers;
  readonly objects: ObjectService;
  readonly images: ImageService;
  #publicUrl: string;

  private constructor(readonly settings: Settings, readonly metadata: MetadataStore, readonly blocks: BlockStore) {
    this.users = new Users(metadata.db);
    this.tokens = new Tokens(metadata.db);
    this.containers = new Containers(metadata.db);
    this.objects = new ObjectService(metadata.db, blocks, this.containers);
    this.images = new ImageService(metadata.db, metadata.dialect, this.objects, this.users, settings);
    this.#publicUrl = settings.publicUrl;
  }

  /** Opens the database (applying migrations) and the block store. */
  static async open(settings: Settings, opts: { migrate?: boolean } = {}): Promise<Services> {
    const metadata = MetadataStore.open(settings.databaseUrl, settings.dataDir);
    try {
      if (opts.migrate !== false) await metadata.migrate();
      const blocks = await openBlockStore(settings.blocks);
      return new Services(settings, metadata, blocks);
    } catch (err) {
      await metadata.close().catch(() => undefined);
      throw err;
    }
  }

  /** The base URL given to clients (known only after binding when the port was 0). */
  publicUrl(): string {
    return this.#publicUrl;
  }

  setPublicUrl(url: string): void {
    this.#publicUrl = url.replace(/\/+$/, '');
  }

  async close(): Promise<void> {
    await this.blocks.close().catch(() => undefined);
    await this.metadata.close();
  }
}
