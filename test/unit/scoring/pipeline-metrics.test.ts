import { describe, expect, it } from 'vitest';
import { pipelineMetrics, type ScoreLike } from '../../../src/core/metrics/pipeline.ts';
import { aDeal, addDays, day, testConfig } from './builders.ts';

const asOf = day('2024-06-01');
// Segment = industry (product unmapped). smoothing 0: raw segment win rates, easy to check by hand.
const cfg = testConfig({ smoothing: 0, segmentBy: ['account.industry'], interventionSuccessRate: 0.2 });
const closedDeal = (industry: string, won: boolean, cycle: number, amount: number) =>
  aDeal({
    account: { industry },
    amount,
    createdAt: day('2024-01-01'),
    closedAt: addDays(day('2024-01-01'), cycle),
    stage: { status: won ? 'won' : 'lost' },
  });

// SaaS: 5 won (cycles 10,20,30,40,50 → median 30; amounts 10k..50k) + 5 lost → win rate 50%.
// EdTech: 1 won, 3 lost → 25%; too few won deals for its own cycle: the overall median is used.
const closed = [
  ...[10, 20, 30, 40, 50].map((c, i) => closedDeal('SaaS', true, c, (i + 1) * 10_000)),
  ...[1, 2, 3, 4, 5].map((c) => closedDeal('SaaS', false, c, 5_000)),
  closedDeal('EdTech', true, 60, 60_000),
  ...[1, 2, 3].map((c) => closedDeal('EdTech', false, c, 1_000)),
];
const open = [
  aDeal({ externalId: 'o1', account: { industry: 'SaaS' }, amount: 100_000, createdAt: addDays(asOf, -15), owner: { id: 'ann' } }), // age 15 < 30 → aging 1
  aDeal({ externalId: 'o2', account: { industry: 'SaaS' }, amount: 40_000, createdAt: addDays(asOf, -60), owner: { id: 'bob' } }), // aging 30/60
  aDeal({ externalId: 'o3', account: { industry: 'EdTech' }, amount: 20_000, createdAt: addDays(asOf, -70), owner: { id: 'bob' } }), // overall median 35: aging 0.5
];
const scores = new Map<string, ScoreLike>([
  ['o1', { winProbability: 0.7, category: 'Medium' }],
  ['o2', { winProbability: 0.3, category: 'High' }],
  ['o3', { winProbability: 0.1, category: 'Critical' }],
]);

describe('pipeline metrics', () => {
  const m = pipelineMetrics({ deals: [...closed, ...open], scores, asOf, config: cfg });

  it('computes RAPV as Σ amount × segment win rate × min(1, segment median cycle ÷ age)', () => {
    // o1: 100k × 0.5 × 1 = 50k; o2: 40k × 0.5 × 0.5 = 10k; o3: 20k × 0.25 × (35/70) = 2.5k
    expect(m.rawPipeline).toBe(160_000);
    expect(m.rapv).toBeCloseTo(62_500, 6);
    expect(m.optimismGap).toBeCloseTo(1 - 62_500 / 160_000, 12);
  });

  it('computes REM as win rate × average won deal size ÷ average days to win', () => {
    // win rate 6/14; won amounts 10..50k + 60k → avg 35k; won cycles 10..50 + 60 → avg 35 days
    expect(m.rem!.winRate).toBeCloseTo(6 / 14, 12);
    expect(m.rem!.avgDealSize).toBeCloseTo(35_000, 6);
    expect(m.rem!.avgCycleDays).toBeCloseTo(35, 9);
    expect(m.rem!.value).toBeCloseTo(((6 / 14) * 35_000) / 35, 6);
  });

  it('adds expected value, revenue at risk and a labelled recovery assumption', () => {
    expect(m.expectedValue).toBeCloseTo(100_000 * 0.7 + 40_000 * 0.3 + 20_000 * 0.1, 6);
    expect(m.revenueAtRisk).toBe(60_000);
    expect(m.potentialRecovery.value).toBeCloseTo((40_000 * 0.3 + 20_000 * 0.1) * 0.2, 6);
    expect(m.potentialRecovery.assumption).toMatch(/20%.*interventionSuccessRate/);
    expect(m.riskDistribution.Critical).toEqual({ count: 1, amount: 20_000 });
  });

  it('gives win rate by segment with counts and 95% Wilson intervals', () => {
    const edtech = m.winRateBySegment.find((s) => s.field === 'account.industry' && s.value === 'EdTech')!;
    expect(edtech).toMatchObject({ won: 1, lost: 3, n: 4, winRate: 0.25 });
    expect(edtech.low).toBeCloseTo(0.0456, 3);
    expect(edtech.high).toBeCloseTo(0.6994, 3);
  });

  it('filters to one owner', () => {
    const bob = pipelineMetrics({ deals: [...closed, ...open], scores, asOf, config: cfg, filter: { owner: 'bob' } });
    expect(bob.openDeals).toBe(2);
    expect(bob.rawPipeline).toBe(60_000);
  });

  it('shrinks small segments toward the overall rate by default', () => {
    const shrunk = pipelineMetrics({ deals: [...closed, ...open], asOf, config: testConfig({ segmentBy: ['account.industry'] }) });
    // smoothing 10 pseudo-deals at the overall 6/14: SaaS (5 + 10p) / 20, EdTech (1 + 10p) / 14
    const p = 6 / 14;
    const saas = (5 + 10 * p) / 20;
    const edtech = (1 + 10 * p) / 14;
    expect(edtech).toBeGreaterThan(0.25);
    expect(shrunk.rapv).toBeCloseTo(100_000 * saas + 40_000 * saas * 0.5 + 20_000 * edtech * 0.5, 6);
    expect(shrunk.expectedValue).toBeNull();
  });
});
