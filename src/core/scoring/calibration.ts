import type { Deal } from '../deal.ts';
import type { TrainingRows } from './rows.ts';
import { hashString, sigmoid, wilson } from './stats.ts';

/** Held-out deals and intercept re-centring: how a fitted model is calibrated to recent outcomes. */

/** Deals held out for calibration: the latest by close date, or a stable hash sample without dates. */
export function holdoutDeals(deals: readonly Deal[], fraction: number): Uint8Array {
  const out = new Uint8Array(deals.length);
  const dated = deals.filter((d) => d.closedAt).length;
  if (dated >= 0.8 * deals.length) {
    const order = deals.map((d, i) => ({ i, t: d.closedAt?.getTime() ?? Number.NEGATIVE_INFINITY })).sort((a, b) => a.t - b.t);
    const start = Math.floor(order.length * (1 - fraction));
    for (let j = start; j < order.length; j++) out[order[j]!.i] = 1;
  } else {
    const cut = Math.floor(fraction * 1000);
    deals.forEach((d, i) => (out[i] = hashString(`holdout:${d.source}:${d.externalId}`) % 1000 < cut ? 1 : 0));
  }
  return out;
}

/**
 * Rows whose outcome rate the intercept should match: the recent (held-out) deals when their loss
 * rate differs from the overall one beyond its 95% Wilson interval (real drift), else every row,
 * so noise in a small recent window does not move every score.
 */
export function recentOrAll(holdRows: number[], usable: boolean, rows: TrainingRows): number[] {
  const all = [...Array(rows.views.length).keys()];
  if (!usable) return all;
  const rate = (idx: number[]): { r: number; deals: number } => {
    let s = 0;
    let w = 0;
    for (const i of idx) {
      s += rows.w[i]! * rows.y[i]!;
      w += rows.w[i]!;
    }
    return { r: w > 0 ? s / w : 0, deals: w };
  };
  const recent = rate(holdRows);
  const overall = rate(all);
  const ci = wilson(recent.r * recent.deals, recent.deals);
  return overall.r < ci.low || overall.r > ci.high ? holdRows : all;
}

/** Offset that makes the mean predicted loss rate on `idx` rows equal their observed rate. */
export function interceptShift(idx: number[], zOf: (i: number) => number, rows: TrainingRows): number {
  const z = idx.map(zOf);
  let target = 0;
  let sw = 0;
  idx.forEach((i) => {
    target += rows.w[i]! * rows.y[i]!;
    sw += rows.w[i]!;
  });
  let d = 0;
  for (let it = 0; it < 50; it++) {
    let f = -target;
    let g = 0;
    idx.forEach((i, k) => {
      const p = sigmoid(z[k]! + d);
      f += rows.w[i]! * p;
      g += rows.w[i]! * p * (1 - p);
    });
    if (g <= 1e-12 || sw === 0) break;
    const step = f / g;
    d -= Math.max(-5, Math.min(5, step));
    if (Math.abs(step) < 1e-10) break;
  }
  return d;
}
