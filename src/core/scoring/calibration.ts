import type { Deal } from '../deal.ts';
import type { RiskModel } from './model.ts';
import type { TrainingRows } from './rows.ts';
import { hashString, logit, sigmoid, wilson } from './stats.ts';

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
    deals.forEach((d, i) => {
      out[i] = hashString(`holdout:${d.source}:${d.externalId}`) % 1000 < cut ? 1 : 0;
    });
  }
  return out;
}

/**
 * Whether the recent (held-out) deals' loss rate differs from the overall one beyond its 95%
 * Wilson interval: real drift, worth re-centring on. Noise in a small recent window is not.
 */
export function driftedRecently(holdRows: number[], usable: boolean, rows: TrainingRows): boolean {
  if (!usable) return false;
  const rate = (idx: Iterable<number>): { r: number; deals: number } => {
    let s = 0;
    let w = 0;
    for (const i of idx) {
      s += rows.w[i]! * rows.y[i]!;
      w += rows.w[i]!;
    }
    return { r: w > 0 ? s / w : 0, deals: w };
  };
  const recent = rate(holdRows);
  const overall = rate(rows.views.keys());
  const ci = wilson(recent.r * recent.deals, recent.deals);
  return overall.r < ci.low || overall.r > ci.high;
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

/** The model centred on every closed deal's loss rate, undoing a re-centring on the recent window. */
export function centredOverall(model: RiskModel): RiskModel {
  const c = model.calibration;
  if (c.centring !== 'recent' || !c.offsets) return model;
  return { ...model, calibration: { ...c, offset: c.offsets.overall, centring: 'overall' } };
}

/**
 * The model reduced to the base rate: slope 0, so every deal gets its training deals' loss rate
 * and no feature drives a score. What a model the backtest found worse than that rate becomes.
 */
export function baseRateOnly(model: RiskModel): RiskModel {
  const { won, lost } = model.prior;
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, lost / Math.max(1, won + lost)));
  return { ...model, calibration: { ...model.calibration, slope: 0, offset: logit(rate), centring: 'base_rate' } };
}
