import { describe, expect, it } from 'vitest';
import { compileScorer } from '../../../src/core/scoring/scorer.ts';
import { buildSimilarIndex } from '../../../src/core/scoring/similar.ts';
import { trainModel } from '../../../src/core/scoring/train.ts';
import { aDeal, addDays, day, syntheticClosed, testConfig } from './builders.ts';

const cfg = testConfig();
const asOf = day('2024-06-01');

describe('small data and no history', () => {
  it('falls back to shrunken segment priors below the minimum closed deals per class, marked low-confidence', () => {
    const few = syntheticClosed({ n: 40, seed: 2, lossProb: (d) => (d.leadSource === 'Partner' ? 0.9 : 0.4) });
    const model = trainModel({ deals: few }, { config: cfg, tenantId: 't1', trainedAt: asOf });
    expect(model.kind).toBe('segment_prior');
    const s = compileScorer(model, { config: cfg }).score(aDeal({ leadSource: 'Partner' }), asOf);
    expect(s.confidence).toBe('low');
    expect(s.basis).toBe('segment_prior');
    expect(s.note).toMatch(/won and .* lost closed deals \(the model needs 30 of each\)/);
    const e = compileScorer(model, { config: cfg }).explain(aDeal({ leadSource: 'Partner' }), asOf);
    expect(e.baselineLogit + e.contributions.reduce((a, c) => a + c.contribution, 0)).toBeCloseTo(e.logit, 10);
  });

  it('uses the CRM stage probability when there is no closed deal, and says so', () => {
    const model = trainModel({ deals: [aDeal()] }, { config: cfg, tenantId: 't1', trainedAt: asOf });
    expect(model.kind).toBe('prior');
    const scorer = compileScorer(model, { config: cfg });
    const withCrm = scorer.score(aDeal({ crmProbability: 0.6 }), asOf);
    expect(withCrm.winProbability).toBeCloseTo(0.6, 12);
    expect(withCrm.basis).toBe('crm_probability');
    expect(withCrm.note).toMatch(/CRM stage probability \(60% to win\)/);
    const bare = scorer.score(aDeal(), asOf);
    expect(bare.winProbability).toBeCloseTo(0.5, 12);
    expect(bare.basis).toBe('prior');
    expect(bare.note).toMatch(/No closed deals yet/);
    expect(bare.modelStatus).toBe('prior_only');
  });
});

describe('similar won deals', () => {
  it('picks won deals of the same segment within ±30% of the amount, closest in age first', () => {
    const won = (id: string, industry: string, amount: number, cycle: number) =>
      aDeal({
        externalId: id,
        account: { industry },
        amount,
        createdAt: day('2024-01-01'),
        closedAt: addDays(day('2024-01-01'), cycle),
        stage: { status: 'won' },
      });
    const idx = buildSimilarIndex(
      [
        won('a', 'SaaS', 100_000, 40),
        won('b', 'SaaS', 120_000, 90),
        won('c', 'SaaS', 80_000, 35),
        won('d', 'SaaS', 140_000, 40),
        won('e', 'EdTech', 100_000, 40),
        won('f', 'SaaS', 95_000, 200),
        { ...won('g', 'SaaS', 100_000, 40), stage: { label: null, status: 'lost', order: null } },
      ],
      ['account.industry'],
    );
    const deal = aDeal({ account: { industry: 'SaaS' }, amount: 100_000, createdAt: addDays(asOf, -38) });
    expect(idx.find(deal, asOf).map((s) => s.externalId)).toEqual(['a', 'c', 'b']);
  });

  it('compares amounts only within one currency: 100,000 yen is no peer of $100,000', () => {
    const won = (id: string, amount: number, currency: string) =>
      aDeal({
        externalId: id,
        account: { industry: 'SaaS' },
        amount,
        currency,
        createdAt: day('2024-01-01'),
        closedAt: addDays(day('2024-01-01'), 40),
        stage: { status: 'won' },
      });
    const idx = buildSimilarIndex(
      [won('usd', 100_000, 'USD'), won('jpy', 100_000, 'JPY'), won('yen2', 90_000, 'jpy')],
      ['account.industry'],
    );
    const at = (currency: string) => aDeal({ account: { industry: 'SaaS' }, amount: 100_000, currency, createdAt: addDays(asOf, -38) });
    expect(idx.find(at('USD'), asOf).map((s) => s.externalId)).toEqual(['usd']);
    expect(idx.find(at('JPY'), asOf).map((s) => s.externalId)).toEqual(['jpy', 'yen2']);
  });
});
