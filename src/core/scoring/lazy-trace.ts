import type { Deal } from '../deal.ts';
import type { DealView } from './features.ts';
import type { ScoreTrace } from './risk-change.ts';

/** Reads one feature's input from a deal at a moment (a category's value or a number). */
export type ValueReader = (v: DealView) => string | number | null;

/** Contributions within this of zero are left out of a trace (features the model does not use). */
const ZERO = 1e-9;
const r6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/**
 * A score's trace (what the risk change ledger keeps), built on first read: scoring keeps only a
 * copy of the contributions, and the inputs are read again when the score is stored, so the
 * scorer's hot path stays allocation-light. Contributions keep 6 decimals, numeric inputs 4.
 */
export class LazyTrace {
  #json: ScoreTrace | undefined;
  constructor(
    readonly version: number,
    private readonly baseline: number,
    private readonly features: readonly string[],
    private readonly contributions: Float64Array,
    private readonly readers: readonly ValueReader[],
    private readonly deal: Deal | null,
    private readonly asOf: Date | null,
  ) {}

  /** A prior-only model's trace: the CRM probability, when there is one, carries the whole difference. */
  static ofPrior(version: number, intercept: number, z: number, crmProbability: number | null): LazyTrace {
    const t = new LazyTrace(version, intercept, [], new Float64Array(0), [], null, null);
    t.#json = {
      v: version,
      b: intercept,
      c: crmProbability === null ? {} : { crm_probability: z - intercept },
      x: { crm_probability: crmProbability },
    };
    return t;
  }

  toJSON(): ScoreTrace {
    if (this.#json) return this.#json;
    const c: Record<string, number> = {};
    const x: Record<string, string | number | null> = {};
    const view: DealView = { deal: this.deal!, asOf: this.asOf, full: true };
    for (let i = 0; i < this.features.length; i++) {
      const f = this.features[i]!;
      const ci = this.contributions[i]!;
      if (Math.abs(ci) > ZERO) c[f] = r6(ci);
      const v = this.readers[i]!(view);
      x[f] = typeof v === 'number' ? r4(v) : v;
    }
    this.#json = { v: this.version, b: r6(this.baseline), c, x };
    return this.#json;
  }
}
