import { currencyConverter, type MoneyDeal } from '../core/currency/convert.ts';
import { normalizeCurrency } from '../core/currency/rates.ts';
import { isAppError } from '../core/errors.ts';
import { forecastReport } from '../scoring/forecast.ts';
import type { Store } from '../store/index.ts';

/** A deal's amount in its own currency and in the reporting one (issue 16). */
export interface DigestMoney {
  /** The deal's own currency (null: the reporting one). */
  currency: string | null;
  /** The amount in the reporting currency; null when it has none or no rate converts it. */
  converted: number | null;
}

/** Converts each digest deal with the tenant's stored rates (one read): `money(deal)`. */
export async function digestMoney(
  store: Store,
  tenantId: string,
  asOf: Date,
): Promise<{ reporting: string | null; money(d: MoneyDeal): DigestMoney }> {
  const c = currencyConverter(await store.currencyRates.bySource(tenantId), [], asOf);
  return {
    reporting: c.reporting,
    money(d: MoneyDeal) {
      const r = c.convert(d);
      return { currency: normalizeCurrency(d.currency), converted: r?.ok ? r.value : null };
    },
  };
}

/** This quarter's forecast against the model, as the managers' digest tells it. */
export interface DigestForecast {
  quarter: string;
  currency: string | null;
  commit: { deals: number; amount: number; riskAdjusted: number };
  bestCase: { deals: number; amount: number; riskAdjusted: number };
  reps: Array<{
    ownerId: string | null;
    ownerName: string | null;
    commitAmount: number;
    commitRiskAdjusted: number;
    commitAtRisk: number;
    bestCaseAtRisk: number;
    pipelineLow: number;
  }>;
  /** The largest Commit deals the model rates High or Critical. */
  commitAtRisk: Array<{
    externalId: string;
    name: string | null;
    ownerName: string | null;
    amount: number | null;
    currency: string | null;
    converted: number | null;
    category: string;
    winProbability: number;
  }>;
}

const figures = (f: { deals: number; amount: number; riskAdjusted: number }) => ({
  deals: f.deals,
  amount: f.amount,
  riskAdjusted: f.riskAdjusted,
});

/** Null when the forecast category is not mapped (no open deal carries one). */
export async function digestForecast(store: Store, tenantId: string, asOf: Date, top = 5): Promise<DigestForecast | null> {
  let report: Awaited<ReturnType<typeof forecastReport>>;
  try {
    report = await forecastReport(store, tenantId, asOf, { quarters: 1 });
  } catch (e) {
    // Invalid forecast settings (or a tenant gone) must not cost the managers their digest: the Forecast page says why.
    if (isAppError(e, 'config_invalid') || isAppError(e, 'not_found')) return null;
    throw e;
  }
  const x = report.reconciliation;
  const q = x.quarters[0];
  if (!x.mapped || !q) return null;
  return {
    quarter: q.quarter,
    currency: x.currency,
    commit: figures(q.total.calls.commit),
    bestCase: figures(q.total.calls.best_case),
    reps: q.reps
      .filter((r) => r.calls.commit.deals + r.calls.best_case.deals > 0)
      .slice(0, 10)
      .map((r) => ({
        ownerId: r.ownerId,
        ownerName: r.ownerName,
        commitAmount: r.calls.commit.amount,
        commitRiskAdjusted: r.calls.commit.riskAdjusted,
        commitAtRisk: r.flagged.commitAtRisk.length,
        bestCaseAtRisk: r.flagged.bestCaseAtRisk.length,
        pipelineLow: r.flagged.pipelineLow.length,
      })),
    commitAtRisk: q.total.flagged.commitAtRisk.slice(0, top).map((d) => ({
      externalId: d.externalId,
      name: d.name,
      ownerName: d.ownerName,
      amount: d.amount,
      currency: d.currency,
      converted: d.converted,
      category: d.category,
      winProbability: d.winProbability,
    })),
  };
}
