import { currencyConverter, type RatesBySource, type UnconvertedDeal, unconverted } from '../currency/convert.ts';
import type { Deal } from '../deal.ts';
import type { RiskCategory, ScoringConfig } from '../scoring/config.ts';
import { segmentKeyFn } from '../scoring/features.ts';
import { median } from '../scoring/stats.ts';
import { ageDays, applyFilter, cycleDays, type MetricsFilter, type RateWithInterval, rateOf, segmentFields } from './segments.ts';

/** The part of a score pipeline metrics need, keyed by the deal's externalId. */
export interface ScoreLike {
  winProbability: number;
  category: RiskCategory;
}

export interface PipelineInput {
  /** The tenant's deals, open and closed. */
  deals: readonly Deal[];
  /** Latest score per open deal, by externalId. */
  scores?: ReadonlyMap<string, ScoreLike>;
  asOf: Date;
  config: ScoringConfig;
  filter?: MetricsFilter;
  /** Exchange rates by source: amounts are converted to one currency before they are added. */
  rates?: RatesBySource;
}

export interface SegmentWinRate extends RateWithInterval {
  field: string;
  label: string;
  /** The value as a person reads it (an owner's name where the CRM gave one). */
  value: string;
  /** The value as deals store it (an owner's CRM user id): what a segment filter matches. */
  key: string;
}

export interface PipelineMetrics {
  asOf: Date;
  /** The currency of every amount below (the CRM's corporate currency); null when no deal names one. */
  currency: string | null;
  /**
   * Open deals left out of every amount because their currency could not be converted (no rate
   * for their close date): listed, never added in silently. They still count in `openDeals`.
   */
  unconverted: UnconvertedDeal[];
  /** Won deals left out of the average deal size (REM) for the same reason. */
  unconvertedWon: number;
  openDeals: number;
  /** Σ amount of open deals. */
  rawPipeline: number;
  /** Σ amount × segment win rate × min(1, segment median cycle ÷ deal age). */
  rapv: number;
  /** 1 − RAPV ÷ raw pipeline. */
  optimismGap: number | null;
  /** Σ amount × model P(win) over scored open deals. */
  expectedValue: number | null;
  scoredDeals: number;
  /** Win rate × average won deal size ÷ average days to win (revenue per day per deal). */
  rem: { value: number; winRate: number; avgDealSize: number; avgCycleDays: number } | null;
  winRate: RateWithInterval;
  winRateBySegment: SegmentWinRate[];
  /** Σ amount of High + Critical open deals. */
  revenueAtRisk: number;
  /** Σ over High + Critical of amount × P(win) × intervention success rate. */
  potentialRecovery: { value: number; successRate: number; assumption: string };
  riskDistribution: Record<RiskCategory, { count: number; amount: number }>;
}

/**
 * Pipeline metrics for a tenant (optionally one owner or segment). Segment win rates are shrunk
 * toward the overall rate by `config.smoothing` pseudo-deals so a 2-deal segment cannot claim 0%
 * or 100%; segment cycles need 5 won deals, else the overall median is used.
 */
export function pipelineMetrics(inp: PipelineInput): PipelineMetrics {
  const cfg = inp.config;
  const money = currencyConverter(inp.rates ?? {}, inp.deals, inp.asOf);
  const left: UnconvertedDeal[] = [];
  const deals = applyFilter(inp.deals, inp.filter);
  const open = deals.filter((d) => d.stage.status === 'open');
  const closed = deals.filter((d) => d.stage.status !== 'open');
  const won = closed.filter((d) => d.stage.status === 'won');
  const overall = rateOf(won.length, closed.length - won.length);
  const p0 = closed.length ? won.length / closed.length : Number.NaN;

  const key = segmentKeyFn(cfg.segmentBy);
  const seg = new Map<string, { won: number; n: number; cycles: number[] }>();
  for (const d of closed) {
    const k = key(d);
    const s = seg.get(k) ?? seg.set(k, { won: 0, n: 0, cycles: [] }).get(k)!;
    s.n++;
    if (d.stage.status === 'won') {
      s.won++;
      const c = cycleDays(d);
      if (c !== null) s.cycles.push(c);
    }
  }
  const wonCycles = won.map(cycleDays).filter((c): c is number => c !== null);
  const overallCycle = wonCycles.length ? median(wonCycles) : null;
  const m = cfg.smoothing;

  let raw = 0;
  let rapv = 0;
  let ev = 0;
  let scored = 0;
  let atRisk = 0;
  let recovery = 0;
  const dist: PipelineMetrics['riskDistribution'] = {
    Low: { count: 0, amount: 0 },
    Medium: { count: 0, amount: 0 },
    High: { count: 0, amount: 0 },
    Critical: { count: 0, amount: 0 },
  };
  for (const d of open) {
    const c = money.convert(d);
    if (c && !c.ok) left.push(unconverted(d, c.reason, inp.asOf));
    // A deal whose amount cannot be converted still counts as an open (and scored) deal, with no amount.
    const amount = c?.ok ? c.value : 0;
    raw += amount;
    const s = seg.get(key(d));
    const rate = s && s.n + m > 0 ? (s.won + m * p0) / (s.n + m) : p0;
    const cycle = s && s.cycles.length >= 5 ? median(s.cycles) : overallCycle;
    const age = ageDays(d, inp.asOf);
    const aging = cycle === null || age === null || age <= 0 ? 1 : Math.min(1, cycle / age);
    if (Number.isFinite(rate)) rapv += amount * rate * aging;
    const sc = inp.scores?.get(d.externalId);
    if (!sc) continue;
    scored++;
    ev += amount * sc.winProbability;
    dist[sc.category].count++;
    dist[sc.category].amount += amount;
    if (sc.category === 'High' || sc.category === 'Critical') {
      atRisk += amount;
      recovery += amount * sc.winProbability * cfg.interventionSuccessRate;
    }
  }
  let wonLeft = 0;
  const wonAmounts: number[] = [];
  for (const d of won) {
    const c = money.convert(d);
    if (c && !c.ok) wonLeft++;
    else wonAmounts.push(c?.value ?? 0);
  }
  const avgSize = wonAmounts.length ? wonAmounts.reduce((a, x) => a + x, 0) / wonAmounts.length : Number.NaN;
  const avgCycle = wonCycles.length ? wonCycles.reduce((a, c) => a + c, 0) / wonCycles.length : Number.NaN;
  const rem =
    Number.isFinite(avgSize) && Number.isFinite(avgCycle) && avgCycle > 0 && closed.length
      ? { value: (p0 * avgSize) / avgCycle, winRate: p0, avgDealSize: avgSize, avgCycleDays: avgCycle }
      : null;
  return {
    asOf: inp.asOf,
    currency: money.reporting,
    unconverted: left,
    unconvertedWon: wonLeft,
    openDeals: open.length,
    rawPipeline: raw,
    rapv,
    optimismGap: raw > 0 ? 1 - rapv / raw : null,
    expectedValue: inp.scores ? ev : null,
    scoredDeals: scored,
    rem,
    winRate: overall,
    winRateBySegment: winRateBySegment(closed, cfg.labels),
    revenueAtRisk: atRisk,
    potentialRecovery: {
      value: recovery,
      successRate: cfg.interventionSuccessRate,
      assumption: `Assumes ${Math.round(cfg.interventionSuccessRate * 100)}% of the expected value of High and Critical deals is recovered by acting on them (config: interventionSuccessRate).`,
    },
    riskDistribution: dist,
  };
}

/** Win rate of every value of every segment field, with counts and 95% Wilson intervals. */
export function winRateBySegment(closed: readonly Deal[], labels: Readonly<Record<string, string>> = {}): SegmentWinRate[] {
  const out: SegmentWinRate[] = [];
  for (const f of segmentFields(closed, labels)) {
    const by = new Map<string, { won: number; lost: number }>();
    for (const d of closed) {
      const v = f.read(d);
      if (v === null) continue;
      const s = by.get(v) ?? by.set(v, { won: 0, lost: 0 }).get(v)!;
      if (d.stage.status === 'won') s.won++;
      else s.lost++;
    }
    for (const [value, s] of [...by].sort((a, b) => b[1].won + b[1].lost - (a[1].won + a[1].lost))) {
      out.push({ field: f.id, label: f.label, value: f.name(value), key: value, ...rateOf(s.won, s.lost) });
    }
  }
  return out;
}
