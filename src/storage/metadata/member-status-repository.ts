/**
 * Image API v2 member statuses in SQL (`image_member_status`): one row per image and member once
 * v2 touched that member; a grant without a row counts as accepted (the domain's rule,
 * domain/images/image-members.ts). Writes take the caller's transaction, so a status changes
 * together with the grants it belongs to.
 */
import type { Selectable } from 'kysely';
import type { Db, Trx } from './database.ts';
import type { ImageMemberStatusTable } from './schema.ts';

/** One member status as read back. */
export type MemberStatusRow = Selectable<ImageMemberStatusTable>;

export class MemberStatusRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Every status row of an image. */
  async of(imageId: string, db: Db = this.#db): Promise<MemberStatusRow[]> {
    return db.selectFrom('image_member_status').selectAll().where('image_id', '=', imageId).execute();
  }

  /** Sets one member's status row (replacing any), inside the caller's transaction. */
  async put(trx: Trx, row: MemberStatusRow): Promise<void> {
    await trx
      .deleteFrom('image_member_status')
      .where('image_id', '=', row.image_id)
      .where('member', '=', row.member)
      .execute();
    await trx.insertInto('image_member_status').values(row).execute();
  }

  /** Drops the status rows of the given members of an image, inside the caller's transaction. */
  async forget(trx: Trx, imageId: string, members: readonly string[]): Promise<void> {
    if (!members.length) return;
    await trx
      .deleteFrom('image_member_status')
      .where('image_id', '=', imageId)
      .where('member', 'in', members)
      .execute();
  }
}
