import { describe, expect, it } from 'vitest';
import { loadSyncConfig } from '../../../src/sync/config.ts';
import { driftOf, notWorse, retrainDue } from '../../../src/sync/retrain-policy.ts';

const cfg = loadSyncConfig().retrain;
const now = new Date('2026-11-24T10:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
const figures = (auc: number | null, logLoss: number | null) => ({ auc, logLoss, status: 'ok', nTest: 100 });

describe('when to retrain', () => {
  const active = { trainedAt: hoursAgo(2), closedDeals: 1000 };
  it('trains a tenant that has no model', () => {
    expect(retrainDue({ active: null, lastAttemptAt: null, newClosed: 0, drift: null, now }, cfg)).toBe('no_model');
  });
  it('waits for the smaller of 50 new closed deals or 10% of those it learnt from', () => {
    expect(retrainDue({ active, lastAttemptAt: null, newClosed: 49, drift: null, now }, cfg)).toBeNull();
    expect(retrainDue({ active, lastAttemptAt: null, newClosed: 50, drift: null, now }, cfg)).toBe('new_closed');
    const small = { trainedAt: hoursAgo(2), closedDeals: 80 };
    expect(retrainDue({ active: small, lastAttemptAt: null, newClosed: 8, drift: null, now }, cfg)).toBe('new_closed');
    expect(retrainDue({ active: small, lastAttemptAt: null, newClosed: 7, drift: null, now }, cfg)).toBeNull();
  });
  it('retrains daily, counting a rejected attempt as the last training', () => {
    const old = { trainedAt: hoursAgo(30), closedDeals: 1000 };
    expect(retrainDue({ active: old, lastAttemptAt: null, newClosed: 0, drift: null, now }, cfg)).toBe('age');
    expect(retrainDue({ active: old, lastAttemptAt: hoursAgo(3), newClosed: 0, drift: null, now }, cfg)).toBeNull();
  });
  it('retrains on drift', () => {
    const drift = driftOf(
      Array.from({ length: 40 }, () => ({ score: 10, lost: true })),
      0.8,
      cfg.drift,
    );
    expect(retrainDue({ active, lastAttemptAt: null, newClosed: 0, drift, now }, cfg)).toBe('drift');
  });
});

describe('the "not worse" gate', () => {
  it('accepts the first model', () => expect(notWorse(figures(0.6, 0.7), null, cfg.gate).accept).toBe(true));
  it('accepts a model within the tolerance and rejects a worse one, saying why', () => {
    expect(notWorse(figures(0.795, 0.5), figures(0.8, 0.5), cfg.gate).accept).toBe(true);
    expect(notWorse(figures(0.78, 0.5), figures(0.8, 0.5), cfg.gate)).toEqual({
      accept: false,
      reason: "AUC 0.780 is below the active model's 0.800",
    });
    expect(notWorse(figures(0.8, 0.52), figures(0.8, 0.5), cfg.gate).reason).toMatch(/log-loss 0\.5200 is above/);
  });
  it('never replaces a backtested model with priors, but lets newer priors replace old ones', () => {
    expect(notWorse(figures(null, null), figures(0.7, 0.6), cfg.gate).accept).toBe(false);
    expect(notWorse(figures(null, null), figures(null, null), cfg.gate).accept).toBe(true);
    expect(notWorse(figures(0.7, 0.6), figures(null, null), cfg.gate).accept).toBe(true);
  });
});

describe('drift', () => {
  it('compares what the model predicted for deals that closed with what happened', () => {
    const outcomes = [
      ...Array.from({ length: 20 }, () => ({ score: 80, lost: true })),
      ...Array.from({ length: 20 }, () => ({ score: 20, lost: false })),
    ];
    const d = driftOf(outcomes, 0.8, cfg.drift);
    expect(d).toMatchObject({ n: 40, auc: 1, observedLossRate: 0.5, drifted: false });
    expect(d.predictedLossRate).toBeCloseTo(0.5, 12);
    expect(d.calibrationGap).toBeCloseTo(0, 12);
  });
  it('flags a calibration gap and an AUC drop, but not on too few deals', () => {
    const miscalibrated = Array.from({ length: 40 }, (_, i) => ({ score: 10, lost: i % 4 !== 0 }));
    expect(driftOf(miscalibrated, null, cfg.drift)).toMatchObject({
      drifted: true,
      reasons: [expect.stringContaining('predicted loss rate 10% vs observed 75%')],
    });
    expect(driftOf(miscalibrated.slice(0, 10), null, cfg.drift).drifted).toBe(false);
    const shuffled = Array.from({ length: 40 }, (_, i) => ({ score: i % 2 ? 70 : 30, lost: i % 4 < 2 }));
    expect(driftOf(shuffled, 0.8, cfg.drift).reasons).toEqual([expect.stringMatching(/AUC 0\.500 on 40 closed deals vs 0\.800/)]);
  });
});
