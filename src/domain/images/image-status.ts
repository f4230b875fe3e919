/**
 * The image status machine (image-api.md §4.2) — the only code that changes `images.status`:
 *
 *   register (existing object) ───────► available
 *   create with data ──► saving ──ok──► available
 *   reserve ──► queued ──upload──► saving
 *   saving ──empty body, mismatch, abort──► queued      saving ──storage failure──► error
 *   any but saving ──register same object──► available   any but saving ──unregister──► (gone)
 *
 * Image API v2's interoperable import (openstack.md §5.2):
 *
 *   queued ──stage──► uploading ──import──► importing ──ok──► available
 *   queued ──web-download──► importing      uploading/importing ──failure──► queued
 *
 * Every transition is a named compare-and-set in the repository (`… where status in <from>`), so
 * of two concurrent uploads to one reservation exactly one gets `queued → saving`; the caller
 * learns whether it won.
 *
 * `saving` and `importing` are held by the process running the upload: they are entered with an
 * upload lease (`leaseUntil`, µs; upload-leases.ts renews it) and every transition out clears it.
 * Given `leaseExpiredBefore`, the way back (`backToQueued`, `failImport`) applies only if the lease
 * ran out: that is how another process takes back the image of an upload whose process died.
 */
import type { Transaction } from 'kysely';
import type { Db } from '../../storage/metadata/database.ts';
import {
  compareAndSetStatus,
  deleteImageRecordUnless,
  imageRecordExists,
  insertImageRecord,
  type NewImageRecord,
  type RecordChanges,
} from '../../storage/metadata/image-repository.ts';
import type { Database } from '../../storage/metadata/schema.ts';
import type { ImageStatus } from './image-model.ts';

export type { NewImageRecord, RecordChanges };

/** How an image comes into being, and the status it starts in. */
export const INITIAL: Readonly<Record<'registered' | 'uploading' | 'reserved', ImageStatus>> = {
  registered: 'available',
  uploading: 'saving',
  reserved: 'queued',
};

/** Every change of status of an existing image: the statuses it may start from, the one it sets. */
export const TRANSITIONS = {
  /** An upload into a reservation starts. */
  startSaving: { from: ['queued'], to: 'saving' },
  /** The data is committed. */
  finishSaving: { from: ['saving'], to: 'available' },
  /** The data was refused, cut off or empty; nothing of it was kept. */
  backToQueued: { from: ['saving'], to: 'queued' },
  /** The storage failed under an upload. */
  failSaving: { from: ['saving'], to: 'error' },
  /** POST with the location of an existing image: re-registration with fresh metadata. */
  reRegister: { from: ['queued', 'available', 'error', 'deactivated'], to: 'available' },
  /** Data is being staged, or is staged, for an import (openstack.md §4.9). */
  startStaging: { from: ['queued'], to: 'uploading' },
  /** The staging failed, or was empty: nothing is staged. */
  unstage: { from: ['uploading'], to: 'queued' },
  /** An import starts: from staged data (glance-direct) or from a URL (web-download). */
  startImport: { from: ['uploading', 'queued'], to: 'importing' },
  /** The imported data is committed. */
  finishImport: { from: ['importing'], to: 'available' },
  /** The import failed; nothing of it was kept. */
  failImport: { from: ['importing'], to: 'queued' },
  /** Image API v2: the data is withheld from non-admins… */
  deactivate: { from: ['available'], to: 'deactivated' },
  /** …and served again. */
  reactivate: { from: ['deactivated'], to: 'available' },
} as const satisfies Record<string, { readonly from: readonly ImageStatus[]; readonly to: ImageStatus }>;

export type Transition = keyof typeof TRANSITIONS;

/** The status `transition` leads to from `status`; undefined when it is not allowed from there. */
export function nextStatus(status: ImageStatus, transition: Transition): ImageStatus | undefined {
  const t = TRANSITIONS[transition];
  return (t.from as readonly ImageStatus[]).includes(status) ? t.to : undefined;
}

/** An image being saved or imported cannot be unregistered; any other can. */
const UNREMOVABLE: readonly ImageStatus[] = ['saving', 'importing'];
export const canRemove = (status: ImageStatus): boolean => !UNREMOVABLE.includes(status);

/** Statuses a running upload holds under a lease. */
const LEASED: readonly ImageStatus[] = ['saving', 'importing'];

/** A new record in its starting status; one that starts `saving` needs its upload's lease. */
export async function createImageRecord(
  trx: Transaction<Database>,
  start: keyof typeof INITIAL,
  record: NewImageRecord,
  leaseUntil?: number,
): Promise<void> {
  const status = INITIAL[start];
  if (LEASED.includes(status) !== (leaseUntil !== undefined))
    throw new Error(`an image starting ${status} needs ${leaseUntil === undefined ? 'a' : 'no'} lease`);
  await insertImageRecord(trx, { ...record, lease_until: leaseUntil ?? null }, status);
}

/**
 * Applies `name` if the status is one it may start from (and, given `leaseExpiredBefore`, the
 * lease ran out); true when this caller made the change. Leaving a leased status drops the lease.
 */
function transition(
  db: Db,
  id: string,
  name: Transition,
  changes: RecordChanges = {},
  leaseExpiredBefore?: number,
): Promise<boolean> {
  const { from, to } = TRANSITIONS[name];
  const lease = LEASED.includes(to) ? {} : { lease_until: null };
  return compareAndSetStatus(db, id, from, to, { ...changes, ...lease }, leaseExpiredBefore);
}

/** queued → saving: the one way an upload may start; false when another upload won or it is not queued. */
export const startSaving = (db: Db, id: string, leaseUntil: number) =>
  transition(db, id, 'startSaving', { lease_until: leaseUntil });

/** saving → available, once the data is committed (call inside the commit transaction). */
export const finishSaving = (trx: Transaction<Database>, id: string, changes: RecordChanges) =>
  transition(trx, id, 'finishSaving', changes);

/**
 * saving → queued: the data was refused, cut off or empty; nothing of it was kept. Given
 * `leaseExpiredBefore`: only if the upload's lease ran out (its process is gone).
 */
export const backToQueued = (db: Db, id: string, leaseExpiredBefore?: number) =>
  transition(db, id, 'backToQueued', {}, leaseExpiredBefore);

/** saving → error: the storage failed under an upload. */
export const failSaving = (db: Db, id: string) => transition(db, id, 'failSaving');

/**
 * Registration: a new record starts available; an existing one in any status but saving becomes
 * available with fresh metadata (re-registration). False when it is being saved.
 */
export async function registerLocation(trx: Transaction<Database>, record: NewImageRecord): Promise<boolean> {
  if (!(await imageRecordExists(trx, record.id))) {
    await createImageRecord(trx, 'registered', record);
    return true;
  }
  const { id, ...changes } = record;
  return transition(trx, id, 'reRegister', changes);
}

/** Unregistering removes the record, except while data is being saved; true when removed. */
export const removeImageRecord = (db: Db, id: string) => deleteImageRecordUnless(db, id, UNREMOVABLE);

/** queued → uploading: a stage may start; false when it is not queued (or another stage won). */
export const startStaging = (db: Db, id: string) => transition(db, id, 'startStaging');

/** uploading → queued: the stage failed or brought nothing. */
export const unstage = (db: Db, id: string) => transition(db, id, 'unstage');

/** `from` (uploading for glance-direct, queued for web-download) → importing, under the import's lease. */
export const startImport = (db: Db, id: string, from: readonly ('uploading' | 'queued')[], leaseUntil: number) =>
  compareAndSetStatus(db, id, from, TRANSITIONS.startImport.to, { lease_until: leaseUntil });

/** importing → available, once the imported data is committed (inside the commit transaction). */
export const finishImport = (trx: Transaction<Database>, id: string, changes: RecordChanges) =>
  transition(trx, id, 'finishImport', changes);

/** importing → queued: the import failed (given `leaseExpiredBefore`: its process is gone). */
export const failImport = (db: Db, id: string, leaseExpiredBefore?: number) =>
  transition(db, id, 'failImport', {}, leaseExpiredBefore);

/** available → deactivated (Image API v2 action). */
export const deactivate = (db: Db, id: string) => transition(db, id, 'deactivate');

/** deactivated → available. */
export const activate = (db: Db, id: string) => transition(db, id, 'reactivate');
