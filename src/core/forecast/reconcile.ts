import { type CurrencyConverter, currencyConverter, type RatesBySource, type UnconvertedDeal, unconverted } from '../currency/convert.ts';
import { normalizeCurrency } from '../currency/rates.ts';
import type { Deal } from '../deal.ts';
import type { RiskCategory } from '../scoring/config.ts';
import { forecastCall, type OpenCall } from './calls.ts';
import { nextQuarter, type Quarter, quarterOf } from './quarters.ts';

/** The model's view of an open deal, by externalId. */
export interface ModelCall {
  category: RiskCategory;
  /** Calibrated P(win), 0..1. */
  winProbability: number;
  /** Risk score 0..100, when known. */
  score?: number;
}

export interface ReconcileInput {
  /** The tenant's deals; only open ones are reconciled (closed ones set the currency). */
  deals: readonly Deal[];
  scores: ReadonlyMap<string, ModelCall>;
  rates?: RatesBySource;
  asOf: Date;
  /** 1 = January (calendar quarters). */
  fiscalYearStartMonth?: number;
  /** Quarters shown from the current one on (default 2: this quarter and the next). */
  quarters?: number;
}

/** What a rep put in one call, and what the model makes of it (amounts in the reporting currency). */
export interface CallFigures {
  deals: number;
  /** Σ amount of these deals. */
  amount: number;
  /** Σ amount × the model's P(win), over the scored ones. */
  riskAdjusted: number;
  /** Σ amount of the scored ones: what `riskAdjusted` is a share of. */
  scoredAmount: number;
  /** Deals the model has not scored (left out of riskAdjusted). */
  unscored: number;
}

/** A deal where the rep and the model disagree. */
export interface FlaggedDeal {
  externalId: string;
  name: string | null;
  ownerId: string | null;
  ownerName: string | null;
  call: OpenCall;
  category: RiskCategory;
  score: number | null;
  winProbability: number;
  /** The deal's own amount and currency, as in the CRM. */
  amount: number | null;
  currency: string | null;
  /** The amount in the reporting currency; null when it has none or it cannot be converted. */
  converted: number | null;
  closeDate: string | null;
}

export interface RepForecast {
  ownerId: string | null;
  ownerName: string | null;
  calls: Record<OpenCall, CallFigures>;
  /** Commit or Best Case deals the model rates High or Critical, and Pipeline deals it rates Low. */
  flagged: { commitAtRisk: FlaggedDeal[]; bestCaseAtRisk: FlaggedDeal[]; pipelineLow: FlaggedDeal[] };
  /** Open deals whose close date has already passed (counted in the current quarter). */
  overdue: number;
}

export interface QuarterForecast {
  quarter: string;
  start: Date;
  end: Date;
  current: boolean;
  total: RepForecast;
  reps: RepForecast[];
}

export interface ForecastReconciliation {
  asOf: Date;
  currency: string | null;
  /** False when no open deal carries a forecast category: the CRM field is not mapped (or not used). */
  mapped: boolean;
  quarters: QuarterForecast[];
  /** Open deals with a call whose amount could not be converted: counted, listed, never summed. */
  unconverted: UnconvertedDeal[];
  /** Open deals with a close date beyond the quarters shown, or none. */
  outside: number;
  /** CRM values that are not a call we know (custom categories), with how many open deals carry each. */
  unrecognised: Array<{ value: string; deals: number }>;
}

const emptyFigures = (): CallFigures => ({ deals: 0, amount: 0, riskAdjusted: 0, scoredAmount: 0, unscored: 0 });
const emptyRep = (ownerId: string | null, ownerName: string | null): RepForecast => ({
  ownerId,
  ownerName,
  calls: { commit: emptyFigures(), best_case: emptyFigures(), pipeline: emptyFigures(), omitted: emptyFigures() },
  flagged: { commitAtRisk: [], bestCaseAtRisk: [], pipelineLow: [] },
  overdue: 0,
});
const day = (d: Date | null): string | null => (d ? d.toISOString().slice(0, 10) : null);
const atRisk = (c: RiskCategory): boolean => c === 'High' || c === 'Critical';

/**
 * The reps' calls against the model, per rep and per quarter of the expected close date: what is
 * called Commit and Best Case next to its risk-adjusted value (Σ amount × P(win)), and the deals
 * where the two disagree. Amounts are in one currency (see currencyConverter).
 */
export function reconcileForecast(inp: ReconcileInput): ForecastReconciliation {
  const fy = inp.fiscalYearStartMonth ?? 1;
  const money = currencyConverter(inp.rates ?? {}, inp.deals, inp.asOf);
  const quarters: Quarter[] = [quarterOf(inp.asOf, fy)];
  while (quarters.length < Math.max(1, inp.quarters ?? 2)) quarters.push(nextQuarter(quarters[quarters.length - 1]!, fy));
  const byQuarter = new Map(quarters.map((q) => [q.key, new Map<string, RepForecast>()]));
  const totals = new Map(quarters.map((q) => [q.key, emptyRep(null, null)]));
  const left: UnconvertedDeal[] = [];
  const unknown = new Map<string, number>();
  let mapped = false;
  let outside = 0;

  for (const d of inp.deals) {
    if (d.stage.status !== 'open') continue;
    const call = forecastCall(d.forecastCategory);
    if (call === undefined) {
      mapped = true;
      const v = d.forecastCategory!.trim();
      unknown.set(v, (unknown.get(v) ?? 0) + 1);
      continue;
    }
    if (call === null || call === 'closed') {
      if (call === 'closed') mapped = true;
      continue;
    }
    mapped = true;
    const close = d.expectedCloseDate;
    const overdue = close !== null && close < quarters[0]!.start;
    const q = close === null ? undefined : overdue ? quarters[0] : quarters.find((x) => close >= x.start && close < x.end);
    if (!q) {
      outside++;
      continue;
    }
    const c = money.convert(d);
    if (c && !c.ok) left.push(unconverted(d, c.reason, inp.asOf));
    const amount = c?.ok ? c.value : 0;
    const model = inp.scores.get(d.externalId);
    const reps = byQuarter.get(q.key)!;
    const key = d.owner.id ?? d.owner.name ?? '';
    const rep = reps.get(key) ?? reps.set(key, emptyRep(d.owner.id, d.owner.name)).get(key)!;
    for (const line of [rep, totals.get(q.key)!]) {
      add(line.calls[call], amount, model);
      if (overdue) line.overdue++;
      const flag = flagFor(call, model);
      if (flag) line.flagged[flag].push(flagged(d, call, model!, c));
    }
  }
  return {
    asOf: inp.asOf,
    currency: money.reporting,
    mapped,
    quarters: quarters.map((q) => ({
      quarter: q.key,
      start: q.start,
      end: q.end,
      current: q === quarters[0],
      total: sortFlags(totals.get(q.key)!),
      reps: [...byQuarter.get(q.key)!.values()].map(sortFlags).sort(byCommitted),
    })),
    unconverted: left,
    outside,
    unrecognised: [...unknown].map(([value, deals]) => ({ value, deals })).sort((a, b) => b.deals - a.deals),
  };
}

function add(f: CallFigures, amount: number, model: ModelCall | undefined): void {
  f.deals++;
  f.amount += amount;
  if (!model) {
    f.unscored++;
    return;
  }
  f.scoredAmount += amount;
  f.riskAdjusted += amount * model.winProbability;
}

function flagFor(call: OpenCall, model: ModelCall | undefined): keyof RepForecast['flagged'] | null {
  if (!model) return null;
  if (call === 'commit' && atRisk(model.category)) return 'commitAtRisk';
  if (call === 'best_case' && atRisk(model.category)) return 'bestCaseAtRisk';
  if (call === 'pipeline' && model.category === 'Low') return 'pipelineLow';
  return null;
}

function flagged(d: Deal, call: OpenCall, model: ModelCall, c: ReturnType<CurrencyConverter['convert']>): FlaggedDeal {
  return {
    externalId: d.externalId,
    name: d.name,
    ownerId: d.owner.id,
    ownerName: d.owner.name,
    call,
    category: model.category,
    score: model.score ?? null,
    winProbability: model.winProbability,
    amount: d.amount,
    currency: normalizeCurrency(d.currency),
    converted: c?.ok ? c.value : null,
    closeDate: day(d.expectedCloseDate),
  };
}

/** Largest amount first: what a manager should look at first. */
function sortFlags(r: RepForecast): RepForecast {
  const by = (a: FlaggedDeal, b: FlaggedDeal) => (b.converted ?? -1) - (a.converted ?? -1) || a.externalId.localeCompare(b.externalId);
  for (const k of ['commitAtRisk', 'bestCaseAtRisk', 'pipelineLow'] as const) r.flagged[k].sort(by);
  return r;
}

const byCommitted = (a: RepForecast, b: RepForecast): number =>
  b.calls.commit.amount - a.calls.commit.amount ||
  b.calls.best_case.amount - a.calls.best_case.amount ||
  (a.ownerName ?? a.ownerId ?? '').localeCompare(b.ownerName ?? b.ownerId ?? '');
