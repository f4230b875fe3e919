/**
 * The image status machine below HTTP (image-api.md §4.2): the transition table itself, then the
 * compare-and-set functions on a real database (each dialect) against that table, for every
 * status × transition, and with concurrent callers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IMAGE_STATUSES, type ImageStatus } from '../../src/domain/images/image-model.ts';
import {
  INITIAL,
  TRANSITIONS,
  activate,
  backToQueued,
  deactivate,
  canRemove,
  createImageRecord,
  failSaving,
  finishSaving,
  nextStatus,
  registerLocation,
  removeImageRecord,
  startSaving,
  startStaging,
  unstage,
  startImport,
  finishImport,
  failImport,
  type NewImageRecord,
  type Transition,
} from '../../src/domain/images/image-status.ts';
import { expiredLeases, renewLeases } from '../../src/storage/metadata/image-repository.ts';
import type { Db } from '../../src/storage/metadata/database.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { openTestServices, type TestServices } from '../helpers/test-services.ts';

/**
 * The diagram of image-api.md §4.2 plus the Image API v2 actions (openstack.md §5.2), transition by
 * transition: from → to; absent: refused.
 */
const SPEC: Record<Transition, Partial<Record<ImageStatus, ImageStatus>>> = {
  startSaving: { queued: 'saving' },
  finishSaving: { saving: 'available' },
  backToQueued: { saving: 'queued' },
  failSaving: { saving: 'error' },
  reRegister: { queued: 'available', available: 'available', error: 'available', deactivated: 'available' },
  deactivate: { available: 'deactivated' },
  reactivate: { deactivated: 'available' },
  startStaging: { queued: 'uploading' },
  unstage: { uploading: 'queued' },
  startImport: { uploading: 'importing', queued: 'importing' },
  finishImport: { importing: 'available' },
  failImport: { importing: 'queued' },
};

const TRANSITION_NAMES = Object.keys(TRANSITIONS) as Transition[];

describe('image status machine: the table', () => {
  it('covers exactly the transitions of the spec', () => {
    assert.deepEqual(TRANSITION_NAMES.sort(), Object.keys(SPEC).sort());
  });

  for (const t of TRANSITION_NAMES) {
    for (const from of IMAGE_STATUSES) {
      const expected = SPEC[t][from];
      it(`${t} from ${from} → ${expected ?? 'refused'}`, () => {
        assert.equal(nextStatus(from, t), expected);
      });
    }
  }

  it('how an image starts: registered available, uploading saving, reserved queued', () => {
    assert.deepEqual(INITIAL, { registered: 'available', uploading: 'saving', reserved: 'queued' });
  });

  it('only an image being saved or imported cannot be removed', () => {
    assert.deepEqual(
      IMAGE_STATUSES.filter((s) => !canRemove(s)),
      ['saving', 'importing'],
    );
  });

  it('nothing leads to saving but an upload into a queued image', () => {
    for (const t of TRANSITION_NAMES) {
      for (const from of IMAGE_STATUSES) {
        if (nextStatus(from, t) === 'saving') assert.deepEqual([t, from], ['startSaving', 'queued']);
      }
    }
  });
});

/** A lease time (µs) far ahead: the transitions into saving and importing take one. */
const LEASE = 9e15;

/** The function of image-status.ts that applies each transition (reRegister: POST same location). */
const APPLY: Record<Transition, (db: Db, id: string, record: NewImageRecord) => Promise<boolean>> = {
  startSaving: (db, id) => startSaving(db, id, LEASE),
  finishSaving: (db, id) => db.transaction().execute((trx) => finishSaving(trx, id, { updated_at: 2 })),
  backToQueued: (db, id) => backToQueued(db, id),
  failSaving: (db, id) => failSaving(db, id),
  reRegister: (db, _id, record) =>
    db.transaction().execute((trx) => registerLocation(trx, { ...record, name: 'renamed' })),
  deactivate: (db, id) => deactivate(db, id),
  reactivate: (db, id) => activate(db, id),
  startStaging: (db, id) => startStaging(db, id),
  unstage: (db, id) => unstage(db, id),
  startImport: (db, id) => startImport(db, id, ['uploading', 'queued'], LEASE),
  finishImport: (db, id) => db.transaction().execute((trx) => finishImport(trx, id, { updated_at: 2 })),
  failImport: (db, id) => failImport(db, id),
};

for (const dialect of DIALECTS) {
  describe(`image status machine: compare-and-set in SQL [${dialect}]`, () => {
    let t: TestServices;
    let db: Db;

    before(async () => {
      t = await openTestServices(dialect);
      db = t.services.metadata.db;
    });
    after(() => t.close());

    /** An image record (on a fresh object, which images reference) in the given status. */
    async function imageIn(status: ImageStatus): Promise<NewImageRecord> {
      const record = await t.newImageRecord();
      await db.transaction().execute((trx) => createImageRecord(trx, 'reserved', record));
      await db.updateTable('images').set({ status }).where('id', '=', record.id).execute();
      return record;
    }
    const statusOf = async (id: string) =>
      (await db.selectFrom('images').select('status').where('id', '=', id).executeTakeFirst())?.status;
    const leaseOf = async (id: string) => {
      const row = await db.selectFrom('images').select('lease_until').where('id', '=', id).executeTakeFirst();
      return row?.lease_until == null ? null : Number(row.lease_until);
    };

    for (const name of TRANSITION_NAMES) {
      for (const from of IMAGE_STATUSES) {
        const expected = nextStatus(from, name);
        it(`${name} from ${from}: ${expected ? `→ ${expected}` : 'refused, status kept'}`, async () => {
          const record = await imageIn(from);
          assert.equal(await APPLY[name](db, record.id, record), expected !== undefined);
          assert.equal(await statusOf(record.id), expected ?? from);
          // The upload lease goes with saving and importing: taken on the way in, dropped on the way out.
          if (expected === 'saving' || expected === 'importing') assert.equal(await leaseOf(record.id), LEASE);
          else if (expected !== undefined) assert.equal(await leaseOf(record.id), null);
        });
      }
    }

    for (const [start, status] of Object.entries(INITIAL)) {
      it(`a ${start} image starts ${status}`, async () => {
        const record = await t.newImageRecord();
        const leased = status === 'saving' ? LEASE : undefined;
        await db.transaction().execute((trx) => createImageRecord(trx, start as keyof typeof INITIAL, record, leased));
        assert.equal(await statusOf(record.id), status);
        assert.equal(await leaseOf(record.id), leased ?? null, 'a lease exactly when it starts saving');
      });
    }

    it('registering a location with no record creates it available', async () => {
      const record = await t.newImageRecord();
      assert.equal(await db.transaction().execute((trx) => registerLocation(trx, record)), true);
      assert.equal(await statusOf(record.id), 'available');
    });

    for (const status of IMAGE_STATUSES) {
      it(`removing an image that is ${status}: ${canRemove(status) ? 'removed' : 'refused'}`, async () => {
        const record = await imageIn(status);
        assert.equal(await removeImageRecord(db, record.id), canRemove(status));
        assert.equal(await statusOf(record.id), canRemove(status) ? undefined : status);
      });
    }

    it('of concurrent uploads into one reservation exactly one starts saving', async () => {
      const record = await imageIn('queued');
      const won = await Promise.all(Array.from({ length: 8 }, () => startSaving(db, record.id, LEASE)));
      assert.equal(won.filter(Boolean).length, 1);
      assert.equal(await statusOf(record.id), 'saving');
    });

    it('of a finish and a failure racing on one upload exactly one wins', async () => {
      const record = await imageIn('saving');
      const [finished, failed] = await Promise.all([
        db.transaction().execute((trx) => finishSaving(trx, record.id, { updated_at: 3 })),
        failSaving(db, record.id),
      ]);
      assert.equal(Number(finished) + Number(failed), 1);
      assert.equal(await statusOf(record.id), finished ? 'available' : 'error');
    });

    it('the way back after a lost process applies only once the lease ran out, and once', async () => {
      const record = await imageIn('queued');
      assert.equal(await startSaving(db, record.id, 5_000), true);
      assert.deepEqual(
        (await expiredLeases(db, 4_000, 10)).filter((r) => r.id === record.id),
        [],
        'not expired yet',
      );
      assert.equal(await backToQueued(db, record.id, 4_000), false, 'a live lease keeps the image');
      await renewLeases(db, [record.id], 8_000);
      assert.equal(await leaseOf(record.id), 8_000, 'renewed');
      assert.equal(await backToQueued(db, record.id, 6_000), false, 'the renewal counts');
      assert.deepEqual(
        (await expiredLeases(db, 9_000, 1000)).filter((r) => r.id === record.id),
        [{ id: record.id, status: 'saving' }],
      );
      const moved = await Promise.all([backToQueued(db, record.id, 9_000), backToQueued(db, record.id, 9_000)]);
      assert.deepEqual(moved.map(Number).sort(), [0, 1], 'two reclaimers: one moves it');
      assert.equal(await statusOf(record.id), 'queued');
      assert.equal(await leaseOf(record.id), null);
      await renewLeases(db, [record.id], 10_000);
      assert.equal(await leaseOf(record.id), null, 'a renewal never gives a lease back to an image that left saving');
    });

    it('an import whose lease ran out fails back to queued', async () => {
      const record = await imageIn('queued');
      assert.equal(await startImport(db, record.id, ['queued'], 5_000), true);
      assert.equal(await failImport(db, record.id, 4_000), false);
      assert.equal(await failImport(db, record.id, 6_000), true);
      assert.equal(await statusOf(record.id), 'queued');
      assert.equal(await leaseOf(record.id), null);
    });
  });
}
