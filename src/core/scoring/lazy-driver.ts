import type { AmountInReporting } from '../currency/convert.ts';
import type { Deal } from '../deal.ts';
import type { BaseFeature } from './model.ts';
import type { Driver } from './scorer.ts';
import { sentenceFor } from './sentences.ts';

/** What a driver needs to format its sentence later. */
export interface SentenceCtx {
  features: BaseFeature[];
  cycleFor: (d: Deal) => number | null;
  /** The deal's amount in the reporting currency, when the tenant's rates are known. */
  convert?: (d: Deal, asOf: Date) => AmountInReporting | null;
}

/**
 * A Driver whose sentence is formatted on first read. Instances keep a fixed shape (cheap to
 * allocate by the hundred thousand); `toJSON` includes the sentence, but a spread copy does not:
 * use `toJSON()` or read `sentence` explicitly when copying.
 */
export class LazyDriver implements Driver {
  readonly direction: 'raises_risk' | 'lowers_risk';
  #text: string | undefined;
  constructor(
    readonly feature: string,
    readonly label: string,
    readonly contribution: number,
    readonly winRate: number,
    readonly overallWinRate: number,
    private readonly ctx: SentenceCtx,
    private readonly deal: Deal,
    private readonly asOf: Date,
    private readonly a: number,
    private readonly codeA: number,
    private readonly b: number,
    private readonly codeB: number,
    /** The quoted rate points the other way: say that the deal's other traits reverse it. */
    private readonly caveat = false,
  ) {
    this.direction = contribution > 0 ? 'raises_risk' : 'lowers_risk';
  }

  get sentence(): string {
    if (this.#text === undefined) {
      const f = this.ctx.features;
      this.#text = sentenceFor({
        feature: f[this.a]!,
        code: this.codeA,
        deal: this.deal,
        asOf: this.asOf,
        winRate: this.winRate,
        overallWinRate: this.overallWinRate,
        cycleDays: this.ctx.cycleFor(this.deal),
        ...(this.ctx.convert ? { converted: this.ctx.convert(this.deal, this.asOf) } : {}),
        ...(this.b < 0 ? {} : { other: { feature: f[this.b]!, code: this.codeB } }),
      });
      if (this.caveat)
        this.#text += `, but with this deal's other traits it ${this.direction === 'raises_risk' ? 'raises' : 'lowers'} the risk`;
    }
    return this.#text;
  }

  toJSON(): Omit<Driver, never> {
    const { feature, label, contribution, direction, winRate, overallWinRate, sentence } = this;
    return { feature, label, contribution, direction, winRate, overallWinRate, sentence };
  }
}
