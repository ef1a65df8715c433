import type { Deal } from '../deal.ts';
import { baseRateOnly, centredOverall } from '../scoring/calibration.ts';
import type { ScoringConfig } from '../scoring/config.ts';
import type { ModelStatus, RiskModel } from '../scoring/model.ts';
import { buildRows, type DealSnapshot } from '../scoring/rows.ts';
import { compileScorer } from '../scoring/scorer.ts';
import { holdoutDeals, type TrainingData, type TrainOptions, trainModel } from '../scoring/train.ts';
import { type BaselineReport, evaluateBaselines, type StageProbability } from './baselines.ts';
import { auc, bootstrapAuc, brier, type CalibrationBin, calibrationTable, liftAt, logLoss, prAuc } from './metrics.ts';

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
  /**
   * The fitted model's log-loss on these deals centred on the recent window and on every
   * training deal. Re-centring on the recent window is kept only when it beats the overall rate
   * here (null: the model has no recent window to centre on).
   */
  recentCentring: { recentLogLoss: number; overallLogLoss: number; beatsOverall: boolean } | null;
  /**
   * Set when the fitted model had no signal and a log-loss worse than the base rate's: the scores
   * (and every figure above) are then the base rate's, and these are the fitted model's figures.
   */
  baseRateFallback: { auc: number; aucLow: number; aucHigh: number; logLoss: number } | null;
  /**
   * The CRM's stage probability (when mapped) and naive Bayes over the same fields, measured on
   * the same held-out deals at the same moments as the model (the prior's figures are above).
   */
  baselines: BaselineReport[];
  status: GateStatus;
  statusReason: string;
}

/** "log-loss 0.6615, 0.0110 worse than the base rate's 0.6505": how far from the prior, which way. */
export function versusBaseRate(logLoss: number, priorLogLoss: number): string {
  const d = priorLogLoss - logLoss;
  const ll = `log-loss ${logLoss.toFixed(4)}`;
  if (!Number.isFinite(d)) return `${ll} vs ${priorLogLoss.toFixed(4)} for the base rate`;
  if (Math.abs(d) < 5e-5) return `${ll}, equal to the base rate's`;
  const share = priorLogLoss > 0 ? ` (${Math.abs((100 * d) / priorLogLoss).toFixed(1)}%)` : '';
  return `${ll}, ${Math.abs(d).toFixed(4)}${share} ${d > 0 ? 'better' : 'worse'} than the base rate's ${priorLogLoss.toFixed(4)}`;
}

/**
 * The gate: an AUC interval containing 0.5 or a log-loss no better than the prior's means no
 * signal; an AUC below `experimentalBelowAuc` is experimental; otherwise ok. The reason always
 * says how the log-loss compares with the base rate's.
 */
export function gate(
  r: Pick<BacktestReport, 'auc' | 'aucLow' | 'aucHigh' | 'logLoss' | 'priorLogLoss'>,
  cfg: ScoringConfig,
): { status: GateStatus; reason: string } {
  const f = (x: number): string => x.toFixed(3);
  const vs = versusBaseRate(r.logLoss, r.priorLogLoss);
  if (!Number.isFinite(r.auc) || (r.aucLow <= 0.5 && r.aucHigh >= 0.5)) {
    return {
      status: 'no_signal',
      reason: `AUC ${f(r.auc)} [${f(r.aucLow)}, ${f(r.aucHigh)}]: the interval contains 0.5, so the ranking is no better than chance; ${vs}`,
    };
  }
  if (r.logLoss >= r.priorLogLoss) {
    return { status: 'no_signal', reason: `${vs}: no better than the base rate (AUC ${f(r.auc)} [${f(r.aucLow)}, ${f(r.aucHigh)}])` };
  }
  if (r.auc < cfg.backtest.experimentalBelowAuc) {
    return { status: 'experimental', reason: `AUC ${f(r.auc)} is below ${cfg.backtest.experimentalBelowAuc}; ${vs}` };
  }
  return { status: 'ok', reason: `AUC ${f(r.auc)} [${f(r.aucLow)}, ${f(r.aucHigh)}], ${vs}` };
}

/** One held-out deal as the backtest scored it (what `evaluate --predictions` writes). */
export interface BacktestPrediction {
  externalId: string;
  actual: 'won' | 'lost';
  lossProbability: number;
  /** round(100 × lossProbability), as a live score would show it. */
  riskScore: number;
}

export interface BacktestOptions extends TrainOptions {
  /** An explicit test set (e.g. a file's closed deals); otherwise the latest 20% by close date. */
  test?: readonly Deal[];
  testSnapshots?: readonly DealSnapshot[];
  /** The active model: scored on the same held-out deals as the candidate (`headToHead`). */
  incumbent?: RiskModel;
  /**
   * Each open stage's usual CRM probability, from the tenant's open deals (stageProbabilityTable):
   * the CRM's stage-probability baseline for held-out deals replayed at a stage.
   */
  stageProbabilities?: readonly StageProbability[];
}

/** Both models' figures on one set of held-out deals: what the "not worse" retrain gate compares. */
export interface HeadToHead {
  /** Held-out deals both models were scored on. */
  deals: number;
  /**
   * True when only held-out deals that closed after the active model was trained were compared:
   * it never learnt from them, as the candidate's backtest model never did. When fewer than
   * HEAD_TO_HEAD_MIN_UNSEEN of each outcome closed since, every held-out deal is compared, and the
   * active model has learnt from some of them (an advantage that only makes the gate stricter).
   */
  unseenOnly: boolean;
  candidate: { auc: number; logLoss: number };
  incumbent: { auc: number; logLoss: number };
}

/** Held-out deals of each outcome the active model never saw before the comparison keeps to them. */
export const HEAD_TO_HEAD_MIN_UNSEEN = 10;

/** Splits, trains on the earlier part, and scores the held-out closed deals as they were while open. */
export function backtest(
  data: TrainingData,
  opts: BacktestOptions,
): { report: BacktestReport; model: RiskModel; predictions: BacktestPrediction[]; headToHead: HeadToHead | null } {
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
  const fitted = trainModel({ deals: train, snapshots: data.snapshots }, opts);
  // One moment per test deal: the middle of its replayed (or snapshotted) open life.
  const rows = buildRows(test, opts.testSnapshots ?? data.snapshots ?? [], cfg.momentsPerDeal);
  const pick = new Map<number, number[]>();
  rows.dealOf.forEach((d, i) => {
    const idx = pick.get(d);
    if (idx) idx.push(i);
    else pick.set(d, [i]);
  });
  const views = [...pick.values()].map((idx) => idx[Math.floor((idx.length - 1) / 2)]!);
  const y = views.map((i) => rows.y[i]!);
  const predict = (m: RiskModel): number[] => {
    const scorer = compileScorer(m, { config: cfg });
    return views.map((i) => scorer.lossProbabilityAt(rows.views[i]!));
  };
  const lostTrain = train.filter((d) => d.stage.status === 'lost').length;
  const trainLossRate = train.length ? lostTrain / train.length : 0.5;
  const priorP = y.map(() => trainLossRate);
  const priorLogLoss = logLoss(priorP, y);

  const recentCentring = compareCentrings(fitted, predict, y);
  let model = recentCentring?.beatsOverall === false ? centredOverall(fitted) : fitted;
  let p = predict(model);
  const figures = (q: number[]) => {
    const ci = bootstrapAuc(q, y, cfg.backtest.bootstrap, cfg.backtest.seed);
    return { auc: auc(q, y), aucLow: ci.low, aucHigh: ci.high, logLoss: logLoss(q, y), priorLogLoss };
  };
  let base = figures(p);
  let g = gate(base, cfg);
  let baseRateFallback: BacktestReport['baseRateFallback'] = null;
  // A model with no signal must not do worse than the rate it is measured against (1e-9: a model
  // already flat matches the base rate only to the solver's tolerance).
  if (g.status === 'no_signal' && base.logLoss - priorLogLoss > 1e-9 && model.kind !== 'prior') {
    const { auc: a, aucLow, aucHigh, logLoss: ll } = base;
    baseRateFallback = { auc: a, aucLow, aucHigh, logLoss: ll };
    model = baseRateOnly(model);
    p = predict(model);
    base = figures(p);
    g = {
      status: 'no_signal',
      reason: `${g.reason}. Every deal therefore gets the base rate (${Math.round(100 * trainLossRate)}% lost): ${versusBaseRate(base.logLoss, priorLogLoss)}`,
    };
  }
  const report: BacktestReport = {
    split,
    nTrain: train.length,
    nTest: p.length,
    trainLossRate,
    testLossRate: y.reduce((s, v) => s + v, 0) / Math.max(1, y.length),
    ...base,
    prAuc: prAuc(p, y),
    prAucWin: prAuc(
      p.map((v) => 1 - v),
      y.map((v) => 1 - v),
    ),
    brier: brier(p, y),
    priorBrier: brier(priorP, y),
    calibration: calibrationTable(p, y),
    liftTop20: liftAt(p, y, 0.2),
    droppedFeatures: model.dropped,
    modelKind: model.kind,
    recentCentring,
    baseRateFallback,
    baselines: evaluateBaselines({
      train,
      known: data.deals.concat(
        (data.snapshots ?? []).map((s) => s.deal),
        (opts.testSnapshots ?? []).map((s) => s.deal),
      ),
      ...(opts.stageProbabilities ? { stageProbabilities: opts.stageProbabilities } : {}),
      views: views.map((i) => rows.views[i]!),
      y,
      modelP: p,
      baseRate: trainLossRate,
      labels: cfg.labels,
      bootstrap: cfg.backtest.bootstrap,
      seed: cfg.backtest.seed,
    }),
    status: g.status,
    statusReason: g.reason,
  };
  const predictions = views.map((i, k): BacktestPrediction => {
    const d = rows.deals[rows.dealOf[i]!]!;
    return { externalId: d.externalId, actual: y[k] ? 'lost' : 'won', lossProbability: p[k]!, riskScore: Math.round(100 * p[k]!) };
  });
  const headToHead = opts.incumbent
    ? compareOnHoldout(
        p,
        predict(opts.incumbent),
        y,
        views.map((i) => rows.deals[rows.dealOf[i]!]!),
        Date.parse(opts.incumbent.trainedAt),
      )
    : null;
  return { report, model, predictions, headToHead };
}

/**
 * The candidate's and the active model's predictions on the same held-out deals: those closed
 * after the active model was trained when there are enough of each outcome, else all of them.
 */
function compareOnHoldout(candidate: number[], incumbent: number[], y: number[], deals: Deal[], incumbentTrainedAt: number): HeadToHead {
  const unseen = deals.map((d) => d.closedAt !== null && d.closedAt.getTime() > incumbentTrainedAt);
  const lostUnseen = y.filter((v, k) => unseen[k] && v === 1).length;
  const wonUnseen = y.filter((v, k) => unseen[k] && v === 0).length;
  const unseenOnly = Math.min(lostUnseen, wonUnseen) >= HEAD_TO_HEAD_MIN_UNSEEN;
  const keep = (xs: number[]) => (unseenOnly ? xs.filter((_, k) => unseen[k]) : xs);
  const ys = keep(y);
  const on = (q: number[]) => ({ auc: auc(keep(q), ys), logLoss: logLoss(keep(q), ys) });
  return { deals: ys.length, unseenOnly, candidate: on(candidate), incumbent: on(incumbent) };
}

/** The fitted model's log-loss on the test deals with each centring (null without a recent window). */
function compareCentrings(m: RiskModel, predict: (m: RiskModel) => number[], y: number[]): BacktestReport['recentCentring'] {
  const o = m.calibration.offsets;
  if (!o || o.recent === null) return null;
  const at = (offset: number): number => logLoss(predict({ ...m, calibration: { ...m.calibration, offset } }), y);
  const recentLogLoss = at(o.recent);
  const overallLogLoss = at(o.overall);
  return { recentLogLoss, overallLogLoss, beatsOverall: recentLogLoss < overallLogLoss };
}

/**
 * A model trained on every closed deal, settled by its backtest: re-centred on the recent window
 * only when that beat the overall rate on the backtest's held-out deals; reduced to the base rate
 * when the backtest did so; stamped with the backtest's status. Notes say what changed.
 */
export function settleModel(model: RiskModel, report: BacktestReport): RiskModel {
  const notes = [...model.notes];
  let m = model;
  if (m.calibration.centring === 'recent' && !report.recentCentring?.beatsOverall) {
    m = centredOverall(m);
    const r = report.recentCentring;
    notes.push(
      r
        ? `Recent closed deals lose at a different rate, but centring on them did worse on the backtest's later deals (log-loss ${r.recentLogLoss.toFixed(4)} vs ${r.overallLogLoss.toFixed(4)}): scores are centred on every closed deal.`
        : 'Recent closed deals lose at a different rate, but the backtest could not test centring on them: scores are centred on every closed deal.',
    );
  }
  if (report.baseRateFallback && m.kind !== 'prior') {
    m = baseRateOnly(m);
    notes.push(
      `No signal, and the fitted model did worse than the base rate on its backtest: every deal gets the base rate (${Math.round((100 * m.prior.lost) / Math.max(1, m.prior.won + m.prior.lost))}% lost).`,
    );
  }
  return { ...m, notes, status: modelStatusFor(m.kind, report.status) };
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
  return { model: settleModel(model, report), report };
}
