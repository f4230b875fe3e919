/**
 * The image rules (image-api.md §4, §5): register, upload, reserve, update, unregister, members and
 * lists, in the spec's validation order. An image is an object plus a record: data goes through
 * the object service's write path, the record's status only through image-status.ts, and
 * members/`is_public` are the object's read grants. No HTTP here: the API layer hands over decoded
 * metadata and a byte stream, and renders what comes back.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, conflict, forbidden, notFound, ServiceError, tooLarge } from '../../errors.ts';
import type { Db } from '../../storage/metadata/database.ts';
import type { Dialect } from '../../storage/metadata/migrations/migration-kit.ts';
import type { User, Users } from '../identity/users.ts';
import type { WrittenData } from '../objects/block-writer.ts';
import type { ContainerRecord } from '../objects/containers.ts';
import type { ObjectRecord } from '../objects/object-record.ts';
import { EMPTY_CONTENT, type Attributes, type ObjectService } from '../objects/object-service.ts';
import { canRead, canWrite, isOwner } from '../objects/permissions.ts';
import { nowMicros } from '../time.ts';
import { DataInterrupted, EmptyData, type ImageData } from './image-data.ts';
import {
  cannotUpload, imageBeingSaved, imageNotFound, invalidChecksum, invalidMetadata, invalidSize, uploadTooLarge,
} from './image-errors.ts';
import {
  checkCreateRequest, checkSizeCap, checkUpdateRequest, checkUploadDeclaration, MAX_PROPERTIES, tooManyProperties,
  type CreateRequest, type ImageAttributes, type ImageLimits, type ImageMetaInput, type UpdateRequest,
} from './image-input.ts';
import type { ImageListQuery } from './image-list-query.ts';
import { toImageView, type ImageView } from './image-model.ts';
import { readableImage } from './image-access.ts';
import { ImageMembers } from './image-members.ts';
import { ImageQueries, type ImageEntry } from './image-queries.ts';
import { declareData, mergeProperties, replaceProperties, updateRecord } from './image-records.ts';
import {
  backToQueued, createImageRecord, failSaving, finishSaving, registerLocation, removeImageRecord, startSaving, type RecordChanges,
} from './image-status.ts';
import { canonicalUuid, isMd5 } from './image-values.ts';

/** Uploads and reservations live in the owner's container of this name (created on demand). */
export const IMAGES_CONTAINER = 'images';
const DATA_ATTRIBUTES: Attributes = { contentType: 'application/octet-stream', contentEncoding: null, contentDisposition: null, meta: {} };

export interface ImageSettings {
  readonly diskFormats: readonly string[];
  readonly containerFormats: readonly string[];
  readonly imageSizeCap: number;
}

/** What a data `GET` needs: the image as of the version being read, and that version. */
export interface ImageDataSource {
  readonly image: ImageView;
  readonly object: ObjectRecord;
}

export class ImageService {
  readonly #db: Db;
  readonly #objects: ObjectService;
  readonly #users: Users;
  readonly #limits: ImageLimits;
  readonly #queries: ImageQueries;
  /** E10–E16: members and shared images. */
  readonly members: ImageMembers;

  constructor(db: Db, dialect: Dialect, objects: ObjectService, users: Users, settings: ImageSettings) {
    this.#db = db;
    this.#objects = objects;
    this.#users = users;
    this.#limits = Object.freeze({
      diskFormats: settings.diskFormats, containerFormats: settings.containerFormats, sizeCap: settings.imageSizeCap,
    });
    this.#queries = new ImageQueries(db, dialect);
    this.members = new ImageMembers(db, this.#queries, objects, users);
  }

  // ---- reads ---------------------------------------------------------------------------------

  /** E5: an image the caller may read. */
  async show(caller: User, id: string): Promise<ImageView> {
    return toImageView(await readableImage(this.#queries, caller, id));
  }

  /** E6: the data of an available image, at the object version about to be read. */
  async dataSource(caller: User, id: string): Promise<ImageDataSource> {
    const entry = await readableImage(this.#queries, caller, id);
    if (entry.status !== 'available') throw notFound('Image data is not available');
    const object = await this.#objects.getByUuid(entry.id);
    if (!object) throw imageNotFound();
    const image = toImageView({
      ...entry, size: object.size, md5: object.md5, objectHash: object.objectHash, objectVersionTs: object.versionTs,
    });
    return { image, object };
  }

  /** Streams bytes `[start, end]` of a version returned by `dataSource`. */
  openData(source: ImageDataSource, start?: number, end?: number) {
    return this.#objects.openReader(source.object, start, end);
  }

  /** E1/E2 (§5.2). */
  async list(caller: User, q: ImageListQuery): Promise<ImageView[]> {
    const viewer = { uuid: caller.uuid, all: caller.admin && q.publicNone };
    let after: { value: unknown; id: string } | undefined;
    if (q.marker !== undefined) {
      after = await this.#queries.markerPosition(viewer, q.marker, q.sortKey);
      if (!after) throw badRequest('Invalid marker. Image could not be found.');
    }
    return (await this.#queries.list(viewer, q, after)).map(toImageView);
  }

  // ---- E3: register, upload, reserve -------------------------------------------------------------

  async create(caller: User, input: ImageMetaInput, data: ImageData): Promise<ImageView> {
    const request = checkCreateRequest(input, data.declaration, this.#limits);
    switch (request.mode) {
      case 'register':
        return this.#register(caller, request);
      case 'reserve':
        return this.#reserve(caller, request);
      case 'upload':
        return this.#uploadNew(caller, request, data);
    }
  }

  /** §5.3 register, steps 13–18. */
  async #register(caller: User, r: CreateRequest): Promise<ImageView> {
    const loc = r.location!;
    const account = canonicalUuid(loc.account) ?? loc.account;
    const obj = await this.#objects.get(account, loc.container, loc.name);
    const mayRegister = account === caller.uuid || caller.admin;
    if (!obj || (!mayRegister && !canRead(caller.uuid, obj))) throw notFound('Object does not exist');
    if (!mayRegister) throw forbidden('Only the owner of the file may register it');
    if (r.id !== undefined && r.id !== obj.uuid) throw badRequest('Setting the image ID is not supported');
    if (r.size !== undefined && r.size !== obj.size) throw invalidSize();
    if (r.checksum !== undefined && !checksumMatches(r.checksum, obj)) throw invalidChecksum();

    await this.#db.transaction().execute(async (trx) => {
      await this.#queries.lockObject(trx, obj.uuid);
      const live = await this.#objects.getByUuid(obj.uuid, trx);
      if (!live) throw notFound('Object does not exist');
      const now = nowMicros();
      const a = r.attributes;
      const record = {
        id: live.uuid, owner: live.account, origin: 'location', ...newRecordColumns(a),
        created_at: now, updated_at: now, declared_size: null, declared_checksum: null,
      };
      if (!(await registerLocation(trx, record))) throw imageBeingSaved();
      await replaceProperties(trx, live.uuid, r.properties);
      // Plankton's registration rule: earlier members, `*` and write grants are dropped.
      await this.#objects.setGrants(live.id, { read: withPublic([live.account], a.isPublic === true), write: [] }, trx);
    });
    return this.#view(obj.uuid);
  }

  /** §5.3 reserve: upload steps 13–16 with status queued, no data. */
  async #reserve(caller: User, r: CreateRequest): Promise<ImageView> {
    const { id } = await this.#createPlaceholder(caller, r, 'reserved');
    return this.#view(id);
  }

  /** §5.3 upload, steps 13–19. */
  async #uploadNew(caller: User, r: CreateRequest, data: ImageData): Promise<ImageView> {
    const { id, container } = await this.#createPlaceholder(caller, r, 'uploading');
    const outcome = await this.#saveData(caller, id, { container, name: id }, data, { size: r.size, checksum: r.checksum, sizeInRequest: r.size }, {
      // created_at is the POST's time; taking it at completion keeps created_at = updated_at (§4.4).
      onCommit: async (trx) => {
        const now = nowMicros();
        return finishSaving(trx, id, { created_at: now, updated_at: now, declared_size: null, declared_checksum: null });
      },
      discard: () => this.#removePlaceholder(id),
    });
    if (outcome === 'empty') await backToQueued(this.#db, id);
    return this.#view(id);
  }

  /**
   * Upload steps 13–16: the owner, the id, the `images` container and, in one commit, the empty
   * placeholder object (uuid = image id) with the record in its starting status.
   */
  async #createPlaceholder(caller: User, r: CreateRequest, start: 'reserved' | 'uploading'): Promise<{ id: string; container: ContainerRecord }> {
    let owner = caller.uuid;
    if (caller.admin && r.owner !== undefined) {
      const user = await this.#users.byUuid(r.owner);
      if (!user) throw badRequest(`Invalid owner '${r.owner}'`);
      owner = user.uuid;
    }
    const id = r.id ?? randomUUID();
    const taken = `An image with id '${id}' already exists`;
    if (r.id !== undefined && (await this.#objects.getByUuid(id))) throw conflict(taken);
    const container = await this.#objects.containers.ensure(owner, IMAGES_CONTAINER);
    const placeholderTaken = () => conflict(`Object '${IMAGES_CONTAINER}/${id}' already exists`);
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
        if (await this.#queries.find(id, trx)) throw conflict(taken);
        await createImageRecord(trx, start, {
          id, owner, origin: 'upload', ...newRecordColumns(a), created_at: now, updated_at: now,
          // A declared size of 0 is not remembered, so a later upload of the real file succeeds (§4.2).
          declared_size: r.size ? r.size : null, declared_checksum: r.checksum ?? null,
        });
        await replaceProperties(trx, id, r.properties);
      },
    });
    // Two requests choosing one id for placeholders in different accounts meet at the uuid's unique index.
    await commit.catch((err) => {
      throw isUniqueViolation(err) ? conflict(taken) : err;
    });
    return { id, container };
  }

  /** "Nothing kept": the placeholder goes, and its record with it (the image row cascades). */
  async #removePlaceholder(id: string): Promise<void> {
    const obj = await this.#objects.getByUuid(id);
    if (obj) await this.#objects.delete(obj);
  }

  // ---- E7: update, and upload to a queued image ------------------------------------------------

  async update(caller: User, id: string, input: ImageMetaInput, purgeProps: boolean, data: ImageData): Promise<ImageView> {
    const r = checkUpdateRequest(input, this.#limits);
    const entry = await readableImage(this.#queries, caller, id);
    const upload = data.declaration.present;
    if (upload && !isOwner(caller.uuid, entry)) throw forbidden('Only the image owner may upload data');
    if (!canWrite(caller.uuid, entry)) throw forbidden('Not allowed to modify this image');
    if (r.attributes.isPublic !== undefined && !isOwner(caller.uuid, entry)) throw forbidden('Only the image owner may change is_public');
    if (r.status !== undefined && r.status.trim().toLowerCase() !== entry.status) throw forbidden("Forbidden to modify 'status' of image.");
    if (upload) {
      if (entry.status !== 'queued') throw cannotUpload();
      checkUploadDeclaration(data.declaration, r.size);
      checkSizeCap(data.declaration.contentLength, this.#limits.sizeCap);
    } else if ((r.size !== undefined || r.checksum !== undefined) && entry.status !== 'queued') {
      throw invalidMetadata();
    }
    const kept = upload || !purgeProps ? Object.keys(entry.properties) : [];
    const after = new Set([...kept, ...Object.keys(r.setProperties)]);
    for (const k of r.deleteProperties) after.delete(k);
    if (after.size > MAX_PROPERTIES) throw tooManyProperties();

    if (upload) return this.#uploadQueued(caller, entry, r, data, purgeProps);
    await this.#db.transaction().execute(async (trx) => {
      if (!(await this.#applyUpdate(trx, entry.id, r, purgeProps))) throw imageNotFound();
    });
    return this.#view(entry.id);
  }

  /** §5.6 step 8 with data: queued → saving, stream, verify, commit, available, then the metadata. */
  async #uploadQueued(caller: User, entry: ImageEntry, r: UpdateRequest, data: ImageData, purgeProps: boolean): Promise<ImageView> {
    const container = await this.#objects.containers.get(entry.object.account, entry.object.container);
    if (!container) throw imageNotFound();
    if (!(await startSaving(this.#db, entry.id))) throw cannotUpload();
    const expected = { size: r.size ?? entry.declaredSize ?? undefined, checksum: r.checksum ?? entry.declaredChecksum ?? undefined, sizeInRequest: r.size };
    const outcome = await this.#saveData(caller, entry.id, { container, name: entry.object.name }, data, expected, {
      onCommit: async (trx) => {
        const done = await finishSaving(trx, entry.id, { updated_at: nowMicros(), declared_size: null, declared_checksum: null });
        return done && this.#applyUpdate(trx, entry.id, { ...r, size: undefined, checksum: undefined }, false);
      },
      discard: async () => void (await backToQueued(this.#db, entry.id)),
    });
    if (outcome === 'empty') {
      // An empty body uploads nothing: back to queued, and the request is an ordinary update.
      await this.#db.transaction().execute(async (trx) => {
        await backToQueued(trx, entry.id);
        await this.#applyUpdate(trx, entry.id, { ...r, size: undefined }, purgeProps);
      });
    }
    return this.#view(entry.id);
  }

  /**
   * The saving part of §4.2 for an image in `saving`: streams the body into the image's object,
   * verifies it and commits a new version together with `onCommit` (which moves the status on).
   * 'empty' when the body held no data (nothing written). Refused or interrupted data keeps
   * nothing (`discard`, then the error); a storage failure leaves the image in `error`.
   */
  async #saveData(caller: User, id: string, target: { container: ContainerRecord; name: string }, data: ImageData,
    expected: { size?: number; checksum?: string; sizeInRequest?: number },
    on: { onCommit: (trx: Db) => Promise<boolean>; discard: () => Promise<void> }): Promise<'saved' | 'empty'> {
    try {
      await this.#objects.upload(data.body, target.container, target.name, DATA_ATTRIBUTES, {
        modifiedBy: caller.uuid,
        ...this.#sizeLimit(expected.size),
        verify: (written) => verifyData(written, expected),
        inCommit: async (trx, obj) => {
          // The commit landed on another object than the image's (the name was taken meanwhile): undo it.
          if (obj.uuid !== id) throw conflict(`Object '${target.container.name}/${target.name}' already exists`);
          if (!(await on.onCommit(trx))) throw new Error(`image ${id} left saving during its upload`);
        },
      });
      return 'saved';
    } catch (err) {
      if (err instanceof EmptyData) return 'empty';
      if (err instanceof ServiceError || err instanceof DataInterrupted) await on.discard();
      else await failSaving(this.#db, id);
      throw clientError(err);
    }
  }

  /**
   * The metadata part of an update, inside a transaction: record columns, properties (merged, or
   * replaced with `purge`), `*` for `is_public`, declared values on a queued image, `updated_at`.
   * False when the image is gone.
   */
  async #applyUpdate(trx: Db, id: string, r: UpdateRequest, purge: boolean): Promise<boolean> {
    await this.#queries.lockObject(trx, id);
    if (!(await updateRecord(trx, id, recordColumns(r.attributes), nowMicros()))) return false;
    // A declared size of 0 is never remembered (§4.2).
    await declareData(trx, id, { size: r.size || undefined, checksum: r.checksum });
    if (purge) await replaceProperties(trx, id, r.setProperties);
    else await mergeProperties(trx, id, r.setProperties, r.deleteProperties);
    if (r.attributes.isPublic !== undefined) {
      const obj = await this.#objects.getByUuid(id, trx);
      if (obj) await this.#objects.setGrants(obj.id, { read: withPublic(obj.readGrants, r.attributes.isPublic), write: obj.writeGrants }, trx);
    }
    return true;
  }

  // ---- E8: unregister ---------------------------------------------------------------------------

  async unregister(caller: User, id: string): Promise<void> {
    const entry = await readableImage(this.#queries, caller, id);
    if (!isOwner(caller.uuid, entry)) throw forbidden('Only the image owner may unregister the image');
    if (entry.protected) throw forbidden('Image is protected');
    if (entry.status === 'saving') throw imageBeingSaved();
    if (!(await removeImageRecord(this.#db, entry.id))) {
      // Lost a race: tell which one.
      if (await this.#queries.find(entry.id)) throw imageBeingSaved();
      throw imageNotFound();
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  async #view(id: string): Promise<ImageView> {
    const entry = await this.#queries.find(id);
    if (!entry) throw imageNotFound();
    return toImageView(entry);
  }

  /**
   * How much data an upload may bring: the declared size when there is one (more is a mismatch,
   * refused as soon as it shows), else the cap (413, §4.7).
   */
  #sizeLimit(declared: number | undefined): { maxBytes: number; onTooLarge: () => ServiceError } {
    const cap = this.#limits.sizeCap;
    if (declared !== undefined && declared <= cap) return { maxBytes: declared, onTooLarge: invalidSize };
    return { maxBytes: cap, onTooLarge: () => tooLarge(uploadTooLarge(cap)) };
  }
}

/**
 * §5.3 step 18 / §5.6 step 8: the data against the declared size and checksum. A body that ended
 * after 0 bytes is no data (EmptyData), unless this very request declared a size other than 0.
 */
function verifyData(written: WrittenData, expected: { size?: number; checksum?: string; sizeInRequest?: number }): void {
  if (written.size === 0 && !expected.sizeInRequest) throw new EmptyData();
  if (expected.size !== undefined && written.size !== expected.size) throw invalidSize();
  if (expected.checksum !== undefined && expected.checksum !== (isMd5(expected.checksum) ? written.md5 : written.objectHash)) {
    throw invalidChecksum();
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

/** A source failure is the client's doing: answer 400, not 500 (nobody may be listening anyway). */
function clientError(err: unknown): unknown {
  return err instanceof DataInterrupted ? badRequest('Bad request') : err;
}

/** Read grants with `*` present or absent, the rest in order. */
function withPublic(read: readonly string[], isPublic: boolean): string[] {
  const rest = read.filter((g) => g !== '*');
  return isPublic ? [...rest, '*'] : rest;
}

/** A POST's attributes with the defaults of §5.3 for what was not sent (a POST replaces them all). */
function newRecordColumns(a: ImageAttributes & { readonly name: string }) {
  return {
    name: a.name, disk_format: a.diskFormat ?? 'diskdump', container_format: a.containerFormat ?? 'bare',
    min_ram: a.minRam ?? 0, min_disk: a.minDisk ?? 0, protected: a.protected ? 1 : 0,
  };
}

/** The attributes an update sets (only those sent). */
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
