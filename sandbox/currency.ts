import type { DealPlan } from './generate.ts';
import type { Region } from './model.ts';

/**
 * A multi-currency CRM account for the sandbox (opt in: without it both CRMs stay single-currency,
 * as every existing test and benchmark expects). Reps price deals in their region's currency; the
 * generated amount is read as an amount in that currency. Rates follow the Salesforce convention
 * here (units of the currency per corporate unit); each CRM serves them in its own shape.
 */
export interface SandboxCurrencyOptions {
  /** The corporate (Salesforce) or company (HubSpot) currency; default USD. */
  corporate?: string;
  /** The currency reps of each region price in (default NA USD, EMEA EUR, APAC AUD, LATAM USD). */
  byRegion?: Partial<Record<Region, string>>;
  /** In EMEA, every n-th deal is priced in this currency instead (default GBP, every 3rd). */
  emeaAlternate?: { code: string; every: number } | null;
  /**
   * Rates per currency: units of it per corporate unit, each from a day (yyyy-mm-dd) until the
   * next; the first entry's `from` is null (since always). Defaults below.
   */
  rates?: Record<string, Array<{ from: string | null; perCorporate: number }>>;
  /**
   * A currency every n-th HubSpot deal carries that has no rate at all (a currency removed from
   * the portal since). Salesforce deals never do: an opportunity can only carry an org currency.
   * Default none.
   */
  unrated?: { code: string; every: number } | null;
}

export const DEFAULT_RATES: Record<string, Array<{ from: string | null; perCorporate: number }>> = {
  EUR: [
    { from: null, perCorporate: 0.95 },
    { from: '2026-01-01', perCorporate: 0.92 },
    { from: '2026-04-01', perCorporate: 0.88 },
    { from: '2026-07-01', perCorporate: 0.86 },
  ],
  GBP: [{ from: null, perCorporate: 0.79 }],
  AUD: [{ from: null, perCorporate: 1.52 }],
};

/** One rate in force over [from, until) (ms; null = open-ended). */
export interface SandboxRatePeriod {
  code: string;
  perCorporate: number;
  from: number | null;
  until: number | null;
}

const DAY_MS = 86_400_000;

export class SandboxCurrencies {
  readonly corporate: string;
  private readonly byRegion: Record<Region, string>;
  private readonly alternate: { code: string; every: number } | null;
  readonly unrated: { code: string; every: number } | null;
  readonly periods: SandboxRatePeriod[];

  constructor(o: SandboxCurrencyOptions = {}) {
    this.corporate = o.corporate ?? 'USD';
    const c = this.corporate;
    this.byRegion = { NA: c, EMEA: 'EUR', APAC: 'AUD', LATAM: c, ...o.byRegion };
    this.alternate = o.emeaAlternate === undefined ? { code: 'GBP', every: 3 } : o.emeaAlternate;
    this.unrated = o.unrated ?? null;
    this.periods = [];
    for (const [code, list] of Object.entries(o.rates ?? DEFAULT_RATES)) {
      if (code === c) continue;
      list.forEach((r, i) => {
        const next = list[i + 1];
        this.periods.push({
          code,
          perCorporate: r.perCorporate,
          from: r.from === null ? null : Date.parse(`${r.from}T00:00:00Z`),
          until: next?.from ? Date.parse(`${next.from}T00:00:00Z`) : null,
        });
      });
    }
  }

  /** Every currency the account has (corporate first), the unrated one left out. */
  codes(): string[] {
    return [this.corporate, ...new Set(this.periods.map((p) => p.code))];
  }

  /** The currency a generated deal is priced in. */
  dealCurrency(plan: DealPlan): string {
    if (this.unrated && plan.n % this.unrated.every === this.unrated.every - 1) return this.unrated.code;
    const region = plan.drivers.region;
    if (region === 'EMEA' && this.alternate && plan.n % this.alternate.every === 0) return this.alternate.code;
    return this.byRegion[region] ?? this.corporate;
  }

  /** Units of `code` per corporate unit on day `t` (ms); null when the account has no rate for it then. */
  perCorporate(code: string, t: number): number | null {
    if (code === this.corporate) return 1;
    const day = Math.floor(t / DAY_MS) * DAY_MS;
    const p = this.periods.find((x) => x.code === code && (x.from === null || x.from <= day) && (x.until === null || day < x.until));
    return p?.perCorporate ?? null;
  }

  /** The amount in the corporate currency at the rate of day `t`; null without a rate. */
  toCorporate(amount: number, code: string, t: number): number | null {
    const r = this.perCorporate(code, t);
    return r === null ? null : amount / r;
  }
}
