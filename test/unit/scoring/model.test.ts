import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/core/errors.ts';
import { categoryOf } from '../../../src/core/scoring/config.ts';
import { deserializeModel, serializeModel } from '../../../src/core/scoring/model.ts';
import { compileScorer } from '../../../src/core/scoring/scorer.ts';
import { trainModel } from '../../../src/core/scoring/train.ts';
import { aDeal, day, syntheticClosed, testConfig } from './builders.ts';

const cfg = testConfig();
const asOf = day('2024-06-01');
// Partner-sourced and large deals lose more: a signal the model must find and explain.
const closed = syntheticClosed({
  n: 2000,
  seed: 3,
  lossProb: (d) => (d.leadSource === 'Partner' ? 0.8 : 0.35) + (d.amount! > 80_000 ? 0.15 : 0),
});
const model = trainModel({ deals: closed }, { config: cfg, tenantId: 't1', trainedAt: asOf });
const scorer = compileScorer(model, { config: cfg });
const partner = aDeal({ leadSource: 'Partner', amount: 90_000, account: { industry: 'SaaS', region: 'EU' }, createdAt: day('2024-05-01') });
const inbound = aDeal({ leadSource: 'Inbound', amount: 20_000, account: { industry: 'SaaS', region: 'EU' }, createdAt: day('2024-05-01') });

describe('risk model', () => {
  it('fits a calibrated logistic regression when both classes have enough closed deals', () => {
    expect(model.kind).toBe('logistic');
    expect(model.training.converged).toBe(true);
    expect(model.calibration.method).toBe('platt');
  });

  it('ranks a partner-sourced large deal riskier than an inbound small twin', () => {
    expect(scorer.score(partner, asOf).riskScore).toBeGreaterThan(scorer.score(inbound, asOf).riskScore + 20);
  });

  it("makes contributions sum exactly to the deal's log-odds, from the average deal", () => {
    for (const d of [partner, inbound, ...closed.slice(0, 50)]) {
      const e = scorer.explain(d, asOf);
      const sum = e.contributions.reduce((s, c) => s + c.contribution, 0);
      expect(e.baselineLogit + sum).toBeCloseTo(e.logit, 10);
      const s = scorer.score(d, asOf);
      expect(Math.log(s.lossProbability / (1 - s.lossProbability))).toBeCloseTo(e.logit, 9);
    }
  });

  it("reports this deal's three largest drivers, signed, each with a sentence", () => {
    const s = scorer.score(partner, asOf);
    const all = scorer
      .explain(partner, asOf)
      .contributions.map((c) => Math.abs(c.contribution))
      .sort((a, b) => b - a);
    expect(s.drivers).toHaveLength(3);
    expect(s.drivers.map((d) => Math.abs(d.contribution))).toEqual(all.slice(0, 3));
    const lead = s.drivers.find((d) => d.feature === 'leadSource')!;
    expect(lead.direction).toBe('raises_risk');
    expect(lead.sentence).toMatch(/Lead source Partner: deals like this win \d+% vs \d+% overall/);
    expect(JSON.parse(JSON.stringify(s.drivers[0]))).toHaveProperty('sentence', s.drivers[0]!.sentence);
  });

  it("never quotes a win rate that contradicts the driver's sign without saying so", () => {
    for (const d of closed.slice(0, 300)) {
      for (const dr of scorer.score(d, asOf).drivers) {
        const quotedSaysRisk = dr.winRate < dr.overallWinRate;
        if (quotedSaysRisk !== (dr.direction === 'raises_risk'))
          expect(dr.sentence).toMatch(/but with this deal's other traits it (raises|lowers) the risk$/);
      }
    }
  });

  it('maps risk score to category at the configured boundaries', () => {
    const t = { low: 25, medium: 50, high: 75 };
    expect([0, 25, 26, 50, 51, 75, 76, 100].map((x) => categoryOf(x, t))).toEqual([
      'Low',
      'Low',
      'Medium',
      'Medium',
      'High',
      'High',
      'Critical',
      'Critical',
    ]);
    expect(categoryOf(30, { low: 30, medium: 60, high: 90 })).toBe('Low');
    const s = scorer.score(partner, asOf);
    expect(s.riskScore).toBe(Math.round(100 * s.lossProbability));
    expect(s.category).toBe(categoryOf(s.riskScore, scorer.bounds));
    expect(s.winProbability).toBeCloseTo(1 - s.lossProbability, 12);
  });

  it('scores identically after a JSON round trip through the store', () => {
    const restored = deserializeModel(JSON.parse(JSON.stringify(serializeModel(model))));
    const again = compileScorer(restored, { config: cfg });
    expect(again.score(partner, asOf).lossProbability).toBe(scorer.score(partner, asOf).lossProbability);
  });

  it('rejects a corrupt stored model naming the key path', () => {
    const bad = { ...serializeModel(model), calibration: { slope: 'x' } };
    expect(() => deserializeModel(bad, 'models/7')).toThrow(/models\/7: calibration\.slope/);
    try {
      deserializeModel(bad);
    } catch (e) {
      expect(isAppError(e, 'model_unavailable')).toBe(true);
    }
  });
});
