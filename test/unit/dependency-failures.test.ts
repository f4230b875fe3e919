/**
 * Which storage errors are a dependency failing (503/507) and which stay what they are: the
 * classification behind guarded-block-store.ts and guarded-pool.ts (test/faults/ drives the real
 * failures end to end).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DependencyUnavailable } from '../../src/domain/errors.ts';
import { blockStoreProblem, GuardedBlockStore } from '../../src/storage/blocks/guarded-block-store.ts';
import { type BlockStore, immediateBatch } from '../../src/storage/blocks/block-store.ts';
import { databaseProblem } from '../../src/storage/metadata/guarded-pool.ts';

const errno = (code: string) => Object.assign(new Error(code), { code });

describe('blockStoreProblem', () => {
  it('tells full and read-only apart from the rest', () => {
    assert.equal(blockStoreProblem(errno('ENOSPC')), 'full');
    assert.equal(blockStoreProblem(errno('EDQUOT')), 'full');
    assert.equal(blockStoreProblem(errno('EROFS')), 'read-only');
    assert.equal(blockStoreProblem(errno('EIO')), 'unavailable');
    assert.equal(blockStoreProblem(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 507 } })), 'full');
    assert.equal(
      blockStoreProblem(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 500 } })),
      'unavailable',
    );
    assert.equal(blockStoreProblem(new TypeError('fetch failed')), 'unavailable');
  });
  it('leaves the hash check (a bug upstream) alone', () => {
    assert.equal(blockStoreProblem(new Error('not a block hash (64 lower-case hex characters): "x"')), undefined);
  });
});

describe('databaseProblem', () => {
  it('connection-level SQLSTATEs, socket errors and pg timeouts are the database failing', () => {
    for (const code of ['08006', '08001', '57P01', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET'])
      assert.equal(databaseProblem(errno(code)), 'unavailable', code);
    assert.equal(databaseProblem(new Error('Connection terminated unexpectedly')), 'unavailable');
    assert.equal(databaseProblem(new Error('timeout exceeded when trying to connect')), 'timeout');
    assert.equal(databaseProblem(new Error('Query read timeout')), 'timeout');
    assert.equal(databaseProblem(errno('53100')), 'full');
    assert.equal(databaseProblem(errno('25006')), 'read-only');
  });
  it("a statement's own errors stay as they are", () => {
    for (const code of ['23505', '40001', '42601', '22P02'])
      assert.equal(databaseProblem(errno(code)), undefined, code);
    assert.equal(databaseProblem(new Error('no such table')), undefined);
  });
});

describe('GuardedBlockStore', () => {
  const stalled: BlockStore = {
    label: 'stalled',
    put: () => new Promise(() => undefined),
    openBatch: () => immediateBatch(() => new Promise(() => undefined)),
    get: () => Promise.reject(errno('EROFS')),
    readInto: () => Promise.reject(errno('EROFS')),
    has: async () => true,
    missing: async () => [],
    delete: async () => undefined,
    deleteMany: async () => undefined,
    list: async function* () {},
    sweep: async () => 0,
    healthy: async () => false,
    close: async () => undefined,
  };
  it('a call past its deadline fails as a timeout; driver errors become DependencyUnavailable', async () => {
    const store = new GuardedBlockStore(stalled, 50);
    await assert.rejects(store.put('a'.repeat(64), Buffer.from('x')), (err: unknown) => {
      assert.ok(err instanceof DependencyUnavailable);
      assert.equal(err.dependency, 'blocks');
      assert.equal(err.problem, 'timeout');
      return true;
    });
    await assert.rejects(
      store.get('a'.repeat(64)),
      (err: unknown) => err instanceof DependencyUnavailable && err.problem === 'read-only',
    );
    assert.equal(await store.has('a'.repeat(64)), true);
  });
});
