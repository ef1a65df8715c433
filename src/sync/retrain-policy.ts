import { auc } from '../core/backtest/metrics.ts';
import type { SyncConfig } from './config.ts';
import type { BacktestFigures } from './scorer.ts';

export type RetrainReason = 'no_model' | 'new_closed' | 'age' | 'drift';

export interface RetrainInputs {
  /** The active model, or null when the tenant has none. */
  active: { trainedAt: Date; closedDeals: number } | null;
  /** The last training attempt, kept or not (a rejected candidate does not retrain every hour). */
  lastAttemptAt: Date | null;
  /** Closed deals the tenant has now that the last training did not see. */
  newClosed: number;
  drift: DriftReport | null;
  now: Date;
}

/** When to train: no model, enough new closed deals, a day old, or drift. Pure. */
export function retrainDue(i: RetrainInputs, cfg: SyncConfig['retrain']): RetrainReason | null {
  if (!i.active) return 'no_model';
  const needed = Math.max(1, Math.min(cfg.minNewClosed, Math.ceil(cfg.minNewClosedShare * i.active.closedDeals)));
  if (i.newClosed >= needed) return 'new_closed';
  if (i.drift?.drifted) return 'drift';
  const last = Math.max(i.active.trainedAt.getTime(), i.lastAttemptAt?.getTime() ?? 0);
  if (i.now.getTime() - last >= cfg.everyHours * 3_600_000) return 'age';
  return null;
}

/**
 * The "not worse" gate: a candidate replaces the active model unless its backtest AUC is lower
 * by more than the tolerance or its log-loss higher by more than the tolerance. A model without
 * a backtest (priors only) never replaces one that has one.
 */
export function notWorse(
  candidate: BacktestFigures,
  incumbent: BacktestFigures | null,
  gate: SyncConfig['retrain']['gate'],
): { accept: boolean; reason: string } {
  if (!incumbent) return { accept: true, reason: 'first model' };
  if (candidate.auc === null) {
    return incumbent.auc === null
      ? { accept: true, reason: 'neither model has a backtest: the newer priors win' }
      : { accept: false, reason: 'the candidate has no backtest; the active model has one' };
  }
  if (incumbent.auc === null) return { accept: true, reason: 'the active model has no backtest' };
  if (candidate.auc < incumbent.auc - gate.aucTolerance) {
    return { accept: false, reason: `AUC ${candidate.auc.toFixed(3)} is below the active model's ${incumbent.auc.toFixed(3)}` };
  }
  if (candidate.logLoss !== null && incumbent.logLoss !== null && candidate.logLoss > incumbent.logLoss + gate.logLossTolerance) {
    return {
      accept: false,
      reason: `log-loss ${candidate.logLoss.toFixed(4)} is above the active model's ${incumbent.logLoss.toFixed(4)}`,
    };
  }
  return { accept: true, reason: `AUC ${candidate.auc.toFixed(3)} vs ${incumbent.auc.toFixed(3)}: not worse` };
}

export interface DriftReport {
  /** Deals closed since training that the model had scored. */
  n: number;
  auc: number | null;
  /** The model's AUC on its own backtest. */
  baselineAuc: number | null;
  /** Mean predicted loss probability vs the observed loss rate. */
  predictedLossRate: number | null;
  observedLossRate: number | null;
  calibrationGap: number | null;
  drifted: boolean;
  reasons: string[];
}

/**
 * Compares what the model predicted for deals that have since closed with what happened:
 * calibration (mean predicted vs observed loss rate) and AUC against its own backtest. Pure.
 */
export function driftOf(
  outcomes: Array<{ score: number; lost: boolean }>,
  baselineAuc: number | null,
  cfg: SyncConfig['retrain']['drift'],
): DriftReport {
  const n = outcomes.length;
  const empty: DriftReport = {
    n,
    auc: null,
    baselineAuc,
    predictedLossRate: null,
    observedLossRate: null,
    calibrationGap: null,
    drifted: false,
    reasons: [],
  };
  if (n === 0) return empty;
  const p = Float64Array.from(outcomes, (o) => o.score / 100);
  const y = Float64Array.from(outcomes, (o) => (o.lost ? 1 : 0));
  const predicted = p.reduce((a, b) => a + b, 0) / n;
  const observed = y.reduce((a, b) => a + b, 0) / n;
  const a = auc(p, y);
  const report: DriftReport = {
    ...empty,
    auc: Number.isNaN(a) ? null : a,
    predictedLossRate: predicted,
    observedLossRate: observed,
    calibrationGap: Math.abs(predicted - observed),
  };
  if (n < cfg.minClosed) return report;
  if (report.calibrationGap! > cfg.maxCalibrationGap) {
    report.reasons.push(
      `predicted loss rate ${(predicted * 100).toFixed(0)}% vs observed ${(observed * 100).toFixed(0)}% on ${n} closed deals`,
    );
  }
  if (report.auc !== null && baselineAuc !== null && report.auc < baselineAuc - cfg.maxAucDrop) {
    report.reasons.push(`AUC ${report.auc.toFixed(3)} on ${n} closed deals vs ${baselineAuc.toFixed(3)} in the backtest`);
  }
  report.drifted = report.reasons.length > 0;
  return report;
}
