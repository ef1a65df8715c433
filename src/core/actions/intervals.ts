import { wilson } from '../scoring/stats.ts';

/** 95% two-sided standard-normal quantile. */
export const Z95 = 1.959963984540054;

/** A point estimate with its 95% interval. */
export interface Estimate {
  estimate: number;
  low: number;
  high: number;
}

/** A rate (share of deals) with its counts and 95% Wilson interval. */
export interface RateEstimate extends Estimate {
  /** Deals the rate is over; for a reweighted group, its effective size (Kish). */
  n: number;
  /** Deals counted (for a reweighted group: the weighted count, n × rate). */
  count: number;
}

/** A mean with its count and 95% normal interval. */
export interface MeanEstimate extends Estimate {
  n: number;
  /** Standard error of the mean. */
  se: number;
}

/** One stratum (risk band × segment) of the comparison: the values of each group in it. */
export interface Stratum {
  acted: number[];
  notActed: number[];
}

const sum = (a: readonly number[]): number => a.reduce((s, x) => s + x, 0);
const mean = (a: readonly number[]): number => (a.length ? sum(a) / a.length : Number.NaN);
/** Sample variance (n − 1); 0 for fewer than two values. */
function variance(a: readonly number[]): number {
  if (a.length < 2) return 0;
  const m = mean(a);
  return sum(a.map((x) => (x - m) ** 2)) / (a.length - 1);
}

/** The strata where both groups have deals: exact matching on the stratum, nothing outside it. */
export function matched(strata: Iterable<Stratum>): Stratum[] {
  return [...strata].filter((s) => s.acted.length > 0 && s.notActed.length > 0);
}

/**
 * Each matched stratum's weight: its share of the acted deals. The comparison group is
 * reweighted to the acted group's mix of risk bands and segments (direct standardisation).
 */
function weights(strata: readonly Stratum[]): number[] {
  const total = sum(strata.map((s) => s.acted.length));
  return strata.map((s) => s.acted.length / total);
}

/**
 * Mean of the acted group, the standardised mean of the comparison group, and their difference,
 * each with a 95% normal interval. The comparison's variance is Σ w² s²/n per stratum, with the
 * pooled within-stratum variance standing in for a stratum of one deal.
 */
export function compareMeans(strata: readonly Stratum[]): { acted: MeanEstimate; notActed: MeanEstimate; difference: Estimate } {
  const w = weights(strata);
  const acted = strata.flatMap((s) => s.acted);
  const mA = mean(acted);
  const seA = Math.sqrt(variance(acted) / acted.length);
  const pooled = pooledVariance(strata.map((s) => s.notActed));
  let mC = 0;
  let varC = 0;
  strata.forEach((s, i) => {
    const v = s.notActed.length >= 2 ? variance(s.notActed) : pooled;
    mC += w[i]! * mean(s.notActed);
    varC += (w[i]! ** 2 * v) / s.notActed.length;
  });
  const seC = Math.sqrt(varC);
  const seD = Math.sqrt(seA ** 2 + varC);
  const nC = sum(strata.map((s) => s.notActed.length));
  return {
    acted: { n: acted.length, estimate: mA, se: seA, low: mA - Z95 * seA, high: mA + Z95 * seA },
    notActed: { n: nC, estimate: mC, se: seC, low: mC - Z95 * seC, high: mC + Z95 * seC },
    difference: { estimate: mA - mC, low: mA - mC - Z95 * seD, high: mA - mC + Z95 * seD },
  };
}

function pooledVariance(groups: ReadonlyArray<readonly number[]>): number {
  let ss = 0;
  let df = 0;
  for (const g of groups) {
    if (g.length < 2) continue;
    ss += variance(g) * (g.length - 1);
    df += g.length - 1;
  }
  return df > 0 ? ss / df : 0;
}

/**
 * Rates of a yes/no outcome (values 1 or 0): the acted group's with its Wilson interval, the
 * comparison's standardised to the acted mix with a Wilson interval at its effective size
 * (Kish: 1 / Σ w²/n), and the difference with Newcombe's hybrid score interval built from the two.
 */
export function compareRates(strata: readonly Stratum[]): { acted: RateEstimate; notActed: RateEstimate; difference: Estimate } {
  const w = weights(strata);
  const acted = strata.flatMap((s) => s.acted);
  const yes = sum(acted);
  const pA = yes / acted.length;
  const ciA = wilson(yes, acted.length);
  let pC = 0;
  let inv = 0;
  strata.forEach((s, i) => {
    pC += w[i]! * mean(s.notActed);
    inv += w[i]! ** 2 / s.notActed.length;
  });
  const nEff = 1 / inv;
  const ciC = wilson(pC * nEff, nEff);
  const d = pA - pC;
  return {
    acted: { n: acted.length, count: yes, estimate: pA, low: ciA.low, high: ciA.high },
    notActed: { n: nEff, count: pC * nEff, estimate: pC, low: ciC.low, high: ciC.high },
    difference: {
      estimate: d,
      low: d - Math.sqrt((pA - ciA.low) ** 2 + (ciC.high - pC) ** 2),
      high: d + Math.sqrt((ciA.high - pA) ** 2 + (pC - ciC.low) ** 2),
    },
  };
}

/** A plain rate with its Wilson interval. */
export function rateWithInterval(count: number, n: number): RateEstimate {
  const ci = wilson(count, n);
  return { n, count, estimate: n ? count / n : Number.NaN, low: ci.low, high: ci.high };
}
