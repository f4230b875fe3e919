/**
 * The image rules (image-api.md §4, §5): register, reserve, create with data, upload, update,
 * unregister, delete with data, members and lists. An image is an object plus a record: data goes
 * through the object service's write path, the record's status only through image-status.ts, and
 * members/`is_public` are the object's read grants. No protocol here: adapters hand over typed
 * commands (image-commands.ts) and word the domain errors they get back.
 */
import { StatusRepairs } from './status-repairs.ts';
import { UploadLeases } from './upload-leases.ts';
import { randomUUID } from 'node:crypto';
import type { Db, Trx } from '../../storage/metadata/database.ts';
import type { Dialect } from '../../storage/metadata/migrations/migration-kit.ts';
import {
  AlreadyExists,
  DataTooLarge,
  DomainError,
  Forbidden,
  ImageBeingSaved,
  ImageNotQueued,
  ImageRuleRefused,
  InvalidValue,
  NotFound,
  TooManyMetadataItems,
} from '../errors.ts';
import type { User, Users } from '../identity/users.ts';
import type { WrittenData } from '../objects/block-writer.ts';
import type { ContainerRecord } from '../objects/containers.ts';
import type { ObjectRecord } from '../objects/object-record.ts';
import { EMPTY_CONTENT, type Attributes, type ObjectService } from '../objects/object-service.ts';
import { authorize } from '../authorization.ts';
import { nowMicros } from '../time.ts';
import type {
  CreateImageWithData,
  DeclaredData,
  ImageAttributes,
  ImageChanges,
  ImageUpload,
  NewImageAttributes,
  RegisterImage,
  ReserveImage,
  UpdateImage,
} from './image-commands.ts';
import { NO_PROPERTY_CHANGE } from './image-commands.ts';
import type { ImageListQuery } from './image-list-query.ts';
import { toImageListItem, toImageView, type ImageListItem, type ImageView } from './image-model.ts';
import { readableImage } from './image-access.ts';
import { ImageMembers } from './image-members.ts';
import {
  addTag,
  declareData,
  ImageRepository,
  mergeProperties,
  removeTag,
  replaceProperties,
  setVirtualSize,
  replaceTags,
  updateImageRecord,
  expiredLeases,
  imageIdsInStatus,
  type ImageEntry,
} from '../../storage/metadata/image-repository.ts';
import {
  backToQueued,
  createImageRecord,
  failImport,
  failSaving,
  finishImport,
  startImport,
  startStaging,
  unstage,
  finishSaving,
  registerLocation,
  removeImageRecord,
  startSaving,
  type RecordChanges,
} from './image-status.ts';
import { canonicalUuid, hasNul, isMd5, textWithNul } from './image-values.ts';
import { membersOf } from './image-visibility.ts';
import type { ImageCatalogQuery } from './image-list-query.ts';
import { activate, deactivate } from './image-status.ts';
import { IMPORT_STORE, STAGING_ACCOUNT, STAGING_CONTAINER, type ImportConverter } from './image-import.ts';
import { checkWebUri, type WebDownloadPolicy, type WebFetcher } from './web-source.ts';
import { judgeContent, type ImageApi } from './content-rules.ts';
import { ManifestOnImage } from '../objects/manifests.ts';
import {
  inspectRandomAccess,
  StreamInspector,
  type FormatMatchMode,
  type InspectionReport,
} from './inspection/index.ts';

/** Image API v2's limit on tags per image. */
export const MAX_TAGS = 128;

/** Uploads and reservations live in the owner's container of this name (created on demand). */
/**
 * The secure hash of an image's data that Image API v2 shows (`os_hash_algo`, `os_hash_value`),
 * computed beside MD5 in the upload's single pass, for uploads through any image API.
 */
const IMAGE_HASH_ALGORITHM = 'sha512';
/** What the upload's single pass learnt about the data, stored on the image record with the commit. */
type DataFacts = {
  readonly os_hash_algo: string;
  readonly os_hash_value: string | null;
  readonly virtual_size: number | null;
};

export const IMAGES_CONTAINER = 'images';
const DATA_ATTRIBUTES: Attributes = {
  contentType: 'application/octet-stream',
  contentEncoding: null,
  contentDisposition: null,
  meta: {},
};

/** An image carries at most this many properties: Pithos' 32 metadata items less the 4 the image record used. */
export const MAX_PROPERTIES = 28;

/** `PLANKTON_UPLOAD_LEASE`'s default (config.ts). */
const DEFAULT_UPLOAD_LEASE_SECONDS = 120;
/** Abandoned images moved back per `reclaimAbandoned` call; the next call takes the rest. */
const RECLAIM_PAGE = 100;

export interface ImageSettings {
  readonly diskFormats: readonly string[];
  readonly containerFormats: readonly string[];
  readonly imageSizeCap: number;
  /** `PLANKTON_REQUIRE_FORMAT_MATCH`: which APIs refuse content that is not its disk_format. */
  readonly requireFormatMatch: FormatMatchMode;
  /** `PLANKTON_UPLOAD_LEASE`: how long an upload's image stays held once its process stops renewing. */
  readonly uploadLeaseSeconds: number;
}

/** What a data read needs: the image as of the version being read, and that version. */
export interface ImageDataSource {
  readonly image: ImageView;
  readonly object: ObjectRecord;
}

/** Thrown by verification when a body ended after 0 bytes and empty data counts as no data. */
class EmptyData extends Error {}

/** Interoperable import's optional parts (openstack.md §4.9); both off when absent. */
export interface ImportOptions {
  /** `web-download`: its allow-list, size cap and timeout, and the driver that fetches. */
  readonly webDownload?: { readonly policy: WebDownloadPolicy; readonly fetcher: WebFetcher };
  /** Conversion of imported data to one format (issue 13 item 4). */
  readonly converter?: ImportConverter;
}

/**
 * How long a glance-direct import request waits for the import before answering 202 anyway: well
 * under the default idle timeout (60 s), during which no byte moves on the connection.
 */
export const GLANCE_DIRECT_ANSWER_WAIT_MS = 20_000;

type ImportOutcome = { readonly failed: false } | { readonly failed: true; readonly err: unknown };

/** A registration found its object overwritten after inspecting it. */
class ContentChanged extends Error {
  constructor(readonly now: ObjectRecord) {
    super('object changed during registration');
  }
}

export class ImageService {
  readonly #db: Db;
  readonly #objects: ObjectService;
  readonly #users: Users;
  readonly #sizeCap: number;
  readonly #formatMatch: FormatMatchMode;
  readonly #queries: ImageRepository;
  readonly #imports: ImportOptions;
  /** Imports running (web-download ones and glance-direct ones past their wait). */
  readonly #running = new Set<Promise<ImportOutcome>>();
  #onImportFailure: ((imageId: string, err: unknown) => void) | undefined;
  /** Members and shared images. */
  readonly members: ImageMembers;
  /** Status changes out of `saving`/`importing` that the database refused when an upload failed. */
  readonly statusRepairs = new StatusRepairs();
  /** The leases of the uploads this process runs (upload-leases.ts). */
  readonly uploadLeases: UploadLeases;

  constructor(
    db: Db,
    dialect: Dialect,
    objects: ObjectService,
    users: Users,
    settings: Pick<ImageSettings, 'imageSizeCap'> &
      Partial<Pick<ImageSettings, 'requireFormatMatch' | 'uploadLeaseSeconds'>>,
    imports: ImportOptions = {},
  ) {
    this.#db = db;
    this.#imports = imports;
    this.#objects = objects;
    this.#users = users;
    this.#sizeCap = settings.imageSizeCap;
    this.#formatMatch = settings.requireFormatMatch ?? 'v2';
    this.uploadLeases = new UploadLeases(db, settings.uploadLeaseSeconds ?? DEFAULT_UPLOAD_LEASE_SECONDS);
    this.#queries = new ImageRepository(db, dialect);
    this.members = new ImageMembers(db, this.#queries, objects, users);
    // An image moves with its object (its owner is the object's account), never while its data is saved.
    objects.onMove(async (trx, obj, dest) => {
      const status = await this.#queries.statusOf(obj.uuid, trx);
      if (status === undefined) return;
      if (status === 'saving') throw new ImageBeingSaved();
      if (dest.account !== obj.account) await this.#queries.setOwner(obj.uuid, dest.account, trx);
    });
    // An image follows its object's content (image-api.md §4.1), so new content written through
    // the object store (PUT, hashmap PUT, copy onto it) is inspected like a registration: the
    // commit is refused when it is unsafe (or, with PLANKTON_REQUIRE_FORMAT_MATCH=all, not its
    // disk_format), else virtual_size follows. Uploads through the image APIs (status saving)
    // inspect in their own pass. The few block reads happen inside the commit, as its
    // missing-block check does.
    objects.onOverwrite(async (trx, obj) => {
      const entry = await this.#queries.find(obj.uuid, trx);
      if (!entry) return;
      // An image's bytes are its own: register freezes a manifest into them (freezeLargeObject).
      if (obj.manifest) throw new ManifestOnImage();
      if (entry.status === 'saving') return;
      const policy = { diskFormat: entry.diskFormat, containerFormat: entry.containerFormat, api: 'v1' as const };
      const { virtualSize } = await this.#judgeStored(obj, policy);
      await setVirtualSize(trx, obj.uuid, virtualSize);
    });
  }

  /** The largest image data accepted, bytes. */
  get sizeCap(): number {
    return this.#sizeCap;
  }

  // ---- reads ---------------------------------------------------------------------------------

  /** An image the caller may read. */
  async show(caller: User, id: string): Promise<ImageView> {
    return toImageView(await readableImage(this.#queries, caller, id));
  }

  /** The stored status of an image, whoever asks (for wording a refusal already decided). */
  async statusOf(id: string): Promise<string | undefined> {
    const uuid = canonicalUuid(id);
    return uuid === undefined ? undefined : this.#queries.statusOf(uuid);
  }

  /**
   * The data of an image, at the object version about to be read; undefined when it has none yet
   * (v2 answers 204, v1 404). A deactivated image's data is refused to non-admins through every
   * image API (openstack.md §5.2).
   */
  async dataSource(caller: User, id: string): Promise<ImageDataSource | undefined> {
    const entry = await readableImage(this.#queries, caller, id);
    if (entry.status === 'deactivated' && !caller.admin) throw new ImageRuleRefused('image-deactivated');
    if (entry.status !== 'available' && entry.status !== 'deactivated') return undefined;
    const object = await this.#objects.getByUuid(entry.id);
    if (!object) throw new NotFound('image');
    const image = toImageView({
      ...entry,
      size: object.size,
      md5: object.md5,
      objectHash: object.objectHash,
      objectVersionTs: object.versionTs,
    });
    return { image, object };
  }

  /** Streams bytes `[start, end]` of a version returned by `dataSource`. */
  openData(source: ImageDataSource, start?: number, end?: number) {
    return this.#objects.openReader(source.object, start, end);
  }

  /** The caller's images (§5.2), filtered, sorted, after the marker. */
  async list(caller: User, q: ImageListQuery): Promise<ImageListItem[]> {
    const filters = [q.name, q.diskFormat, q.containerFormat, q.status, ...propertyTexts(q.properties)];
    if (textWithNul(filters) !== undefined) return [];
    const viewer = { uuid: caller.uuid, all: caller.admin && q.publicNone };
    let after: { value: unknown; id: string } | undefined;
    if (q.marker !== undefined) {
      after = await this.#queries.markerPosition(viewer, q.marker, q.sortKey);
      if (!after) throw new InvalidValue('marker', q.marker);
    }
    return (await this.#queries.list(viewer, q, after)).map(toImageListItem);
  }

  // ---- create: register, reserve, create with data -------------------------------------------

  /** Registers an existing object as an image (§5.3 register, steps 13–18): status available. */
  async register(caller: User, r: RegisterImage): Promise<ImageView> {
    checkPropertyCount(Object.keys(r.properties).length);
    checkText([r.attributes.name, ...propertyTexts(r.properties)]);
    const loc = r.location;
    const account = canonicalUuid(loc.account) ?? loc.account;
    let obj = await this.#objects.get(account, loc.container, loc.name);
    if (!obj) throw new NotFound('object');
    authorize(caller, 'register', { object: obj });
    // A large object becomes plain bytes first (manifests.ts, freeze): the image is what it reads as now.
    if (obj.manifest) obj = await this.#objects.large.freeze(obj, this.#sizeCap, () => new DataTooLarge(this.#sizeCap));
    if (r.id !== undefined && r.id !== obj.uuid) throw new InvalidValue('image-id', r.id);
    if (r.size !== undefined && r.size !== obj.size) throw new InvalidValue('size');
    if (r.checksum !== undefined && !checksumMatches(r.checksum, obj)) throw new InvalidValue('checksum');

    const a = r.attributes;
    const columns = newRecordColumns(a);
    const policy = { diskFormat: columns.disk_format, containerFormat: columns.container_format, api: r.api ?? 'v2' };
    // The content is inspected before anything is written (a refusal registers nothing), from the
    // version the checks above saw; the commit then insists on that same content.
    let inspected = obj;
    let { virtualSize } = await this.#judgeStored(inspected, policy);
    // An object overwritten again and again meanwhile: the last try inspects under the object's
    // lock, where no overwrite can slip in (as an overwrite of an image's object is inspected).
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#registerInspected(r, inspected, columns, virtualSize, attempt === 3 ? policy : undefined);
        break;
      } catch (err) {
        if (!(err instanceof ContentChanged)) throw err;
        inspected = err.now;
        ({ virtualSize } = await this.#judgeStored(inspected, policy));
      }
    }
    return this.#view(obj.uuid);
  }

  async #registerInspected(
    r: RegisterImage,
    obj: ObjectRecord,
    columns: ReturnType<typeof newRecordColumns>,
    inspectedSize: number | null,
    judgeLocked?: { diskFormat: string; containerFormat: string; api: ImageApi },
  ): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await this.#queries.lockObject(trx, obj.uuid);
      const live = await this.#objects.getByUuid(obj.uuid, trx);
      if (!live) throw new NotFound('object');
      let virtualSize = inspectedSize;
      const changed = live.versionTs !== obj.versionTs || live.objectHash !== obj.objectHash;
      if (changed && judgeLocked) ({ virtualSize } = await this.#judgeStored(live, judgeLocked));
      // Overwritten since it was inspected: inspect the new content instead.
      else if (changed) throw new ContentChanged(live);
      const now = nowMicros();
      const a = r.attributes;
      const record = {
        id: live.uuid,
        owner: live.account,
        origin: 'location',
        ...columns,
        virtual_size: virtualSize,
        created_at: now,
        updated_at: now,
        declared_size: null,
        declared_checksum: null,
      };
      if (!(await registerLocation(trx, record))) throw new ImageBeingSaved();
      await replaceProperties(trx, live.uuid, r.properties);
      // Plankton's registration rule: earlier members, `*` and write grants are dropped.
      await this.#objects.setGrants(live.id, { read: withPublic([live.account], a.isPublic === true), write: [] }, trx);
    });
  }

  /**
   * Inspects a stored version by random access — the head, the few header regions the probes
   * ask for, maybe the tail: only the blocks those fall in are read, never the whole object —
   * and judges it (content-rules.ts).
   */
  async #judgeStored(
    obj: ObjectRecord,
    p: { diskFormat: string; containerFormat: string; api: ImageApi },
  ): Promise<{ virtualSize: number | null }> {
    const report = await this.#inspectVersion(obj);
    return judgeContent(report, { ...p, mode: this.#formatMatch });
  }

  #inspectVersion(obj: ObjectRecord): Promise<InspectionReport> {
    return inspectRandomAccess(async (offset, length) => {
      const parts: Buffer[] = [];
      for await (const chunk of this.#objects.openReader(obj, offset, Math.min(obj.size, offset + length) - 1))
        parts.push(chunk as Buffer);
      return Buffer.concat(parts);
    }, obj.size);
  }

  /**
   * What an image's data is, inspected from the store as it is now (the operator's `plankton
   * image inspect <image-id>`): no caller, no access check. Undefined when there is no such image.
   */
  async inspectStoredData(id: string): Promise<{ image: ImageView; report: InspectionReport } | undefined> {
    const uuid = canonicalUuid(id);
    const entry = uuid === undefined ? undefined : await this.#queries.find(uuid);
    if (!entry) return undefined;
    const obj = await this.#objects.getByUuid(entry.id);
    if (!obj) return undefined;
    return { image: toImageView(entry), report: await this.#inspectVersion(obj) };
  }

  /** Reserves an image without data (§5.3 upload steps 13–16): status queued. */
  async reserve(caller: User, r: ReserveImage): Promise<ImageView> {
    checkPropertyCount(Object.keys(r.properties).length);
    checkText([r.attributes.name, ...propertyTexts(r.properties), ...(r.tags ?? [])]);
    this.#checkAnnouncedSize(r.size);
    const { id } = await this.#createPlaceholder(caller, r, 'reserved');
    return this.#view(id);
  }

  /** Creates an image and uploads its data in one step (§5.3 upload, steps 13–19). */
  async createWithData(caller: User, r: CreateImageWithData): Promise<ImageView> {
    checkPropertyCount(Object.keys(r.properties).length);
    checkText([r.attributes.name, ...propertyTexts(r.properties), ...(r.tags ?? [])]);
    this.#checkAnnouncedSize(r.size);
    this.#checkAnnouncedLength(r.data, r.size);
    const { id, container } = await this.#createPlaceholder(caller, r, 'uploading');
    const columns = newRecordColumns(r.attributes);
    const outcome = await this.#saveData(
      caller,
      id,
      { container, name: id },
      r.data,
      { size: r.size, checksum: r.checksum },
      { diskFormat: columns.disk_format, containerFormat: columns.container_format },
      {
        // created_at is the create's time; taking it at completion keeps created_at = updated_at (§4.4).
        onCommit: async (trx, hashes) => {
          const now = nowMicros();
          return finishSaving(trx, id, {
            ...hashes,
            created_at: now,
            updated_at: now,
            declared_size: null,
            declared_checksum: null,
          });
        },
        discard: () => this.#removePlaceholder(id),
      },
    );
    if (outcome === 'empty') await backToQueued(this.#db, id);
    return this.#view(id);
  }

  /**
   * Upload steps 13–16: the owner, the id, the `images` container and, in one commit, the empty
   * placeholder object (uuid = image id) with the record in its starting status.
   */
  async #createPlaceholder(
    caller: User,
    r: ReserveImage,
    start: 'reserved' | 'uploading',
  ): Promise<{ id: string; container: ContainerRecord }> {
    let owner = caller.uuid;
    if (caller.admin && r.owner !== undefined) {
      const user = await this.#users.byUuid(r.owner);
      if (!user) throw new InvalidValue('owner', r.owner);
      owner = user.uuid;
    }
    const id = r.id ?? randomUUID();
    const taken = () => new AlreadyExists('image', id);
    if (r.id !== undefined && (await this.#objects.getByUuid(id))) throw taken();
    const container = await this.#objects.containers.ensure(owner, IMAGES_CONTAINER);
    const placeholderTaken = () => new AlreadyExists('object', `${IMAGES_CONTAINER}/${id}`);
    if (await this.#objects.get(owner, IMAGES_CONTAINER, id)) throw placeholderTaken();

    const a = r.attributes;
    const now = nowMicros();
    const commit = this.#objects.commit(container, id, EMPTY_CONTENT, DATA_ATTRIBUTES, {
      modifiedBy: caller.uuid,
      uuid: id,
      sharing: { read: withPublic([owner], a.isPublic === true), write: [] },
      inCommit: async (trx, obj) => {
        // The name was free a moment ago; if it is not any more, the commit overwrote someone's object: undo.
        if (obj.uuid !== id) throw placeholderTaken();
        // Commits are serialised, so this sees a concurrent request that took the same id first.
        if (await this.#queries.find(id, trx)) throw taken();
        await createImageRecord(
          trx,
          start,
          {
            id,
            owner,
            origin: 'upload',
            ...newRecordColumns(a),
            created_at: now,
            updated_at: now,
            // A declared size of 0 is not remembered, so a later upload of the real file succeeds (§4.2).
            declared_size: r.size ? r.size : null,
            declared_checksum: r.checksum ?? null,
          },
          start === 'uploading' ? this.uploadLeases.until() : undefined,
        );
        await replaceProperties(trx, id, r.properties);
        if (r.tags?.length) await replaceTags(trx, id, r.tags);
      },
    });
    // Two requests choosing one id for placeholders in different accounts meet at the uuid's unique index.
    await commit.catch((err) => {
      throw isUniqueViolation(err) ? taken() : err;
    });
    return { id, container };
  }

  /** "Nothing kept": the placeholder goes, and its record with it (the image row cascades). */
  async #removePlaceholder(id: string): Promise<void> {
    const obj = await this.#objects.getByUuid(id);
    if (obj) await this.#objects.delete(obj, { keepHistory: false });
  }

  // ---- update, and upload into a queued image ------------------------------------------------

  /** Uploads data into a queued image, changing nothing else. */
  async upload(caller: User, id: string, data: ImageUpload): Promise<ImageView> {
    return this.update(caller, id, { attributes: {}, properties: NO_PROPERTY_CHANGE, data });
  }

  /** Changes an image's attributes and properties (§5.6), with data when it is queued. */
  async update(caller: User, id: string, r: UpdateImage): Promise<ImageView> {
    checkText([r.attributes.name, ...propertyTexts(r.properties.set)]);
    const entry = await readableImage(this.#queries, caller, id);
    const data = r.data;
    if (data) authorize(caller, 'upload', { image: entry });
    authorize(caller, 'write', { image: entry });
    if (r.attributes.isPublic !== undefined) authorize(caller, 'publish', { image: entry });
    if (r.status !== undefined && r.status.trim().toLowerCase() !== entry.status) throw new Forbidden('modify-status');
    if (data) {
      if (entry.status !== 'queued') throw new ImageNotQueued();
      r.checkData?.(r);
      this.#checkAnnouncedLength(data, r.size);
    } else if ((r.size !== undefined || r.checksum !== undefined) && entry.status !== 'queued') {
      throw new InvalidValue('metadata');
    }
    // An upload merges whatever the request asked (a replace applies only if the data turns out empty).
    const replace = r.properties.replaceAll && !data;
    const after = new Set([...(replace ? [] : Object.keys(entry.properties)), ...Object.keys(r.properties.set)]);
    for (const k of r.properties.remove) after.delete(k);
    checkPropertyCount(after.size);

    if (data) return this.#uploadQueued(caller, entry, r, data);
    await this.#db.transaction().execute(async (trx) => {
      if (!(await this.#applyUpdate(trx, entry.id, r))) throw new NotFound('image');
    });
    return this.#view(entry.id);
  }

  /** §5.6 step 8 with data: queued → saving, stream, verify, commit, available, then the metadata. */
  async #uploadQueued(caller: User, entry: ImageEntry, r: UpdateImage, data: ImageUpload): Promise<ImageView> {
    const container = await this.#objects.containers.get(entry.object.account, entry.object.container);
    if (!container) throw new NotFound('image');
    if (!(await startSaving(this.#db, entry.id, this.uploadLeases.until()))) throw new ImageNotQueued();
    const expected = {
      size: r.size ?? entry.declaredSize ?? undefined,
      checksum: r.checksum ?? entry.declaredChecksum ?? undefined,
    };
    const merged: UpdateImage = { ...r, properties: { ...r.properties, replaceAll: false } };
    // The formats the image will have once this update is applied: the data must be what they say.
    const formats = {
      diskFormat: r.attributes.diskFormat ?? entry.diskFormat,
      containerFormat: r.attributes.containerFormat ?? entry.containerFormat,
    };
    const target = { container, name: entry.object.name };
    const outcome = await this.#saveData(caller, entry.id, target, data, expected, formats, {
      onCommit: async (trx, hashes) => {
        const done = await finishSaving(trx, entry.id, {
          ...hashes,
          updated_at: nowMicros(),
          declared_size: null,
          declared_checksum: null,
        });
        return done && this.#applyUpdate(trx, entry.id, { ...merged, size: undefined, checksum: undefined });
      },
      discard: async () => void (await backToQueued(this.#db, entry.id)),
    });
    if (outcome === 'empty') {
      // An empty body uploads nothing: back to queued, and the request is an ordinary update.
      await this.#db.transaction().execute(async (trx) => {
        await backToQueued(trx, entry.id);
        await this.#applyUpdate(trx, entry.id, { ...r, size: undefined });
      });
    }
    return this.#view(entry.id);
  }

  /**
   * The saving part of §4.2 for an image in `saving`: streams the body into the image's object,
   * verifies it and commits a new version together with `onCommit` (which moves the status on).
   * 'empty' when the body held no data (nothing written). A refusal by the rules or an
   * interrupted source keeps nothing (`discard`, then the error); any other failure (storage)
   * leaves the image in `error`. The inspector reads the same pass (a tap on the block writer)
   * and the content rules judge it before the commit, so refused content commits no version.
   */
  async #saveData(
    caller: User,
    id: string,
    target: { container: ContainerRecord; name: string },
    data: ImageUpload,
    expected: DeclaredData,
    formats: { diskFormat: string; containerFormat: string },
    on: { onCommit: (trx: Trx, hashes: DataFacts) => Promise<boolean>; discard: () => Promise<void> },
  ): Promise<'saved' | 'empty'> {
    let hashes: DataFacts | undefined;
    const inspector = new StreamInspector();
    const release = this.uploadLeases.hold(id);
    try {
      await this.#objects.upload(data.body, target.container, target.name, DATA_ATTRIBUTES, {
        modifiedBy: caller.uuid,
        ...this.#sizeLimit(expected.size),
        digests: [IMAGE_HASH_ALGORITHM],
        tap: inspector,
        verify: (written) => {
          verifyData(written, expected, data.emptyIsNoData);
          const policy = { ...formats, mode: this.#formatMatch, api: data.api ?? 'v2' };
          const { virtualSize } = judgeContent(inspector.finish(), policy);
          hashes = {
            os_hash_algo: IMAGE_HASH_ALGORITHM,
            os_hash_value: written.digests[IMAGE_HASH_ALGORITHM] ?? null,
            virtual_size: virtualSize,
          };
        },
        inCommit: async (trx, obj) => {
          // The commit landed on another object than the image's (the name was taken meanwhile): undo it.
          if (obj.uuid !== id) throw new AlreadyExists('object', `${target.container.name}/${target.name}`);
          if (!hashes || !(await on.onCommit(trx, hashes)))
            throw new Error(`image ${id} left saving during its upload`);
        },
      });
      return 'saved';
    } catch (err) {
      if (err instanceof EmptyData) return 'empty';
      // A database that failed (DependencyUnavailable) may fail the way back too: it is retried
      // until the database takes it (status-repairs.ts), and the caller hears about the first
      // failure, which is the one that explains the answer.
      if (err instanceof DomainError) await this.#moveBackAfterFailure(id, on.discard);
      else await this.#moveBackAfterFailure(id, () => failSaving(this.#db, id));
      throw err;
    } finally {
      release();
    }
  }

  /**
   * Moves an image out of `saving`/`importing`/`uploading` after its upload failed; when the
   * database refuses that too, `statusRepairs` keeps retrying it, so the image does not stay there.
   */
  async #moveBackAfterFailure(id: string, change: () => Promise<unknown>): Promise<void> {
    try {
      await change();
    } catch (err) {
      this.statusRepairs.add(id, change, err);
    }
  }

  /**
   * The metadata part of an update, inside a transaction: record columns, properties (merged or
   * replaced), `*` for `is_public`, declared values on a queued image, `updated_at`. False when
   * the image is gone.
   */
  async #applyUpdate(trx: Trx, id: string, r: UpdateImage): Promise<boolean> {
    await this.#queries.lockObject(trx, id);
    if (!(await updateImageRecord(trx, id, recordColumns(r.attributes), nowMicros()))) return false;
    // A declared size of 0 is never remembered (§4.2).
    await declareData(trx, id, { size: r.size || undefined, checksum: r.checksum });
    const p = r.properties;
    if (p.replaceAll) await replaceProperties(trx, id, p.set);
    else await mergeProperties(trx, id, p.set, p.remove);
    if (r.attributes.isPublic !== undefined) {
      const obj = await this.#objects.getByUuid(id, trx);
      if (obj)
        await this.#objects.setGrants(
          obj.id,
          { read: withPublic(obj.readGrants, r.attributes.isPublic), write: obj.writeGrants },
          trx,
        );
    }
    return true;
  }

  // ---- unregister, delete ------------------------------------------------------------------------

  /** Removes the image record; the object and its data stay (§5.7). */
  async unregister(caller: User, id: string): Promise<void> {
    const entry = await this.#removable(caller, id);
    await this.#removeRecord(entry);
    await this.#dropStaged(entry.id);
  }

  /**
   * Image API v2's delete (openstack.md Decision 1): removes the image, and its object too when
   * the data came through the image API (origin `upload`); a registered object stays.
   */
  async deleteWithData(caller: User, id: string): Promise<void> {
    const entry = await this.#removable(caller, id);
    await this.#removeRecord(entry);
    await this.#dropStaged(entry.id);
    if (entry.origin !== 'upload') return;
    const obj = await this.#objects.getByUuid(entry.id);
    // Deleting an image through an image API frees its data: no history of it is kept (versions.ts).
    if (obj) await this.#objects.delete(obj, { keepHistory: false });
  }

  // ---- Image API v2: catalog, patch, tags, actions, data -------------------------------------

  /** The v2 list (openstack.md §4.3): visibility and member status, filters, multi-key sort, marker. */
  async catalog(caller: User, q: ImageCatalogQuery): Promise<ImageView[]> {
    // No stored text holds a NUL (checkText), so such a filter matches nothing.
    if (textWithNul(catalogTexts(q)) !== undefined) return [];
    const viewer = { uuid: caller.uuid, all: caller.admin };
    let after: Record<string, unknown> | undefined;
    if (q.marker !== undefined) {
      after = await this.#queries.catalogMarker(viewer, q.marker, q);
      if (!after) throw new InvalidValue('marker', q.marker);
    }
    return (await this.#queries.catalog(viewer, q, after)).map(toImageView);
  }

  /**
   * Applies the changes `plan` computes from the image as it is, under the image's lock, so a
   * concurrent change cannot slip between the plan and the write.
   */
  async patch(caller: User, id: string, plan: (current: ImageView) => ImageChanges): Promise<ImageView> {
    const first = await readableImage(this.#queries, caller, id);
    authorize(caller, 'write', { image: first });
    await this.#db.transaction().execute(async (trx) => {
      await this.#queries.lockObject(trx, first.id);
      const entry = await this.#queries.find(first.id, trx);
      if (!entry) throw new NotFound('image');
      const c = plan(toImageView(entry));
      const core = c.core;
      checkText([core.name, ...propertyTexts(c.setProperties), ...(c.tags ?? [])]);
      if (core.owner !== undefined && core.owner !== entry.account) throw new ImageRuleRefused('owner-change');
      const after = new Set(Object.keys(entry.properties));
      for (const k of c.removeProperties) after.delete(k);
      for (const k of Object.keys(c.setProperties)) after.add(k);
      if (after.size > Object.keys(entry.properties).length) checkPropertyCount(after.size);
      if (c.tags && c.tags.length > MAX_TAGS && c.tags.length > entry.tags.length)
        throw new TooManyMetadataItems(MAX_TAGS);
      const changes: RecordChanges = {
        ...(core.name !== undefined ? { name: core.name ?? '' } : {}),
        ...(core.diskFormat !== undefined ? { disk_format: core.diskFormat ?? '' } : {}),
        ...(core.containerFormat !== undefined ? { container_format: core.containerFormat ?? '' } : {}),
        ...(core.minRam !== undefined ? { min_ram: core.minRam } : {}),
        ...(core.minDisk !== undefined ? { min_disk: core.minDisk } : {}),
        ...(core.protected !== undefined ? { protected: core.protected ? 1 : 0 } : {}),
        ...(core.osHidden !== undefined ? { os_hidden: core.osHidden ? 1 : 0 } : {}),
      };
      const v = core.visibility;
      if (v !== undefined) {
        const wantsStar = v === 'public' || v === 'community';
        if (wantsStar) authorize(caller, 'publish', { image: entry });
        if (v === 'private' && membersOf({ owner: entry.account, readGrants: entry.readGrants }).length > 0)
          throw new ImageRuleRefused('private-with-members');
        Object.assign(
          changes,
          wantsStar ? { community: v === 'community' ? 1 : 0 } : { shared: v === 'shared' ? 1 : 0 },
        );
        if (wantsStar !== entry.readGrants.includes('*')) {
          if (!wantsStar) authorize(caller, 'publish', { image: entry });
          await this.#objects.setGrants(
            entry.objectId,
            { read: withPublic(entry.readGrants, wantsStar), write: entry.writeGrants },
            trx,
          );
        }
      }
      if (!(await updateImageRecord(trx, entry.id, changes, nowMicros()))) throw new NotFound('image');
      await mergeProperties(trx, entry.id, c.setProperties, c.removeProperties);
      if (c.tags) await replaceTags(trx, entry.id, c.tags);
    });
    return this.#view(first.id);
  }

  /** Adds a tag (idempotent). */
  async addTag(caller: User, id: string, tag: string): Promise<void> {
    const entry = await readableImage(this.#queries, caller, id);
    authorize(caller, 'write', { image: entry });
    checkText([tag]);
    if (entry.tags.includes(tag)) return;
    if (entry.tags.length >= MAX_TAGS) throw new TooManyMetadataItems(MAX_TAGS);
    await this.#db.transaction().execute(async (trx) => {
      await this.#queries.lockObject(trx, entry.id);
      await addTag(trx, entry.id, tag);
      await updateImageRecord(trx, entry.id, {}, nowMicros());
    });
  }

  /** Removes a tag; an absent one is `tag-not-found`. */
  async removeTag(caller: User, id: string, tag: string): Promise<void> {
    const entry = await readableImage(this.#queries, caller, id);
    authorize(caller, 'write', { image: entry });
    // A tag with a NUL cannot exist (checkText), and PostgreSQL would refuse to look for it.
    if (hasNul(tag)) throw new ImageRuleRefused('tag-not-found', tag);
    await this.#db.transaction().execute(async (trx) => {
      if (!(await removeTag(trx, entry.id, tag))) throw new ImageRuleRefused('tag-not-found', tag);
      await updateImageRecord(trx, entry.id, {}, nowMicros());
    });
  }

  /** available → deactivated (already deactivated: nothing); the owner or an admin. */
  async deactivate(caller: User, id: string): Promise<void> {
    const entry = await readableImage(this.#queries, caller, id);
    if (!caller.admin) authorize(caller, 'delete', { image: entry });
    if (entry.status === 'deactivated') return;
    if (entry.status !== 'available' || !(await deactivate(this.#db, entry.id)))
      throw new ImageRuleRefused('deactivate-status', entry.status);
  }

  /** deactivated → available (already available: nothing); the owner or an admin. */
  async reactivate(caller: User, id: string): Promise<void> {
    const entry = await readableImage(this.#queries, caller, id);
    if (!caller.admin) authorize(caller, 'delete', { image: entry });
    if (entry.status === 'available') return;
    if (entry.status !== 'deactivated' || !(await activate(this.#db, entry.id)))
      throw new ImageRuleRefused('reactivate-status', entry.status);
  }

  /** Image API v2's upload: a queued image with both formats set (openstack.md §4.7). */
  async uploadV2(caller: User, id: string, data: ImageUpload): Promise<ImageView> {
    const entry = await readableImage(this.#queries, caller, id);
    authorize(caller, 'upload', { image: entry });
    if (entry.status !== 'queued') throw new ImageNotQueued();
    if (!entry.diskFormat || !entry.containerFormat) throw new ImageRuleRefused('formats-required');
    return this.upload(caller, id, data);
  }

  // ---- Image API v2: interoperable import (openstack.md §4.9) ---------------------------------

  /** The import methods offered, as `GET /v2/info/import` and the create header list them. */
  get importMethods(): readonly string[] {
    return this.#imports.webDownload ? ['glance-direct', 'web-download'] : ['glance-direct'];
  }

  /**
   * `glance-direct` staging: queued → uploading while the body streams through the upload
   * pipeline into a staging object (STAGING_ACCOUNT, named by the image id) that no user can
   * list; the image does not point at it yet. A failed, cut-off or empty stage leaves the image
   * queued with nothing staged.
   */
  async stage(caller: User, id: string, data: ImageUpload): Promise<void> {
    const entry = await readableImage(this.#queries, caller, id);
    authorize(caller, 'upload', { image: entry });
    if (entry.status !== 'queued') throw new ImageNotQueued();
    this.#checkAnnouncedLength(data, undefined);
    const area = await this.#objects.containers.ensure(STAGING_ACCOUNT, STAGING_CONTAINER, undefined, 'none');
    if (!(await startStaging(this.#db, entry.id))) throw new ImageNotQueued();
    try {
      await this.#objects.upload(data.body, area, entry.id, DATA_ATTRIBUTES, {
        modifiedBy: caller.uuid,
        ...this.#sizeLimit(undefined),
        verify: (written) => {
          if (written.size === 0) throw new EmptyData();
        },
        inCommit: async (trx) => {
          // Deleted while staging: keep nothing.
          if ((await this.#queries.statusOf(entry.id, trx)) !== 'uploading') throw new NotFound('image');
        },
      });
    } catch (err) {
      await this.#moveBackAfterFailure(entry.id, () => unstage(this.#db, entry.id));
      if (!(err instanceof EmptyData)) throw err;
    }
  }

  /**
   * `glance-direct`: the staged data becomes the image's, through the same upload pipeline as
   * every upload (hashes, size cap, and content checks on the way): uploading → importing →
   * available. A failure leaves the image queued with `os_glance_failed_import` set and nothing
   * staged any more. The request waits for it up to GLANCE_DIRECT_ANSWER_WAIT_MS (so small images
   * are active, or their failure answered, by the reply); a longer import finishes in the background.
   */
  async importStaged(caller: User, id: string): Promise<void> {
    const entry = await this.#importable(caller, id, 'glance-direct');
    const staged = await this.#objects.get(STAGING_ACCOUNT, STAGING_CONTAINER, entry.id);
    if (!staged) throw new ImageRuleRefused('import-not-staged');
    if (!(await this.#startImport(entry.id, 'uploading'))) throw new ImageRuleRefused('import-not-staged');
    const work = this.#runImport(caller, entry, async () => this.#objects.openReader(staged));
    await this.#inBackground(entry.id, work, GLANCE_DIRECT_ANSWER_WAIT_MS);
  }

  /**
   * `web-download`: the URL is checked against the allow-list now (a refusal is the request's
   * 400); the image goes queued → importing and the transfer runs in the background, ending
   * available, or queued with `os_glance_failed_import` set.
   */
  async importFromWeb(caller: User, id: string, uri: string): Promise<void> {
    const web = this.#imports.webDownload;
    if (!web) throw new ImageRuleRefused('import-uri-refused', 'web-download is not enabled');
    const entry = await this.#importable(caller, id, 'web-download');
    checkWebUri(uri, web.policy);
    if (!(await this.#startImport(entry.id, 'queued'))) {
      throw new ImageRuleRefused('import-status', (await this.#queries.statusOf(entry.id)) ?? 'queued');
    }
    await this.#inBackground(
      entry.id,
      this.#runImport(caller, entry, () => web.fetcher.open(uri, web.policy)),
    );
  }

  /**
   * Tracks an import running on its own. With `waitMs`, waits that long for it: an import that
   * ended by then answers the request (its failure is thrown); a longer one goes on in the
   * background, so a big image never holds the request past the connection's idle timeout.
   * Background failures go to `onImportFailure` (the image records them anyway).
   */
  async #inBackground(id: string, work: Promise<void>, waitMs?: number): Promise<void> {
    const task: Promise<ImportOutcome> = work.then(
      () => ({ failed: false }),
      (err: unknown) => ({ failed: true, err }),
    );
    this.#running.add(task);
    void task.finally(() => this.#running.delete(task));
    if (waitMs !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), waitMs);
      });
      const ended = await Promise.race([task, waited]);
      clearTimeout(timer);
      if (ended?.failed) throw ended.err;
      if (ended) return;
    }
    void task.then((o) => {
      if (o.failed) this.#onImportFailure?.(id, o.err);
    });
  }

  /** Where background import failures are reported (the server's log). */
  onImportFailure(report: (imageId: string, err: unknown) => void): void {
    this.#onImportFailure = report;
  }

  /**
   * For `serve` at start-up, before it listens: an import that a stopped process left
   * `importing` has failed (queued, `os_glance_failed_import`), and staged data whose image is
   * gone or no longer `uploading` (its object was deleted through the object store, say) is
   * dropped. Not for other commands: they may run beside a live server.
   */
  async recoverInterruptedImports(): Promise<{ failed: number; dropped: number }> {
    let failed = 0;
    for (const id of await imageIdsInStatus(this.#db, 'importing')) {
      if (await this.#failImport(id)) failed++;
    }
    let dropped = 0;
    const area = await this.#objects.containers.get(STAGING_ACCOUNT, STAGING_CONTAINER);
    let marker: string | undefined;
    while (area) {
      const page = await this.#objects.list(area, { limit: 1000, ...(marker !== undefined ? { marker } : {}) });
      for (const { object } of page) {
        if (!object) continue;
        marker = object.name;
        if ((await this.#queries.statusOf(object.name)) !== 'uploading' && (await this.#objects.delete(object)))
          dropped++;
      }
      if (page.length < 1000) break;
    }
    return { failed, dropped };
  }

  /**
   * importing → queued, naming the store in `os_glance_failed_import`; false when not importing
   * (given `leaseExpiredBefore`: also when its lease has not run out).
   */
  async #failImport(id: string, leaseExpiredBefore?: number): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      if (!(await failImport(trx, id, leaseExpiredBefore))) return false;
      await mergeProperties(trx, id, { os_glance_importing_to_stores: '', os_glance_failed_import: IMPORT_STORE }, []);
      return true;
    });
  }

  /**
   * For `serve`, now and then: the images of uploads and imports whose process died (their lease
   * ran out, upload-leases.ts) go back as a failed upload leaves them: `saving → queued`,
   * `importing → queued` with the import marked failed. Counts what moved.
   */
  async reclaimAbandoned(): Promise<{ saving: number; importing: number }> {
    const before = this.uploadLeases.expiredBefore();
    const moved = { saving: 0, importing: 0 };
    for (const { id, status } of await expiredLeases(this.#db, before, RECLAIM_PAGE)) {
      if (status === 'saving' && (await backToQueued(this.#db, id, before))) moved.saving++;
      if (status === 'importing' && (await this.#failImport(id, before))) moved.importing++;
    }
    return moved;
  }

  /** Resolves when the background imports running now have ended (tests, shutdown). */
  async importsSettled(): Promise<void> {
    await Promise.all([...this.#running]);
  }

  /** Glance's checks, in its order: not active, the method's starting status, both formats. */
  async #importable(caller: User, id: string, method: 'glance-direct' | 'web-download'): Promise<ImageEntry> {
    const entry = await readableImage(this.#queries, caller, id);
    authorize(caller, 'upload', { image: entry });
    if (entry.status === 'available' || entry.status === 'deactivated')
      throw new ImageRuleRefused('import-status', entry.status);
    if (method === 'glance-direct' && entry.status !== 'uploading') throw new ImageRuleRefused('import-not-staged');
    if (method === 'web-download' && entry.status !== 'queued')
      throw new ImageRuleRefused('import-status', entry.status);
    if (!entry.containerFormat) throw new ImageRuleRefused('import-format-missing', 'container_format');
    if (!entry.diskFormat) throw new ImageRuleRefused('import-format-missing', 'disk_format');
    return entry;
  }

  /** `from` → importing, recording the import's store as Glance does. */
  async #startImport(id: string, from: 'uploading' | 'queued'): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      if (!(await startImport(trx, id, [from], this.uploadLeases.until()))) return false;
      await mergeProperties(trx, id, { os_glance_importing_to_stores: IMPORT_STORE, os_glance_failed_import: '' }, []);
      return true;
    });
  }

  /**
   * Streams the import's data (converted first when a converter is set) into the image's object
   * and commits it with importing → available; any failure: importing → queued with the store
   * named in `os_glance_failed_import`, and thrown. Staged data is dropped either way.
   */
  async #runImport(caller: User, entry: ImageEntry, open: () => Promise<AsyncIterable<Buffer>>): Promise<void> {
    let cleanup: (() => Promise<void>) | undefined;
    // Held from the start: a download or a conversion may run long before any byte is saved.
    const release = this.uploadLeases.hold(entry.id);
    try {
      const container = await this.#objects.containers.get(entry.object.account, entry.object.container);
      if (!container) throw new NotFound('image');
      let body = await open();
      let diskFormat: string | undefined;
      const converter = this.#imports.converter;
      if (converter) {
        const converted = await converter.convert(body, { diskFormat: entry.diskFormat, maxBytes: this.#sizeCap });
        cleanup = converted.cleanup;
        body = converted.body;
        diskFormat = converted.diskFormat;
      }
      await this.#saveData(
        caller,
        entry.id,
        { container, name: entry.object.name },
        { body, emptyIsNoData: false },
        {},
        // Converted data is judged as what it became, not as the format the image was created with.
        { diskFormat: diskFormat ?? entry.diskFormat, containerFormat: entry.containerFormat },
        {
          onCommit: async (trx, hashes) => {
            const done = await finishImport(trx, entry.id, {
              ...hashes,
              ...(diskFormat !== undefined ? { disk_format: diskFormat } : {}),
              updated_at: nowMicros(),
              declared_size: null,
              declared_checksum: null,
            });
            if (done)
              await mergeProperties(
                trx,
                entry.id,
                { os_glance_importing_to_stores: '', os_glance_failed_import: '' },
                [],
              );
            return done;
          },
          discard: async () => undefined,
        },
      );
    } catch (err) {
      await this.#moveBackAfterFailure(entry.id, () => this.#failImport(entry.id));
      throw err;
    } finally {
      await cleanup?.();
      await this.#dropStaged(entry.id);
      release();
    }
  }

  /** Removes an image's staged data, if any: its blocks are then `plankton gc`'s to reclaim. */
  async #dropStaged(id: string): Promise<void> {
    const staged = await this.#objects.get(STAGING_ACCOUNT, STAGING_CONTAINER, id);
    if (staged) await this.#objects.delete(staged);
  }

  async #removable(caller: User, id: string): Promise<ImageEntry> {
    const entry = await readableImage(this.#queries, caller, id);
    authorize(caller, 'delete', { image: entry });
    if (entry.protected) throw new Forbidden('image-protected');
    if (entry.status === 'saving' || entry.status === 'importing') throw new ImageBeingSaved();
    return entry;
  }

  async #removeRecord(entry: ImageEntry): Promise<void> {
    if (!(await removeImageRecord(this.#db, entry.id))) {
      // Lost a race: tell which one.
      if (await this.#queries.find(entry.id)) throw new ImageBeingSaved();
      throw new NotFound('image');
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  async #view(id: string): Promise<ImageView> {
    const entry = await this.#queries.find(id);
    if (!entry) throw new NotFound('image');
    return toImageView(entry);
  }

  /** A declared size past the cap is refused before anything is created. */
  #checkAnnouncedSize(size: number | undefined): void {
    if (size !== undefined && size > this.#sizeCap) throw new DataTooLarge(this.#sizeCap, true);
  }

  /** The length the sender announced must agree with a declared size, and stay under the cap. */
  #checkAnnouncedLength(data: ImageUpload, size: number | undefined): void {
    const length = data.announcedLength;
    if (length === undefined) return;
    if (size !== undefined && length !== size) throw new InvalidValue('size');
    if (length > this.#sizeCap) throw new DataTooLarge(this.#sizeCap, true);
  }

  /**
   * How much data an upload may bring: the declared size when there is one (more is a mismatch,
   * refused as soon as it shows), else the cap (§4.7).
   */
  #sizeLimit(declared: number | undefined): { maxBytes: number; onTooLarge: () => DomainError } {
    const cap = this.#sizeCap;
    if (declared !== undefined && declared <= cap)
      return { maxBytes: declared, onTooLarge: () => new InvalidValue('size') };
    return { maxBytes: cap, onTooLarge: () => new DataTooLarge(cap) };
  }
}

/** §4.7: an image carries at most MAX_PROPERTIES properties. */
function checkPropertyCount(count: number): void {
  if (count > MAX_PROPERTIES) throw new TooManyMetadataItems(MAX_PROPERTIES);
}

/**
 * §5.3 step 18 / §5.6 step 8: the data against the declared size and checksum. A body that ended
 * after 0 bytes is no data (EmptyData) when the adapter says empty data counts as none.
 */
function verifyData(written: WrittenData, expected: DeclaredData, emptyIsNoData: boolean): void {
  if (written.size === 0 && emptyIsNoData) throw new EmptyData();
  if (expected.size !== undefined && written.size !== expected.size) throw new InvalidValue('size');
  if (
    expected.checksum !== undefined &&
    expected.checksum !== (isMd5(expected.checksum) ? written.md5 : written.objectHash)
  ) {
    throw new InvalidValue('checksum');
  }
}

/** §4.3: 32 hex digits compare with the stored MD5 (unknown = mismatch), 64 with the object hash. */
function checksumMatches(checksum: string, obj: Pick<ObjectRecord, 'md5' | 'objectHash'>): boolean {
  return isMd5(checksum) ? obj.md5 === checksum : obj.objectHash === checksum;
}

/** A unique index refused a row (SQLite or PostgreSQL). */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Read grants with `*` present or absent, the rest in order. */
function withPublic(read: readonly string[], isPublic: boolean): string[] {
  const rest = read.filter((g) => g !== '*');
  return isPublic ? [...rest, '*'] : rest;
}

/** A new image's attributes with the defaults of §5.3 for what was not given (a create sets them all). */
function newRecordColumns(a: NewImageAttributes) {
  return {
    name: a.name,
    disk_format: a.diskFormat ?? 'diskdump',
    container_format: a.containerFormat ?? 'bare',
    min_ram: a.minRam ?? 0,
    min_disk: a.minDisk ?? 0,
    protected: a.protected ? 1 : 0,
    os_hidden: a.osHidden ? 1 : 0,
    community: a.community ? 1 : 0,
    shared: a.sharedFlag ? 1 : 0,
  };
}

/** The attributes an update sets (only those given). */
function recordColumns(a: ImageAttributes): RecordChanges {
  return {
    ...(a.name !== undefined ? { name: a.name } : {}),
    ...(a.diskFormat !== undefined ? { disk_format: a.diskFormat } : {}),
    ...(a.containerFormat !== undefined ? { container_format: a.containerFormat } : {}),
    ...(a.minRam !== undefined ? { min_ram: a.minRam } : {}),
    ...(a.minDisk !== undefined ? { min_disk: a.minDisk } : {}),
    ...(a.protected !== undefined ? { protected: a.protected ? 1 : 0 } : {}),
  };
}

/** Refuses image text no database can store alike: a NUL character (image-values.ts `hasNul`). */
function checkText(texts: Iterable<string | null | undefined>): void {
  const bad = textWithNul(texts);
  if (bad !== undefined) throw new InvalidValue('text', bad);
}

const propertyTexts = (properties: Readonly<Record<string, string>>): string[] => Object.entries(properties).flat();

/** Every string a v2 list compares with stored text. */
function catalogTexts(q: ImageCatalogQuery): (string | undefined)[] {
  const matches = [q.id, q.name, q.status, q.containerFormat, q.diskFormat].flatMap((m) =>
    m === undefined ? [] : m.op === 'eq' ? [m.value] : m.values,
  );
  return [...matches, q.nameContains, ...q.tags, q.owner, q.checksum, q.osHashValue, ...propertyTexts(q.properties)];
}
