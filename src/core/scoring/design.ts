import type { Deal } from '../deal.ts';
import type { ScoringConfig } from './config.ts';
import { categoryReader, readNumber, numberCode, type DealView, type FeatureDef } from './features.ts';
import type { BaseFeature } from './model.ts';
import { quantileCuts } from './stats.ts';

/** A base feature coded for every training row. */
export interface CodedFeature {
  def: BaseFeature;
  codes: Int32Array;
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
      const levels = [...freq].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, cfg.maxLevels).map(([k]) => k);
      const index = new Map(levels.map((l, i) => [l, i + 2]));
      const codes = new Int32Array(n);
      raw.forEach((v, i) => (codes[i] = v === null ? 0 : (index.get(v) ?? 1)));
      out.push({ def: { id: def.id, label: def.label, kind: 'category', timing: def.timing, levels, nCodes: levels.length + 2 }, codes });
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
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = numberCode(Number.isNaN(xs[i]!) ? null : xs[i]!, cuts);
      out.push({ def: { id: def.id, label: def.label, kind: 'number', timing: def.timing, cuts, nCodes: cuts.length + 2 }, codes });
    }
  }
  return out;
}

/** A model column before fitting: which features it reads and its codes per row. */
export interface ColumnPlan {
  id: string;
  group: string;
  kind: 'encoded' | 'linear';
  features: number[];
  codes?: Int32Array;
  nCodes?: number;
  /** Linear columns: raw values (log1p amount), NaN when missing. */
  raw?: Float64Array;
}

/** Main effects, pairwise crosses of low-cardinality features, and a linear log-amount term. */
export function planColumns(coded: readonly CodedFeature[], views: readonly DealView[], cfg: ScoringConfig): ColumnPlan[] {
  const plans: ColumnPlan[] = coded.map((f, i) => ({ id: f.def.id, group: f.def.id, kind: 'encoded', features: [i], codes: f.codes, nCodes: f.def.nCodes }));
  const amountIdx = coded.findIndex((f) => f.def.id === 'amount');
  if (amountIdx >= 0 && cfg.amountLinear) {
    const raw = new Float64Array(views.length);
    views.forEach((v, i) => {
      const a = v.deal.amount;
      raw[i] = a === null || !Number.isFinite(a) ? Number.NaN : Math.log1p(Math.max(0, a));
    });
    plans.push({ id: 'amount:log', group: 'amount', kind: 'linear', features: [amountIdx], raw });
  }
  const all = coded.map((f, i) => ({ f, i }));
  for (let a = 0; a < all.length; a++) {
    for (let b = a + 1; b < all.length; b++) {
      const A = all[a]!;
      const B = all[b]!;
      const cells = A.f.def.nCodes * B.f.def.nCodes;
      if (cells > cfg.maxCrossCells || cells * cfg.rowsPerCrossCell > views.length) continue;
      const nb = B.f.def.nCodes;
      const codes = new Int32Array(views.length);
      for (let i = 0; i < codes.length; i++) codes[i] = A.f.codes[i]! * nb + B.f.codes[i]!;
      const id = `${A.f.def.id}×${B.f.def.id}`;
      plans.push({ id, group: id, kind: 'encoded', features: [A.i, B.i], codes, nCodes: A.f.def.nCodes * nb });
    }
  }
  return plans;
}
