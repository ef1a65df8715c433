import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rateOn } from '../../../src/core/currency/rates.ts';
import { isAppError } from '../../../src/core/errors.ts';
import {
  connectorFor,
  INSTANCE,
  memoryCredentials,
  queryPage,
  setupNock,
  sfError,
  sfHeaders,
  soqlMatching,
  teardownNock,
  V,
} from './helpers.ts';

beforeEach(setupNock);
afterEach(teardownNock);

// Rows as the REST query API returns them (attributes, then the selected fields). ConversionRate
// is units of the currency per unit of the corporate currency (CurrencyType reference).
const currencyType = (IsoCode: string, ConversionRate: number, IsCorporate = false) => ({
  attributes: { type: 'CurrencyType', url: `${V}/sobjects/CurrencyType/01Lxx000000${IsoCode}` },
  IsoCode,
  ConversionRate,
  IsCorporate,
  IsActive: true,
});
const dated = (IsoCode: string, ConversionRate: number, StartDate: string, NextStartDate: string | null) => ({
  attributes: { type: 'DatedConversionRate', url: `${V}/sobjects/DatedConversionRate/04Wxx${IsoCode}${StartDate}` },
  IsoCode,
  ConversionRate,
  StartDate,
  NextStartDate,
});
const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

describe('Salesforce exchange rates', () => {
  it('reads dated rates (advanced currency management) and turns them into corporate units per unit', async () => {
    const scope = nock(INSTANCE)
      .get(`${V}/query`)
      .query(soqlMatching((q) => q === 'SELECT IsoCode, ConversionRate, IsCorporate, IsActive FROM CurrencyType'))
      .reply(200, queryPage([currencyType('USD', 1, true), currencyType('EUR', 0.9), currencyType('JPY', 150)]), sfHeaders())
      .get(`${V}/query`)
      .query(soqlMatching((q) => q.startsWith('SELECT IsoCode, ConversionRate, StartDate, NextStartDate FROM DatedConversionRate')))
      .reply(
        200,
        queryPage([dated('EUR', 0.8, '0001-01-01', '2026-04-01'), dated('EUR', 0.9, '2026-04-01', null)], {
          next: `${V}/query/01gxx-2000`,
          totalSize: 3,
        }),
        sfHeaders(),
      )
      .get(`${V}/query/01gxx-2000`)
      .reply(200, queryPage([dated('JPY', 150, '0001-01-01', null)], { totalSize: 3 }), sfHeaders());
    const sf = await connectorFor(memoryCredentials());
    const rates = await sf.readCurrencyRates!();
    expect(scope.isDone()).toBe(true);
    expect(rates).toMatchObject({ corporate: 'USD', kind: 'dated' });
    expect(rates.rates).toHaveLength(3);
    expect(rateOn(rates, 'EUR', day('2026-03-31'))).toBeCloseTo(1.25, 12);
    expect(rateOn(rates, 'EUR', day('2026-04-01'))).toBeCloseTo(1 / 0.9, 12);
    expect(rateOn(rates, 'JPY', day('2026-04-01'))).toBeCloseTo(1 / 150, 12);
    expect(sf.usage().calls).toBe(3);
  });

  it('uses the single CurrencyType rates when the org has no dated rates (INVALID_TYPE)', async () => {
    nock(INSTANCE)
      .get(`${V}/query`)
      .query(soqlMatching((q) => q.includes('FROM CurrencyType')))
      .reply(200, queryPage([currencyType('EUR', 1, true), currencyType('USD', 1.1)]), sfHeaders())
      .get(`${V}/query`)
      .query(soqlMatching((q) => q.includes('FROM DatedConversionRate')))
      .reply(
        400,
        sfError(
          'INVALID_TYPE',
          "\nSELECT IsoCode, ConversionRate, StartDate, NextStartDate FROM DatedConversionRate\n                                                        ^\nERROR at Row:1:Column:57\nsObject type 'DatedConversionRate' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.",
        ),
        sfHeaders(),
      );
    const rates = await (await connectorFor(memoryCredentials())).readCurrencyRates!();
    expect(rates).toEqual({
      corporate: 'EUR',
      kind: 'single',
      rates: [
        { code: 'EUR', toCorporate: 1, from: null, until: null },
        { code: 'USD', toCorporate: 1 / 1.1, from: null, until: null },
      ],
    });
  });

  it('says a single-currency org has nothing to convert', async () => {
    nock(INSTANCE)
      .get(`${V}/query`)
      .query(soqlMatching((q) => q.includes('FROM CurrencyType')))
      .reply(400, sfError('INVALID_TYPE', "sObject type 'CurrencyType' is not supported."), sfHeaders());
    const err = await (await connectorFor(memoryCredentials())).readCurrencyRates!().catch((e: unknown) => e);
    expect(isAppError(err, 'crm_not_found')).toBe(true);
    expect((err as Error).message).toMatch(/single currency/);
  });

  it('names the row a malformed answer came in', async () => {
    nock(INSTANCE)
      .get(`${V}/query`)
      .query(soqlMatching((q) => q.includes('FROM CurrencyType')))
      .reply(200, queryPage([currencyType('USD', 1, true), { ...currencyType('EUR', 1), ConversionRate: 'n/a' }]), sfHeaders());
    const err = await (await connectorFor(memoryCredentials())).readCurrencyRates!().catch((e: unknown) => e);
    expect(isAppError(err, 'crm_bad_request')).toBe(true);
    expect((err as Error).message).toMatch(/CurrencyType row 2 .*ConversionRate/);
  });
});
