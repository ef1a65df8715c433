/**
 * Exchange rates as a CRM keeps them, normalised: how many units of the corporate currency one
 * unit of a deal's currency is worth, over a span of days. Salesforce's `CurrencyType` (one rate
 * per currency) and `DatedConversionRate` (advanced currency management: a rate per date range)
 * and HubSpot's exchange rates (each effective from `effectiveAt` until the next one) all become
 * this shape in their connector; the core only looks rates up.
 */

/** One rate of one currency against the corporate currency, in force over [from, until). */
export interface RatePeriod {
  /** ISO 4217 code of the deal's currency (upper case). */
  code: string;
  /** Corporate units one unit of `code` is worth: corporate amount = amount × toCorporate. */
  toCorporate: number;
  /** First instant the rate is in force (inclusive); null: since always. */
  from: Date | null;
  /** First instant it no longer is (exclusive); null: still in force. */
  until: Date | null;
}

/** What a CRM says about its currencies, read once per run at most. */
export interface CurrencyRates {
  /** The corporate (Salesforce) or company (HubSpot) currency every figure is reported in. */
  corporate: string;
  /** `dated`: rates change by date (Salesforce advanced currency management, HubSpot); `single`: one rate per currency. */
  kind: 'dated' | 'single';
  rates: RatePeriod[];
}

/** `eur ` → `EUR`; blank → null. Codes are compared in this form everywhere. */
export function normalizeCurrency(code: string | null | undefined): string | null {
  const c = typeof code === 'string' ? code.trim().toUpperCase() : '';
  return c === '' ? null : c;
}

/**
 * The rate of `code` in force at `at`: 1 for the corporate currency, null when no period covers
 * that instant (the caller lists such a deal instead of summing it). Where periods overlap (a
 * CRM that lets two rates start the same day), the one that started last wins.
 */
export function rateOn(rates: CurrencyRates, code: string, at: Date): number | null {
  const c = normalizeCurrency(code);
  if (c === null) return null;
  if (c === normalizeCurrency(rates.corporate)) return 1;
  const t = at.getTime();
  let best: RatePeriod | null = null;
  for (const p of rates.rates) {
    if (normalizeCurrency(p.code) !== c) continue;
    if (p.from && p.from.getTime() > t) continue;
    if (p.until && p.until.getTime() <= t) continue;
    if (!best || (p.from?.getTime() ?? -Infinity) > (best.from?.getTime() ?? -Infinity)) best = p;
  }
  return best && Number.isFinite(best.toCorporate) && best.toCorporate > 0 ? best.toCorporate : null;
}

/**
 * Periods from a list of rates that each hold from their start until the next start of the same
 * currency (HubSpot's `effectiveAt`). Rates that start at the same instant keep the last given.
 */
export function periodsFromStarts(starts: ReadonlyArray<{ code: string; toCorporate: number; from: Date | null }>): RatePeriod[] {
  const byCode = new Map<string, Array<{ toCorporate: number; from: Date | null }>>();
  for (const s of starts) {
    const c = normalizeCurrency(s.code);
    if (c === null) continue;
    const list = byCode.get(c) ?? [];
    list.push({ toCorporate: s.toCorporate, from: s.from });
    byCode.set(c, list);
  }
  const out: RatePeriod[] = [];
  for (const [code, list] of byCode) {
    const sorted = list
      .map((x, i) => ({ ...x, i }))
      .sort((a, b) => (a.from?.getTime() ?? -Infinity) - (b.from?.getTime() ?? -Infinity) || a.i - b.i);
    const kept = sorted.filter(
      (x, i) => i + 1 >= sorted.length || (sorted[i + 1]!.from?.getTime() ?? -Infinity) !== (x.from?.getTime() ?? -Infinity),
    );
    kept.forEach((x, i) => {
      out.push({ code, toCorporate: x.toCorporate, from: x.from, until: kept[i + 1]?.from ?? null });
    });
  }
  return out;
}
