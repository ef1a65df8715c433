import { describe, expect, it } from 'vitest';
import { backtest, settleModel, trainAndEvaluate } from '../../../src/core/backtest/backtest.ts';
import { logLoss } from '../../../src/core/backtest/metrics.ts';
import { compileScorer } from '../../../src/core/scoring/scorer.ts';
import { trainModel } from '../../../src/core/scoring/train.ts';
import { aDeal, day, noiseDeals, testConfig } from './builders.ts';

const cfg = testConfig();
const asOf = day('2024-03-01');
const opts = { config: cfg, tenantId: 't1', trainedAt: asOf };

// The shape of issue 14's file: no feature says anything, the overall rate is 35% lost, and the
// window just before the test set happened to lose 45%. A model re-centred on that window gave
// every test deal 45% while the test set lost 35%, and did worse than the base rate.
const blip = (position: number): number => (position >= 0.64 && position < 0.8 ? 0.45 : 0.35);

describe('a model with no signal', () => {
  it('is never worse than the base rate on its own backtest, and says by how much', () => {
    const deals = noiseDeals({ n: 5000, seed: 21, lossRateAt: blip });
    const { model, report } = trainAndEvaluate({ deals }, opts);
    expect(report!.status).toBe('no_signal');
    expect(model.status).toBe('no_signal');
    expect(report!.logLoss).toBeLessThanOrEqual(report!.priorLogLoss + 1e-9);
    expect(report!.statusReason).toMatch(
      /log-loss 0\.\d{4}, (equal to the base rate's|0\.\d{4} \(\d+\.\d%\) better than the base rate's 0\.\d{4})/,
    );
  });

  it('does not re-centre on a recent window that loses more when later deals do not', () => {
    const deals = noiseDeals({ n: 5000, seed: 22, lossRateAt: blip });
    const { report, model } = backtest({ deals }, opts);
    // The backtest's own model saw the 45% window as drift and re-centred on it...
    expect(trainModel({ deals: deals.slice(0, 4000) }, opts).calibration.centring).toBe('recent');
    // ...which did worse on the later deals than the overall rate, so it is not re-centred.
    expect(report.recentCentring!.beatsOverall).toBe(false);
    expect(report.recentCentring!.recentLogLoss).toBeGreaterThan(report.recentCentring!.overallLogLoss);
    expect(model.calibration.centring).not.toBe('recent');
    expect(report.logLoss).toBeLessThanOrEqual(report.priorLogLoss + 1e-9);
  });

  it('keeps re-centring on the recent window when the shift lasts into the test deals', () => {
    const shift = (position: number): number => (position < 0.64 ? 0.3 : 0.5);
    const deals = noiseDeals({ n: 5000, seed: 23, lossRateAt: shift });
    const { report, model } = backtest({ deals }, opts);
    expect(report.recentCentring!.beatsOverall).toBe(true);
    expect(model.calibration.centring).toBe('recent');
    expect(report.logLoss).toBeLessThan(report.priorLogLoss);
  });

  it('settles the production model the way its backtest decided', () => {
    const deals = noiseDeals({ n: 5000, seed: 21, lossRateAt: blip });
    const full = trainModel({ deals }, opts);
    const { report } = backtest({ deals }, opts);
    const drifted = {
      ...full,
      calibration: { ...full.calibration, centring: 'recent' as const, offset: full.calibration.offsets!.recent! },
    };
    const settled = settleModel(drifted, {
      ...report,
      baseRateFallback: null,
      recentCentring: { recentLogLoss: 0.7, overallLogLoss: 0.65, beatsOverall: false },
    });
    expect(settled.calibration.offset).toBe(full.calibration.offsets!.overall);
    expect(settled.notes.join(' ')).toMatch(/centring on them did worse on the backtest's later deals \(log-loss 0\.7000 vs 0\.6500\)/);
  });

  it('falls back to the base rate when the fitted model does worse than it, with no driver left', () => {
    const deals = noiseDeals({ n: 3000, seed: 24 });
    const full = trainModel({ deals }, opts);
    const { report } = backtest({ deals }, opts);
    const fallback = {
      ...report,
      status: 'no_signal' as const,
      baseRateFallback: { auc: 0.49, aucLow: 0.45, aucHigh: 0.53, logLoss: 0.71 },
    };
    const settled = settleModel(full, fallback);
    const rate = full.prior.lost / (full.prior.won + full.prior.lost);
    const scorer = compileScorer(settled, { config: cfg });
    for (const d of [
      aDeal({ leadSource: 'Partner', amount: 500 }),
      aDeal({ leadSource: 'Inbound', amount: 140_000, extras: { solution: 'Solution 3' } }),
    ]) {
      const s = scorer.score(d, asOf);
      expect(s.lossProbability).toBeCloseTo(rate, 12);
      expect(s.drivers).toEqual([]);
    }
    expect(settled.status).toBe('no_signal');
    expect(settled.notes.join(' ')).toMatch(/every deal gets the base rate \(\d+% lost\)/);
  });

  it("reports the base rate's figures, and the fitted model's, when it falls back", () => {
    // On noise, whatever the fit learns is chance, and on some draws it costs log-loss.
    for (const seed of [42, 43, 44, 45]) {
      const { report, predictions } = backtest({ deals: noiseDeals({ n: 2000, seed }) }, opts);
      expect(report.logLoss).toBeLessThanOrEqual(report.priorLogLoss + 1e-9);
      if (!report.baseRateFallback) continue;
      expect(report.baseRateFallback.logLoss).toBeGreaterThan(report.priorLogLoss);
      expect(new Set(predictions.map((p) => p.lossProbability.toFixed(12))).size).toBe(1);
      expect(
        logLoss(
          predictions.map((p) => p.lossProbability),
          predictions.map((p) => (p.actual === 'lost' ? 1 : 0)),
        ),
      ).toBeCloseTo(report.priorLogLoss, 12);
      expect(report.statusReason).toMatch(
        /worse than the base rate's .*Every deal therefore gets the base rate \(\d+% lost\): log-loss 0\.\d{4}, equal to the base rate's$/,
      );
      return;
    }
    throw new Error('no seed made the fitted model worse than the base rate: the fallback was not exercised');
  });
});
