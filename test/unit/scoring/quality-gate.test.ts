import { describe, expect, it } from 'vitest';
import { backtest, gate, trainAndEvaluate } from '../../../src/core/backtest/backtest.ts';
import { compileScorer } from '../../../src/core/scoring/scorer.ts';
import { trainModel } from '../../../src/core/scoring/train.ts';
import { aDeal, day, syntheticClosed, testConfig } from './builders.ts';

const cfg = testConfig();
const asOf = day('2024-06-01');

describe('quality gate', () => {
  it('reports no_signal on pure noise, and scores stay near the base rate', () => {
    const noise = syntheticClosed({ n: 1500, seed: 11 });
    const { model, report } = trainAndEvaluate({ deals: noise }, { config: cfg, tenantId: 't1', trainedAt: asOf });
    expect(report!.status).toBe('no_signal');
    expect(model.status).toBe('no_signal');
    expect(report!.split).toBe('time');
    const s = compileScorer(model, { config: cfg }).score(aDeal({ leadSource: 'Partner' }), asOf);
    expect(s.confidence).toBe('low');
    expect(s.modelStatus).toBe('no_signal');
    expect(Math.abs(s.lossProbability - model.prior.lossRate)).toBeLessThan(0.1);
  });

  it('reports ok with a real signal, with log-loss and Brier better than the prior', () => {
    const deals = syntheticClosed({ n: 1500, seed: 12, lossProb: (d) => (d.leadSource === 'Partner' ? 0.85 : 0.3) });
    const { report } = backtest({ deals }, { config: cfg, tenantId: 't1', trainedAt: asOf });
    expect(report.status).toBe('ok');
    expect(report.auc).toBeGreaterThan(0.65);
    expect(report.aucLow).toBeGreaterThan(0.5);
    expect(report.logLoss).toBeLessThan(report.priorLogLoss);
    expect(report.brier).toBeLessThan(report.priorBrier);
    expect(report.calibration.length).toBe(10);
    expect(report.nTrain + report.nTest).toBe(1500);
  });

  it('applies the thresholds exactly as defined', () => {
    const base = { auc: 0.7, aucLow: 0.65, aucHigh: 0.75, logLoss: 0.5, priorLogLoss: 0.6 };
    expect(gate(base, cfg).status).toBe('ok');
    expect(gate({ ...base, aucLow: 0.49 }, cfg).status).toBe('no_signal');
    expect(gate({ ...base, logLoss: 0.6 }, cfg).status).toBe('no_signal');
    expect(gate({ ...base, auc: 0.58, aucLow: 0.55 }, cfg).status).toBe('experimental');
    expect(gate({ ...base, auc: 0.4, aucLow: 0.35, aucHigh: 0.45 }, cfg).status).toBe('experimental');
  });
});

describe('leakage check', () => {
  it('drops a planted column that gives the outcome away and names it', () => {
    const deals = syntheticClosed({ n: 1200, seed: 13, lossProb: (d) => (d.leadSource === 'Partner' ? 0.7 : 0.4) }).map((d, i) => ({
      ...d,
      extras: { close_reason: d.stage.status === 'lost' ? ['price', 'timing', 'competitor'][i % 3]! : 'signed' },
    }));
    const model = trainModel({ deals }, { config: cfg, tenantId: 't1', trainedAt: asOf });
    expect(model.dropped.map((d) => d.feature)).toEqual(['extras.close_reason']);
    expect(model.dropped[0]!.auc).toBeGreaterThan(0.95);
    expect(model.features.map((f) => f.id)).not.toContain('extras.close_reason');
    expect(model.columns.some((c) => c.id.includes('close_reason'))).toBe(false);
    expect(model.notes.join(' ')).toMatch(/Close reason/);
    const { report } = backtest({ deals }, { config: cfg, tenantId: 't1', trainedAt: asOf });
    expect(report.droppedFeatures.map((d) => d.feature)).toContain('extras.close_reason');
  });
});
