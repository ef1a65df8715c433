import type { Deal } from '../deal.ts';
import type { DealView } from './features.ts';
import type { ScoreTrace } from './risk-change.ts';

/** Reads one feature's input from a deal at a moment (a category's value or a number). */
export type ValueReader = (v: DealView) => string | number | null;

/** Contributions within this of zero are left out of a trace (features the model does not use). */
const ZERO = 1e-9;
const r6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/** A trace from a scoring's contributions and the inputs read (contributions keep 6 decimals, numeric inputs 4). */
export function traceOf(
  version: number,
  baseline: number,
  features: readonly string[],
  contributions: ArrayLike<number>,
  inputs: ArrayLike<string | number | null>,
): ScoreTrace {
  const c: Record<string, number> = {};
  const x: Record<string, string | number | null> = {};
  for (let i = 0; i < features.length; i++) {
    const f = features[i]!;
    const ci = contributions[i]!;
    if (Math.abs(ci) > ZERO) c[f] = r6(ci);
    const v = inputs[i]!;
    x[f] = typeof v === 'number' ? r4(v) : v;
  }
  return { v: version, b: r6(baseline), c, x };
}

/**
 * A score's trace (what the risk change ledger keeps), built on first read by evaluating the deal
 * again: scoring allocates one small object per deal and copies nothing, so the scorer's hot path
 * stays as it was; the work is done only for scores that are stored.
 */
export class LazyTrace {
  #json: ScoreTrace | undefined;
  constructor(
    private readonly build: ((deal: Deal, asOf: Date) => ScoreTrace) | null,
    private readonly deal: Deal | null,
    private readonly asOf: Date | null,
    json?: ScoreTrace,
  ) {
    this.#json = json;
  }

  /** A trace known when scoring (a prior-only model's). */
  static of(json: ScoreTrace): LazyTrace {
    return new LazyTrace(null, null, null, json);
  }

  toJSON(): ScoreTrace {
    this.#json ??= this.build!(this.deal!, this.asOf!);
    return this.#json;
  }
}
