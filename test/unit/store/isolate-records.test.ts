import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRecordLevelError, writeIsolating } from '../../../src/store/isolate-records.ts';
import { aDeal } from '../../helpers/builders.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';

const now = new Date('2026-11-24T10:00:00Z');

describe('one row the database refuses', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore();
    await t.store.tenants.ensure('t1');
  });
  afterAll(async () => t?.drop());

  it('stores deals whose text holds U+0000 and lone surrogates, cleaned', async () => {
    const deal = aDeal({
      externalId: 'N1',
      name: 'Poison \u0000 deal',
      owner: { id: 'u\u00001', name: 'Ada \ud800' },
      nextStep: 'call\udc00',
    });
    const r = await t.store.deals.upsertMany('t1', [{ deal, raw: { dealname: 'Poison \u0000 deal', 'k\ud800': { v: '\u0000' } } }], now);
    expect(r).toMatchObject({ inserted: 1, rejected: [] });
    expect(await t.store.deals.get('t1', 'csv', 'N1')).toMatchObject({
      name: 'Poison  deal',
      owner: { id: 'u1', name: 'Ada \ufffd' },
      nextStep: 'call\ufffd',
    });
    const snap = await t.store.snapshots.insertMany('t1', [deal], now);
    expect(snap).toEqual({ inserted: 1, rejected: [] });
  });

  it('stores a deal whose id holds U+0000 or a lone surrogate under its cleaned id, and knows it the next time', async () => {
    // Found by the fuzz suite: the ids were cleaned for the insert but not for the look-up before it,
    // which Postgres refused (22021), failing the whole batch.
    const deal = aDeal({ externalId: 'I\u0000D\ud800' });
    expect(await t.store.deals.upsertMany('t1', [{ deal }, { deal: aDeal({ externalId: 'OK1' }) }], now)).toMatchObject({
      inserted: 2,
      rejected: [],
    });
    expect(await t.store.deals.upsertMany('t1', [{ deal }], now)).toMatchObject({ inserted: 0, unchanged: 1, rejected: [] });
    expect(await t.store.deals.get('t1', 'csv', 'ID\ufffd')).toMatchObject({ externalId: 'ID\ufffd' });
    await t.store.deals.markDeleted('t1', 'csv', ['ID\ufffd', 'OK1'], now);
  });

  it('records a run whose rejection reasons quote text with U+0000', async () => {
    const id = await t.store.syncRuns.start('t1', { connectionId: null, trigger: 'test', holder: null }, now);
    const quoted = { step: 'map', recordId: 'R\u00001', field: 'amount', reason: 'not a number: "1\u00002\ud800"' };
    await t.store.syncRuns.finish('t1', id, {
      status: 'partial',
      finishedAt: now,
      durationMs: 1,
      counts: { rejected: 1 },
      apiCalls: 0,
      errors: [{ message: 'x\u0000' }],
      rejected: [quoted],
      details: { cleaned: [{ field: 'k\u0000' }] },
    });
    const run = await t.store.syncRuns.get('t1', id);
    expect(run).toMatchObject({
      status: 'partial',
      errors: [{ message: 'x' }],
      rejected: [{ recordId: 'R1', reason: 'not a number: "12\ufffd"' }],
      details: { cleaned: [{ field: 'k' }] },
    });
  });

  it('isolates a refused deal by halving the batch, stores the rest and names it', async () => {
    await sql`alter table deals add constraint no_poison check (external_id <> 'POISON')`.execute(t.store.db);
    try {
      const deals = ['A', 'B', 'POISON', 'C', 'D', 'E', 'F'].map((id) => ({ deal: aDeal({ externalId: id }) }));
      const r = await t.store.deals.upsertMany('t1', deals, now);
      expect(r).toMatchObject({
        inserted: 6,
        updated: 0,
        rejected: [{ source: 'csv', externalId: 'POISON', field: null, reason: expect.stringContaining('no_poison') }],
      });
      expect(r.changedIds).not.toContain('POISON');
      expect((await t.store.deals.list('t1')).map((d) => d.externalId)).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'N1']);
    } finally {
      await sql`alter table deals drop constraint no_poison`.execute(t.store.db);
    }
  });

  it('stores a deal listed twice in one batch once, as its last entry', async () => {
    const r = await t.store.deals.upsertMany(
      't1',
      [{ deal: aDeal({ externalId: 'R', name: 'first' }) }, { deal: aDeal({ externalId: 'R', name: 'second' }) }],
      now,
    );
    expect(r).toMatchObject({ inserted: 1, rejected: [] });
    expect((await t.store.deals.get('t1', 'csv', 'R'))?.name).toBe('second');
  });

  it('throws a failure that is not about one row rather than rejecting every row', async () => {
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), {});
    let calls = 0;
    await expect(
      writeIsolating([1, 2, 3], async () => {
        calls++;
        throw lost;
      }),
    ).rejects.toBe(lost);
    expect(calls).toBe(1);
    // Every row refused: the fault is not in the rows, the run must not skip them all.
    const notNull = Object.assign(new Error('null value in column "data" violates not-null constraint'), { code: '23502' });
    await expect(
      writeIsolating([1, 2, 3], async () => {
        throw notNull;
      }),
    ).rejects.toBe(notNull);
    expect(isRecordLevelError(Object.assign(new Error('x'), { code: '57P01' }))).toBe(false);
    expect(isRecordLevelError(Object.assign(new Error('x'), { code: '22P05' }))).toBe(true);
    expect(isRecordLevelError(Object.assign(new Error('x'), { code: '54000' }))).toBe(true);
  });
});
