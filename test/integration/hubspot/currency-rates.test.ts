import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rateOn } from '../../../src/core/currency/rates.ts';
import { isAppError } from '../../../src/core/errors.ts';
import { MemoryCredentials, makeConnector, oauthCredentials, TestClock } from './support/connector.ts';

const API = 'https://api.hubapi.com';
const json = { 'content-type': 'application/json;charset=utf-8' };
// Shapes from PublicApiSpecs/Settings/Multicurrency/Rollouts/145897/v3/multicurrency.json
// (CompanyCurrency, CollectionResponseExchangeRateForwardPaging, ExchangeRate).
const rate = (id: string, from: string, conversionRate: number, effectiveAt: string) => ({
  id,
  fromCurrencyCode: from,
  toCurrencyCode: 'USD',
  conversionRate,
  effectiveAt,
  createdAt: effectiveAt,
  updatedAt: effectiveAt,
  visibleInUI: true,
});
const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('HubSpot exchange rates', () => {
  it('reads the company currency and every rate into it, page by page, each in force until the next', async () => {
    const scope = nock(API)
      .get('/settings/v3/currencies/company-currency')
      .reply(200, { id: 'USD', createdAt: '2024-01-02T10:00:00Z' }, json)
      .get('/settings/v3/currencies/exchange-rates')
      .query({ toCurrencyCode: 'USD', limit: '100' })
      .reply(
        200,
        {
          results: [rate('1', 'EUR', 1.08, '2025-01-01T00:00:00Z'), rate('2', 'EUR', 1.12, '2026-07-01T00:00:00Z')],
          paging: { next: { after: 'MTA=', link: `${API}/settings/v3/currencies/exchange-rates?after=MTA%3D` } },
        },
        json,
      )
      .get('/settings/v3/currencies/exchange-rates')
      .query({ toCurrencyCode: 'USD', limit: '100', after: 'MTA=' })
      .reply(200, { results: [rate('3', 'GBP', 1.27, '2025-03-01T00:00:00Z')] }, json);
    const clock = new TestClock();
    const hs = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const rates = await hs.readCurrencyRates!();
    expect(scope.isDone()).toBe(true);
    expect(rates).toMatchObject({ corporate: 'USD', kind: 'dated' });
    // A currency's first rate also covers the deals that closed before it was set.
    expect(rateOn(rates, 'EUR', day('2024-06-01'))).toBe(1.08);
    expect(rateOn(rates, 'EUR', day('2026-06-30'))).toBe(1.08);
    expect(rateOn(rates, 'EUR', day('2026-07-01'))).toBe(1.12);
    expect(rateOn(rates, 'GBP', day('2026-07-01'))).toBe(1.27);
    expect(rateOn(rates, 'CHF', day('2026-07-01'))).toBeNull();
    expect(hs.hubspotUsage().byOperation).toEqual({ 'read company currency': 1, 'read exchange rates': 2 });
  });

  it('fails naming the scope when the install did not grant settings.currencies.read', async () => {
    nock(API)
      .get('/settings/v3/currencies/company-currency')
      .reply(
        403,
        {
          status: 'error',
          message:
            "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
          correlationId: 'b1b2c3d4-0000-4000-8000-000000000000',
          errors: [
            {
              message: 'One or more of the following scopes are required.',
              context: { requiredGranularScopes: ['settings.currencies.read'] },
            },
          ],
          links: { scopes: 'https://developers.hubspot.com/scopes' },
          category: 'MISSING_SCOPES',
        },
        json,
      );
    const clock = new TestClock();
    const err = await makeConnector(clock, new MemoryCredentials(oauthCredentials(clock))).readCurrencyRates!().catch((e: unknown) => e);
    expect(isAppError(err, 'crm_permission_denied')).toBe(true);
    expect((err as Error).message).toMatch(/settings\.currencies\.read/);
  });
});
