/** What the org's API allocation (Sforce-Limit-Info's api-usage) is counted over, as the dashboard names it. */
export const USAGE_WINDOW = '24 h rolling (org)';

/** The org-wide counter Salesforce reports on every REST response. */
export interface ApiUsageInfo {
  used: number;
  limit: number;
}

/**
 * Parses `Sforce-Limit-Info: api-usage=10018/100000` (newer orgs append
 * `; per-app-api-usage=...` or `; api-bursts=1/750`; only api-usage is the daily allocation).
 */
export function parseLimitInfo(header: string | undefined | null): ApiUsageInfo | null {
  if (!header) return null;
  const m = /(?:^|[;,\s])api-usage=(\d+)\/(\d+)/.exec(header);
  if (!m) return null;
  const used = Number(m[1]);
  const limit = Number(m[2]);
  return limit > 0 ? { used, limit } : null;
}

export interface BudgetState {
  /** Calls this connector instance has sent. */
  calls: number;
  /** Calls this connection already used earlier in the rolling 24 h window (from run records). */
  windowCalls: number;
  /** Latest org-wide usage from Sforce-Limit-Info; unknown before the first response. */
  usage: ApiUsageInfo | null;
  /** Our share of the org's daily allocation, 0..1. */
  budgetShare: number;
  /** Share of the allocation we always leave to the org's other clients, 0..1. */
  orgReserve: number;
}

export type BudgetDecision = { ok: true } | { ok: false; reason: string };

/**
 * Whether one more call fits. Two rules: our own calls in the window stay within
 * `budgetShare` of the daily allocation, and we never take the org's last `orgReserve`
 * (so the admin's other integrations are not starved into REQUEST_LIMIT_EXCEEDED by us).
 * Before the first response the allocation is unknown, so the first call always goes.
 */
export function decideBudget(s: BudgetState): BudgetDecision {
  if (!s.usage) return { ok: true };
  const { used, limit } = s.usage;
  const share = Math.floor(limit * s.budgetShare);
  const ours = s.windowCalls + s.calls;
  if (ours + 1 > share) {
    return {
      ok: false,
      reason: `dealrisk has used ${ours} API calls, its ${Math.round(s.budgetShare * 100)}% share (${share}) of the org's ${limit} daily calls`,
    };
  }
  const reserve = Math.ceil(limit * s.orgReserve);
  if (limit - used <= reserve) {
    return {
      ok: false,
      reason: `the org has used ${used} of its ${limit} daily API calls; the last ${reserve} are left to its other clients`,
    };
  }
  return { ok: true };
}
