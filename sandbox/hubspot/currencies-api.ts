import type { SandboxCurrencies } from '../currency.ts';
import { json, type SbRequest, type SbResponse } from '../http/types.ts';
import { hsError } from './render.ts';

/**
 * The currencies part of HubSpot's Settings API, from PublicApiSpecs/Settings/Multicurrency/
 * Rollouts/145897/v3/multicurrency.json and the guide (developers.hubspot.com/docs/api/settings/
 * currencies): GET company-currency (CompanyCurrency: id = the code), GET exchange-rates
 * (CollectionResponseExchangeRateForwardPaging; `after`, `limit` default 100, `fromCurrencyCode`,
 * `toCurrencyCode`; "all of your account's currencies and exchange rates, including historical"),
 * GET exchange-rates/current (NoPaging). conversionRate is "the exchange rate from the additional
 * currency to your company currency", at most 6 decimals. Read-only here: writes answer 405.
 */

/** When a portal's additional currencies were added (their first `effectiveAt`). */
const ADDED_AT = Date.parse('2024-01-02T00:00:00.000Z');
/** The spec gives `limit` a default of 100 and no maximum: more is refused here (stricter than documented). */
const MAX_LIMIT = 100;
const CODE = /^[A-Z]{3}$/;

interface ExchangeRate {
  id: string;
  fromCurrencyCode: string;
  toCurrencyCode: string;
  conversionRate: number;
  effectiveAt: string;
  createdAt: string;
  updatedAt: string;
  visibleInUI: boolean;
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** Every rate of the portal, oldest first per currency (a single-currency portal has none). */
export function exchangeRates(c: SandboxCurrencies | null, now: number): ExchangeRate[] {
  if (!c) return [];
  const out: ExchangeRate[] = [];
  for (const [i, p] of c.periods.entries()) {
    const at = new Date(p.from ?? ADDED_AT).toISOString();
    if ((p.from ?? ADDED_AT) > now) continue;
    out.push({
      id: String(700_000 + i),
      fromCurrencyCode: p.code,
      toCurrencyCode: c.corporate,
      conversionRate: round6(1 / p.perCorporate),
      effectiveAt: at,
      createdAt: at,
      updatedAt: at,
      visibleInUI: true,
    });
  }
  return out;
}

export function currenciesApi(req: SbRequest, rest: string[], c: SandboxCurrencies | null, now: number): SbResponse {
  if (req.method !== 'GET') return hsError(405, 'VALIDATION_ERROR', `The sandbox serves currencies read-only, not ${req.method}`);
  const corporate = c?.corporate ?? 'USD';
  const path = rest.join('/');
  if (path === 'company-currency') return json(200, { id: corporate, createdAt: new Date(ADDED_AT).toISOString() });
  if (path === 'exchange-rates/current') {
    const latest = new Map<string, ExchangeRate>();
    for (const r of exchangeRates(c, now)) latest.set(r.fromCurrencyCode, r);
    return json(200, { results: [...latest.values()] });
  }
  if (path !== 'exchange-rates') return hsError(404, 'OBJECT_NOT_FOUND', `The sandbox does not serve GET ${req.path}`);
  const from = req.query.get('fromCurrencyCode');
  const to = req.query.get('toCurrencyCode');
  for (const [name, v] of [
    ['fromCurrencyCode', from],
    ['toCurrencyCode', to],
  ] as const) {
    if (v !== null && !CODE.test(v)) return hsError(400, 'VALIDATION_ERROR', `${name}: "${v}" is not a supported currency code`);
  }
  const limit = Number(req.query.get('limit') ?? 100);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    return hsError(400, 'VALIDATION_ERROR', `limit must be an integer from 1 to ${MAX_LIMIT}, got ${req.query.get('limit')}`);
  const all = exchangeRates(c, now).filter((r) => (!from || r.fromCurrencyCode === from) && (!to || r.toCurrencyCode === to));
  const start = Number(req.query.get('after') ?? 0) || 0;
  const page = all.slice(start, start + limit);
  const next = start + limit < all.length ? String(start + limit) : null;
  return json(200, {
    results: page,
    ...(next ? { paging: { next: { after: next, link: `${req.baseUrl}/hs${req.path}?after=${next}` } } } : {}),
  });
}
