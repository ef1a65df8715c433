import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aDeal } from '../../helpers/builders.ts';
import { insertScores } from '../../helpers/scores.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';

const now = new Date('2026-11-24T10:00:00Z');
const score = (externalId: string, score: number, category: string, at: string) => ({
  source: 'csv',
  externalId,
  modelId: null,
  scoredAt: new Date(at),
  score,
  category,
  winProbability: 1 - score / 100,
  modelStatus: 'ok',
  inputHash: 'h',
  detail: { drivers: [] },
});

describe('deal_risk (current risk per deal, kept by triggers)', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore();
    await t.store.tenants.ensure('t1');
    await t.store.tenants.ensure('t2');
  });
  afterAll(async () => t.drop());

  it('keeps the latest score of each open deal and follows the deal when it closes or changes owner', async () => {
    const a = aDeal({ tenantId: 't1', externalId: 'A', amount: 5000, owner: { id: 'o1', name: 'Ada' } });
    const b = aDeal({ tenantId: 't1', externalId: 'B', amount: 9000 });
    await t.store.deals.upsertMany('t1', [{ deal: a }, { deal: b }], now);
    await insertScores(t.store, 't1', [
      score('A', 80, 'Critical', '2026-11-01T00:00:00Z'),
      score('B', 30, 'Medium', '2026-11-01T00:00:00Z'),
    ]);
    // An older score arriving late does not replace the newer one.
    await insertScores(t.store, 't1', [score('A', 60, 'High', '2026-11-02T00:00:00Z'), score('A', 10, 'Low', '2026-10-01T00:00:00Z')]);
    let list = await t.store.dealRisk.list('t1', { limit: 10, offset: 0 });
    expect(list.rows.map((r) => [r.externalId, r.score, r.ownerName])).toEqual([
      ['A', 60, 'Ada'],
      ['B', 30, 'Ada'],
    ]);

    await t.store.deals.upsertMany('t1', [{ deal: { ...a, owner: { id: 'o2', name: 'Grace' } } }], now);
    expect((await t.store.dealRisk.get('t1', 'csv', 'A'))?.ownerName).toBe('Grace');

    await t.store.deals.upsertMany('t1', [{ deal: { ...b, stage: { label: 'Closed Won', status: 'won', order: 9 } } }], now);
    await t.store.deals.markDeleted('t1', 'csv', ['A'], now);
    list = await t.store.dealRisk.list('t1', { limit: 10, offset: 0 });
    expect(list).toEqual({ total: 0, totalExact: true, rows: [] });
    expect(await t.store.dealRisk.list('t2', { limit: 10, offset: 0 })).toEqual({ total: 0, totalExact: true, rows: [] });
  });
});
