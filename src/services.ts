import { OwnTokens } from './domain/identity/own-tokens.ts';
import type { Settings } from './config.ts';
import { Authentication } from './domain/identity/authentication.ts';
import { LoginThrottle } from './domain/identity/login-throttle.ts';
import { Passwords } from './domain/identity/passwords.ts';
import { Tokens } from './domain/identity/tokens.ts';
import { Users } from './domain/identity/users.ts';
import path from 'node:path';
import { QemuImgConverter } from './domain/images/image-conversion.ts';
import { ImageService } from './domain/images/image-service.ts';
import { Containers } from './domain/objects/containers.ts';
import { AccessSettings } from './domain/objects/access-settings.ts';
import { ObjectService } from './domain/objects/object-service.ts';
import { PartialUpdates } from './domain/objects/partial-updates.ts';
import { ObjectVersions } from './domain/objects/versions.ts';
import type { BlockStore } from './storage/blocks/block-store.ts';
import { GuardedBlockStore } from './storage/blocks/guarded-block-store.ts';
import { openBlockStore } from './storage/blocks/open-block-store.ts';
import { HttpWebFetcher } from './storage/web/web-fetcher.ts';
import { MetadataStore } from './storage/metadata/database.ts';
import { IdentityRepository } from './storage/metadata/identity-repository.ts';
import { instrumentBlockStore } from './metrics/instrumented-block-store.ts';
import { Metrics, statementKind } from './metrics/metrics.ts';
import { DependencyUnavailable } from './domain/errors.ts';

/** Who hears of database failures (set by the server, see `onDatabaseFailure`). */
interface DatabaseFailures {
  report?: (err: DependencyUnavailable, statement: string) => void;
}

/** Failed password attempts allowed per window (PLANKTON_LOGIN_WINDOW), per user and per client address. */
export const LOGIN_FAILURES_PER_USER = 10;
export const LOGIN_FAILURES_PER_ADDRESS = 30;

/**
 * The composition root: storage drivers chosen from the settings, domain services built on them.
 * The API layer reaches everything through this object.
 */
export class Services {
  readonly users: Users;
  readonly tokens: Tokens;
  readonly passwords: Passwords;
  /** Keystone v3 logins (token, password, application credential). */
  readonly authentication: Authentication;
  /** A user's own tokens through the identity API (list, issue, revoke). */
  readonly ownTokens: OwnTokens;
  readonly containers: Containers;
  /** Container ACLs and account groups. */
  readonly access: AccessSettings;
  readonly objects: ObjectService;
  /** Pithos data POSTs (range writes, appends, splices, truncation). */
  readonly partialUpdates: PartialUpdates;
  readonly versions: ObjectVersions;
  readonly images: ImageService;
  #publicUrl: string;
  readonly #databaseFailures: DatabaseFailures;

  private constructor(
    readonly settings: Settings,
    readonly metadata: MetadataStore,
    readonly blocks: BlockStore,
    /** This process's metrics (`GET /metrics`); every database statement and block call is counted. */
    readonly metrics: Metrics,
    databaseFailures: DatabaseFailures,
  ) {
    this.#databaseFailures = databaseFailures;
    const identity = new IdentityRepository(metadata.db);
    this.users = new Users(identity);
    this.tokens = new Tokens(identity);
    this.passwords = new Passwords(identity);
    const throttle = new LoginThrottle(identity, {
      windowSeconds: settings.loginWindowSeconds,
      perUser: LOGIN_FAILURES_PER_USER,
      perAddress: LOGIN_FAILURES_PER_ADDRESS,
    });
    this.authentication = new Authentication(
      this.users,
      this.tokens,
      this.passwords,
      throttle,
      settings.v3TokenTtlSeconds,
    );
    this.ownTokens = new OwnTokens(this.tokens, settings.tokenTtlSeconds);
    this.containers = new Containers(metadata.db);
    this.access = new AccessSettings(metadata.db, this.users);
    this.objects = new ObjectService(metadata.db, blocks, this.containers);
    this.partialUpdates = new PartialUpdates(this.objects, blocks, settings.objectMaxUpload);
    this.versions = new ObjectVersions(metadata.db);
    this.images = new ImageService(metadata.db, metadata.dialect, this.objects, this.users, settings, {
      ...(settings.webDownloadAllow.length > 0
        ? {
            webDownload: {
              policy: {
                allow: settings.webDownloadAllow,
                maxBytes: Math.min(settings.webDownloadMax, settings.imageSizeCap),
                idleTimeoutMs: settings.idleTimeoutSeconds * 1000,
              },
              fetcher: new HttpWebFetcher(),
            },
          }
        : {}),
      ...(settings.importConvertTo !== 'off'
        ? {
            converter: new QemuImgConverter({
              to: settings.importConvertTo,
              timeoutMs: settings.importConvertTimeoutSeconds * 1000,
              tmpDir: path.join(settings.dataDir, 'tmp'),
            }),
          }
        : {}),
    });
    this.#publicUrl = settings.publicUrl;
  }

  /**
   * Opens the database (applying migrations) and the block store. `onBlocksUnreachable`: the
   * server starts even while its S3 endpoint does not answer (open-block-store.ts).
   */
  static async open(
    settings: Settings,
    opts: { migrate?: boolean; onBlocksUnreachable?: (message: string) => void } = {},
  ): Promise<Services> {
    const metrics = new Metrics();
    const databaseFailures: DatabaseFailures = {};
    const metadata = MetadataStore.open(settings.databaseUrl, settings.dataDir, {
      timeoutMs: settings.databaseTimeoutSeconds * 1000,
      log: (event) => {
        const kind = statementKind(event.query.sql);
        metrics.dbQueries.observe(
          { kind, outcome: event.level === 'query' ? 'ok' : 'error' },
          event.queryDurationMillis / 1000,
        );
        if (event.level === 'error') {
          metrics.dbErrors.inc({ kind });
          if (event.error instanceof DependencyUnavailable) databaseFailures.report?.(event.error, kind);
        }
      },
    });
    metrics.useDatabase(metadata.db);
    try {
      if (opts.migrate !== false) await metadata.migrate();
      const timeoutMs = settings.blocksTimeoutSeconds * 1000;
      const driver = await openBlockStore(settings.blocks, { timeoutMs, onUnreachable: opts.onBlocksUnreachable });
      // Timed outside the guard, so the metrics count its deadlines as failures.
      const blocks = instrumentBlockStore(new GuardedBlockStore(driver, timeoutMs), metrics);
      return new Services(settings, metadata, blocks, metrics, databaseFailures);
    } catch (err) {
      await metadata.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Where a statement that failed because the database did (down, full, read-only, past its
   * deadline: a DependencyUnavailable) is reported, with its cause: the server's log. The
   * request answers 503/507 in its API's words; this says why.
   */
  onDatabaseFailure(report: (err: DependencyUnavailable, statement: string) => void): void {
    this.#databaseFailures.report = report;
  }

  /** The base URL given to clients (known only after binding when the port was 0). */
  publicUrl(): string {
    return this.#publicUrl;
  }

  setPublicUrl(url: string): void {
    this.#publicUrl = url.replace(/\/+$/, '');
  }

  async close(): Promise<void> {
    // Status changes still waiting for the database get one last try (status-repairs.ts).
    await this.images.statusRepairs.close();
    await this.blocks.close().catch(() => undefined);
    await this.metadata.close();
  }
}
