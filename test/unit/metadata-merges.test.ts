/**
 * Metadata merges below HTTP: the meta of objects, containers and accounts (`applyMetaChange`,
 * object-store.md §7.4), and image properties (`mergeProperties` / `replaceProperties` on a real
 * database, each dialect).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TooManyMetadataItems } from '../../src/domain/errors.ts';
import { MAX_META_ITEMS, applyMetaChange } from '../../src/domain/objects/containers.ts';
import { mergeProperties, replaceProperties } from '../../src/storage/metadata/image-repository.ts';
import { createImageRecord } from '../../src/domain/images/image-status.ts';
import type { Db } from '../../src/storage/metadata/database.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { openTestServices, type TestServices } from '../helpers/test-services.ts';

describe('meta merges (objects, containers, accounts)', () => {
  const current = Object.freeze({ a: '1', b: '2', c: '3' });

  it('merging sets and adds keys, keeps the others', () => {
    assert.deepEqual(applyMetaChange(current, { meta: { b: 'two', d: '4' }, replace: false }), {
      a: '1',
      b: 'two',
      c: '3',
      d: '4',
    });
  });

  it('merging an empty value deletes the key; deleting a missing key is no error', () => {
    assert.deepEqual(applyMetaChange(current, { meta: { a: '', zz: '' }, replace: false }), { b: '2', c: '3' });
  });

  it('replacing keeps only the keys sent, without the empty ones', () => {
    assert.deepEqual(applyMetaChange(current, { meta: { b: 'x', e: '' }, replace: true }), { b: 'x' });
    assert.deepEqual(applyMetaChange(current, { meta: {}, replace: true }), {});
  });

  it('an empty change merges to the same meta', () => {
    assert.deepEqual(applyMetaChange(current, { meta: {}, replace: false }), current);
  });

  it('never changes the current meta it is given', () => {
    const mine = { a: '1' };
    applyMetaChange(mine, { meta: { a: '', b: '2' }, replace: false });
    assert.deepEqual(mine, { a: '1' });
  });

  it(`at most ${MAX_META_ITEMS} items after the change, counted after deletions`, () => {
    const full = Object.fromEntries(Array.from({ length: MAX_META_ITEMS }, (_, i) => [`k${i}`, 'v']));
    assert.equal(Object.keys(applyMetaChange({}, { meta: full, replace: false })).length, MAX_META_ITEMS);
    assert.throws(
      () => applyMetaChange(full, { meta: { one: 'more' }, replace: false }),
      (err) => err instanceof TooManyMetadataItems && err.limit === MAX_META_ITEMS,
    );
    // One out, one in: still 32.
    assert.equal(
      Object.keys(applyMetaChange(full, { meta: { k0: '', one: 'more' }, replace: false })).length,
      MAX_META_ITEMS,
    );
    // Replacing a full set with a small one is fine.
    assert.deepEqual(applyMetaChange(full, { meta: { x: 'y' }, replace: true }), { x: 'y' });
  });
});

for (const dialect of DIALECTS) {
  describe(`image property merges [${dialect}]`, () => {
    let t: TestServices;
    let db: Db;

    before(async () => {
      t = await openTestServices(dialect);
      db = t.services.metadata.db;
    });
    after(() => t.close());

    async function imageWith(properties: Record<string, string>): Promise<string> {
      const record = await t.newImageRecord();
      await db.transaction().execute((trx) => createImageRecord(trx, 'registered', record));
      await db.transaction().execute((trx) => replaceProperties(trx, record.id, properties));
      return record.id;
    }
    const propertiesOf = async (id: string): Promise<Record<string, string>> =>
      Object.fromEntries(
        (await db.selectFrom('image_properties').select(['key', 'value']).where('image_id', '=', id).execute()).map(
          (r) => [r.key, r.value],
        ),
      );

    it('replace: the properties become exactly the ones given', async () => {
      const id = await imageWith({ os: 'debian', arch: 'x86_64' });
      assert.deepEqual(await propertiesOf(id), { os: 'debian', arch: 'x86_64' });
      await db.transaction().execute((trx) => replaceProperties(trx, id, { os: 'ubuntu', users: 'root' }));
      assert.deepEqual(await propertiesOf(id), { os: 'ubuntu', users: 'root' });
      await db.transaction().execute((trx) => replaceProperties(trx, id, {}));
      assert.deepEqual(await propertiesOf(id), {});
    });

    it('merge: sets some, removes some, keeps the rest', async () => {
      const id = await imageWith({ os: 'debian', arch: 'x86_64', users: 'root' });
      await db.transaction().execute((trx) => mergeProperties(trx, id, { os: 'ubuntu', kernel: '6.1' }, ['users']));
      assert.deepEqual(await propertiesOf(id), { os: 'ubuntu', arch: 'x86_64', kernel: '6.1' });
    });

    it('merge: removing a missing property is no error; set and remove of one key: the set wins', async () => {
      const id = await imageWith({ os: 'debian' });
      await db.transaction().execute((trx) => mergeProperties(trx, id, { os: 'arch' }, ['os', 'nothing']));
      assert.deepEqual(await propertiesOf(id), { os: 'arch' });
    });

    it('merge with nothing to do changes nothing', async () => {
      const id = await imageWith({ os: 'debian' });
      await db.transaction().execute((trx) => mergeProperties(trx, id, {}, []));
      assert.deepEqual(await propertiesOf(id), { os: 'debian' });
    });

    it('keys are exact: case and odd characters kept, one image never touches another', async () => {
      const id = await imageWith({ OS: 'upper', os: 'lower', 'ü key': 'ü value' });
      const other = await imageWith({ os: 'other' });
      await db.transaction().execute((trx) => mergeProperties(trx, id, { os: 'changed' }, ['ü key']));
      assert.deepEqual(await propertiesOf(id), { OS: 'upper', os: 'changed' });
      await db.transaction().execute((trx) => replaceProperties(trx, id, {}));
      assert.deepEqual(await propertiesOf(other), { os: 'other' });
    });
  });
}
