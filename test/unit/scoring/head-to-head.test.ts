import { describe, expect, it } from 'vitest';
import { backtest, HEAD_TO_HEAD_MIN_UNSEEN } from '../../../src/core/backtest/backtest.ts';
import { trainModel } from '../../../src/core/scoring/train.ts';
import { addDays, day, syntheticClosed, testConfig } from './builders.ts';

const cfg = testConfig();
const deals = syntheticClosed({ n: 500, seed: 21, lossProb: (d) => (d.leadSource === 'Partner' ? 0.8 : 0.3) });
const closes = deals.map((d) => d.closedAt!.getTime()).sort((a, b) => a - b);
const asOf = addDays(new Date(closes[closes.length - 1]!), 1);

describe('backtest head to head with the active model', () => {
  it('scores the active model on the held-out deals the candidate was tested on', () => {
    const incumbent = trainModel({ deals }, { config: cfg, tenantId: 't1', trainedAt: asOf });
    const r = backtest({ deals }, { config: cfg, tenantId: 't1', trainedAt: asOf, incumbent });
    // Trained after every deal closed: it has seen them all, so every held-out deal is compared.
    expect(r.headToHead).toMatchObject({ deals: r.report.nTest, unseenOnly: false });
    expect(r.headToHead!.candidate.auc).toBeCloseTo(r.report.auc, 12);
    expect(r.headToHead!.candidate.logLoss).toBeCloseTo(r.report.logLoss, 12);
    expect(r.headToHead!.incumbent.auc).toBeGreaterThan(0.6);
  });

  it('keeps to the held-out deals closed after the active model was trained when enough of each outcome did', () => {
    // The latest 10% closed after this model was trained: all in the held-out 20%.
    const trainedAt = new Date(closes[Math.floor(closes.length * 0.9)]!);
    const seen = deals.filter((d) => d.closedAt!.getTime() <= trainedAt.getTime());
    const incumbent = trainModel({ deals: seen }, { config: cfg, tenantId: 't1', trainedAt });
    const r = backtest({ deals }, { config: cfg, tenantId: 't1', trainedAt: asOf, incumbent });
    const unseen = deals.length - seen.length;
    expect(unseen).toBeGreaterThanOrEqual(2 * HEAD_TO_HEAD_MIN_UNSEEN);
    expect(r.headToHead).toMatchObject({ deals: unseen, unseenOnly: true });
  });

  it('has nothing to compare without an active model', () => {
    expect(backtest({ deals }, { config: cfg, tenantId: 't1', trainedAt: day('2025-01-01') }).headToHead).toBeNull();
  });
});
