/**
 * The image status machine (image-api.md §4.2) — the only code that writes `images.status`:
 *
 *   POST with location ─────────────► available
 *   POST with body ──► saving ──ok──► available
 *   POST, no body ───► queued ──PUT with body──► saving
 *   saving ──empty body, mismatch, abort──► queued      saving ──storage failure──► error
 *   any but saving ──POST same location──► available     any but saving ──DELETE──► (gone)
 *
 * Every transition is a compare-and-set in SQL (`… where status = <from>`), so of two concurrent
 * uploads to one reservation exactly one gets `queued → saving`; the caller learns whether it won.
 */
import type { Insertable } from 'kysely';
import type { Db } from '../../storage/metadata/database.ts';
import type { ImagesTable } from '../../storage/metadata/schema.ts';
import type { ImageStatus } from './image-model.ts';

/** A new record's columns, status excepted: the status comes from how the image starts. */
export type NewImageRecord = Omit<Insertable<ImagesTable>, 'status'>;

/** Record columns a transition may change along with the status (never the status itself). */
export type RecordChanges = Partial<Omit<ImagesTable, 'id' | 'status'>>;

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
  reRegister: { from: ['queued', 'available', 'error'], to: 'available' },
} as const satisfies Record<string, { readonly from: readonly ImageStatus[]; readonly to: ImageStatus }>;

export type Transition = keyof typeof TRANSITIONS;

/** The status `transition` leads to from `status`; undefined when it is not allowed from there. */
export function nextStatus(status: ImageStatus, transition: Transition): ImageStatus | undefined {
  const t = TRANSITIONS[transition];
  return (t.from as readonly ImageStatus[]).includes(status) ? t.to : undefined;
}

/** An image being saved cannot be unregistered; any other can. */
const UNREMOVABLE: ImageStatus = 'saving';
export const canRemove = (status: ImageStatus): boolean => status !== UNREMOVABLE;

export async function createImageRecord(db: Db, start: keyof typeof INITIAL, record: NewImageRecord): Promise<void> {
  await db.insertInto('images').values({ ...record, status: INITIAL[start] }).execute();
}

/** Applies `name` if the status is one it may start from; true when this caller made the change. */
async function transition(db: Db, id: string, name: Transition, changes: RecordChanges = {}): Promise<boolean> {
  const { from, to } = TRANSITIONS[name];
  const r = await db.updateTable('images').set({ ...changes, status: to })
    .where('id', '=', id).where('status', 'in', [...from]).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** queued → saving: the one way an upload may start; false when another upload won or it is not queued. */
export const startSaving = (db: Db, id: string) => transition(db, id, 'startSaving');

/** saving → available, once the data is committed (call inside the commit transaction). */
export const finishSaving = (db: Db, id: string, changes: RecordChanges) => transition(db, id, 'finishSaving', changes);

/** saving → queued: the data was refused, cut off or empty; nothing of it was kept. */
export const backToQueued = (db: Db, id: string) => transition(db, id, 'backToQueued');

/** saving → error: the storage failed under an upload. */
export const failSaving = (db: Db, id: string) => transition(db, id, 'failSaving');

/**
 * POST with a location: a new record starts available; an existing one in any status but saving
 * becomes available with fresh metadata (re-registration). False when it is being saved.
 */
export async function registerLocation(db: Db, record: NewImageRecord): Promise<boolean> {
  const exists = await db.selectFrom('images').select('id').where('id', '=', record.id).executeTakeFirst();
  if (!exists) {
    await createImageRecord(db, 'registered', record);
    return true;
  }
  const { id, ...changes } = record;
  return transition(db, id, 'reRegister', changes);
}

/** Unregistering removes the record, except while data is being saved; true when removed. */
export async function removeImageRecord(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('images').where('id', '=', id).where('status', '!=', UNREMOVABLE).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}
