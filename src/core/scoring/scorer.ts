import type { ActionPlanner, RecommendedAction } from '../actions/evaluate.ts';
import { amountInReporting, type RatesBySource } from '../currency/convert.ts';
import type { Deal } from '../deal.ts';
import { baseLossRate, categoryOf, type RiskCategory, type ScoreBounds, scoreBounds } from './categories.ts';
import type { ScoringConfig } from './config.ts';
import { categoryReader, type DealView, numberCode, readNumber } from './features.ts';
import { LazyDriver, type SentenceCtx } from './lazy-driver.ts';
import { LazyTrace, traceOf, type ValueReader } from './lazy-trace.ts';
import type { BaseFeature, Confidence, ModelStatus, RiskModel } from './model.ts';
import type { ScoreTrace } from './risk-change.ts';
import type { SimilarDeal, SimilarIndex } from './similar.ts';
import { logit, sigmoid } from './stats.ts';
import { cycleLookup } from './train.ts';

/** One driver of one deal's risk: its exact share of the deal's log-odds of loss. */
export interface Driver {
  /** The feature (`leadSource`, `age_ratio`, `extras.x`); crosses are split between their two features. */
  feature: string;
  label: string;
  /** Additive contribution to the deal's loss log-odds relative to the tenant's average deal. */
  contribution: number;
  direction: 'raises_risk' | 'lowers_risk';
  /** Smoothed win rate of deals like this one on this feature, and overall. */
  winRate: number;
  overallWinRate: number;
  sentence: string;
}

/** How the score was obtained. */
export type ScoreBasis = 'model' | 'segment_prior' | 'crm_probability' | 'prior';

/** Everything the product shows and writes back for one open deal. */
export interface DealScore {
  externalId: string;
  source: Deal['source'];
  winProbability: number;
  lossProbability: number;
  /** round(100 × loss probability). */
  riskScore: number;
  category: RiskCategory;
  confidence: Confidence;
  modelVersion: number;
  modelStatus: ModelStatus;
  basis: ScoreBasis;
  scoredAt: Date;
  /** Loss log-odds of the tenant's average deal; baseline + Σ contributions = this deal's log-odds. */
  baselineLogit: number;
  logit: number;
  drivers: Driver[];
  actions: RecommendedAction[];
  similarWon: SimilarDeal[];
  /** Set when the score does not come from a fitted model ("No closed deals yet: ..."). */
  note: string | null;
  /** What the score history keeps to explain this score against another (built when read). */
  trace?: { toJSON(): ScoreTrace };
}

/** Every group's contribution, for a deal page or an audit ("why exactly this number?"). */
export interface Explanation {
  baselineLogit: number;
  logit: number;
  contributions: Array<{ feature: string; label: string; contribution: number }>;
}

export interface ScorerOptions {
  config: ScoringConfig;
  /** Compiled playbook (compilePlaybook); without it no actions are recommended. */
  actions?: ActionPlanner;
  similar?: SimilarIndex;
  /** Drivers reported per deal (default 3). */
  topDrivers?: number;
  /** The tenant's exchange rates: the amount sentence then gives the converted figure too. */
  rates?: RatesBySource;
}

export interface Scorer {
  readonly model: RiskModel;
  /** The score bounds of this model's categories under the tenant's thresholds. */
  readonly bounds: ScoreBounds;
  score(deal: Deal, asOf: Date): DealScore;
  scoreMany(deals: readonly Deal[], asOf: Date): DealScore[];
  /** Calibrated loss probability only (no drivers, actions or text). */
  lossProbability(deal: Deal, asOf: Date): number;
  explain(deal: Deal, asOf: Date): Explanation;
  /** Loss probability of a point-in-time view (backtests replay closed deals as they were). */
  lossProbabilityAt(view: DealView): number;
}

type Coder = (v: DealView) => number;

const NONE: never[] = [];

function coderFor(f: BaseFeature, cycleFor: (d: Deal) => number | null): Coder {
  if (f.kind === 'category') {
    const read = categoryReader(f.id);
    const index = new Map(f.levels!.map((l, i) => [l, i + 2]));
    return (v) => {
      const s = read(v);
      return s === null ? 0 : (index.get(s) ?? 1);
    };
  }
  const cuts = Float64Array.from(f.cuts!);
  return (v) => numberCode(readNumber(f.id, v, cycleFor), cuts);
}

/**
 * Compiles a model into a scorer. Everything that can be precomputed is (code tables, group
 * indexes, the average deal's log-odds), and per-deal work reuses typed buffers, so scoring with
 * drivers and actions runs at hundreds of thousands of deals per second.
 */
export function compileScorer(model: RiskModel, opts: ScorerOptions): Scorer {
  const cfg = opts.config;
  const k = opts.topDrivers ?? 3;
  const cycleFor = cycleLookup(model.cycles, model.segmentBy);
  const coders = model.features.map((f) => coderFor(f, cycleFor));
  const nF = coders.length;
  const cols = model.columns;
  const nC = cols.length;
  // Drivers are base features: a cross's contribution is split equally between its two parents,
  // so every contribution lands on a feature a rep recognises and the sum stays exact.
  const groups: string[] = model.features.map((f) => f.id);
  const nG = groups.length;
  const tables = cols.map((c) => Float64Array.from(c.table ?? []));
  // A column reads feature fa (and fb for a cross); its contribution goes to those features.
  const fa = Int32Array.from(cols.map((c) => c.features[0]!));
  const fb = Int32Array.from(cols.map((c) => c.features[1] ?? -1));
  const nb = Int32Array.from(cols.map((c) => (c.features[1] === undefined ? 0 : model.features[c.features[1]]!.nCodes)));
  const linear = Uint8Array.from(cols.map((c) => (c.kind === 'linear' ? 1 : 0)));
  const w = Float64Array.from(cols.map((c) => c.weight * model.calibration.slope));
  const mean = Float64Array.from(cols.map((c) => c.mean));
  const center = Float64Array.from(cols.map((c) => c.center ?? 0));
  const scale = Float64Array.from(cols.map((c) => c.scale ?? 1));
  let baseline = model.calibration.slope * model.intercept + model.calibration.offset;
  for (let j = 0; j < nC; j++) baseline += w[j]! * mean[j]!;
  // The main-effect column of each feature: its table gives the win rate quoted in sentences.
  const groupCol = new Int32Array(nG).fill(-1);
  cols.forEach((c, j) => {
    if (c.kind === 'encoded' && c.features.length === 1) groupCol[c.features[0]!] = j;
  });
  const priorLogit = logit(model.prior.lossRate);
  const overallWin = 1 - model.prior.lossRate;
  // One place decides categories: every score of this model gets them from these bounds.
  const bounds = scoreBounds(cfg.thresholds, baseLossRate(model.prior));
  const basis: ScoreBasis = model.kind === 'logistic' ? 'model' : model.kind === 'segment_prior' ? 'segment_prior' : 'prior';

  const codes = new Int32Array(nF);
  const contrib = new Float64Array(nG);
  const colContrib = new Float64Array(nC);
  const view: DealView = { deal: null as unknown as Deal, asOf: null, full: true };
  const top = new Int32Array(k);

  const cellCode = (j: number): number => {
    const b = fb[j]!;
    return b < 0 ? codes[fa[j]!]! : codes[fa[j]!]! * nb[j]! + codes[b]!;
  };

  /** Fills codes and contrib for a deal; returns its calibrated loss log-odds. */
  function evaluate(deal: Deal, asOf: Date | null, full = true): number {
    view.deal = deal;
    view.asOf = asOf;
    view.full = full;
    for (let f = 0; f < nF; f++) codes[f] = coders[f]!(view);
    contrib.fill(0);
    let z = baseline;
    for (let j = 0; j < nC; j++) {
      let x: number;
      if (linear[j]) {
        const a = deal.amount;
        x = a === null ? 0 : (Math.log1p(Math.max(a, 0)) - center[j]!) / scale[j]!;
      } else {
        // Inlined cellCode(j): this loop is the hot path.
        const b = fb[j]!;
        x = tables[j]![b < 0 ? codes[fa[j]!]! : codes[fa[j]!]! * nb[j]! + codes[b]!]!;
      }
      const c = w[j]! * (x - mean[j]!);
      colContrib[j] = c;
      const b = fb[j]!;
      if (b < 0) contrib[fa[j]!]! += c;
      else {
        contrib[fa[j]!]! += 0.5 * c;
        contrib[b]! += 0.5 * c;
      }
      z += c;
    }
    return z;
  }

  const groupLabel = model.features.map((f) => f.label);
  // The inputs a trace keeps: what each feature read, to tell a deal's change from the model's.
  const readers: ValueReader[] = model.features.map((f) => {
    if (f.kind === 'category') return categoryReader(f.id);
    return (v: DealView) => readNumber(f.id, v, cycleFor);
  });
  /** A deal's trace, evaluated again when a score is stored (LazyTrace). */
  function buildTrace(deal: Deal, asOf: Date): ScoreTrace {
    evaluate(deal, asOf);
    const inputs = readers.map((r) => r(view));
    return traceOf(model.version, baseline, groups, contrib, inputs);
  }

  function agreesWith(up: boolean, win: number): boolean {
    return up ? win < overallWin : win > overallWin;
  }
  const cellWin = (j: number): number => 1 - sigmoid(priorLogit + tables[j]![cellCode(j)]!);

  /**
   * A driver; its sentence is built only when read (most scores are stored, not displayed). The
   * sentence quotes an observed win rate that agrees with the driver's sign: the feature's own
   * segment when it does, else the strongest same-signed combination with another feature
   * ("Reseller deals under $2k win 15%"), since interactions can reverse a segment's overall effect.
   */
  function driverFor(g: number, deal: Deal, asOf: Date): Driver {
    const c = contrib[g]!;
    const up = c > 0;
    // No closure here: the tsx/esbuild transform wraps each created function (keepNames).
    const agrees = agreesWith;
    let j = groupCol[g]!;
    let winRate = cellWin(j);
    let bIdx = -1;
    if (!agrees(up, winRate)) {
      let best = -1;
      for (let k = 0; k < nC; k++) {
        if (fb[k]! < 0 || (fa[k] !== g && fb[k] !== g) || (up ? colContrib[k]! <= 0 : colContrib[k]! >= 0)) continue;
        if (!agrees(up, cellWin(k)) || (best >= 0 && Math.abs(colContrib[k]!) <= Math.abs(colContrib[best]!))) continue;
        best = k;
      }
      if (best >= 0) {
        j = best;
        winRate = cellWin(best);
        bIdx = fa[best] === g ? fb[best]! : fa[best]!;
      }
    }
    const codeB = bIdx < 0 ? -1 : codes[bIdx]!;
    const caveat = !agrees(up, winRate);
    return new LazyDriver(groups[g]!, groupLabel[g]!, c, winRate, overallWin, sentenceCtx, deal, asOf, g, codes[g]!, bIdx, codeB, caveat);
  }
  const sentenceCtx: SentenceCtx = {
    features: model.features,
    cycleFor,
    ...(opts.rates && Object.keys(opts.rates).length ? { convert: amountInReporting(opts.rates) } : {}),
  };

  /** Indexes of the k groups with the largest |contribution| (insertion into a tiny buffer). */
  function topGroups(): number {
    let m = 0;
    for (let g = 0; g < nG; g++) {
      const v = Math.abs(contrib[g]!);
      if (v < 1e-9 || groupCol[g] === -1) continue;
      let pos = m < k ? m++ : k;
      if (pos === k && v <= Math.abs(contrib[top[k - 1]!]!)) continue;
      if (pos === k) pos = k - 1;
      while (pos > 0 && Math.abs(contrib[top[pos - 1]!]!) < v) {
        top[pos] = top[pos - 1]!;
        pos--;
      }
      top[pos] = g;
    }
    return m;
  }

  function scoreOne(deal: Deal, asOf: Date): DealScore {
    let z: number;
    let b = basis;
    let note: string | null = null;
    const drivers: Driver[] = [];
    let trace: LazyTrace;
    if (model.kind === 'prior') {
      const p = deal.crmProbability;
      b = p === null ? 'prior' : 'crm_probability';
      z = p === null ? model.intercept : logit(1 - p);
      note =
        p === null ? (model.notes[0] ?? null) : `No closed deals yet: using the CRM stage probability (${Math.round(p * 100)}% to win).`;
      trace = LazyTrace.of({
        v: model.version,
        b: model.intercept,
        c: p === null ? {} : { crm_probability: z - model.intercept },
        x: { crm_probability: p },
      });
    } else {
      z = evaluate(deal, asOf);
      trace = new LazyTrace(buildTrace, deal, asOf);
      const m = topGroups();
      for (let i = 0; i < m; i++) drivers.push(driverFor(top[i]!, deal, asOf));
      if (model.kind === 'segment_prior') note = model.notes[0] ?? null;
    }
    const loss = sigmoid(z);
    const riskScore = Math.round(loss * 100);
    const category = categoryOf(riskScore, bounds);
    const winProbability = 1 - loss;
    const actions = opts.actions ? opts.actions({ deal, asOf, score: riskScore, category, winProbability, drivers }) : NONE;
    return {
      externalId: deal.externalId,
      source: deal.source,
      winProbability,
      lossProbability: loss,
      riskScore,
      category,
      confidence: model.status === 'no_signal' || model.status === 'experimental' ? 'low' : model.confidence,
      modelVersion: model.version,
      modelStatus: model.status,
      basis: b,
      scoredAt: asOf,
      baselineLogit: model.kind === 'prior' ? z : baseline,
      logit: z,
      drivers,
      actions,
      similarWon: opts.similar ? opts.similar.find(deal, asOf) : NONE,
      note,
      trace,
    };
  }

  return {
    model,
    bounds,
    score: scoreOne,
    scoreMany(deals, asOf) {
      const out = new Array<DealScore>(deals.length);
      for (let i = 0; i < deals.length; i++) out[i] = scoreOne(deals[i]!, asOf);
      return out;
    },
    lossProbability(deal, asOf) {
      if (model.kind === 'prior') return deal.crmProbability === null ? sigmoid(model.intercept) : 1 - deal.crmProbability;
      return sigmoid(evaluate(deal, asOf));
    },
    lossProbabilityAt(v) {
      if (model.kind === 'prior') return sigmoid(model.intercept);
      return sigmoid(evaluate(v.deal, v.asOf, v.full));
    },
    explain(deal, asOf) {
      const z = model.kind === 'prior' ? scoreOne(deal, asOf).logit : evaluate(deal, asOf);
      const contributions = groups.map((g, i) => ({
        feature: g,
        label: groupLabel[i]!,
        contribution: model.kind === 'prior' ? 0 : contrib[i]!,
      }));
      return { baselineLogit: model.kind === 'prior' ? z : baseline, logit: z, contributions };
    },
  };
}
