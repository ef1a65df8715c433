import { auc } from '../backtest/metrics.ts';
import type { Deal } from '../deal.ts';
import type { ScoringConfig } from './config.ts';
import {
  buildDesign,
  type CodedFeature,
  type CrossCandidate,
  codeFeatures,
  crossCandidates,
  crossCodes,
  type Design,
  planColumns,
} from './design.ts';
import { candidateFeatures, segmentKeyFn } from './features.ts';
import { fitLogistic } from './logistic.ts';
import { MODEL_SCHEMA_VERSION, type ModelColumn, type RiskModel } from './model.ts';
import { buildRows, type DealSnapshot, foldsFor, type TrainingRows } from './rows.ts';

export { holdoutDeals } from './calibration.ts';

import { driftedRecently, holdoutDeals, interceptShift } from './calibration.ts';
import { logit, median } from './stats.ts';
import { targetEncode } from './target-encoding.ts';

/** What a tenant's model learns from: its deals (open ones are ignored) and optional snapshots. */
export interface TrainingData {
  deals: readonly Deal[];
  snapshots?: readonly DealSnapshot[];
}

export interface TrainOptions {
  config: ScoringConfig;
  tenantId: string;
  /** The training moment (recorded on the model; nothing reads a clock). */
  trainedAt: Date;
  version?: number;
}

type Header = Pick<RiskModel, 'format' | 'schemaVersion' | 'tenantId' | 'version' | 'trainedAt' | 'segmentBy'>;

/** Median days to win, overall and per segment with at least 5 won deals. */
function cycleMedians(closed: readonly Deal[], segmentBy: string[]): RiskModel['cycles'] {
  const all: number[] = [];
  const by = new Map<string, number[]>();
  const segmentKey = segmentKeyFn(segmentBy);
  for (const d of closed) {
    if (d.stage.status !== 'won' || !d.createdAt || !d.closedAt) continue;
    const days = (d.closedAt.getTime() - d.createdAt.getTime()) / 86_400_000;
    if (days < 0) continue;
    all.push(days);
    const k = segmentKey(d);
    (by.get(k) ?? by.set(k, []).get(k)!).push(days);
  }
  const bySegment: Record<string, number> = {};
  for (const [k, v] of by) if (v.length >= 5) bySegment[k] = median(v);
  return { overall: all.length ? median(all) : null, bySegment };
}

export function cycleLookup(cycles: RiskModel['cycles'], segmentBy: string[]): (d: Deal) => number | null {
  const key = segmentKeyFn(segmentBy);
  return (d) => cycles.bySegment[key(d)] ?? cycles.overall;
}

/**
 * Trains a tenant's risk model on its closed deals as of `trainedAt`. Picks the model kind from
 * the data: a calibrated logistic regression with enough history, shrunken segment priors with
 * little, a neutral prior with none. The result is plain JSON-able data (see serializeModel).
 */
export function trainModel(data: TrainingData, opts: TrainOptions): RiskModel {
  const cfg = opts.config;
  const closed = data.deals.filter((d) => d.stage.status !== 'open');
  const won = closed.filter((d) => d.stage.status === 'won').length;
  const lost = closed.length - won;
  const header: Header = {
    format: 'dealrisk.model',
    schemaVersion: MODEL_SCHEMA_VERSION,
    tenantId: opts.tenantId,
    version: opts.version ?? 1,
    trainedAt: opts.trainedAt.toISOString(),
    segmentBy: cfg.segmentBy,
  };
  if (closed.length === 0) return priorModel(header, cfg);
  const cycles = cycleMedians(closed, cfg.segmentBy);
  const cycleFor = cycleLookup(cycles, cfg.segmentBy);
  const rows = buildRows(closed, data.snapshots ?? [], cfg.momentsPerDeal);
  const candidates = candidateFeatures(closed.concat((data.snapshots ?? []).map((s) => s.deal)), cfg.labels);
  const coded = codeFeatures(candidates, rows.views, rows.w, cycleFor, cfg);
  // Laplace-smoothed so one class alone never gives a rate of exactly 0 or 1.
  const prior = { lossRate: (lost + 1) / (closed.length + 2), won, lost };
  if (won < cfg.minClosedPerClass || lost < cfg.minClosedPerClass) {
    return segmentPriorModel(header, cfg, rows, coded, prior, cycles);
  }
  return logisticModel(header, cfg, rows, coded, prior, cycles);
}

function priorModel(header: Header, cfg: ScoringConfig): RiskModel {
  return {
    ...header,
    kind: 'prior',
    status: 'prior_only',
    confidence: 'low',
    prior: { lossRate: 1 - cfg.noHistoryWinRate, won: 0, lost: 0 },
    features: [],
    columns: [],
    intercept: logit(1 - cfg.noHistoryWinRate),
    calibration: { slope: 1, offset: 0, method: 'none' },
    cycles: { overall: null, bySegment: {} },
    dropped: [],
    training: { deals: 0, rows: 0, rowSource: 'none', iterations: 0, converged: true },
    notes: [
      `No closed deals yet: each deal's win probability is the CRM's stage probability when mapped, otherwise ${Math.round(cfg.noHistoryWinRate * 100)}%.`,
    ],
  };
}

function weightedMean(values: Float64Array, w: Float64Array): number {
  let s = 0;
  let sw = 0;
  for (let i = 0; i < values.length; i++) {
    s += values[i]! * w[i]!;
    sw += w[i]!;
  }
  return sw > 0 ? s / sw : 0;
}

function segmentPriorModel(
  header: Header,
  cfg: ScoringConfig,
  rows: TrainingRows,
  coded: CodedFeature[],
  prior: RiskModel['prior'],
  cycles: RiskModel['cycles'],
): RiskModel {
  const keep = coded.filter((f) => f.def.timing === 'static');
  const fold = new Uint8Array(rows.views.length);
  const m = Math.max(cfg.smoothing, 30);
  const columns: ModelColumn[] = keep.map((f) => {
    const enc = targetEncode({ codes: f.codes, nCodes: f.def.nCodes, y: rows.y, w: rows.w, fold, nFolds: 1, smoothing: m });
    const full = new Float64Array(f.codes.length);
    for (let i = 0; i < full.length; i++) full[i] = enc.table[f.codes[i]!]!;
    // Averaging the segments' log-odds deviations: correlated segments are not counted twice.
    return {
      id: f.def.id,
      group: f.def.id,
      kind: 'encoded',
      features: [keep.indexOf(f)],
      table: [...enc.table],
      weight: 1 / keep.length,
      mean: weightedMean(full, rows.w),
    };
  });
  return {
    ...header,
    kind: 'segment_prior',
    status: 'low_confidence',
    confidence: 'low',
    prior,
    features: keep.map((f) => f.def),
    columns,
    intercept: logit(prior.lossRate),
    calibration: { slope: 1, offset: 0, method: 'none' },
    cycles,
    dropped: [],
    training: { deals: rows.deals.length, rows: rows.views.length, rowSource: rows.source, iterations: 0, converged: true },
    notes: [
      `Only ${prior.won} won and ${prior.lost} lost closed deals (the model needs ${cfg.minClosedPerClass} of each): scores blend shrunken segment win rates and are low-confidence.`,
    ],
  };
}

/** Out-of-fold single-column AUCs; a column at or above the threshold alone is leakage. */
function leakyFeatures(coded: CodedFeature[], rows: TrainingRows, fold: Uint8Array, cfg: ScoringConfig): RiskModel['dropped'] {
  const dropped: RiskModel['dropped'] = [];
  const values = new Float64Array(rows.views.length);
  for (const f of coded) {
    targetEncode({
      codes: f.codes,
      nCodes: f.def.nCodes,
      y: rows.y,
      w: rows.w,
      fold,
      nFolds: cfg.folds,
      smoothing: cfg.smoothing,
      into: values,
    });
    const a = auc(values, rows.y);
    const strength = Math.max(a, 1 - a);
    if (strength > cfg.leakageAuc) dropped.push({ feature: f.def.id, label: f.def.label, auc: strength });
  }
  return dropped;
}

function linearPredictor(d: Design, fit: { intercept: number; weights: Float64Array }): (i: number) => number {
  const x = new Float64Array(d.p);
  return (i) => {
    d.fill(i, x, 0);
    let z = fit.intercept;
    for (let j = 0; j < d.p; j++) z += x[j]! * fit.weights[j]!;
    return z;
  };
}

/**
 * Fits on the rows with weight (the held-out deals have none) and returns the Platt slope of that
 * sub-model on the held-out rows. Its own function so the sub-model's design is garbage before
 * the full one is built.
 */
function plattSlope(dFit: Design, rows: TrainingRows, wFit: Float64Array, holdRows: number[], cfg: ScoringConfig): number {
  const sub = fitLogistic({ X: dFit, n: rows.views.length, p: dFit.p, y: rows.y, w: wFit, l2: cfg.l2 });
  const zSub = linearPredictor(dFit, sub);
  const z = new Float64Array(holdRows.length);
  const yh = new Uint8Array(holdRows.length);
  const wh = new Float64Array(holdRows.length);
  holdRows.forEach((i, k) => {
    z[k] = zSub(i);
    yh[k] = rows.y[i]!;
    wh[k] = rows.w[i]!;
  });
  const platt = fitLogistic({ X: z, n: z.length, p: 1, y: yh, w: wh, l2: 0 });
  // A negative slope means the sub-model is worse than useless on recent deals: flatten, don't invert.
  return Math.max(0, platt.weights[0]!);
}

function logisticModel(
  header: Header,
  cfg: ScoringConfig,
  rows: TrainingRows,
  codedAll: CodedFeature[],
  prior: RiskModel['prior'],
  cycles: RiskModel['cycles'],
): RiskModel {
  const n = rows.views.length;
  const fold = foldsFor(rows, cfg.folds);
  const dropped = leakyFeatures(codedAll, rows, fold, cfg);
  const coded = codedAll.filter((f) => !dropped.some((x) => x.feature === f.def.id));
  const plans = planColumns(coded, rows.views, cfg, selectCrosses(coded, rows, fold, cfg));

  // 1. Fit without the held-out (latest) deals, then calibrate on them.
  const hold = holdoutDeals(rows.deals, cfg.holdoutFraction);
  const wFit = new Float64Array(n);
  const holdRows: number[] = [];
  for (let i = 0; i < n; i++) {
    if (hold[rows.dealOf[i]!]) holdRows.push(i);
    else wFit[i] = rows.w[i]!;
  }
  const calibration: RiskModel['calibration'] = { slope: 1, offset: 0, method: 'none' };
  let holdLost = 0;
  for (const i of holdRows) holdLost += rows.y[i]!;
  const canCalibrate = holdLost >= 10 && holdRows.length - holdLost >= 10;
  if (canCalibrate) {
    calibration.slope = plattSlope(buildDesign(plans, rows, wFit, fold, cfg), rows, wFit, holdRows, cfg);
    calibration.method = 'platt';
  }

  // 2. Refit on every deal; keep the slope and re-centre the intercept on the recent outcomes.
  const design = buildDesign(plans, rows, rows.w, fold, cfg);
  const fit = fitLogistic({ X: design, n, p: design.p, y: rows.y, w: rows.w, l2: cfg.l2 });
  const zFit = linearPredictor(design, fit);
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = calibration.slope * zFit(i);
  const zOf = (i: number): number => z[i]!;
  const overall = interceptShift([...Array(n).keys()], zOf, rows);
  const recent = canCalibrate ? interceptShift(holdRows, zOf, rows) : null;
  // Re-centred on the recent deals only on real drift; the backtest then checks that it beats
  // the overall rate on later deals (settleModel), else the model goes back to `overall`.
  const drift = recent !== null && driftedRecently(holdRows, canCalibrate, rows);
  calibration.offset = drift ? recent : overall;
  calibration.centring = drift ? 'recent' : 'overall';
  calibration.offsets = { overall, recent };

  const columns: ModelColumn[] = plans.map((plan, j) => {
    const full = new Float64Array(n);
    if (plan.kind === 'encoded') {
      const t = design.tables[j]!;
      for (let i = 0; i < n; i++) full[i] = t[plan.codes![i]!]!;
      return {
        id: plan.id,
        group: plan.group,
        kind: 'encoded',
        features: plan.features,
        table: [...t],
        weight: fit.weights[j]!,
        mean: weightedMean(full, rows.w),
      };
    }
    const { center, scale, values } = design.linear[j]!;
    full.set(values);
    return {
      id: plan.id,
      group: plan.group,
      kind: 'linear',
      features: plan.features,
      center,
      scale,
      weight: fit.weights[j]!,
      mean: weightedMean(full, rows.w),
    };
  });
  const notes: string[] = [];
  if (dropped.length) notes.push(`Dropped as leakage (AUC alone > ${cfg.leakageAuc}): ${dropped.map((d) => d.label).join(', ')}.`);
  if (rows.source === 'moments')
    notes.push(
      'No snapshots yet: deals were replayed at past ages, so process fields (activity, pushes, close date) are not used until snapshots accumulate.',
    );
  if (rows.source === 'static') notes.push(noDatesNote(rows.deals));
  return {
    ...header,
    kind: 'logistic',
    status: 'untested',
    confidence: prior.won >= 200 && prior.lost >= 200 ? 'high' : 'medium',
    prior,
    features: coded.map((f) => f.def),
    columns,
    intercept: fit.intercept,
    calibration,
    cycles,
    dropped,
    training: { deals: rows.deals.length, rows: n, rowSource: rows.source, iterations: fit.iterations, converged: fit.converged },
    notes,
  };
}

/** Which date is missing when no closed deal can be replayed at past ages, and what that costs. */
function noDatesNote(closed: readonly Deal[]): string {
  const created = closed.some((d) => d.createdAt);
  const closedAt = closed.some((d) => d.closedAt);
  const cost =
    'so closed deals cannot be replayed at past ages: only values fixed at creation (segments, amount, extras) are used, not deal age, time in stage or stage history';
  const randomHoldout = 'and the backtest holds out a random share of deals instead of the latest';
  if (!created && !closedAt)
    return `No dates: createdAt and closedAt are empty on every closed deal, ${cost}, ${randomHoldout}. Map both to use them.`;
  if (!created)
    return `No creation dates: createdAt is empty on every closed deal (closedAt is there), ${cost}. Map createdAt to use them.`;
  if (!closedAt)
    return `No close dates: closedAt is empty on every closed deal (createdAt is there), ${cost}, ${randomHoldout}. Map closedAt to use them.`;
  return `No usable dates: no closed deal has both a createdAt and a later closedAt, ${cost}.`;
}

/**
 * The crosses to use: all of them up to the cap, else the strongest by out-of-fold AUC (in their
 * original order). Candidates are measured through one reused buffer of codes and one of values,
 * so only the kept crosses ever get codes of their own.
 */
function selectCrosses(coded: CodedFeature[], rows: TrainingRows, fold: Uint8Array, cfg: ScoringConfig): CrossCandidate[] {
  const crosses = crossCandidates(coded, rows.views.length, cfg);
  if (crosses.length <= cfg.maxCrosses) return crosses;
  const codes = new Uint16Array(rows.views.length);
  const values = new Float64Array(rows.views.length);
  const strength = new Map<CrossCandidate, number>();
  for (const c of crosses) {
    targetEncode({
      codes: crossCodes(coded, c, codes),
      nCodes: c.nCodes,
      y: rows.y,
      w: rows.w,
      fold,
      nFolds: cfg.folds,
      smoothing: cfg.smoothing,
      into: values,
    });
    strength.set(c, Math.abs(auc(values, rows.y) - 0.5));
  }
  const keep = new Set([...crosses].sort((a, b) => strength.get(b)! - strength.get(a)!).slice(0, cfg.maxCrosses));
  return crosses.filter((c) => keep.has(c));
}
