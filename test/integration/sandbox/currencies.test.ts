import { Client } from '@hubspot/api-client';
import jsforce from 'jsforce';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../../sandbox/index.ts';

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

async function salesforce(opts: SandboxOptions) {
  sb = await startSandbox({ deals: 120, ...opts });
  const t = sb.salesforce.issueTokens();
  return new jsforce.Connection({ instanceUrl: t.instance_url, accessToken: t.access_token, version: '66.0' });
}

const hsGet = async (path: string, token: string) => {
  const r = await fetch(`${sb!.hubspot.apiBase}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

describe('a multi-currency sandbox Salesforce org', () => {
  it('gives opportunities a CurrencyIsoCode and serves CurrencyType and DatedConversionRate', async () => {
    const conn = await salesforce({ currencies: true });
    const opps = (await conn.query<{ Id: string; CurrencyIsoCode: string }>('SELECT Id, CurrencyIsoCode FROM Opportunity')).records;
    expect(new Set(opps.map((o) => o.CurrencyIsoCode))).toEqual(new Set(['USD', 'EUR', 'GBP', 'AUD']));
    const types = (await conn.query<Record<string, unknown>>('SELECT IsoCode, ConversionRate, IsCorporate, IsActive FROM CurrencyType'))
      .records;
    expect(types.find((t) => t.IsCorporate)).toMatchObject({ IsoCode: 'USD', ConversionRate: 1 });
    // CurrencyType keeps each currency's current rate: the latest dated one.
    expect(types.find((t) => t.IsoCode === 'EUR')).toMatchObject({ ConversionRate: 0.86, IsActive: true });
    const dated = (
      await conn.query<Record<string, unknown>>(
        'SELECT IsoCode, ConversionRate, StartDate, NextStartDate FROM DatedConversionRate ORDER BY IsoCode, StartDate',
      )
    ).records;
    expect(dated.filter((d) => d.IsoCode === 'EUR').map((d) => [d.StartDate, d.NextStartDate, d.ConversionRate])).toEqual([
      ['0001-01-01', '2026-01-01', 0.95],
      ['2026-01-01', '2026-04-01', 0.92],
      ['2026-04-01', '2026-07-01', 0.88],
      ['2026-07-01', null, 0.86],
    ]);
    const describe = await conn.sobject('Opportunity').describe();
    expect(describe.fields.find((f) => f.name === 'CurrencyIsoCode')).toMatchObject({ type: 'picklist' });
  });

  it('without advanced currency management has no DatedConversionRate (INVALID_TYPE), as Salesforce documents', async () => {
    const conn = await salesforce({ currencies: true, salesforce: { advancedCurrencyManagement: false } });
    await expect(conn.query('SELECT IsoCode FROM DatedConversionRate')).rejects.toMatchObject({ errorCode: 'INVALID_TYPE' });
    expect((await conn.query('SELECT IsoCode FROM CurrencyType')).totalSize).toBe(4);
  });

  it("lets reps set ForecastCategoryName on open opportunities when asked, closed ones keeping the stage's", async () => {
    const conn = await salesforce({ deals: 300, salesforce: { forecastCategories: true } });
    const rows = (
      await conn.query<Record<string, unknown>>(
        'SELECT StageName, IsClosed, IsWon, ForecastCategory, ForecastCategoryName FROM Opportunity',
      )
    ).records;
    const open = rows.filter((r) => !r.IsClosed);
    expect(new Set(open.map((r) => r.ForecastCategoryName))).toEqual(new Set(['Pipeline', 'Best Case', 'Commit']));
    // The API name of Commit is Forecast (ForecastCategory picklist).
    expect(open.filter((r) => r.ForecastCategoryName === 'Commit').every((r) => r.ForecastCategory === 'Forecast')).toBe(true);
    expect(rows.filter((r) => r.IsWon).every((r) => r.ForecastCategoryName === 'Closed')).toBe(true);
    // Not only the stage: some early-stage deals are committed, some late ones not.
    expect(open.some((r) => r.StageName === 'Qualification' && r.ForecastCategoryName === 'Commit')).toBe(true);
  });

  it('stays single-currency unless asked: no CurrencyIsoCode, no CurrencyType', async () => {
    const conn = await salesforce({});
    await expect(conn.query('SELECT Id, CurrencyIsoCode FROM Opportunity')).rejects.toMatchObject({ errorCode: 'INVALID_FIELD' });
    await expect(conn.query('SELECT IsoCode FROM CurrencyType')).rejects.toMatchObject({ errorCode: 'INVALID_TYPE' });
  });
});

describe('a multi-currency sandbox HubSpot portal', () => {
  it("serves the company currency and exchange rates, and each deal's currency and company amount", async () => {
    sb = await startSandbox({ deals: 120, currencies: { unrated: { code: 'CHF', every: 25 } }, hubspot: { forecastCategories: true } });
    const token = sb.hubspot.issueTokens().access_token;
    expect((await hsGet('/settings/v3/currencies/company-currency', token)).body).toMatchObject({ id: 'USD' });
    const page1 = await hsGet('/settings/v3/currencies/exchange-rates?toCurrencyCode=USD&limit=3', token);
    expect(page1.status).toBe(200);
    const after = (page1.body.paging as { next: { after: string } }).next.after;
    const page2 = await hsGet(`/settings/v3/currencies/exchange-rates?toCurrencyCode=USD&limit=3&after=${after}`, token);
    const rates = [...(page1.body.results as Array<Record<string, unknown>>), ...(page2.body.results as Array<Record<string, unknown>>)];
    expect(rates.filter((r) => r.fromCurrencyCode === 'EUR').map((r) => [r.effectiveAt, r.conversionRate])).toEqual([
      ['2024-01-02T00:00:00.000Z', 1.052632],
      ['2026-01-01T00:00:00.000Z', 1.086957],
      ['2026-04-01T00:00:00.000Z', 1.136364],
      ['2026-07-01T00:00:00.000Z', 1.162791],
    ]);
    expect((await hsGet('/settings/v3/currencies/exchange-rates?limit=500', token)).status).toBe(400);
    const hs = new Client({ accessToken: token, basePath: sb.hubspot.apiBase });
    const deals = (
      await hs.crm.deals.basicApi.getPage(100, undefined, [
        'amount',
        'deal_currency_code',
        'amount_in_home_currency',
        'hs_manual_forecast_category',
        'dealstage',
      ])
    ).results;
    const codes = new Set(deals.map((d) => d.properties.deal_currency_code));
    expect(codes).toEqual(new Set(['USD', 'EUR', 'GBP', 'AUD', 'CHF']));
    const chf = deals.find((d) => d.properties.deal_currency_code === 'CHF')!;
    expect(chf.properties.amount_in_home_currency).toBeNull();
    const usd = deals.find((d) => d.properties.deal_currency_code === 'USD')!;
    expect(usd.properties.amount_in_home_currency).toBe(usd.properties.amount);
    const all = sb.state.hubspot.deals();
    expect(new Set(all.map((d) => d.properties.hs_manual_forecast_category))).toEqual(
      new Set(['PIPELINE', 'BEST_CASE', 'COMMIT', 'CLOSED', 'OMIT']),
    );
    expect(
      all.filter((d) => d.properties.dealstage === 'closedwon').every((d) => d.properties.hs_manual_forecast_category === 'CLOSED'),
    ).toBe(true);
  });

  it('refuses the currency reads to a token without one of the scopes the spec lists', async () => {
    sb = await startSandbox({ deals: 20, currencies: true });
    const without = sb.hubspot.issueTokens(['crm.objects.deals.read']).access_token;
    const r = await hsGet('/settings/v3/currencies/company-currency', without);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ category: 'MISSING_SCOPES' });
    const withScope = sb.hubspot.issueTokens(['settings.currencies.read']).access_token;
    expect((await hsGet('/settings/v3/currencies/exchange-rates', withScope)).status).toBe(200);
  });
});
