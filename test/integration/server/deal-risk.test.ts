import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currencyConverter } from '../../../src/core/currency/convert.ts';
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

  it('sorts and filters on amounts converted at the rate for each close date, as the converter converts them, deals without a rate last', async () => {
    const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
    const rates = {
      corporate: 'USD',
      kind: 'dated' as const,
      rates: [
        { code: 'EUR', toCorporate: 1.1, from: null, until: day('2026-07-01') },
        { code: 'EUR', toCorporate: 2, from: day('2026-07-01'), until: null },
        // Overlaps the one above from August: the later start wins, as in rateOn.
        { code: 'EUR', toCorporate: 3, from: day('2026-08-01'), until: null },
        { code: 'JPY', toCorporate: 0.007, from: day('2026-01-01'), until: day('2026-06-01') },
      ],
    };
    await t.store.tenants.ensure('fx');
    await t.store.currencyRates.save('fx', 'salesforce', rates, now);
    const deal = (externalId: string, amount: number | null, currency: string | null, close: string | null) =>
      aDeal({
        tenantId: 'fx',
        source: 'salesforce',
        externalId,
        amount,
        currency,
        expectedCloseDate: close ? day(close) : null,
      });
    const deals = [
      deal('usd', 10_000, 'USD', '2026-12-01'), // 10,000
      deal('eur-h1', 10_000, 'eur', '2026-03-01'), // 11,000
      deal('eur-h2', 10_000, 'EUR', '2026-07-15'), // 20,000
      deal('eur-aug', 5_000, 'EUR', '2026-09-01'), // 15,000: the August rate, not July's
      deal('none', 12_000, null, '2026-12-01'), // 12,000: no currency named is the corporate one
      deal('jpy-late', 1_000_000, 'JPY', '2026-12-01'), // no JPY rate after May: last
      deal('gbp', 1, 'GBP', '2026-12-01'), // no GBP rate at all: last
      deal('no-amount', null, 'EUR', '2026-12-01'),
    ];
    await t.store.deals.upsertMany(
      'fx',
      deals.map((d) => ({ deal: d })),
      now,
    );
    await insertScores(
      t.store,
      'fx',
      deals.map((d) => ({ ...score(d.externalId, 70, 'High', '2026-11-01T00:00:00Z'), source: 'salesforce' })),
    );
    const money = currencyConverter({ salesforce: rates }, deals, now);
    const converted = new Map(deals.map((d) => [d.externalId, money.convert(d)]));
    const value = (id: string) => {
      const c = converted.get(id);
      return c?.ok ? c.value : null;
    };
    const expected = deals.map((d) => d.externalId).sort((a, b) => (value(b) ?? -Infinity) - (value(a) ?? -Infinity) || a.localeCompare(b));
    const amountIn = { currency: 'USD', asOf: now };
    const desc = await t.store.dealRisk.list('fx', { sortBy: 'amount', order: 'desc', amountIn, limit: 20, offset: 0 });
    const nulls = desc.rows.slice(-3).map((r) => r.externalId);
    expect(desc.rows.slice(0, 5).map((r) => r.externalId)).toEqual(expected.slice(0, 5));
    expect(expected.slice(0, 5)).toEqual(['eur-h2', 'eur-aug', 'none', 'eur-h1', 'usd']);
    expect(nulls.sort()).toEqual(['gbp', 'jpy-late', 'no-amount']);
    // As the CRM gave them, the yen deal would lead.
    const raw = await t.store.dealRisk.list('fx', { sortBy: 'amount', order: 'desc', limit: 1, offset: 0 });
    expect(raw.rows[0]!.externalId).toBe('jpy-late');
    // Ascending, the deals without a rate still come last.
    const asc = await t.store.dealRisk.list('fx', { sortBy: 'amount', order: 'asc', amountIn, limit: 20, offset: 0 });
    expect(asc.rows.slice(0, 5).map((r) => r.externalId)).toEqual(expected.slice(0, 5).reverse());
    // Filters compare converted amounts, and a deal without a rate matches none.
    const band = await t.store.dealRisk.list('fx', { minAmount: 11_500, maxAmount: 16_000, amountIn, limit: 20, offset: 0 });
    expect(band.rows.map((r) => r.externalId).sort()).toEqual(['eur-aug', 'none']);
    expect(band.total).toBe(2);
    // The risk distribution sums the converted amounts, leaving out the deals without a rate.
    const high = (await t.store.dealRisk.distribution('fx', amountIn)).find((d) => d.category === 'High')!;
    expect(high.deals).toBe(8);
    expect(high.amount).toBeCloseTo(
      deals.reduce((a, d) => a + (value(d.externalId) ?? 0), 0),
      6,
    );
    expect(high.amount).toBeCloseTo(68_000, 6);
  });
});
