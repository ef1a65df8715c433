import { rng } from '../scoring/stats.ts';

/**
 * Classification metrics for a backtest. `p` is the predicted probability of the positive class
 * (LOSS), `y` is 1 for lost and 0 for won.
 */

/** Indexes ordered by ascending score (computed once, reused by weighted AUCs). */
export function orderByScore(p: ArrayLike<number>): Uint32Array {
  const idx = new Uint32Array(p.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => p[a]! - p[b]!);
}

/**
 * ROC-AUC with optional per-row weights (bootstrap counts), ties counted half. NaN when one class
 * is absent.
 */
export function auc(p: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>, order?: Uint32Array): number {
  const ord = order ?? orderByScore(p);
  let negBelow = 0;
  let sum = 0;
  let wPos = 0;
  let wNeg = 0;
  let i = 0;
  while (i < ord.length) {
    let j = i;
    let tiePos = 0;
    let tieNeg = 0;
    const s = p[ord[i]!]!;
    while (j < ord.length && p[ord[j]!]! === s) {
      const k = ord[j]!;
      const wk = w ? w[k]! : 1;
      if (y[k]) tiePos += wk;
      else tieNeg += wk;
      j++;
    }
    sum += tiePos * (negBelow + 0.5 * tieNeg);
    negBelow += tieNeg;
    wPos += tiePos;
    wNeg += tieNeg;
    i = j;
  }
  return wPos > 0 && wNeg > 0 ? sum / (wPos * wNeg) : Number.NaN;
}

/**
 * The 2.5% and 97.5% percentiles of `statistic` over `rounds` bootstrap resamples of `n` rows
 * (each resample given as per-row counts); resamples where it is not finite are left out.
 */
function bootstrapInterval(
  n: number,
  rounds: number,
  seed: number,
  statistic: (counts: Float64Array) => number,
): { low: number; high: number } {
  const counts = new Float64Array(n);
  const rand = rng(seed);
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[Math.floor(rand() * n)]! += 1;
    const v = statistic(counts);
    if (Number.isFinite(v)) out.push(v);
  }
  out.sort((a, b) => a - b);
  if (out.length === 0) return { low: Number.NaN, high: Number.NaN };
  const at = (q: number): number => out[Math.min(out.length - 1, Math.max(0, Math.floor(q * out.length)))]!;
  return { low: at(0.025), high: at(0.975) };
}

/** Bootstrap percentile interval of the AUC (resampling test rows with replacement). */
export function bootstrapAuc(p: ArrayLike<number>, y: ArrayLike<number>, rounds: number, seed: number): { low: number; high: number } {
  const order = orderByScore(p);
  return bootstrapInterval(p.length, rounds, seed, (counts) => auc(p, y, counts, order));
}

/**
 * Paired bootstrap of the AUC difference a − b on the same rows: each round resamples the rows
 * once and measures both scores on that resample, so what the two share (the same hard deals)
 * cancels out. The 2.5% and 97.5% percentiles of the differences.
 */
export function bootstrapAucDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  y: ArrayLike<number>,
  rounds: number,
  seed: number,
): { low: number; high: number } {
  const orderA = orderByScore(a);
  const orderB = orderByScore(b);
  return bootstrapInterval(y.length, rounds, seed, (counts) => auc(a, y, counts, orderA) - auc(b, y, counts, orderB));
}

/** Average precision (area under the precision-recall curve, step-wise) for the positive class. */
export function prAuc(p: ArrayLike<number>, y: ArrayLike<number>): number {
  const ord = orderByScore(p);
  let totalPos = 0;
  for (let i = 0; i < y.length; i++) totalPos += y[i] ? 1 : 0;
  if (totalPos === 0) return Number.NaN;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let i = ord.length - 1;
  while (i >= 0) {
    const s = p[ord[i]!]!;
    let dtp = 0;
    let dfp = 0;
    while (i >= 0 && p[ord[i]!]! === s) {
      if (y[ord[i]!]) dtp++;
      else dfp++;
      i--;
    }
    tp += dtp;
    fp += dfp;
    ap += (dtp / totalPos) * (tp / (tp + fp));
  }
  return ap;
}

const EPS = 1e-15;

export function logLoss(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(Math.max(p[i]!, EPS), 1 - EPS);
    s -= y[i] ? Math.log(q) : Math.log(1 - q);
  }
  return s / p.length;
}

export function brier(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i]! - (y[i] ? 1 : 0)) ** 2;
  return s / p.length;
}

export interface CalibrationBin {
  bin: number;
  n: number;
  predicted: number;
  observed: number;
}

/** Predicted vs observed positive rate by decile of the prediction (equal-count bins). */
export function calibrationTable(p: ArrayLike<number>, y: ArrayLike<number>, bins = 10): CalibrationBin[] {
  const ord = orderByScore(p);
  const out: CalibrationBin[] = [];
  const n = ord.length;
  for (let b = 0; b < bins; b++) {
    const from = Math.floor((b * n) / bins);
    const to = Math.floor(((b + 1) * n) / bins);
    if (to <= from) continue;
    let sp = 0;
    let sy = 0;
    for (let i = from; i < to; i++) {
      sp += p[ord[i]!]!;
      sy += y[ord[i]!] ? 1 : 0;
    }
    out.push({ bin: b + 1, n: to - from, predicted: sp / (to - from), observed: sy / (to - from) });
  }
  return out;
}

/**
 * Positive rate among the top `fraction` by prediction, divided by the overall positive rate. A tie
 * group straddling the cut counts in proportion, so a constant prediction has lift exactly 1.
 */
export function liftAt(p: ArrayLike<number>, y: ArrayLike<number>, fraction = 0.2): number {
  const ord = orderByScore(p);
  const n = ord.length;
  const k = Math.max(1, Math.round(n * fraction));
  let all = 0;
  for (let i = 0; i < n; i++) all += y[i] ? 1 : 0;
  if (all === 0) return Number.NaN;
  let taken = 0;
  let top = 0;
  let i = n - 1;
  while (i >= 0 && taken < k) {
    const s = p[ord[i]!]!;
    let size = 0;
    let pos = 0;
    while (i >= 0 && p[ord[i]!]! === s) {
      size++;
      pos += y[ord[i]!] ? 1 : 0;
      i--;
    }
    const use = Math.min(size, k - taken);
    top += (pos * use) / size;
    taken += use;
  }
  return top / k / (all / n);
}
