import { describe, expect, it } from 'vitest';
import { detectChangePoint, winRateByPeriod } from '../../../src/core/metrics/diagnostics.ts';
import { diagnostics } from '../../../src/core/metrics/insights.ts';
import { aDeal, addDays, day, syntheticClosed } from './builders.ts';

const asOf = day('2024-06-01');

describe('diagnostics', () => {
  it('finds the month a win-rate decline started', () => {
    const deals = syntheticClosed({ n: 2400, seed: 21, start: day('2023-01-01') }).map((d) => {
      const late = d.closedAt! >= day('2023-09-01');
      const won = (Number(d.externalId.split('-')[1]) * 7919) % 100 < (late ? 30 : 55);
      return { ...d, stage: { label: null, status: won ? ('won' as const) : ('lost' as const), order: null } };
    });
    const cp = detectChangePoint(winRateByPeriod(deals, 'month'));
    expect(cp).toMatchObject({ period: '2023-09', direction: 'decline' });
    expect(cp!.pValue).toBeLessThan(0.001);
    expect(diagnostics({ deals, asOf }).insights[0]!.text).toMatch(/^Win rate fell from 5\d% to [23]\d% starting 2023-09/);
  });

  it('stays silent on noise: no change point, no segment insight', () => {
    const d = diagnostics({ deals: syntheticClosed({ n: 3000, seed: 22 }), asOf });
    expect(d.changePoint).toBeNull();
    expect(d.insights).toEqual([]);
  });

  it('ranks a real underperforming segment by revenue impact, in plain words', () => {
    const closed = syntheticClosed({
      n: 3000,
      seed: 23,
      lossProb: (d) => (d.leadSource === 'Partner' && d.account.industry === 'EdTech' ? 0.85 : 0.5),
    });
    const open = [
      aDeal({ leadSource: 'Partner', account: { industry: 'EdTech' }, amount: 300_000 }),
      aDeal({ leadSource: 'Inbound', account: { industry: 'SaaS' }, amount: 700_000 }),
    ];
    const top = diagnostics({ deals: [...closed, ...open], asOf }).insights[0]!;
    expect(top.segment).toEqual([
      { field: 'account.industry', value: 'EdTech' },
      { field: 'leadSource', value: 'Partner' },
    ]);
    expect(top.text).toMatch(
      /^Deals with industry EdTech, lead source Partner \(30% of open pipeline\) win 1\d% vs 4\d% elsewhere \(\d+ closed deals\)\.$/,
    );
    expect(top.impact).toBeLessThan(0);
  });

  it("adds amounts in the corporate currency, at each deal's rate, and counts the deals no rate converts", () => {
    const closed = syntheticClosed({
      n: 3000,
      seed: 23,
      lossProb: (d) => (d.leadSource === 'Partner' && d.account.industry === 'EdTech' ? 0.85 : 0.5),
    }).map((d) => ({ ...d, currency: 'USD' }));
    // 300,000 yen is 2,000 dollars: the segment is a sliver of the open pipeline, not 30% of it.
    const open = [
      aDeal({
        leadSource: 'Partner',
        account: { industry: 'EdTech' },
        amount: 300_000,
        currency: 'JPY',
        expectedCloseDate: day('2024-07-01'),
      }),
      aDeal({ leadSource: 'Inbound', account: { industry: 'SaaS' }, amount: 700_000, currency: 'USD' }),
      aDeal({ leadSource: 'Inbound', account: { industry: 'SaaS' }, amount: 50_000, currency: 'CHF' }),
    ];
    const rates = {
      salesforce: { corporate: 'USD', kind: 'single' as const, rates: [{ code: 'JPY', toCorporate: 1 / 150, from: null, until: null }] },
    };
    const deals = [...closed, ...open].map((d) => ({ ...d, source: 'salesforce' as const }));
    const d = diagnostics({ deals, asOf, rates });
    expect(d.currency).toBe('USD');
    expect(d.unconverted).toBe(1);
    const top = d.insights.find((i) => i.segment?.length === 2)!;
    expect(top.text).toContain('(0% of open pipeline)');
    expect(top.impact).toBeCloseTo(2_000 * (top.rate!.winRate - top.restRate!), 6);
    // Without rates neither the yen nor the francs can be converted: both are left out, never added as dollars.
    expect(diagnostics({ deals, asOf }).unconverted).toBe(2);
  });

  it('reports stage conversion and median days per stage from stage history', () => {
    const h = (won: boolean) => {
      const c = day('2024-01-01');
      return aDeal({
        createdAt: c,
        closedAt: addDays(c, 30),
        stage: { status: won ? 'won' : 'lost' },
        stageHistory: [
          { stage: 'Qualify', status: 'open', order: 0, enteredAt: c },
          ...(won ? [{ stage: 'Propose', status: 'open' as const, order: 1, enteredAt: addDays(c, 10) }] : []),
          { stage: won ? 'Won' : 'Lost', status: won ? ('won' as const) : ('lost' as const), order: 2, enteredAt: addDays(c, 30) },
        ],
      });
    };
    const stages = diagnostics({ deals: [h(true), h(false), h(false), h(true)], asOf }).stages!;
    expect(stages[0]).toMatchObject({ stage: 'Qualify', entered: 4, conversion: 0.5, medianDays: 20 });
    expect(stages[1]).toMatchObject({ stage: 'Propose', entered: 2, conversion: 1, medianDays: 20 });
  });
});
