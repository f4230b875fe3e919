/**
 * Writes to an image record other than its status (which only image-status.ts changes): the
 * metadata columns and the properties. Every function takes the transaction it runs in.
 */
import type { Db } from '../../storage/metadata/database.ts';
import type { RecordChanges } from './image-status.ts';

/** Sets record columns and `updated_at`; false when the image is gone. */
export async function updateRecord(db: Db, id: string, changes: RecordChanges, now: number): Promise<boolean> {
  const r = await db.updateTable('images').set({ ...changes, updated_at: now }).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Declared size/checksum belong to a reservation: set only while the image is queued. */
export async function declareData(db: Db, id: string, declared: { size?: number; checksum?: string }): Promise<void> {
  const set: RecordChanges = {
    ...(declared.size !== undefined ? { declared_size: declared.size } : {}),
    ...(declared.checksum !== undefined ? { declared_checksum: declared.checksum } : {}),
  };
  if (Object.keys(set).length) await db.updateTable('images').set(set).where('id', '=', id).where('status', '=', 'queued').execute();
}

/** The properties become exactly `properties`. */
export async function replaceProperties(db: Db, id: string, properties: Readonly<Record<string, string>>): Promise<void> {
  await db.deleteFrom('image_properties').where('image_id', '=', id).execute();
  await insertProperties(db, id, properties);
}

/** Sets some properties and deletes others, keeping the rest. */
export async function mergeProperties(db: Db, id: string, set: Readonly<Record<string, string>>, remove: readonly string[]): Promise<void> {
  const drop = [...remove, ...Object.keys(set)];
  if (drop.length) await db.deleteFrom('image_properties').where('image_id', '=', id).where('key', 'in', drop).execute();
  await insertProperties(db, id, set);
}

async function insertProperties(db: Db, id: string, properties: Readonly<Record<string, string>>): Promise<void> {
  const rows = Object.entries(properties).map(([key, value]) => ({ image_id: id, key, value }));
  if (rows.length) await db.insertInto('image_properties').values(rows).execute();
}
