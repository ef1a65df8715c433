import type { Deal, Source } from '../deal.ts';
import { type CurrencyRates, normalizeCurrency, rateOn } from './rates.ts';

/** The rates a tenant's CRMs reported, by the source whose deals they convert. */
export type RatesBySource = Partial<Record<Source, CurrencyRates>>;

/** The part of a deal a conversion reads. */
export type MoneyDeal = Pick<Deal, 'source' | 'externalId' | 'amount' | 'currency' | 'expectedCloseDate' | 'closedAt'>;

/** A deal amount in the reporting currency, or why it cannot be. */
export type Conversion = { ok: true; value: number; rate: number } | { ok: false; reason: string };

/**
 * How a tenant's amounts become one currency: the reporting currency and a conversion per deal.
 * Build it once per request or run (`currencyConverter`), then convert each deal.
 */
export interface CurrencyConverter {
  /** The currency every converted figure is in; null when no deal names a currency. */
  readonly reporting: string | null;
  /** True when more than one currency is in play (pages then show each deal's own currency too). */
  readonly mixed: boolean;
  /** The deal's amount in the reporting currency; null when it has no amount. */
  convert(deal: MoneyDeal): Conversion | null;
}

const day = (d: Date): string => d.toISOString().slice(0, 10);

/**
 * The date whose rate converts a deal: its close date (expected while open, actual once closed,
 * as the CRM keeps it), else when it closed, else `asOf`. Salesforce converts opportunities at
 * the dated rate of their CloseDate the same way.
 */
export function rateDate(d: MoneyDeal, asOf: Date): Date {
  return d.expectedCloseDate ?? d.closedAt ?? asOf;
}

/**
 * The tenant's converter. With rates, the reporting currency is the corporate currency of the
 * rates covering most deals; each deal converts at the rate of its own source for its close date.
 * Without rates, amounts in one currency (or none named) are summed as they are; when deals name
 * several currencies, the most common one reports and the others cannot be converted.
 *
 * A deal without a currency is taken to be in its CRM's corporate currency (HubSpot fills
 * `deal_currency_code` only in multi-currency portals; single-currency Salesforce orgs have no
 * CurrencyIsoCode).
 */
export function currencyConverter(rates: RatesBySource, deals: readonly MoneyDeal[], asOf: Date): CurrencyConverter {
  const codes = new Map<string, number>();
  const bySource = new Map<Source, number>();
  for (const d of deals) {
    const c = normalizeCurrency(d.currency);
    if (c !== null) codes.set(c, (codes.get(c) ?? 0) + 1);
    bySource.set(d.source, (bySource.get(d.source) ?? 0) + 1);
  }
  const withRates = (Object.entries(rates) as Array<[Source, CurrencyRates | undefined]>).filter(
    (e): e is [Source, CurrencyRates] => e[1] !== undefined,
  );
  withRates.sort((a, b) => (bySource.get(b[0]) ?? 0) - (bySource.get(a[0]) ?? 0));
  const mostCommon = [...codes].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? null;
  const reporting = withRates.length ? normalizeCurrency(withRates[0]![1].corporate) : mostCommon;
  const mixed = codes.size > 1 || (codes.size === 1 && reporting !== null && !codes.has(reporting));

  return {
    reporting,
    mixed,
    convert(d) {
      if (d.amount === null) return null;
      const own = normalizeCurrency(d.currency);
      if (own === null || own === reporting) return { ok: true, value: d.amount, rate: 1 };
      const table = rates[d.source];
      if (!table)
        return { ok: false, reason: `no exchange rates were read for ${own}: the figures are in ${reporting ?? 'another currency'}` };
      if (normalizeCurrency(table.corporate) !== reporting)
        return { ok: false, reason: `its CRM reports in ${table.corporate}, the other figures are in ${reporting}` };
      const on = rateDate(d, asOf);
      const rate = rateOn(table, own, on);
      if (rate === null) return { ok: false, reason: `no ${own} rate in force on ${day(on)}` };
      return { ok: true, value: d.amount * rate, rate };
    },
  };
}

/** A deal left out of a total because its amount could not be converted. */
export interface UnconvertedDeal {
  externalId: string;
  name: string | null;
  ownerName: string | null;
  amount: number;
  currency: string;
  /** The date whose rate was looked for (yyyy-mm-dd). */
  rateDate: string;
  reason: string;
}

/** Lists a deal that could not be converted (amount and currency as the CRM gave them). */
export function unconverted(d: MoneyDeal & Pick<Deal, 'name' | 'owner'>, reason: string, asOf: Date): UnconvertedDeal {
  return {
    externalId: d.externalId,
    name: d.name,
    ownerName: d.owner.name ?? d.owner.id,
    amount: d.amount ?? 0,
    currency: normalizeCurrency(d.currency) ?? '',
    rateDate: day(rateDate(d, asOf)),
    reason,
  };
}

/** Unconverted deals summed per currency, in the deals' own currencies (never added together). */
export function unconvertedByCurrency(list: readonly UnconvertedDeal[]): Array<{ currency: string; deals: number; amount: number }> {
  const by = new Map<string, { currency: string; deals: number; amount: number }>();
  for (const u of list) {
    const e = by.get(u.currency) ?? { currency: u.currency, deals: 0, amount: 0 };
    e.deals++;
    e.amount += u.amount;
    by.set(u.currency, e);
  }
  return [...by.values()].sort((a, b) => b.deals - a.deals || a.currency.localeCompare(b.currency));
}

/** A deal's amount next to its value in the reporting currency (for sentences that show both). */
export type AmountInReporting =
  | { own: string; reporting: string; value: number }
  | { own: string; reporting: string; value: null; reason: string };

/**
 * For deals in another currency than the rates' corporate one: their converted value (or why
 * there is none). Null for deals in the corporate currency, without amount or currency.
 */
export function amountInReporting(rates: RatesBySource): (d: MoneyDeal, asOf: Date) => AmountInReporting | null {
  return (d, asOf) => {
    const money = currencyConverter(rates, [], asOf);
    const own = normalizeCurrency(d.currency);
    if (d.amount === null || own === null || money.reporting === null || own === money.reporting) return null;
    const c = money.convert(d);
    if (!c) return null;
    return c.ok ? { own, reporting: money.reporting, value: c.value } : { own, reporting: money.reporting, value: null, reason: c.reason };
  };
}
