import type { SandboxCurrencies } from '../currency.ts';
import { sfId } from '../ids.ts';
import type { FieldDef, ObjectDef, Row } from '../soql/schema.ts';
import { ValuesRow } from './rows.ts';

/**
 * Multi-currency in the sandbox org, from Salesforce's object reference:
 * - every currency-bearing record gets `CurrencyIsoCode` (a restricted picklist of the org's
 *   currencies); single-currency orgs have no such field;
 * - CurrencyType (sforce_api_objects_currencytype.htm): IsoCode, ConversionRate "against the
 *   corporate currency", IsCorporate, IsActive, DecimalPlaces; query only through the API;
 * - DatedConversionRate (sforce_api_objects_datedconversionrate.htm): IsoCode, ConversionRate,
 *   StartDate, NextStartDate ("the day after the end date"); "not available in single-currency
 *   organizations, nor ... if advanced currency management is not enabled": unknown object then.
 */
const CURRENCY_TYPE_PREFIX = '02B';
const DATED_RATE_PREFIX = '04w';
// Salesforce keeps the first dated range of each currency open to the beginning of time: 0001-01-01
// (Date.UTC reads year 1 as 1901, hence setUTCFullYear).
const FIRST_START = new Date(0).setUTCFullYear(1, 0, 1);

const field = (name: string, type: FieldDef['type'], o: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type,
  label: name.replace(/([a-z])([A-Z])/g, '$1 $2'),
  custom: false,
  updateable: false,
  createable: false,
  nillable: false,
  ...o,
});

const object = (name: string, labelPlural: string, keyPrefix: string, fields: FieldDef[]): ObjectDef => ({
  name,
  label: name.replace(/([a-z])([A-Z])/g, '$1 $2'),
  labelPlural,
  keyPrefix,
  fields,
  childRelationships: [],
  createable: false,
  updateable: false,
  deletable: false,
});

/** The picklist field a multi-currency org adds to Opportunity. */
export function currencyIsoCodeField(c: SandboxCurrencies): FieldDef {
  const codes = [...c.codes(), ...(c.unrated ? [c.unrated.code] : [])];
  return field('CurrencyIsoCode', 'picklist', {
    label: 'Opportunity Currency',
    picklistValues: codes,
    restrictedPicklist: true,
    updateable: true,
    createable: true,
  });
}

/** CurrencyType, and DatedConversionRate with advanced currency management. */
export function currencyObjects(advanced: boolean): ObjectDef[] {
  const iso = field('IsoCode', 'picklist', { label: 'Currency ISO Code' });
  const out = [
    object('CurrencyType', 'Currencies', CURRENCY_TYPE_PREFIX, [
      field('Id', 'id'),
      iso,
      field('ConversionRate', 'double', { precision: 18, scale: 6 }),
      field('DecimalPlaces', 'int'),
      field('IsActive', 'boolean'),
      field('IsCorporate', 'boolean'),
      field('SystemModstamp', 'datetime'),
    ]),
  ];
  if (advanced) {
    out.push(
      object('DatedConversionRate', 'Dated Exchange Rates', DATED_RATE_PREFIX, [
        field('Id', 'id'),
        iso,
        field('ConversionRate', 'double', { precision: 18, scale: 6 }),
        field('StartDate', 'date'),
        field('NextStartDate', 'date', { nillable: true }),
        field('SystemModstamp', 'datetime'),
      ]),
    );
  }
  return out;
}

/** Rows of the two objects. CurrencyType holds each currency's current rate (the latest dated one, as Salesforce keeps it in step). */
export function* currencyRows(object: 'CurrencyType' | 'DatedConversionRate', c: SandboxCurrencies, now: number): Iterable<Row> {
  const codes = c.codes();
  if (object === 'CurrencyType') {
    for (const [i, code] of codes.entries()) {
      yield new ValuesRow(sfId(CURRENCY_TYPE_PREFIX, i + 1), {
        Id: sfId(CURRENCY_TYPE_PREFIX, i + 1),
        IsoCode: code,
        ConversionRate: c.perCorporate(code, now),
        DecimalPlaces: 2,
        IsActive: true,
        IsCorporate: code === c.corporate,
        SystemModstamp: 0,
      });
    }
    return;
  }
  let n = 0;
  const corporate = { code: c.corporate, perCorporate: 1, from: null, until: null };
  for (const p of [corporate, ...c.periods]) {
    n++;
    yield new ValuesRow(sfId(DATED_RATE_PREFIX, n), {
      Id: sfId(DATED_RATE_PREFIX, n),
      IsoCode: p.code,
      ConversionRate: p.perCorporate,
      StartDate: p.from ?? FIRST_START,
      NextStartDate: p.until,
      SystemModstamp: 0,
    });
  }
}
