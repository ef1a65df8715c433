import type { AmountInReporting } from '../currency/convert.ts';
import type { Deal } from '../deal.ts';
import type { BaseFeature } from './model.ts';

/** Plain-language text for drivers: short, concrete, with the deal's own numbers. */

export const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** $52k, $1.2M, €900: compact money for sentences. */
export function money(x: number, currency: string | null = 'USD'): string {
  const sym = currency === 'USD' || currency === null ? '$' : currency === 'EUR' ? '€' : currency === 'GBP' ? '£' : `${currency} `;
  const a = Math.abs(x);
  const s =
    a >= 1e9
      ? `${+(a / 1e9).toFixed(1)}B`
      : a >= 1e6
        ? `${+(a / 1e6).toFixed(1)}M`
        : a >= 1e4
          ? `${Math.round(a / 1e3)}k`
          : a >= 1e3
            ? `${+(a / 1e3).toFixed(1)}k`
            : `${Math.round(a)}`;
  return `${x < 0 ? '-' : ''}${sym}${s}`;
}

const round = (x: number): string => `${Math.round(x)}`;

/** Code 1 of a category: the values pooled beyond the most frequent ones, and how many there are. */
function otherValues(f: BaseFeature): string {
  if (!f.pooled) return 'other';
  const what = f.id === 'owner' ? (f.pooled === 1 ? 'owner' : 'owners') : f.pooled === 1 ? 'value' : 'values';
  return `other (${f.pooled.toLocaleString('en-US')} ${what} with fewer deals, pooled)`;
}

/** The human description of a feature's code ("Partner", "$40k-$60k", "30-60 days"). */
export function describeCode(f: BaseFeature, code: number, currency: string | null): string {
  if (code === 0) return 'unknown';
  if (f.kind === 'category') return code === 1 ? otherValues(f) : (f.names?.[code - 2] ?? f.levels![code - 2] ?? 'other');
  const cuts = f.cuts!;
  const b = code - 1;
  const fmt =
    f.id === 'amount'
      ? (x: number) => money(x, currency)
      : f.id === 'crm_probability'
        ? pct
        : f.id === 'age_ratio'
          ? (x: number) => `${x}×`
          : round;
  if (cuts.length === 0) return 'any';
  if (b === 0) return `under ${fmt(cuts[0]!)}`;
  if (b >= cuts.length) return `${fmt(cuts[cuts.length - 1]!)} or more`;
  return `${fmt(cuts[b - 1]!)}-${fmt(cuts[b]!)}`;
}

const versus = (rate: number, overall: number): string => `deals like this win ${pct(rate)} vs ${pct(overall)} overall`;

export interface SentenceInput {
  feature: BaseFeature;
  code: number;
  deal: Deal;
  asOf: Date;
  /** Smoothed win rate of the deal's cell and overall. */
  winRate: number;
  overallWinRate: number;
  /** Median days to win for deals like this one (age sentences). */
  cycleDays: number | null;
  /** Second feature of a cross. */
  other?: { feature: BaseFeature; code: number };
  /** The amount in the reporting currency, for a deal in another currency. */
  converted?: AmountInReporting | null;
}

/** `€50k (≈ $54k)`: the deal's own amount, and the reporting currency's when they differ. */
function ownAndConverted(amount: number, d: Deal, c: AmountInReporting | null | undefined): string {
  const own = money(amount, d.currency);
  if (!c) return own;
  return c.value === null ? `${own} (no ${c.own} rate for its close date)` : `${own} (≈ ${money(c.value, c.reporting)})`;
}

const days = (a: Date | null, b: Date): number | null => (a ? Math.round((b.getTime() - a.getTime()) / 86_400_000) : null);

/** One sentence for one driver. */
export function sentenceFor(s: SentenceInput): string {
  const { feature: f, code, deal: d, asOf } = s;
  const vs = versus(s.winRate, s.overallWinRate);
  if (s.other) {
    const a = `${f.label} ${describeCode(f, code, d.currency)}`;
    const b = `${s.other.feature.label.toLowerCase()} ${describeCode(s.other.feature, s.other.code, d.currency)}`;
    return `${a} with ${b}: ${vs}`;
  }
  switch (f.id) {
    case 'amount':
      return d.amount === null
        ? `No amount: ${vs}`
        : `Amount ${ownAndConverted(d.amount, d, s.converted)}: deals of ${describeCode(f, code, d.currency)} win ${pct(s.winRate)} vs ${pct(s.overallWinRate)} overall`;
    case 'age_ratio': {
      const age = days(d.createdAt, asOf);
      return s.cycleDays !== null && age !== null
        ? `Open ${age} days; deals like this close in ${Math.round(s.cycleDays)} (${vs})`
        : `Deal age: ${vs}`;
    }
    case 'days_in_stage': {
      const n = days(d.stageEnteredAt, asOf);
      return n !== null ? `${`${n} days in stage ${d.stage.label ?? ''}`.trimEnd()}; ${vs}` : `Time in stage: ${vs}`;
    }
    case 'days_since_activity': {
      const n = days(d.lastActivityAt, asOf);
      return n === null ? `No recorded activity; ${vs}` : `No activity for ${n} days; ${vs}`;
    }
    case 'close_date_pushes':
      return `Close date pushed ${d.closeDatePushes ?? 0} time${d.closeDatePushes === 1 ? '' : 's'}; ${vs}`;
    case 'days_to_close': {
      const n = d.expectedCloseDate ? Math.round((d.expectedCloseDate.getTime() - asOf.getTime()) / 86_400_000) : null;
      if (n === null) return `No expected close date; ${vs}`;
      return n < 0 ? `Expected close date passed ${-n} days ago; ${vs}` : `Expected to close in ${n} days; ${vs}`;
    }
    case 'contacts':
      return `${d.contactsCount ?? 0} contact${d.contactsCount === 1 ? '' : 's'} on the deal; ${vs}`;
    case 'crm_probability':
      return `CRM stage probability ${d.crmProbability === null ? 'unknown' : pct(d.crmProbability)}; ${vs}`;
    case 'quarter_end':
      return `${describeCode(f, code, null)} days to quarter end; ${vs}`;
    default:
      return `${f.label} ${describeCode(f, code, d.currency)}: ${vs}`;
  }
}
