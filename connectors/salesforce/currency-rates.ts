import { z } from 'zod';
import type { CurrencyRates, RatePeriod } from '../../src/core/currency/rates.ts';
import { AppError } from '../../src/core/errors.ts';
import type { SalesforceApi } from './api.ts';
import { currencyTypeQuery, datedConversionRateQuery } from './soql.ts';

// CurrencyType: one row per currency of a multi-currency org; ConversionRate is "the conversion
// rate of this currency type against the corporate currency" (units of it per corporate unit).
// DatedConversionRate: the same per date range [StartDate, NextStartDate), only in orgs with
// advanced currency management; elsewhere the object does not exist (INVALID_TYPE).
// Object reference: sforce_api_objects_currencytype.htm, sforce_api_objects_datedconversionrate.htm.

const CurrencyTypeRow = z.object({
  IsoCode: z.string().min(1),
  ConversionRate: z.number().positive(),
  IsCorporate: z.boolean(),
  IsActive: z.boolean().optional(),
});
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const DatedRow = z.object({
  IsoCode: z.string().min(1),
  ConversionRate: z.number().positive(),
  StartDate: day,
  NextStartDate: day.nullable().optional(),
});

const isType = (e: unknown): boolean => e instanceof AppError && e.details.sfCode === 'INVALID_TYPE';
const utc = (d: string): Date => new Date(`${d}T00:00:00.000Z`);

function parseRows<T>(schema: z.ZodType<T>, rows: unknown[], object: string): T[] {
  return rows.map((r, i) => {
    const p = schema.safeParse(r);
    if (!p.success) {
      const where = p.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ');
      throw new AppError('crm_bad_request', `Salesforce ${object} row ${i + 1} is not as documented: ${where}`);
    }
    return p.data;
  });
}

/**
 * The org's corporate currency and its exchange rates: CurrencyType (one query), then the dated
 * rates when advanced currency management is on (one query, and one more per 2,000 ranges).
 * A single-currency org has no CurrencyType: that is reported as `crm_not_found`.
 */
export async function readSalesforceRates(api: SalesforceApi): Promise<CurrencyRates> {
  let types: z.infer<typeof CurrencyTypeRow>[];
  try {
    types = parseRows(CurrencyTypeRow, await api.queryRows<unknown>(currencyTypeQuery()), 'CurrencyType');
  } catch (e) {
    if (!isType(e)) throw e;
    throw new AppError('crm_not_found', 'this Salesforce org has a single currency (no CurrencyType object): there is nothing to convert', {
      cause: e,
    });
  }
  const corporate = types.find((t) => t.IsCorporate)?.IsoCode;
  if (!corporate) throw new AppError('crm_bad_request', 'Salesforce CurrencyType names no corporate currency (IsCorporate)');
  let dated: z.infer<typeof DatedRow>[] | null = null;
  try {
    dated = parseRows(DatedRow, await api.queryRows<unknown>(datedConversionRateQuery()), 'DatedConversionRate');
  } catch (e) {
    if (!isType(e)) throw e;
  }
  if (dated && dated.length > 0) {
    const rates: RatePeriod[] = dated.map((r) => ({
      code: r.IsoCode.toUpperCase(),
      toCorporate: 1 / r.ConversionRate,
      from: utc(r.StartDate),
      until: r.NextStartDate ? utc(r.NextStartDate) : null,
    }));
    return { corporate: corporate.toUpperCase(), kind: 'dated', rates };
  }
  return {
    corporate: corporate.toUpperCase(),
    kind: 'single',
    rates: types.map((t) => ({ code: t.IsoCode.toUpperCase(), toCorporate: 1 / t.ConversionRate, from: null, until: null })),
  };
}
