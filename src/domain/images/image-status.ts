/**
 * The image status machine (image-api.md §4.2) — the only code that changes `images.status`:
 *
 *   register (existing object) ───────► available
 *   create with data ──► saving ──ok──► available
 *   reserve ──► queued ──upload──► saving
 *   saving ──empty body, mismatch, abort──► queued      saving ──storage failure──► error
 *   any but saving ──register same object──► available   any but saving ──unregister──► (gone)
 *
 * Every transition is a named compare-and-set in the repository (`… where status in <from>`), so
 * of two concurrent uploads to one reservation exactly one gets `queued → saving`; the caller
 * learns whether it won.
 */
import type { Transaction } from 'kysely';
import type { Db } from '../../storage/metadata/database.ts';
import {
  compareAndSetStatus, deleteImageRecordUnless, imageRecordExists, insertImageRecord, type NewImageRecord, type RecordChanges,
} from '../../storage/metadata/image-repository.ts';
import type { Database } from '../../storage/metadata/schema.ts';
import type { ImageStatus } from './image-model.ts';

export type { NewImageRecord, RecordChanges };

/** How an image comes into being, and the status it starts in. */
const INITIAL: Record<'registered' | 'uploading' | 'reserved', ImageStatus> = {
  registered: 'available',
  uploading: 'saving',
  reserved: 'queued',
};

export async function createImageRecord(trx: Transaction<Database>, start: keyof typeof INITIAL, record: NewImageRecord): Promise<void> {
  await insertImageRecord(trx, record, INITIAL[start]);
}

/** queued → saving: the one way an upload may start; false when another upload won or it is not queued. */
export const startSaving = (db: Db, id: string) => compareAndSetStatus(db, id, ['queued'], 'saving');

/** saving → available, once the data is committed (call inside the commit transaction). */
export const finishSaving = (trx: Transaction<Database>, id: string, changes: RecordChanges) => compareAndSetStatus(trx, id, ['saving'], 'available', changes);

/** saving → queued: the data was refused, cut off or empty; nothing of it was kept. */
export const backToQueued = (db: Db, id: string) => compareAndSetStatus(db, id, ['saving'], 'queued');

/** saving → error: the storage failed under an upload. */
export const failSaving = (db: Db, id: string) => compareAndSetStatus(db, id, ['saving'], 'error');

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
  return compareAndSetStatus(trx, id, ['queued', 'available', 'error', 'deactivated'], 'available', changes);
}

/** Unregistering removes the record, except while data is being saved; true when removed. */
export const removeImageRecord = (db: Db, id: string) => deleteImageRecordUnless(db, id, 'saving');

/** available → deactivated (Image API v2 action). */
export const deactivate = (db: Db, id: string) => compareAndSetStatus(db, id, ['available'], 'deactivated');

/** deactivated → available. */
export const activate = (db: Db, id: string) => compareAndSetStatus(db, id, ['deactivated'], 'available');
