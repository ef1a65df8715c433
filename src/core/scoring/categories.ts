import type { RiskModel } from './model.ts';
import { logit, sigmoid } from './stats.ts';

/** The four risk categories, least risky first. */
export type RiskCategory = 'Low' | 'Medium' | 'High' | 'Critical';

/** Upper bounds (inclusive) of Low, Medium and High on the 0-100 risk score; above is Critical. */
export interface ScoreBounds {
  low: number;
  medium: number;
  high: number;
}

/** How a tenant sets its categories (`thresholds` in config/scoring.yaml and settings.scoring). */
export interface ThresholdSettings extends ScoreBounds {
  /**
   * `relative`: the bounds are multiples of the odds of loss at the tenant's base rate, so the
   * average deal is Medium whatever the base rate; `fixed`: `low`/`medium`/`high` on the score.
   */
  mode: 'relative' | 'fixed';
  relative: ScoreBounds;
}

/** Category of a 0-100 risk score: Low ≤ low < Medium ≤ medium < High ≤ high < Critical. */
export function categoryOf(score: number, t: ScoreBounds): RiskCategory {
  if (score <= t.low) return 'Low';
  if (score <= t.medium) return 'Medium';
  if (score <= t.high) return 'High';
  return 'Critical';
}

/**
 * The share of a model's closed training deals that were lost (the base rate its categories are
 * relative to); a model with no closed deal has its assumed rate.
 */
export function baseLossRate(prior: RiskModel['prior']): number {
  const n = prior.won + prior.lost;
  return n > 0 ? prior.lost / n : prior.lossRate;
}

/** The risk score whose odds of loss are `multiple` × the odds at `baseRate` (0-100, rounded). */
export function scoreAtOddsMultiple(baseRate: number, multiple: number): number {
  const b = Math.min(0.995, Math.max(0.005, baseRate));
  return Math.round(100 * sigmoid(logit(b) + Math.log(multiple)));
}

/**
 * The score bounds a tenant's categories use with a model of this base rate. Every score of one
 * model and one setting gets its category from these same bounds, so the category written to the
 * CRM always agrees with the score next to it.
 */
export function scoreBounds(t: ThresholdSettings, baseRate: number): ScoreBounds {
  if (t.mode === 'fixed') return { low: t.low, medium: t.medium, high: t.high };
  return {
    low: scoreAtOddsMultiple(baseRate, t.relative.low),
    medium: scoreAtOddsMultiple(baseRate, t.relative.medium),
    high: scoreAtOddsMultiple(baseRate, t.relative.high),
  };
}
