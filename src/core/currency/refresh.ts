import { type CurrencyRates, normalizeCurrency } from './rates.ts';

/** Rates read this recently serve later runs, unless a currency they lack turns up. */
export const RATES_MAX_AGE_MS = 6 * 3_600_000;

/** What the sync knows before deciding whether to read a CRM's rates. */
export interface RatesState {
  /** Currency codes the source's live deals carry (normalised, blank ones left out). */
  dealCurrencies: readonly string[];
  /** The last good rates, if any. */
  rates: CurrencyRates | null;
  fetchedAt: Date | null;
  /** When the last read failed, if it did. */
  errorAt: Date | null;
  now: Date;
}

/**
 * Whether this run reads the CRM's exchange rates (at most once a run). Never when the deals
 * name at most one currency and that one needs no converting: single-currency tenants never pay
 * a call. Otherwise when no read was tried in RATES_MAX_AGE_MS, or the last read succeeded but
 * lacks a currency a deal now carries. A failed read (missing scope, say) is tried again only
 * after RATES_MAX_AGE_MS.
 */
export function ratesDue(s: RatesState): boolean {
  const codes = [...new Set(s.dealCurrencies.map(normalizeCurrency).filter((c): c is string => c !== null))];
  const corporate = s.rates ? normalizeCurrency(s.rates.corporate) : null;
  if (codes.length === 0) return false;
  if (codes.length === 1 && (corporate === null || corporate === codes[0])) return false;
  const lastTry = Math.max(s.fetchedAt?.getTime() ?? -Infinity, s.errorAt?.getTime() ?? -Infinity);
  if (s.now.getTime() - lastTry >= RATES_MAX_AGE_MS) return true;
  const failedLast = s.errorAt !== null && (s.fetchedAt === null || s.errorAt > s.fetchedAt);
  if (failedLast || !s.rates) return false;
  const known = new Set([corporate, ...s.rates.rates.map((r) => normalizeCurrency(r.code))]);
  return codes.some((c) => !known.has(c));
}
