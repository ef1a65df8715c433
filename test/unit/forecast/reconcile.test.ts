import { describe, expect, it } from 'vitest';
import type { CurrencyRates } from '../../../src/core/currency/rates.ts';
import { forecastCall } from '../../../src/core/forecast/calls.ts';
import { quarterOf } from '../../../src/core/forecast/quarters.ts';
import { type ModelCall, reconcileForecast } from '../../../src/core/forecast/reconcile.ts';
import { type CalledDeal, outcomeIn, trackRecord } from '../../../src/core/forecast/track-record.ts';
import { aDeal, day } from '../scoring/builders.ts';

describe('forecast calls', () => {
  it('reads Salesforce labels and API names and HubSpot option values alike', () => {
    expect(['Commit', 'Forecast', 'COMMIT'].map(forecastCall)).toEqual(['commit', 'commit', 'commit']);
    expect(['Best Case', 'BestCase', 'BEST_CASE', 'Most Likely'].map(forecastCall)).toEqual([
      'best_case',
      'best_case',
      'best_case',
      'best_case',
    ]);
    expect(['Pipeline', 'PIPELINE'].map(forecastCall)).toEqual(['pipeline', 'pipeline']);
    expect(['Omitted', 'OMIT', 'Not forecasted'].map(forecastCall)).toEqual(['omitted', 'omitted', 'omitted']);
    expect(['Closed', 'CLOSED'].map(forecastCall)).toEqual(['closed', 'closed']);
    expect(forecastCall('  ')).toBeNull();
    expect(forecastCall('Upside')).toBeUndefined();
  });
});

describe('forecast quarters', () => {
  it('cuts calendar quarters, and fiscal ones named after the year they end in', () => {
    expect(quarterOf(day('2026-11-24'))).toEqual({ key: '2026-Q4', start: day('2026-10-01'), end: day('2027-01-01') });
    expect(quarterOf(day('2026-01-31'), 2)).toEqual({ key: 'FY2026-Q4', start: day('2025-11-01'), end: day('2026-02-01') });
    expect(quarterOf(day('2026-02-01'), 2)).toEqual({ key: 'FY2027-Q1', start: day('2026-02-01'), end: day('2026-05-01') });
  });
});

describe('reconciling the reps calls with the model', () => {
  const asOf = day('2026-11-24');
  const ann = { id: 'u-ann', name: 'Ann' };
  const bob = { id: 'u-bob', name: 'Bob' };
  const deals = [
    aDeal({ externalId: 'c1', owner: ann, forecastCategory: 'Commit', amount: 100_000, expectedCloseDate: day('2026-12-15') }),
    aDeal({ externalId: 'c2', owner: ann, forecastCategory: 'Commit', amount: 50_000, expectedCloseDate: day('2026-12-20') }),
    aDeal({ externalId: 'b1', owner: ann, forecastCategory: 'Best Case', amount: 30_000, expectedCloseDate: day('2026-11-30') }),
    aDeal({ externalId: 'p1', owner: bob, forecastCategory: 'Pipeline', amount: 20_000, expectedCloseDate: day('2026-12-31') }),
    aDeal({ externalId: 'late', owner: bob, forecastCategory: 'Commit', amount: 10_000, expectedCloseDate: day('2026-09-30') }),
    aDeal({ externalId: 'next', owner: bob, forecastCategory: 'Commit', amount: 40_000, expectedCloseDate: day('2027-02-01') }),
    aDeal({ externalId: 'far', owner: bob, forecastCategory: 'Commit', amount: 40_000, expectedCloseDate: day('2028-02-01') }),
    aDeal({ externalId: 'won', owner: bob, forecastCategory: 'Closed', stage: { status: 'won' }, closedAt: day('2026-11-01') }),
  ];
  const scores = new Map<string, ModelCall>([
    ['c1', { category: 'Low', winProbability: 0.8, score: 20 }],
    ['c2', { category: 'Critical', winProbability: 0.2, score: 88 }],
    ['b1', { category: 'High', winProbability: 0.3, score: 70 }],
    ['p1', { category: 'Low', winProbability: 0.9, score: 10 }],
    ['late', { category: 'Medium', winProbability: 0.5, score: 45 }],
  ]);
  const r = reconcileForecast({ deals, scores, asOf });
  const q4 = r.quarters[0]!;

  it('puts the committed amount next to its risk-adjusted value, per rep and for the quarter', () => {
    expect(r.mapped).toBe(true);
    expect(q4.quarter).toBe('2026-Q4');
    const annQ4 = q4.reps.find((x) => x.ownerId === 'u-ann')!;
    expect(annQ4.calls.commit).toEqual({
      deals: 2,
      amount: 150_000,
      riskAdjusted: 100_000 * 0.8 + 50_000 * 0.2,
      scoredAmount: 150_000,
      unscored: 0,
    });
    expect(annQ4.calls.best_case).toMatchObject({ deals: 1, amount: 30_000, riskAdjusted: 9_000 });
    // The overdue commit is Bob's, shown in the current quarter and counted as overdue.
    expect(q4.total.calls.commit).toMatchObject({ deals: 3, amount: 160_000, riskAdjusted: 80_000 + 10_000 + 5_000 });
    expect(q4.total.overdue).toBe(1);
    expect(r.quarters[1]!.total.calls.commit).toMatchObject({ deals: 1, amount: 40_000, riskAdjusted: 0, unscored: 1 });
    expect(r.outside).toBe(1);
  });

  it('flags Commit and Best Case deals the model rates High or Critical, and Pipeline deals it rates Low', () => {
    expect(q4.total.flagged.commitAtRisk.map((d) => d.externalId)).toEqual(['c2']);
    expect(q4.total.flagged.bestCaseAtRisk.map((d) => d.externalId)).toEqual(['b1']);
    expect(q4.total.flagged.pipelineLow.map((d) => d.externalId)).toEqual(['p1']);
    expect(q4.total.flagged.commitAtRisk[0]).toMatchObject({
      call: 'commit',
      category: 'Critical',
      score: 88,
      amount: 50_000,
      converted: 50_000,
      closeDate: '2026-12-20',
    });
    expect(q4.reps.map((x) => x.ownerName)).toEqual(['Ann', 'Bob']);
  });

  it('says the forecast category is not mapped when no open deal carries one', () => {
    const plain = reconcileForecast({ deals: [aDeal({ expectedCloseDate: day('2026-12-01') })], scores, asOf });
    expect(plain.mapped).toBe(false);
    expect(plain.quarters[0]!.total.calls.commit.deals).toBe(0);
  });

  it('sums calls in the corporate currency and lists what it cannot convert', () => {
    const rates: CurrencyRates = { corporate: 'USD', kind: 'single', rates: [{ code: 'EUR', toCorporate: 1.1, from: null, until: null }] };
    const fx = [
      aDeal({
        externalId: 'e',
        source: 'hubspot',
        currency: 'EUR',
        forecastCategory: 'COMMIT',
        amount: 1000,
        expectedCloseDate: day('2026-12-01'),
      }),
      aDeal({
        externalId: 'u',
        source: 'hubspot',
        currency: 'USD',
        forecastCategory: 'COMMIT',
        amount: 1000,
        expectedCloseDate: day('2026-12-01'),
      }),
      aDeal({
        externalId: 'j',
        source: 'hubspot',
        currency: 'JPY',
        forecastCategory: 'COMMIT',
        amount: 1000,
        expectedCloseDate: day('2026-12-01'),
      }),
    ];
    const out = reconcileForecast({ deals: fx, scores: new Map(), asOf, rates: { hubspot: rates } });
    expect(out.currency).toBe('USD');
    expect(out.quarters[0]!.total.calls.commit).toMatchObject({ deals: 3, amount: expect.closeTo(2100, 9) });
    expect(out.unconverted.map((u) => [u.externalId, u.currency])).toEqual([['j', 'JPY']]);
  });

  it('keeps custom categories apart, by name', () => {
    const out = reconcileForecast({ deals: [aDeal({ forecastCategory: 'Upside', expectedCloseDate: day('2026-12-01') })], scores, asOf });
    expect(out.unrecognised).toEqual([{ value: 'Upside', deals: 1 }]);
  });
});

describe('a closed quarter track record', () => {
  const q = quarterOf(day('2026-08-15'));
  const d = (o: Partial<CalledDeal>): CalledDeal => ({
    externalId: 'x',
    ownerId: 'u-ann',
    ownerName: 'Ann',
    call: 'commit',
    category: 'Low',
    amount: 1000,
    outcome: 'won',
    ...o,
  });

  it('reads the outcome from how and when the deal closed', () => {
    expect(outcomeIn(q, 'won', day('2026-09-29'))).toBe('won');
    expect(outcomeIn(q, 'lost', day('2026-07-03'))).toBe('lost');
    expect(outcomeIn(q, 'won', day('2026-10-01'))).toBe('slipped');
    expect(outcomeIn(q, 'open', null)).toBe('slipped');
  });

  it('counts per rep what became of each call, of each model band, and of their disagreements', () => {
    const rec = trackRecord(
      q,
      [
        d({ externalId: 'a', call: 'commit', category: 'Low', outcome: 'won', amount: 100 }),
        d({ externalId: 'b', call: 'commit', category: 'Critical', outcome: 'lost', amount: 50 }),
        d({ externalId: 'c', call: 'commit', category: 'High', outcome: 'won', amount: 30 }),
        d({ externalId: 'd', call: 'pipeline', category: 'Low', outcome: 'won', amount: 20, ownerId: 'u-bob', ownerName: 'Bob' }),
        d({ externalId: 'e', call: 'best_case', category: null, outcome: 'slipped', amount: null, ownerId: 'u-bob', ownerName: 'Bob' }),
      ],
      'USD',
      day('2026-10-02'),
    );
    expect(rec).toMatchObject({ quarter: '2026-Q3', deals: 5, currency: 'USD', recordedAt: '2026-10-02T00:00:00.000Z' });
    const ann = rec.reps.find((r) => r.ownerId === 'u-ann')!;
    expect(ann.rep.commit).toEqual({ deals: 3, won: 2, lost: 1, slipped: 0, amount: 180, wonAmount: 130 });
    expect(ann.model.high).toEqual({ deals: 2, won: 1, lost: 1, slipped: 0, amount: 80, wonAmount: 30 });
    expect(ann.disagreements.commitRatedHigh).toMatchObject({ deals: 2, won: 1, lost: 1 });
    expect(rec.total.disagreements.pipelineRatedLow).toMatchObject({ deals: 1, won: 1 });
    expect(rec.total.model.unscored).toMatchObject({ deals: 1, slipped: 1 });
  });
});
