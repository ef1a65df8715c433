/**
 * A rep's forecast call, whatever the CRM calls it. Salesforce's ForecastCategoryName labels are
 * Pipeline, Best Case, Commit, Omitted and Closed (API names of ForecastCategory: Pipeline,
 * BestCase, Forecast, Omitted, Closed; some orgs add Most Likely); HubSpot's
 * `hs_manual_forecast_category` options are OMIT, PIPELINE, BEST_CASE, COMMIT and CLOSED.
 */
export type ForecastCall = 'commit' | 'best_case' | 'pipeline' | 'omitted' | 'closed';

/** The calls a rep makes on open deals, most confident first. */
export const OPEN_CALLS = ['commit', 'best_case', 'pipeline', 'omitted'] as const;
export type OpenCall = (typeof OPEN_CALLS)[number];

const CALLS: Record<string, ForecastCall> = {
  commit: 'commit',
  committed: 'commit',
  // Salesforce's ForecastCategory API name for Commit.
  forecast: 'commit',
  bestcase: 'best_case',
  // Salesforce's optional Most Likely sits between Commit and Best Case: counted with Best Case.
  mostlikely: 'best_case',
  pipeline: 'pipeline',
  omitted: 'omitted',
  omit: 'omitted',
  notforecasted: 'omitted',
  closed: 'closed',
  closedwon: 'closed',
};

/** The call a CRM value stands for; null when blank, `undefined` when not a value we know. */
export function forecastCall(value: string | null | undefined): ForecastCall | null | undefined {
  if (value === null || value === undefined) return null;
  const k = value.toLowerCase().replace(/[^a-z]/g, '');
  if (k === '') return null;
  return CALLS[k];
}

export const CALL_LABELS: Record<ForecastCall, string> = {
  commit: 'Commit',
  best_case: 'Best Case',
  pipeline: 'Pipeline',
  omitted: 'Omitted',
  closed: 'Closed',
};
