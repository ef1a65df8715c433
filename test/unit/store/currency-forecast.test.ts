import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deal } from '../../../src/core/deal.ts';
import { quarterOf } from '../../../src/core/forecast/quarters.ts';
import { trackRecord } from '../../../src/core/forecast/track-record.ts';
import { scoreRow } from '../../../src/store/repos/scores.ts';
import { aDeal } from '../../helpers/builders.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';

const day = (iso: string): Date => new Date(`${iso}T00:00:00Z`);

describe('stored exchange rates', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore();
    for (const id of ['t1', 't2']) await t.store.tenants.ensure(id);
  });
  afterAll(async () => t?.drop());

  it('keeps the last good rates when a later read fails, and says why', async () => {
    const rates = {
      corporate: 'USD',
      kind: 'dated' as const,
      rates: [{ code: 'EUR', toCorporate: 1.1, from: day('2026-01-01'), until: null }],
    };
    await t.store.currencyRates.save('t1', 'salesforce', rates, day('2026-02-01'));
    await t.store.currencyRates.saveError('t1', 'salesforce', 'INSUFFICIENT_ACCESS', day('2026-02-02'));
    expect(await t.store.currencyRates.get('t1', 'salesforce')).toEqual({
      source: 'salesforce',
      rates,
      fetchedAt: day('2026-02-01'),
      error: 'INSUFFICIENT_ACCESS',
      errorAt: day('2026-02-02'),
    });
    expect(await t.store.currencyRates.bySource('t2')).toEqual({});
    await t.store.currencyRates.saveError('t2', 'hubspot', 'MISSING_SCOPES', day('2026-02-02'));
    expect(await t.store.currencyRates.bySource('t2')).toEqual({});
    await t.store.currencyRates.save('t1', 'salesforce', { ...rates, kind: 'single' }, day('2026-02-03'));
    expect(await t.store.currencyRates.get('t1', 'salesforce')).toMatchObject({ rates: { kind: 'single' }, error: null });
  });

  it("lists the currencies of one tenant's deals of one source, and each listed deal's money facts", async () => {
    const deals = [
      aDeal({ tenantId: 't1', source: 'hubspot', externalId: 'a', currency: 'eur', expectedCloseDate: day('2026-03-01') }),
      aDeal({ tenantId: 't1', source: 'hubspot', externalId: 'b', currency: 'USD' }),
      aDeal({ tenantId: 't1', source: 'hubspot', externalId: 'c', currency: null }),
      aDeal({ tenantId: 't1', source: 'salesforce', externalId: 'd', currency: 'JPY' }),
    ];
    await t.store.deals.upsertMany(
      't1',
      deals.map((deal) => ({ deal })),
      day('2026-02-01'),
    );
    await t.store.deals.upsertMany(
      't2',
      [{ deal: { ...deals[3]!, tenantId: 't2', source: 'hubspot', currency: 'GBP' } }],
      day('2026-02-01'),
    );
    expect(await t.store.currencyRates.dealCurrencies('t1', 'hubspot')).toEqual(['EUR', 'USD']);
    const m = await t.store.currencyRates.dealMoney('t1', [
      { source: 'hubspot', externalId: 'a' },
      { source: 'hubspot', externalId: 'd' },
    ]);
    expect([...m]).toEqual([['hubspot:a', { currency: 'eur', expectedCloseDate: day('2026-03-01'), closedAt: null }]]);
  });
});

describe('a quarter as the reps called it', () => {
  let t: TestStore;
  const q = quarterOf(day('2026-08-15'));
  const open = (d: Deal, fc: string, close: string): Deal => ({
    ...d,
    stage: { label: 'Negotiation', status: 'open', order: 3 },
    closedAt: null,
    forecastCategory: fc,
    expectedCloseDate: day(close),
  });
  beforeAll(async () => {
    t = await createTestStore();
    await t.store.tenants.ensure('t1');
    await t.store.tenants.ensure('t2');
    const base = { tenantId: 't1', source: 'salesforce' as const, createdAt: day('2026-05-01') };
    const won = aDeal({ ...base, externalId: 'WON', stage: { status: 'won' }, closedAt: day('2026-09-10'), forecastCategory: 'Closed' });
    const slipped = aDeal({ ...base, externalId: 'SLIP', expectedCloseDate: day('2026-11-15'), forecastCategory: 'Commit' });
    const early = aDeal({ ...base, externalId: 'EARLY', stage: { status: 'won' }, closedAt: day('2026-06-20') });
    const unseen = aDeal({ ...base, externalId: 'UNSEEN', stage: { status: 'lost' }, closedAt: day('2026-08-01') });
    await t.store.deals.upsertMany(
      't1',
      [won, slipped, early, unseen].map((deal) => ({ deal })),
      day('2026-10-02'),
    );
    await t.store.deals.upsertMany('t2', [{ deal: { ...won, tenantId: 't2' } }], day('2026-10-02'));
    // WON: Pipeline in July, Commit in August, closed in September; SLIP: Commit for Q3 all along, pushed after the quarter.
    await t.store.snapshots.insertMany(
      't1',
      [open(won, 'Pipeline', '2026-09-30'), open(slipped, 'Commit', '2026-09-30')],
      day('2026-07-02'),
    );
    await t.store.snapshots.insertMany('t1', [open(won, 'Commit', '2026-09-15'), open(early, 'Commit', '2026-06-30')], day('2026-06-10'));
    await t.store.snapshots.insertMany('t1', [open(won, 'Commit', '2026-09-15')], day('2026-08-20'));
    await t.store.snapshots.insertMany('t1', [open(slipped, 'Commit', '2026-11-15')], day('2026-10-01'));
    await t.store.snapshots.insertMany('t2', [open({ ...won, tenantId: 't2' }, 'Pipeline', '2026-09-30')], day('2026-07-02'));
    const score = (id: string, at: string, category: string) =>
      scoreRow('t1', {
        source: 'salesforce',
        externalId: id,
        modelId: null,
        scoredAt: day(at),
        score: 50,
        category,
        winProbability: 0.5,
        modelStatus: 'ok',
        inputHash: 'h',
        detail: {},
      });
    await t.store.db
      .insertInto('scores')
      .values([
        score('WON', '2026-08-20', 'Low'),
        score('WON', '2026-09-11', 'Low'),
        score('SLIP', '2026-07-02', 'High'),
        score('SLIP', '2026-10-01', 'Critical'),
      ])
      .execute();
  });
  afterAll(async () => t?.drop());

  it('reads each deal as last seen open before the quarter ended or it closed, with the score of that time', async () => {
    const got = await t.store.forecastQuarters.asCalled('t1', q.start, q.end);
    const by = new Map(got.map((g) => [g.asCalled.externalId, g]));
    // EARLY closed before the quarter began; UNSEEN was never seen open.
    expect([...by.keys()].sort()).toEqual(['SLIP', 'WON']);
    expect(by.get('WON')).toMatchObject({
      asCalled: { forecastCategory: 'Commit' },
      category: 'Low',
      status: 'won',
      closedAt: day('2026-09-10'),
    });
    expect(by.get('WON')!.asCalled.expectedCloseDate).toEqual(day('2026-09-15'));
    expect(by.get('SLIP')).toMatchObject({
      asCalled: { forecastCategory: 'Commit', expectedCloseDate: day('2026-09-30') },
      category: 'High',
      status: 'open',
    });
  });

  it('records a quarter once and keeps the first record', async () => {
    const rec = trackRecord(q, [], 'USD', day('2026-10-02'));
    expect(await t.store.forecastQuarters.record('t1', rec)).toBe(true);
    expect(await t.store.forecastQuarters.record('t1', { ...rec, recordedAt: day('2026-10-03').toISOString() })).toBe(false);
    expect(await t.store.forecastQuarters.list('t1')).toEqual([rec]);
    expect(await t.store.forecastQuarters.has('t1', '2026-Q3')).toBe(true);
    expect(await t.store.forecastQuarters.has('t2', '2026-Q3')).toBe(false);
  });
});
