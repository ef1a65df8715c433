import { z } from 'zod';
import type { CurrencyRates, RatePeriod } from '../../src/core/currency/rates.ts';
import { periodsFromStarts } from '../../src/core/currency/rates.ts';
import { AppError } from '../../src/core/errors.ts';
import type { HubSpotApi } from './api.ts';

// Settings API, currencies (PublicApiSpecs/Settings/Multicurrency/Rollouts/145897/v3/multicurrency.json;
// guide: developers.hubspot.com/docs/api/settings/currencies). Both reads accept the
// `settings.currencies.read` scope, which the app asks for as optional.
export const COMPANY_CURRENCY_PATH = '/settings/v3/currencies/company-currency';
export const EXCHANGE_RATES_PATH = '/settings/v3/currencies/exchange-rates';
/** The spec's default page size; it documents no maximum, so the default is all we ask for. */
const RATES_PAGE = 100;
/** A portal has a few currencies with a rate change now and then: past this many pages something is wrong. */
const MAX_PAGES = 50;

const CompanyCurrency = z.object({ id: z.string().min(1) }).loose();
// "conversionRate: the exchange rate from the additional currency to your company currency"
// (guide): company amount = amount × conversionRate. `effectiveAt`: when the rate takes effect.
const ExchangeRate = z
  .object({
    fromCurrencyCode: z.string().min(1),
    toCurrencyCode: z.string().min(1),
    conversionRate: z.number().positive(),
    effectiveAt: z.string().min(1),
  })
  .loose();
const RatesPage = z.object({
  results: z.array(ExchangeRate),
  paging: z
    .object({ next: z.object({ after: z.string() }).loose().optional() })
    .loose()
    .optional(),
});

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const p = schema.safeParse(body);
  if (!p.success) {
    const where = p.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ');
    throw new AppError('crm_bad_request', `HubSpot ${what} is not as documented: ${where}`);
  }
  return p.data;
}

/**
 * A currency's first rate is in force since always: HubSpot converts every deal in a currency it
 * has a rate for (amount_in_home_currency), so a deal closed before the currency's first
 * `effectiveAt` takes that first rate rather than none.
 */
function sinceAlways(periods: RatePeriod[]): RatePeriod[] {
  const first = new Map<string, RatePeriod>();
  for (const p of periods) {
    const f = first.get(p.code);
    if (!f || (p.from?.getTime() ?? -Infinity) < (f.from?.getTime() ?? -Infinity)) first.set(p.code, p);
  }
  return periods.map((p) => (first.get(p.code) === p ? { ...p, from: null } : p));
}

/**
 * The portal's company currency and every exchange rate into it, historical ones included
 * (each in force from its `effectiveAt` until the next one of the same currency): one call for
 * the company currency and one per 100 rates.
 */
export async function readHubSpotRates(api: HubSpotApi): Promise<CurrencyRates> {
  const spec = { budget: 'standard' as const, idempotent: true };
  const company = parse(
    CompanyCurrency,
    (await api.raw({ ...spec, op: 'read company currency' }, { method: 'GET', path: COMPANY_CURRENCY_PATH })).data,
    'company currency',
  ).id.toUpperCase();
  const starts: Array<{ code: string; toCorporate: number; from: Date | null }> = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const q = new URLSearchParams({ toCurrencyCode: company, limit: String(RATES_PAGE), ...(after ? { after } : {}) });
    const r = parse(
      RatesPage,
      (await api.raw({ ...spec, op: 'read exchange rates' }, { method: 'GET', path: `${EXCHANGE_RATES_PATH}?${q}` })).data,
      'exchange rates',
    );
    for (const x of r.results) {
      if (x.toCurrencyCode.toUpperCase() !== company) continue;
      const at = new Date(x.effectiveAt);
      if (Number.isNaN(at.getTime()))
        throw new AppError('crm_bad_request', `HubSpot exchange rate effectiveAt "${x.effectiveAt}" is not a date`);
      starts.push({ code: x.fromCurrencyCode, toCorporate: x.conversionRate, from: at });
    }
    after = r.paging?.next?.after;
    if (!after) return { corporate: company, kind: 'dated', rates: sinceAlways(periodsFromStarts(starts)) };
  }
  throw new AppError('crm_bad_request', `HubSpot exchange rates still had more pages after ${MAX_PAGES * RATES_PAGE} rates`);
}
