import { currencyConverter, type RatesBySource } from '../currency/convert.ts';
import type { Deal } from '../deal.ts';
import type { RiskCategory } from '../scoring/config.ts';
import { normalQuantile } from '../scoring/stats.ts';
import {
  type ChangePoint,
  cycleWonVsLost,
  detectChangePoint,
  perOwner,
  stageConversion,
  velocity,
  winRateByPeriod,
} from './diagnostics.ts';
import { applyFilter, type MetricsFilter, type RateWithInterval, rateOf, segmentFields } from './segments.ts';

/** A plain-language finding, only emitted when it is statistically meaningful. */
export interface Insight {
  kind: 'segment' | 'trend';
  text: string;
  /** Revenue at stake: the segment's amount × (its win rate − the rest's). Negative = underperforming. */
  impact: number;
  impactBasis: 'open pipeline' | 'closed deals';
  segment?: Array<{ field: string; value: string }>;
  rate?: RateWithInterval;
  restRate?: number;
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;

interface Cell {
  keys: Array<{ field: string; label: string; value: string }>;
  won: number;
  lost: number;
  openAmount: number;
  closedAmount: number;
}

/**
 * Segments (one field, or two fields combined) whose win rate differs from the rest's. A finding
 * needs at least `minDeals` closed deals and a Wilson interval that excludes the rest's rate at a
 * family-wise 95% level (Bonferroni over every segment tested), so noise does not make headlines.
 * Two-field segments must also differ from each of their one-field parents.
 */
export function segmentInsights(deals: readonly Deal[], minDeals = 30): Insight[] {
  const fields = segmentFields(deals.filter((d) => d.stage.status !== 'open'));
  const nameOf = new Map(fields.map((f) => [f.id, f.name]));
  const cells = new Map<string, Cell>();
  let totalOpen = 0;
  let totalClosed = 0;
  let W = 0;
  let N = 0;
  const add = (key: string, keys: Cell['keys'], d: Deal): void => {
    const c = cells.get(key) ?? cells.set(key, { keys, won: 0, lost: 0, openAmount: 0, closedAmount: 0 }).get(key)!;
    if (d.stage.status === 'open') c.openAmount += d.amount ?? 0;
    else {
      c.closedAmount += d.amount ?? 0;
      if (d.stage.status === 'won') c.won++;
      else c.lost++;
    }
  };
  for (const d of deals) {
    if (d.stage.status === 'open') totalOpen += d.amount ?? 0;
    else {
      totalClosed += d.amount ?? 0;
      N++;
      if (d.stage.status === 'won') W++;
    }
    const vals = fields.map((f) => ({ field: f.id, label: f.label, value: f.read(d) }));
    for (let a = 0; a < vals.length; a++) {
      const va = vals[a]!;
      if (va.value === null) continue;
      add(`${va.field}=${va.value}`, [va as Cell['keys'][number]], d);
      for (let b = a + 1; b < vals.length; b++) {
        const vb = vals[b]!;
        if (vb.value === null) continue;
        add(`${va.field}=${va.value}&${vb.field}=${vb.value}`, [va, vb] as Cell['keys'], d);
      }
    }
  }
  const tested = [...cells.values()].filter((c) => c.won + c.lost >= minDeals && N - (c.won + c.lost) >= minDeals);
  if (tested.length === 0) return [];
  const z = normalQuantile(1 - 0.05 / (2 * tested.length));
  const rest = (c: Cell): number => (W - c.won) / (N - c.won - c.lost);
  const significant = (c: Cell): boolean => {
    const r = rateOf(c.won, c.lost, z);
    const o = rest(c);
    return o < r.low || o > r.high;
  };
  const useOpen = totalOpen > 0;
  const out: Insight[] = [];
  for (const c of tested) {
    if (!significant(c)) continue;
    const r = rateOf(c.won, c.lost, z);
    if (c.keys.length === 2) {
      const parents = c.keys.map((k) => cells.get(`${k.field}=${k.value}`)!);
      if (
        parents.some((p) => {
          const pr = p.won / (p.won + p.lost);
          return pr >= r.low && pr <= r.high;
        })
      )
        continue;
    }
    const o = rest(c);
    const amount = useOpen ? c.openAmount : c.closedAmount;
    const share = amount / (useOpen ? totalOpen : totalClosed || 1);
    const who = c.keys.map((k) => `${k.label.toLowerCase()} ${nameOf.get(k.field)!(k.value)}`).join(', ');
    out.push({
      kind: 'segment',
      text: `Deals with ${who} (${pct(share)} of ${useOpen ? 'open pipeline' : 'closed revenue'}) win ${pct(r.winRate)} vs ${pct(o)} elsewhere (${r.n} closed deals).`,
      impact: amount * (r.winRate - o),
      impactBasis: useOpen ? 'open pipeline' : 'closed deals',
      segment: c.keys.map(({ field, value }) => ({ field, value })),
      rate: rateOf(c.won, c.lost),
      restRate: o,
    });
  }
  return out.sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact));
}

export function trendInsight(cp: ChangePoint | null, openAmount: number): Insight | null {
  if (!cp) return null;
  const verb = cp.direction === 'decline' ? 'fell' : 'rose';
  return {
    kind: 'trend',
    text: `Win rate ${verb} from ${pct(cp.before.winRate)} to ${pct(cp.after.winRate)} starting ${cp.period} (${cp.before.n} deals before, ${cp.after.n} after; p = ${cp.pValue < 0.001 ? '<0.001' : cp.pValue.toFixed(3)}).`,
    impact: openAmount * (cp.after.winRate - cp.before.winRate),
    impactBasis: 'open pipeline',
  };
}

export interface DiagnosticsInput {
  deals: readonly Deal[];
  asOf: Date;
  /** Latest category per open deal, by externalId (for owners' high-risk counts). */
  categories?: ReadonlyMap<string, RiskCategory>;
  filter?: MetricsFilter;
  minDeals?: number;
  /** Exchange rates by source: amounts are converted to one currency before they are added. */
  rates?: RatesBySource;
}

/**
 * Everything the diagnostics page and `dealrisk insights` show. Amounts (velocity, owners' open
 * amounts, revenue at stake) are in `currency`, each deal converted at the rate for its close
 * date; a deal no rate converts counts as a deal with no amount and is counted in `unconverted`.
 */
export function diagnostics(inp: DiagnosticsInput) {
  const money = currencyConverter(inp.rates ?? {}, inp.deals, inp.asOf);
  const left = new Set<Deal>();
  const inOne = inp.deals.map((d) => {
    const c = money.convert(d);
    if (!c) return d;
    if (!c.ok) {
      const out = { ...d, amount: null };
      left.add(out);
      return out;
    }
    return c.rate === 1 ? d : { ...d, amount: c.value };
  });
  const deals = applyFilter(inOne, inp.filter);
  const byMonth = winRateByPeriod(deals, 'month');
  const changePoint = detectChangePoint(byMonth, inp.minDeals ?? 30);
  const openAmount = deals.filter((d) => d.stage.status === 'open').reduce((a, d) => a + (d.amount ?? 0), 0);
  const trend = trendInsight(changePoint, openAmount);
  return {
    asOf: inp.asOf,
    byMonth,
    byQuarter: winRateByPeriod(deals, 'quarter'),
    changePoint,
    stages: stageConversion(deals),
    cycles: cycleWonVsLost(deals),
    velocity: velocity(deals),
    owners: perOwner(deals, inp.categories ?? new Map(), inp.asOf),
    insights: (trend ? [trend] : []).concat(segmentInsights(deals, inp.minDeals ?? 30)),
    /** The currency of every amount here; null when no deal names one. */
    currency: money.reporting,
    /** Deals whose amount is left out of every figure here: no rate for their close date. */
    unconverted: deals.filter((d) => left.has(d)).length,
  };
}
export type Diagnostics = ReturnType<typeof diagnostics>;
