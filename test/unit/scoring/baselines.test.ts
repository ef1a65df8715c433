import { describe, expect, it } from 'vitest';
import { backtest } from '../../../src/core/backtest/backtest.ts';
import {
  crmProbabilityReader,
  evaluateBaselines,
  explainNaiveBayes,
  stageCatalogue,
  stagesReached,
  trainNaiveBayes,
} from '../../../src/core/backtest/baselines.ts';
import { auc, bootstrapAucDifference } from '../../../src/core/backtest/metrics.ts';
import type { Deal, DealInput } from '../../../src/core/deal.ts';
import type { DealView } from '../../../src/core/scoring/features.ts';
import type { DealSnapshot } from '../../../src/core/scoring/rows.ts';
import { rng } from '../../../src/core/scoring/stats.ts';
import { aDeal, addDays, day, syntheticClosed, testConfig } from './builders.ts';

const cfg = testConfig();
const asOf = day('2024-06-01');
const full = (deal: Deal): DealView => ({ deal, asOf, full: true });
// Only the fields a test sets: no amount, owner or segments to count.
const bare = (o: Partial<DealInput>): Deal => aDeal({ amount: null, ...o });
const closed = (status: 'won' | 'lost', o: Partial<DealInput> = {}): Deal =>
  bare({ stage: { label: status === 'won' ? 'Closed Won' : 'Closed Lost', status, order: null }, ...o });

const STAGES = ['Qualify', 'Demo', 'Proposal', 'Negotiation'];
const history = (upTo: number, ordered = true): DealInput['stageHistory'] =>
  STAGES.slice(0, upTo + 1).map((stage, i) => ({
    stage,
    status: 'open',
    order: ordered ? i : null,
    enteredAt: addDays(day('2024-01-01'), i),
  }));

describe('naive Bayes baseline', () => {
  it('gives the probabilities of a small table worked by hand (Laplace smoothing)', () => {
    // leadSource A: 2 won, 1 lost; B: 0 won, 1 lost. Priors 2 won / 2 lost.
    const nb = trainNaiveBayes([
      closed('won', { leadSource: 'A' }),
      closed('won', { leadSource: 'A' }),
      closed('lost', { leadSource: 'A' }),
      closed('lost', { leadSource: 'B' }),
    ]);
    // P(A | lost) = (1+1)/(2+2) = 0.5, P(A | won) = (2+1)/(2+2) = 0.75: odds of loss 0.5/0.75 → 0.4.
    expect(explainNaiveBayes(nb, full(bare({ leadSource: 'A' }))).lossProbability).toBeCloseTo(0.4, 12);
    // P(B | lost) = 2/4, P(B | won) = 1/4: odds 2 → 2/3.
    expect(explainNaiveBayes(nb, full(bare({ leadSource: 'B' }))).lossProbability).toBeCloseTo(2 / 3, 12);
    // A value never seen and an unset value add nothing: the prior, 50%.
    expect(explainNaiveBayes(nb, full(bare({ leadSource: 'C' }))).lossProbability).toBeCloseTo(0.5, 12);
    expect(explainNaiveBayes(nb, full(bare({ leadSource: null }))).lossProbability).toBeCloseTo(0.5, 12);
  });

  it('is additive in log-odds: the prior plus one term per field', () => {
    const nb = trainNaiveBayes(syntheticClosed({ n: 300, seed: 3, lossProb: (d) => (d.leadSource === 'Partner' ? 0.8 : 0.4) }));
    const e = explainNaiveBayes(nb, full(aDeal({ leadSource: 'Partner', account: { industry: 'SaaS' }, amount: 50_000 })));
    expect(e.contributions.map((c) => c.feature)).toEqual(expect.arrayContaining(['leadSource', 'account.industry', 'amount']));
    expect(e.logit).toBeCloseTo(e.priorLogit + e.contributions.reduce((s, c) => s + c.contribution, 0), 12);
    expect(e.contributions.find((c) => c.feature === 'leadSource')!.contribution).toBeGreaterThan(0.5);
  });

  it('counts a stage as reached: a lost deal reached every earlier stage, a won deal every stage', () => {
    const won = closed('won', { pipeline: 'P', stageHistory: history(1) });
    const lostAtDemo = closed('lost', { pipeline: 'P', stageHistory: history(1) });
    const lostAtProposal = closed('lost', { pipeline: 'P', stageHistory: [history(2)![0]!, history(2)![2]!] });
    const lostNoHistory = closed('lost', { pipeline: 'P' });
    const other = closed('lost', {
      pipeline: 'Q',
      stageHistory: [{ stage: 'Demo', status: 'open', order: 0, enteredAt: day('2024-01-01') }],
    });
    const deals = [won, lostAtDemo, lostAtProposal, lostNoHistory, other];
    const cat = stageCatalogue(deals);
    const names = (d: Deal): string[] => stagesReached(d, cat).map((k) => k.split('\u0001')[1]!);
    expect(names(won)).toEqual(['Qualify', 'Demo', 'Proposal']);
    expect(names(lostAtDemo)).toEqual(['Qualify', 'Demo']);
    // Skipped Demo in its history, but Demo comes before Proposal: reached.
    expect(names(lostAtProposal)).toEqual(['Qualify', 'Demo', 'Proposal']);
    expect(names(lostNoHistory)).toEqual(['Qualify']);
    // Another pipeline's "Demo" is another stage.
    expect(stagesReached(other, cat)).toEqual(['Q\u0001Demo']);
    expect(stagesReached(won, cat)).not.toContain('Q\u0001Demo');
  });

  it('without stage orders, a lost deal reached the stages its history went through', () => {
    const won = closed('won', { stageHistory: history(3, false) });
    const lost = closed('lost', { stageHistory: [history(3, false)![0]!, history(3, false)![2]!] });
    const cat = stageCatalogue([won, lost]);
    expect(stagesReached(lost, cat).map((k) => k.split('\u0001')[1])).toEqual(['Qualify', 'Proposal']);
  });

  it('scores an open deal by the share of won and lost deals that reached its stage', () => {
    const nb = trainNaiveBayes([
      closed('won', { pipeline: 'P', stageHistory: history(3) }),
      closed('lost', { pipeline: 'P', stageHistory: history(1) }),
      closed('lost', { pipeline: 'P', stageHistory: history(0) }),
    ]);
    const at = (label: string): number =>
      explainNaiveBayes(nb, full(bare({ pipeline: 'P', stage: { label, status: 'open', order: STAGES.indexOf(label) } }))).lossProbability;
    // Proposal: reached by 1 of 1 won, 0 of 2 lost. Prior odds (2+1)/(1+1) = 1.5;
    // P(reached | lost) = (0+1)/(2+2) = 0.25, P(reached | won) = (1+1)/(1+2) = 2/3: odds 1.5 × 0.375 = 0.5625.
    expect(at('Proposal')).toBeCloseTo(0.5625 / 1.5625, 12);
    // Qualify: reached by everyone: (2+1)/(2+2) over (1+1)/(1+2): odds 1.5 × 1.125.
    expect(at('Qualify')).toBeCloseTo((1.5 * 1.125) / (1 + 1.5 * 1.125), 12);
    expect(at('Qualify')).toBeGreaterThan(at('Demo'));
    expect(at('Demo')).toBeGreaterThan(at('Proposal'));
  });
});

describe("the CRM's stage probability", () => {
  it("reads an open view's own probability, else the usual probability of the stage it was in then", () => {
    const open = [0.2, 0.2, 0.4].map((p) => bare({ pipeline: 'P', stage: { label: 'Demo', status: 'open', order: 1 }, crmProbability: p }));
    const read = crmProbabilityReader(open)!;
    expect(read(full(open[2]!))).toBe(0.4);
    const replayed = closed('lost', { pipeline: 'P', stageHistory: history(1) });
    expect(read({ deal: replayed, asOf: day('2024-01-03'), full: false })).toBe(0.2);
    expect(read({ deal: replayed, asOf: day('2023-01-01'), full: false })).toBeNull();
  });

  it('is absent when no deal carries one (not mapped)', () => {
    expect(crmProbabilityReader([bare({}), closed('won')])).toBeNull();
  });
});

describe('baseline verdicts', () => {
  const r = rng(5);
  const lost = Array.from({ length: 400 }, () => (r() < 0.5 ? 1 : 0));
  const views = lost.map((l) =>
    full(bare({ stage: { label: 'Demo', status: 'open', order: 1 }, crmProbability: l ? 0.1 + 0.3 * r() : 0.4 + 0.5 * r() })),
  );
  const train = [closed('won', { leadSource: 'A' }), closed('lost', { leadSource: 'B' })];
  const run = (modelP: number[]) =>
    evaluateBaselines({ train, known: views.map((v) => v.deal), views, y: lost, modelP, baseRate: 0.5, bootstrap: 200, seed: 1 });

  it('says plainly when a baseline ranks deals better than the model, beyond the noise', () => {
    const crm = run(lost.map(() => r()))[0]!;
    expect(crm.id).toBe('crm_probability');
    expect(crm.auc).toBe(1);
    expect(crm.verdict).toBe('baseline_better');
    expect(crm.aucDifference.high).toBeLessThan(0);
    expect(crm.sentence).toMatch(/^The CRM's stage probability ranks deals better than the model: AUC 1\.00 vs 0\.\d\d\.$/);
  });

  it('says the model ranks better when the paired interval lies above 0', () => {
    const crm = run(lost.map((l) => (l ? 0.99 : 0.01)))[0]!;
    // Same ranking quality: within the noise.
    expect(crm.verdict).toBe('no_difference');
    expect(crm.sentence).toMatch(/about as well/);
    const crmNoise = evaluateBaselines({
      train,
      known: views.map((v) => ({ ...v.deal, crmProbability: r() })),
      views: views.map((v) => full({ ...v.deal, crmProbability: r() })),
      y: lost,
      modelP: lost.map((l) => (l ? 0.6 + 0.3 * r() : 0.2 + 0.5 * r())),
      baseRate: 0.5,
      bootstrap: 200,
      seed: 1,
    })[0]!;
    expect(crmNoise.verdict).toBe('model_better');
    expect(crmNoise.aucDifference.low).toBeGreaterThan(0);
    expect(crmNoise.sentence).toMatch(/^The model ranks deals better than the CRM's stage probability: AUC 0\.\d\d vs 0\.\d\d\.$/);
  });

  it('pairs the bootstrap: identical scores differ by exactly 0 in every round', () => {
    const p = lost.map(() => r());
    expect(bootstrapAucDifference(p, p, lost, 100, 1)).toEqual({ low: 0, high: 0 });
  });
});

describe('the backtest reports the baselines on its own held-out deals', () => {
  it('naive Bayes is fitted on the training split and scored on the held-out deals the model was', () => {
    const deals = syntheticClosed({ n: 600, seed: 21, lossProb: (d) => (d.leadSource === 'Partner' ? 0.8 : 0.35) });
    const { report, predictions } = backtest({ deals }, { config: cfg, tenantId: 't1', trainedAt: asOf });
    expect(report.baselines.map((b) => b.id)).toEqual(['naive_bayes']);
    const held = new Set(predictions.map((p) => p.externalId));
    expect(held.size).toBe(report.nTest);
    const nb = trainNaiveBayes(deals.filter((d) => !held.has(d.externalId)));
    const byId = new Map(deals.map((d) => [d.externalId, d]));
    const q = predictions.map((p) => explainNaiveBayes(nb, { deal: byId.get(p.externalId)!, asOf: null, full: false }).lossProbability);
    const y = predictions.map((p) => (p.actual === 'lost' ? 1 : 0));
    const nbReport = report.baselines[0]!;
    expect(nbReport.auc).toBe(auc(q, y));
    expect(nbReport.covered).toBe(report.nTest);
    expect(nbReport.aucDifference.value).toBeCloseTo(report.auc - nbReport.auc, 12);
    expect(nbReport.auc).toBeGreaterThan(0.6);
  });

  it("adds the CRM's probability, read from each held-out deal's snapshot, when it is mapped", () => {
    const deals = syntheticClosed({ n: 600, seed: 22, lossProb: (d) => (d.leadSource === 'Partner' ? 0.8 : 0.35) });
    const r2 = rng(9);
    const snapshots: DealSnapshot[] = deals.map((d) => {
      const crmProbability = Math.round(r2() * 10) / 10;
      return {
        externalId: d.externalId,
        takenAt: addDays(d.createdAt!, 5),
        deal: { ...d, stage: { label: 'Demo', status: 'open', order: 1 }, closedAt: null, crmProbability },
      };
    });
    const { report, predictions } = backtest({ deals, snapshots }, { config: cfg, tenantId: 't1', trainedAt: asOf });
    const crm = report.baselines.find((b) => b.id === 'crm_probability')!;
    const snapOf = new Map(snapshots.map((s) => [s.externalId, s.deal.crmProbability!]));
    const y = predictions.map((p) => (p.actual === 'lost' ? 1 : 0));
    expect(crm.covered).toBe(report.nTest);
    expect(crm.auc).toBe(
      auc(
        predictions.map((p) => 1 - snapOf.get(p.externalId)!),
        y,
      ),
    );
    expect(crm.verdict).toBe('model_better');
  });
});
