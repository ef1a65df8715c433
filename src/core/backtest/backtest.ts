import type { Deal } from '../deal.ts';
import type { ScoringConfig } from '../scoring/config.ts';
import type { ModelStatus, RiskModel } from '../scoring/model.ts';
import { buildRows, type DealSnapshot } from '../scoring/rows.ts';
import { compileScorer } from '../scoring/scorer.ts';
import { holdoutDeals, trainModel, type TrainOptions, type TrainingData } from '../scoring/train.ts';
import { auc, bootstrapAuc, brier, calibrationTable, liftAt, logLoss, prAuc, type CalibrationBin } from './metrics.ts';

/** The quality gate's verdict: `no_signal` scores are shown as experimental and tasks withheld. */
export type GateStatus = 'ok' | 'experimental' | 'no_signal';

/** A backtest an admin can read: the model next to the "always predict the base rate" prior. */
export interface BacktestReport {
  split: 'time' | 'hash' | 'explicit';
  nTrain: number;
  nTest: number;
  trainLossRate: number;
  testLossRate: number;
  /** ROC-AUC for loss (equals the AUC for win) with a bootstrap 95% interval. */
  auc: number;
  aucLow: number;
  aucHigh: number;
  /** Average precision with LOSS as the positive class, and with WIN. */
  prAuc: number;
  prAucWin: number;
  logLoss: number;
  priorLogLoss: number;
  brier: number;
  priorBrier: number;
  /** Predicted vs observed loss rate by decile of predicted loss. */
  calibration: CalibrationBin[];
  /** Loss rate in the riskiest 20% ÷ overall loss rate. */
  liftTop20: number;
  droppedFeatures: RiskModel['dropped'];
  modelKind: RiskModel['kind'];
  status: GateStatus;
  statusReason: string;
}

/**
 * The gate: an AUC interval containing 0.5 or a log-loss no better than the prior's means no
 * signal; an AUC below `experimentalBelowAuc` is experimental; otherwise ok.
 */
export function gate(r: Pick<BacktestReport, 'auc' | 'aucLow' | 'aucHigh' | 'logLoss' | 'priorLogLoss'>, cfg: ScoringConfig): { status: GateStatus; reason: string } {
  const f = (x: number): string => x.toFixed(3);
  if (!Number.isFinite(r.auc) || (r.aucLow <= 0.5 && r.aucHigh >= 0.5)) {
    return { status: 'no_signal', reason: `AUC ${f(r.auc)} [${f(r.aucLow)}, ${f(r.aucHigh)}]: the interval contains 0.5, so the ranking is no better than chance` };
  }
  if (r.logLoss >= r.priorLogLoss) {
    return { status: 'no_signal', reason: `log-loss ${r.logLoss.toFixed(4)} is no better than the base rate's ${r.priorLogLoss.toFixed(4)}` };
  }
  if (r.auc < cfg.backtest.experimentalBelowAuc) {
    return { status: 'experimental', reason: `AUC ${f(r.auc)} is below ${cfg.backtest.experimentalBelowAuc}` };
  }
  return { status: 'ok', reason: `AUC ${f(r.auc)} [${f(r.aucLow)}, ${f(r.aucHigh)}], log-loss ${r.logLoss.toFixed(4)} vs ${r.priorLogLoss.toFixed(4)} for the base rate` };
}

export interface BacktestOptions extends TrainOptions {
  /** An explicit test set (e.g. a file's closed deals); otherwise the latest 20% by close date. */
  test?: readonly Deal[];
  testSnapshots?: readonly DealSnapshot[];
}

/** Splits, trains on the earlier part, and scores the held-out closed deals as they were while open. */
export function backtest(data: TrainingData, opts: BacktestOptions): { report: BacktestReport; model: RiskModel } {
  const cfg = opts.config;
  const closed = data.deals.filter((d) => d.stage.status !== 'open');
  let train: Deal[];
  let test: Deal[];
  let split: BacktestReport['split'];
  if (opts.test) {
    train = closed;
    test = opts.test.filter((d) => d.stage.status !== 'open');
    split = 'explicit';
  } else {
    const hold = holdoutDeals(closed, cfg.holdoutFraction);
    train = closed.filter((_, i) => !hold[i]);
    test = closed.filter((_, i) => hold[i]);
    split = closed.filter((d) => d.closedAt).length >= 0.8 * closed.length ? 'time' : 'hash';
  }
  const model = trainModel({ deals: train, snapshots: data.snapshots }, opts);
  const scorer = compileScorer(model, { config: cfg });
  // One moment per test deal: the middle of its replayed (or snapshotted) open life.
  const rows = buildRows(test, opts.testSnapshots ?? data.snapshots ?? [], cfg.momentsPerDeal);
  const pick = new Map<number, number[]>();
  rows.dealOf.forEach((d, i) => (pick.get(d) ?? pick.set(d, []).get(d)!).push(i));
  const p: number[] = [];
  const y: number[] = [];
  for (const idx of pick.values()) {
    const i = idx[Math.floor((idx.length - 1) / 2)]!;
    p.push(scorer.lossProbabilityAt(rows.views[i]!));
    y.push(rows.y[i]!);
  }
  const lostTrain = train.filter((d) => d.stage.status === 'lost').length;
  const trainLossRate = train.length ? lostTrain / train.length : 0.5;
  const priorP = p.map(() => trainLossRate);
  const a = auc(p, y);
  const ci = bootstrapAuc(p, y, cfg.backtest.bootstrap, cfg.backtest.seed);
  const base = { auc: a, aucLow: ci.low, aucHigh: ci.high, logLoss: logLoss(p, y), priorLogLoss: logLoss(priorP, y) };
  const g = gate(base, cfg);
  const report: BacktestReport = {
    split,
    nTrain: train.length,
    nTest: p.length,
    trainLossRate,
    testLossRate: y.reduce((s, v) => s + v, 0) / Math.max(1, y.length),
    ...base,
    prAuc: prAuc(p, y),
    prAucWin: prAuc(p.map((v) => 1 - v), y.map((v) => 1 - v)),
    brier: brier(p, y),
    priorBrier: brier(priorP, y),
    calibration: calibrationTable(p, y),
    liftTop20: liftAt(p, y, 0.2),
    droppedFeatures: model.dropped,
    modelKind: model.kind,
    status: g.status,
    statusReason: g.reason,
  };
  return { report, model };
}

/** The status a model carries given its kind and its backtest verdict. */
export function modelStatusFor(kind: RiskModel['kind'], gateStatus: GateStatus): ModelStatus {
  if (kind === 'prior') return 'prior_only';
  if (kind === 'segment_prior') return gateStatus === 'no_signal' ? 'no_signal' : 'low_confidence';
  return gateStatus;
}

/**
 * What the sync engine and `dealrisk train` call: backtest on the latest 20%, then train on every
 * closed deal and stamp the backtest's status on the model.
 */
export function trainAndEvaluate(data: TrainingData, opts: TrainOptions): { model: RiskModel; report: BacktestReport | null } {
  const closed = data.deals.filter((d) => d.stage.status !== 'open');
  const model = trainModel(data, opts);
  const won = closed.filter((d) => d.stage.status === 'won').length;
  // A backtest needs both outcomes on both sides of the split.
  if (won < 2 || closed.length - won < 2 || closed.length < 10) return { model, report: null };
  const { report } = backtest(data, opts);
  return { model: { ...model, status: modelStatusFor(model.kind, report.status) }, report };
}
