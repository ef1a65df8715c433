import type { Deal } from '../deal.ts';
import type { ScoringConfig } from './config.ts';
import { categoryReader, type DealView, type FeatureDef, numberCode, readNumber } from './features.ts';
import type { RowSource } from './logistic.ts';
import type { BaseFeature } from './model.ts';
import { ownerNames } from './owner-names.ts';
import type { TrainingRows } from './rows.ts';
import { quantileCuts } from './stats.ts';
import { targetEncode } from './target-encoding.ts';

/** A base feature coded for every training row. */
export interface CodedFeature {
  def: BaseFeature;
  codes: Uint16Array;
}

/** Share of (weighted) rows that must know a feature's value for it to be used. */
const MIN_COVERAGE = 0.05;

/**
 * Turns raw views into integer codes per feature and keeps the features that vary. Levels and cut
 * points depend only on feature values, never on outcomes.
 */
export function codeFeatures(
  candidates: readonly FeatureDef[],
  views: readonly DealView[],
  w: Float64Array,
  cycleFor: (d: Deal) => number | null,
  cfg: ScoringConfig,
): CodedFeature[] {
  const out: CodedFeature[] = [];
  const n = views.length;
  let totalW = 0;
  for (let i = 0; i < n; i++) totalW += w[i]!;
  for (const def of candidates) {
    if (def.kind === 'category') {
      const read = categoryReader(def.id);
      const raw: Array<string | null> = views.map(read);
      const freq = new Map<string, number>();
      let known = 0;
      raw.forEach((v, i) => {
        if (v === null) return;
        freq.set(v, (freq.get(v) ?? 0) + w[i]!);
        known += w[i]!;
      });
      if (freq.size < 2 || known < MIN_COVERAGE * totalW) continue;
      const levels = [...freq]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, cfg.maxLevels)
        .map(([k]) => k);
      const index = new Map(levels.map((l, i) => [l, i + 2]));
      const codes = new Uint16Array(n);
      raw.forEach((v, i) => {
        codes[i] = v === null ? 0 : (index.get(v) ?? 1);
      });
      const pooled = freq.size - levels.length;
      const names = def.id === 'owner' ? ownerLevelNames(levels, views) : null;
      out.push({
        def: {
          id: def.id,
          label: def.label,
          kind: 'category',
          timing: def.timing,
          levels,
          ...(names ? { names } : {}),
          ...(pooled > 0 ? { pooled } : {}),
          nCodes: levels.length + 2,
        },
        codes,
      });
    } else {
      const xs = new Float64Array(n);
      let known = 0;
      const distinct = new Set<number>();
      for (let i = 0; i < n; i++) {
        const x = readNumber(def.id, views[i]!, cycleFor);
        xs[i] = x === null ? Number.NaN : x;
        if (x !== null) {
          known += w[i]!;
          if (distinct.size < 3) distinct.add(x);
        }
      }
      if (distinct.size < 2 || known < MIN_COVERAGE * totalW) continue;
      const bins = def.id === 'amount' ? Math.max(4, Math.min(cfg.amountBins, Math.floor(n / cfg.rowsPerAmountBin))) : 8;
      const cuts = def.cuts ?? quantileCuts(xs, bins);
      const codes = new Uint16Array(n);
      for (let i = 0; i < n; i++) codes[i] = numberCode(Number.isNaN(xs[i]!) ? null : xs[i]!, cuts);
      out.push({ def: { id: def.id, label: def.label, kind: 'number', timing: def.timing, cuts, nCodes: cuts.length + 2 }, codes });
    }
  }
  return out;
}

/** Each owner level's name (levels are CRM user ids when the CRM gives them), else the level itself. */
function ownerLevelNames(levels: readonly string[], views: readonly DealView[]): string[] {
  const name = ownerNames(views.map((v) => v.deal));
  return levels.map(name);
}

/** A model column before fitting: which features it reads and its codes per row. */
export interface ColumnPlan {
  id: string;
  group: string;
  kind: 'encoded' | 'linear';
  features: number[];
  codes?: Uint16Array;
  nCodes?: number;
  /** Linear columns: raw values (log1p amount), NaN when missing. */
  raw?: Float64Array;
}

/** A pairwise cross of two coded features whose cells are few enough to estimate. */
export interface CrossCandidate {
  id: string;
  /** Indexes into the coded features. */
  a: number;
  b: number;
  nCodes: number;
}

/** Every cross of low-cardinality features the rows can support (codes are computed on demand). */
export function crossCandidates(coded: readonly CodedFeature[], nRows: number, cfg: ScoringConfig): CrossCandidate[] {
  const out: CrossCandidate[] = [];
  for (let a = 0; a < coded.length; a++) {
    for (let b = a + 1; b < coded.length; b++) {
      const cells = coded[a]!.def.nCodes * coded[b]!.def.nCodes;
      if (cells > cfg.maxCrossCells || cells * cfg.rowsPerCrossCell > nRows) continue;
      out.push({ id: `${coded[a]!.def.id}×${coded[b]!.def.id}`, a, b, nCodes: cells });
    }
  }
  return out;
}

/** A cross's code per row (into a reused buffer when given). */
export function crossCodes(coded: readonly CodedFeature[], c: CrossCandidate, into?: Uint16Array): Uint16Array {
  const A = coded[c.a]!.codes;
  const B = coded[c.b]!.codes;
  const nb = coded[c.b]!.def.nCodes;
  const codes = into ?? new Uint16Array(A.length);
  for (let i = 0; i < codes.length; i++) codes[i] = A[i]! * nb + B[i]!;
  return codes;
}

/** Main effects, a linear log-amount term when configured, and the given crosses. */
export function planColumns(
  coded: readonly CodedFeature[],
  views: readonly DealView[],
  cfg: ScoringConfig,
  crosses: readonly CrossCandidate[],
): ColumnPlan[] {
  const plans: ColumnPlan[] = coded.map((f, i) => ({
    id: f.def.id,
    group: f.def.id,
    kind: 'encoded',
    features: [i],
    codes: f.codes,
    nCodes: f.def.nCodes,
  }));
  const amountIdx = coded.findIndex((f) => f.def.id === 'amount');
  if (amountIdx >= 0 && cfg.amountLinear) {
    const raw = new Float64Array(views.length);
    views.forEach((v, i) => {
      const a = v.deal.amount;
      raw[i] = a === null || !Number.isFinite(a) ? Number.NaN : Math.log1p(Math.max(0, a));
    });
    plans.push({ id: 'amount:log', group: 'amount', kind: 'linear', features: [amountIdx], raw });
  }
  for (const c of crosses)
    plans.push({ id: c.id, group: c.id, kind: 'encoded', features: [c.a, c.b], codes: crossCodes(coded, c), nCodes: c.nCodes });
  return plans;
}

/**
 * The design matrix, never materialized: an encoded column's value for row i is its lookup at
 * (block[i], codes[i]); a linear column keeps its standardized values.
 */
export interface Design extends RowSource {
  p: number;
  tables: Float64Array[];
  linear: Array<{ center: number; scale: number; values: Float64Array } | null>;
}

/** Encodes every column (out of fold for rows with weight, full table for the others). */
export function buildDesign(plans: ColumnPlan[], rows: TrainingRows, w: Float64Array, fold: Uint8Array, cfg: ScoringConfig): Design {
  const n = rows.views.length;
  const p = plans.length;
  const block = new Uint8Array(n);
  for (let i = 0; i < n; i++) block[i] = w[i] === 0 ? cfg.folds : fold[i]!;
  const tables: Float64Array[] = [];
  const linear: Design['linear'] = [];
  // Encoded columns: codes and a lookup each; linear columns: their values.
  const enc: Array<{ j: number; codes: Uint16Array; lookup: Float64Array; nCodes: number }> = [];
  const lin: Array<{ j: number; values: Float64Array }> = [];
  plans.forEach((plan, j) => {
    if (plan.kind === 'encoded') {
      const e = targetEncode({
        codes: plan.codes!,
        nCodes: plan.nCodes!,
        y: rows.y,
        w,
        fold,
        nFolds: cfg.folds,
        smoothing: cfg.smoothing,
        into: null,
      });
      enc.push({ j, codes: plan.codes!, lookup: e.lookup, nCodes: plan.nCodes! });
      tables.push(e.table);
      linear.push(null);
    } else {
      const raw = plan.raw!;
      let s = 0;
      let s2 = 0;
      let sw = 0;
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(raw[i]!) || w[i] === 0) continue;
        s += w[i]! * raw[i]!;
        s2 += w[i]! * raw[i]! * raw[i]!;
        sw += w[i]!;
      }
      const center = sw > 0 ? s / sw : 0;
      const scale = sw > 0 ? Math.sqrt(Math.max(s2 / sw - center * center, 1e-12)) : 1;
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = Number.isNaN(raw[i]!) ? 0 : (raw[i]! - center) / scale;
      lin.push({ j, values });
      tables.push(new Float64Array(0));
      linear.push({ center, scale, values });
    }
  });
  // Row-major lookup positions (block · nCodes + code): with the default settings, at most
  // 6 × 4,096 cells per column, they fit 16 bits, a quarter of a dense matrix of doubles.
  const e = enc.length;
  const wide = enc.some((c) => c.lookup.length > 65_536);
  const index = wide ? new Uint32Array(n * e) : new Uint16Array(n * e);
  const encCol = Int32Array.from(enc, (c) => c.j);
  // The lookups end to end, each column's at its offset: one array to read from.
  const base = new Int32Array(e);
  for (let k = 1; k < e; k++) base[k] = base[k - 1]! + enc[k - 1]!.lookup.length;
  const all = new Float64Array(e ? base[e - 1]! + enc[e - 1]!.lookup.length : 0);
  enc.forEach((c, k) => {
    all.set(c.lookup, base[k]!);
    for (let i = 0; i < n; i++) index[i * e + k] = block[i]! * c.nCodes + c.codes[i]!;
  });
  return {
    p,
    tables,
    linear,
    fill(i, out, at) {
      const o = i * e;
      for (let k = 0; k < e; k++) out[at + encCol[k]!] = all[base[k]! + index[o + k]!]!;
      for (let k = 0; k < lin.length; k++) out[at + lin[k]!.j] = lin[k]!.values[i]!;
    },
  };
}
