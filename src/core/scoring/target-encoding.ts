import { logit } from './stats.ts';

/**
 * Smoothed target encoding: a code's value is logit(shrunk loss rate) − logit(overall rate), with
 * rate = (losses + m·overall) / (n + m). Small segments shrink toward the overall rate (value 0).
 */
export interface EncodedColumn {
  /** Per row: out-of-fold value for included rows, full-table value for the others. */
  values: Float64Array;
  /** Per code, fitted on every included row: what scoring uses. */
  table: Float64Array;
  /** Weighted row count per code (included rows). */
  counts: Float64Array;
  /**
   * `values` as a lookup: row i's value is lookup[block·nCodes + codes[i]] with block = fold[i],
   * or nFolds for rows of weight 0 (the last block is `table`).
   */
  lookup: Float64Array;
}

export interface EncodeInput {
  codes: Uint16Array;
  nCodes: number;
  /** 1 = lost, 0 = won. */
  y: Uint8Array;
  /** Row weights (a deal sampled k times has rows of weight 1/k); 0 excludes a row. */
  w: Float64Array;
  /** Fold of each row; every row of one deal shares its fold. */
  fold: Uint8Array;
  nFolds: number;
  smoothing: number;
  /** Where to write the per-row `values` (a reused buffer of n); null skips them (`lookup` has them). */
  into?: Float64Array | null;
}

/**
 * Encodes one column out of fold: a row's value is computed from the other folds only, so a
 * training row never sees its own outcome (nor that of its deal's other rows).
 */
export function targetEncode(inp: EncodeInput): EncodedColumn {
  const { codes, nCodes, y, w, fold, nFolds, smoothing: m } = inp;
  const n = codes.length;
  const S = new Float64Array(nCodes);
  const N = new Float64Array(nCodes);
  const Sf = new Float64Array(nFolds * nCodes);
  const Nf = new Float64Array(nFolds * nCodes);
  const foldS = new Float64Array(nFolds);
  const foldN = new Float64Array(nFolds);
  let totS = 0;
  let totN = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    if (wi === 0) continue;
    const c = codes[i]!;
    const f = fold[i]!;
    const s = wi * y[i]!;
    S[c]! += s;
    N[c]! += wi;
    Sf[f * nCodes + c]! += s;
    Nf[f * nCodes + c]! += wi;
    foldS[f]! += s;
    foldN[f]! += wi;
    totS += s;
    totN += wi;
  }
  const p0 = totN > 0 ? totS / totN : 0.5;
  const l0 = logit(p0);
  const table = new Float64Array(nCodes);
  for (let c = 0; c < nCodes; c++) table[c] = logit((S[c]! + m * p0) / (N[c]! + m)) - l0;

  // Out-of-fold tables, one per fold, each against that fold's own complement prior.
  const oof = new Float64Array((nFolds + 1) * nCodes);
  oof.set(table, nFolds * nCodes);
  for (let f = 0; f < nFolds; f++) {
    const nn = totN - foldN[f]!;
    const pf = nn > 0 ? (totS - foldS[f]!) / nn : p0;
    const lf = logit(pf);
    for (let c = 0; c < nCodes; c++) {
      const s = S[c]! - Sf[f * nCodes + c]!;
      const cnt = N[c]! - Nf[f * nCodes + c]!;
      oof[f * nCodes + c] = logit((s + m * pf) / (cnt + m)) - lf;
    }
  }
  const values = inp.into === null ? new Float64Array(0) : (inp.into ?? new Float64Array(n));
  for (let i = 0; i < values.length; i++) {
    values[i] = w[i] === 0 ? table[codes[i]!]! : oof[fold[i]! * nCodes + codes[i]!]!;
  }
  return { values, table, counts: N, lookup: oof };
}
