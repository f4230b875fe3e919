import { sql } from 'kysely';
import type { Migration } from './migration-kit.ts';

/** What the lease of an image left `saving`/`importing` before this migration starts at (µs). */
const FIRST_LEASE_MICROS = 10 * 60 * 1_000_000;

/**
 * The upload lease (`images.lease_until`, µs): set when an image enters `saving` or `importing`,
 * renewed by the process running the upload, cleared when it leaves. An expired lease means the
 * process died, and the image may be moved back (domain/images/upload-leases.ts). Images already
 * in those statuses (uploads killed before this version) get a lease from now: if no process
 * renews it, they are moved back once it runs out, and an upload still running under an older
 * version on another node meanwhile (a rolling upgrade) has ten minutes to finish.
 */
export const uploadLeases: Migration = {
  async up(db) {
    await db.schema.alterTable('images').addColumn('lease_until', 'bigint').execute();
    // Only images being saved have a lease: the index stays as small as the uploads in flight.
    await sql`create index images_lease_until on images (lease_until) where lease_until is not null`.execute(db);
    const until = Date.now() * 1000 + FIRST_LEASE_MICROS;
    await sql`update images set lease_until = ${until} where status in ('saving', 'importing')`.execute(db);
  },
};
