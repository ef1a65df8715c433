import { describe, expect, it } from 'vitest';
import { explainRiskChange } from '../../../src/core/scoring/risk-change.ts';
import { compileScorer } from '../../../src/core/scoring/scorer.ts';
import { sigmoid } from '../../../src/core/scoring/stats.ts';
import { trainModel } from '../../../src/core/scoring/train.ts';
import { scoredState } from '../../../src/sync/risk-fields.ts';
import { aDeal, addDays, day, syntheticClosed, testConfig } from './builders.ts';

const asOf = day('2024-06-01');
const config = testConfig();
// Small deals and partner-sourced ones are lost more: amount and lead source drive the score.
const closed = syntheticClosed({
  n: 800,
  seed: 7,
  lossProb: (d) => ((d.amount ?? 0) < 30_000 ? 0.7 : 0.3) + (d.leadSource === 'Partner' ? 0.2 : 0) - 0.1,
});
const model = trainModel({ deals: closed }, { config, tenantId: 't1', trainedAt: asOf });
const scorer = compileScorer(model, { config });
const tasks = { enabled: false, categories: [], priorities: [], withholdOnNoSignal: true } as never;

describe("a score's trace", () => {
  it('keeps the model version and contributions that add up to the score, and the inputs read', () => {
    const deal = aDeal({ createdAt: day('2024-04-01'), amount: 40_000, leadSource: 'Partner' });
    const s = scorer.score(deal, asOf);
    const t = s.trace!.toJSON();
    expect(t.v).toBe(model.version);
    const z = t.b + Object.values(t.c).reduce((a, b) => a + b, 0);
    expect(z).toBeCloseTo(s.logit, 4);
    expect(Math.round(100 * sigmoid(z))).toBe(s.riskScore);
    expect(t.x.amount).toBe(40_000);
    expect(t.x.leadSource).toBe('Partner');
    expect(Object.keys(t.c)).toEqual(expect.arrayContaining(['amount', 'leadSource']));
    // The sync stores it on the history row.
    expect(scoredState(s, deal, { inputHash: 'h', modelId: 1, tasks, url: null, alertDueAt: null }).trace).toEqual(t);
  });

  it('is the scored deal’s own, read after other deals were scored (it is built when read)', () => {
    const a = aDeal({ createdAt: day('2024-04-01'), amount: 5_000, leadSource: 'Partner' });
    const b = aDeal({ createdAt: day('2024-04-01'), amount: 90_000, leadSource: 'Inbound' });
    const [sa, sb] = scorer.scoreMany([a, b], asOf);
    const ta = sa!.trace!.toJSON();
    expect(ta.x).toMatchObject({ amount: 5_000, leadSource: 'Partner' });
    expect(ta.b + Object.values(ta.c).reduce((x, y) => x + y, 0)).toBeCloseTo(sa!.logit, 4);
    expect(sb!.trace!.toJSON().x).toMatchObject({ amount: 90_000, leadSource: 'Inbound' });
  });

  it("explains a week's change of a real deal exactly: the parts add up to the change shown", () => {
    const before = aDeal({ createdAt: day('2024-04-01'), amount: 40_000, leadSource: 'Inbound' });
    const later = addDays(asOf, 7);
    const after = { ...before, amount: 10_000, leadSource: 'Partner' };
    const a = scorer.score(before, asOf);
    const b = scorer.score(after, later);
    const r = explainRiskChange(
      { score: a.riskScore, scoredAt: asOf, trace: a.trace!.toJSON() },
      { score: b.riskScore, scoredAt: later, trace: b.trace!.toJSON() },
    );
    expect(r.parts.reduce((n, p) => n + p.points, 0)).toBe(b.riskScore - a.riskScore);
    expect(r.parts.every((p) => p.kind === 'deal')).toBe(true);
    expect(b.riskScore).toBeGreaterThan(a.riskScore + 10);
    expect(r.parts.find((p) => p.feature === 'leadSource')?.text).toBe('lead source changed Inbound → Partner');
    expect(r.parts.find((p) => p.feature === 'amount')?.text).toBe('amount $40k → $10k');
  });
});
