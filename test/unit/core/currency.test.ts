import { describe, expect, it } from 'vitest';
import { currencyConverter, unconvertedByCurrency } from '../../../src/core/currency/convert.ts';
import { type CurrencyRates, periodsFromStarts, rateOn } from '../../../src/core/currency/rates.ts';
import { pipelineMetrics, type ScoreLike } from '../../../src/core/metrics/pipeline.ts';
import { aDeal, day, testConfig } from '../scoring/builders.ts';

// Corporate USD; EUR changes rate on 1 April and 1 July (Salesforce dated ranges: start inclusive,
// next start exclusive); GBP has one rate since always.
const dated: CurrencyRates = {
  corporate: 'USD',
  kind: 'dated',
  rates: [
    { code: 'EUR', toCorporate: 1.1, from: null, until: day('2026-04-01') },
    { code: 'EUR', toCorporate: 1.2, from: day('2026-04-01'), until: day('2026-07-01') },
    { code: 'EUR', toCorporate: 1.05, from: day('2026-07-01'), until: null },
    { code: 'GBP', toCorporate: 1.25, from: null, until: null },
  ],
};

describe('the rate in force for a date', () => {
  it('takes the range the close date falls in, the start day included and the next start excluded', () => {
    expect(rateOn(dated, 'EUR', day('2026-03-31'))).toBe(1.1);
    expect(rateOn(dated, 'EUR', day('2026-04-01'))).toBe(1.2);
    expect(rateOn(dated, 'EUR', day('2026-06-30'))).toBe(1.2);
    expect(rateOn(dated, 'eur', day('2026-07-01'))).toBe(1.05);
    expect(rateOn(dated, 'EUR', day('2031-01-01'))).toBe(1.05);
  });

  it('is 1 for the corporate currency and null for a currency without a rate that day', () => {
    expect(rateOn(dated, 'USD', day('2026-01-01'))).toBe(1);
    expect(rateOn(dated, 'CHF', day('2026-01-01'))).toBeNull();
    const late: CurrencyRates = {
      corporate: 'USD',
      kind: 'dated',
      rates: [{ code: 'CAD', toCorporate: 0.73, from: day('2026-05-01'), until: null }],
    };
    expect(rateOn(late, 'CAD', day('2026-04-30'))).toBeNull();
    expect(rateOn(late, 'CAD', day('2026-05-01'))).toBe(0.73);
  });

  it('turns rates that each start at an instant into ranges that end where the next begins', () => {
    const p = periodsFromStarts([
      { code: 'EUR', toCorporate: 1.2, from: day('2026-04-01') },
      { code: 'EUR', toCorporate: 1.1, from: day('2026-01-01') },
      { code: 'gbp', toCorporate: 1.3, from: day('2026-02-01') },
    ]);
    expect(p).toEqual([
      { code: 'EUR', toCorporate: 1.1, from: day('2026-01-01'), until: day('2026-04-01') },
      { code: 'EUR', toCorporate: 1.2, from: day('2026-04-01'), until: null },
      { code: 'GBP', toCorporate: 1.3, from: day('2026-02-01'), until: null },
    ]);
  });
});

describe('converting deals to the corporate currency', () => {
  const asOf = day('2026-05-15');

  it('converts each deal at the rate of its own close date', () => {
    const money = currencyConverter({ salesforce: dated }, [], asOf);
    const q1 = aDeal({ source: 'salesforce', currency: 'EUR', amount: 1000, expectedCloseDate: day('2026-03-15') });
    const q2 = aDeal({ source: 'salesforce', currency: 'EUR', amount: 1000, expectedCloseDate: day('2026-05-20') });
    expect(money.reporting).toBe('USD');
    expect(money.convert(q1)).toEqual({ ok: true, value: 1100, rate: 1.1 });
    expect(money.convert(q2)).toEqual({ ok: true, value: 1200, rate: 1.2 });
  });

  it('says which rate is missing rather than guessing one', () => {
    const money = currencyConverter({ salesforce: dated }, [], asOf);
    const chf = aDeal({ source: 'salesforce', currency: 'CHF', amount: 500, expectedCloseDate: day('2026-06-01') });
    expect(money.convert(chf)).toEqual({ ok: false, reason: 'no CHF rate in force on 2026-06-01' });
  });

  it('without rates, reports in the one currency the deals name and refuses to add another', () => {
    const deals = [aDeal({ currency: 'EUR' }), aDeal({ currency: 'EUR' }), aDeal({ currency: 'USD' })];
    const money = currencyConverter({}, deals, asOf);
    expect(money.reporting).toBe('EUR');
    expect(money.mixed).toBe(true);
    expect(money.convert(deals[0]!)).toMatchObject({ ok: true, value: 10_000 });
    expect(money.convert(deals[2]!)).toMatchObject({ ok: false, reason: expect.stringMatching(/no exchange rates were read for USD/) });
  });

  it('leaves a single-currency tenant exactly as it was', () => {
    const deals = [aDeal({ currency: 'USD', amount: 7 }), aDeal({ currency: null, amount: 5 })];
    const money = currencyConverter({}, deals, asOf);
    expect(money).toMatchObject({ reporting: 'USD', mixed: false });
    expect(deals.map((d) => money.convert(d))).toEqual([
      { ok: true, value: 7, rate: 1 },
      { ok: true, value: 5, rate: 1 },
    ]);
  });
});

describe('pipeline metrics in one currency', () => {
  const asOf = day('2026-05-15');
  const cfg = testConfig({ smoothing: 0, segmentBy: ['account.industry'], interventionSuccessRate: 0.5 });
  const open = [
    aDeal({ externalId: 'usd', source: 'salesforce', currency: 'USD', amount: 10_000, expectedCloseDate: day('2026-06-30') }),
    aDeal({ externalId: 'eur', source: 'salesforce', currency: 'EUR', amount: 10_000, expectedCloseDate: day('2026-06-30') }),
    aDeal({ externalId: 'gbp', source: 'salesforce', currency: 'GBP', amount: 4_000, expectedCloseDate: day('2026-06-30') }),
    aDeal({
      externalId: 'chf',
      source: 'salesforce',
      currency: 'CHF',
      amount: 9_000,
      expectedCloseDate: day('2026-06-30'),
      name: 'Zurich',
      owner: { id: 'u1', name: 'Ada' },
    }),
  ];
  const scores = new Map<string, ScoreLike>(open.map((d) => [d.externalId, { winProbability: 0.5, category: 'High' as const }]));
  const m = pipelineMetrics({ deals: open, scores, asOf, config: cfg, rates: { salesforce: dated } });

  it('adds dollars to converted euros and pounds, never raw euros', () => {
    // 10,000 USD + 10,000 EUR × 1.2 + 4,000 GBP × 1.25 = 27,000 USD
    expect(m.currency).toBe('USD');
    expect(m.rawPipeline).toBeCloseTo(27_000, 6);
    expect(m.expectedValue).toBeCloseTo(13_500, 6);
    expect(m.revenueAtRisk).toBeCloseTo(27_000, 6);
    expect(m.potentialRecovery.value).toBeCloseTo(27_000 * 0.5 * 0.5, 6);
    expect(m.riskDistribution.High).toEqual({ count: 4, amount: expect.closeTo(27_000, 6) });
  });

  it('lists the deal whose rate is unknown instead of summing it, and still counts it as open', () => {
    expect(m.openDeals).toBe(4);
    expect(m.unconverted).toEqual([
      {
        externalId: 'chf',
        name: 'Zurich',
        ownerName: 'Ada',
        amount: 9_000,
        currency: 'CHF',
        rateDate: '2026-06-30',
        reason: 'no CHF rate in force on 2026-06-30',
      },
    ]);
    expect(unconvertedByCurrency(m.unconverted)).toEqual([{ currency: 'CHF', deals: 1, amount: 9_000 }]);
  });
});
