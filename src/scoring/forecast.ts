import { z } from 'zod';
import { currencyConverter, type UnconvertedDeal, unconverted } from '../core/currency/convert.ts';
import { AppError, formatIssues } from '../core/errors.ts';
import { forecastCall, type OpenCall } from '../core/forecast/calls.ts';
import { previousQuarter, quarterOf } from '../core/forecast/quarters.ts';
import { type ForecastReconciliation, type ModelCall, reconcileForecast } from '../core/forecast/reconcile.ts';
import { type CalledDeal, outcomeIn, type QuarterTrackRecord, trackRecord } from '../core/forecast/track-record.ts';
import type { RiskCategory } from '../core/scoring/config.ts';
import type { Store } from '../store/index.ts';

/** A closed quarter is recorded this long after it ends, once its last day's changes have synced. */
export const QUARTER_GRACE_MS = 2 * 86_400_000;

const RISK: ReadonlySet<string> = new Set(['Low', 'Medium', 'High', 'Critical']);

/** Tenant settings of forecast reconciliation: `settings.forecast` in the tenant's settings. */
const ForecastSettings = z
  .object({ fiscalYearStartMonth: z.number().int().min(1).max(12).default(1) })
  .strict()
  .default({ fiscalYearStartMonth: 1 });
export type ForecastSettings = z.infer<typeof ForecastSettings>;

export function forecastSettings(settings: Record<string, unknown>, tenantId: string): ForecastSettings {
  const r = ForecastSettings.safeParse(settings.forecast ?? undefined);
  if (!r.success) throw new AppError('config_invalid', `tenant ${tenantId} settings.forecast: ${formatIssues(r.error.issues)}`);
  return r.data;
}

async function settingsOf(store: Store, tenantId: string): Promise<ForecastSettings> {
  const t = await store.tenants.get(tenantId);
  if (!t) throw new AppError('not_found', `tenant "${tenantId}" does not exist`);
  return forecastSettings(t.settings, tenantId);
}

export interface ForecastReport {
  reconciliation: ForecastReconciliation;
  /** Closed quarters' records, newest first (quarters with no called deal left out). */
  trackRecord: QuarterTrackRecord[];
  fiscalYearStartMonth: number;
}

/**
 * The reps' calls against the model for the current quarter and the next ones (optionally one
 * owner's, by CRM id or name), with the closed quarters' track record.
 */
export async function forecastReport(
  store: Store,
  tenantId: string,
  asOf: Date,
  opts: { quarters?: number; owner?: string } = {},
): Promise<ForecastReport> {
  const settings = await settingsOf(store, tenantId);
  // Open deals only: calls are made on them (the reporting currency is the rates', or the open deals' most common).
  const [deals, latest, rates, records] = await Promise.all([
    store.deals.list(tenantId, { status: 'open' }),
    store.scores.latest(tenantId),
    store.currencyRates.bySource(tenantId),
    store.forecastQuarters.list(tenantId, 8),
  ]);
  const scores = new Map<string, ModelCall>();
  for (const s of latest)
    if (RISK.has(s.category))
      scores.set(s.externalId, { category: s.category as RiskCategory, winProbability: s.winProbability, score: s.score });
  const wanted = opts.owner?.toLowerCase();
  const mine = (id: string | null, name: string | null) => !wanted || id?.toLowerCase() === wanted || name?.toLowerCase() === wanted;
  const reconciliation = reconcileForecast({
    deals: wanted ? deals.filter((d) => mine(d.owner.id, d.owner.name)) : deals,
    scores,
    rates,
    asOf,
    fiscalYearStartMonth: settings.fiscalYearStartMonth,
    ...(opts.quarters ? { quarters: opts.quarters } : {}),
  });
  const trackRecord = records
    .filter((r) => r.deals > 0)
    .map((r) => (wanted ? { ...r, reps: r.reps.filter((x) => mine(x.ownerId, x.ownerName)) } : r));
  return { reconciliation, trackRecord, fiscalYearStartMonth: settings.fiscalYearStartMonth };
}

/**
 * Records the quarter that ended last, once (QUARTER_GRACE_MS after its end): each deal the reps
 * called for it, as last seen open, with the model's category at that time and what happened.
 * Returns the record when this call wrote it, null when it was not due or already written.
 */
export async function recordClosedQuarter(store: Store, tenantId: string, asOf: Date): Promise<QuarterTrackRecord | null> {
  const { fiscalYearStartMonth: fy } = await settingsOf(store, tenantId);
  const q = previousQuarter(quarterOf(asOf, fy), fy);
  if (asOf.getTime() < q.end.getTime() + QUARTER_GRACE_MS) return null;
  if (await store.forecastQuarters.has(tenantId, q.key)) return null;
  const [rows, rates] = await Promise.all([
    store.forecastQuarters.asCalled(tenantId, q.start, q.end),
    store.currencyRates.bySource(tenantId),
  ]);
  const money = currencyConverter(
    rates,
    rows.map((r) => r.asCalled),
    asOf,
  );
  const called: CalledDeal[] = [];
  const left: UnconvertedDeal[] = [];
  for (const r of rows) {
    const d = r.asCalled;
    const call = forecastCall(d.forecastCategory);
    if (!call || call === 'closed') continue;
    const close = d.expectedCloseDate;
    if (!close || close < q.start || close >= q.end) continue;
    const c = money.convert(d);
    if (c && !c.ok) left.push(unconverted(d, c.reason, asOf));
    called.push({
      externalId: d.externalId,
      ownerId: d.owner.id,
      ownerName: d.owner.name,
      call: call as OpenCall,
      category: r.category && RISK.has(r.category) ? (r.category as RiskCategory) : null,
      amount: c?.ok ? c.value : null,
      outcome: outcomeIn(q, r.status, r.closedAt),
    });
  }
  const rec = trackRecord(q, called, money.reporting, asOf);
  const stored = { ...rec, ...(left.length ? { unconverted: left.length } : {}) };
  return (await store.forecastQuarters.record(tenantId, stored)) ? stored : null;
}
