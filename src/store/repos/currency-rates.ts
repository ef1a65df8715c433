import { sql } from 'kysely';
import { z } from 'zod';
import type { RatesBySource } from '../../core/currency/convert.ts';
import type { CurrencyRates, RatePeriod } from '../../core/currency/rates.ts';
import type { Source } from '../../core/deal.ts';
import type { Db } from '../db.ts';
import { parseStored, storedDate } from '../stored-json.ts';

/** A CRM's exchange rates as stored, with when they were read and why the last read failed. */
export interface StoredRates {
  source: Source;
  rates: CurrencyRates | null;
  fetchedAt: Date | null;
  error: string | null;
  errorAt: Date | null;
}

/** The money facts of one deal: its own currency and the date its rate is looked up for. */
export interface DealMoney {
  currency: string | null;
  expectedCloseDate: Date | null;
  closedAt: Date | null;
}

/** `currency_rates.rates`: the periods as `save` stored them, instants as ISO strings. */
const StoredRatePeriods: z.ZodType<RatePeriod[], unknown> = z.array(
  z.object({
    code: z.string(),
    toCorporate: z.number(),
    from: storedDate.nullable().default(null),
    until: storedDate.nullable().default(null),
  }),
);
const date = (v: unknown): Date | null => (typeof v === 'string' && v ? new Date(v) : null);

/** Exchange rates per tenant and CRM (issue 16): written by the sync, read by metrics and pages. */
export function currencyRatesRepo(db: Db) {
  return {
    async list(tenantId: string): Promise<StoredRates[]> {
      const rows = await db.selectFrom('currency_rates').selectAll().where('tenant_id', '=', tenantId).orderBy('source').execute();
      return rows.map((r) => ({
        source: r.source as Source,
        rates:
          r.corporate && r.kind
            ? {
                corporate: r.corporate,
                kind: r.kind as CurrencyRates['kind'],
                rates: parseStored(StoredRatePeriods, r.rates, {
                  table: 'currency_rates',
                  row: `${tenantId}/${r.source}`,
                  column: 'rates',
                }),
              }
            : null,
        fetchedAt: r.fetched_at,
        error: r.error,
        errorAt: r.error_at,
      }));
    },
    /** The rates to convert with, by source (sources never read successfully are left out). */
    async bySource(tenantId: string): Promise<RatesBySource> {
      const out: RatesBySource = {};
      for (const r of await this.list(tenantId)) if (r.rates) out[r.source] = r.rates;
      return out;
    },
    async get(tenantId: string, source: Source): Promise<StoredRates | null> {
      return (await this.list(tenantId)).find((r) => r.source === source) ?? null;
    },
    /** Replaces a source's rates with a fresh read and clears any earlier failure. */
    async save(tenantId: string, source: Source, rates: CurrencyRates, at: Date): Promise<void> {
      const row = {
        corporate: rates.corporate,
        kind: rates.kind,
        rates: JSON.stringify(rates.rates),
        fetched_at: at,
        error: null,
        error_at: null,
      };
      await db
        .insertInto('currency_rates')
        .values({ tenant_id: tenantId, source, ...row })
        .onConflict((oc) => oc.columns(['tenant_id', 'source']).doUpdateSet(row))
        .execute();
    },
    /** Notes a failed read; the last good rates stay in use. */
    async saveError(tenantId: string, source: Source, message: string, at: Date): Promise<void> {
      await db
        .insertInto('currency_rates')
        .values({ tenant_id: tenantId, source, rates: '[]', error: message, error_at: at })
        .onConflict((oc) => oc.columns(['tenant_id', 'source']).doUpdateSet({ error: message, error_at: at }))
        .execute();
    },
    /** The currency codes the tenant's live deals of one source carry (blank ones left out). */
    async dealCurrencies(tenantId: string, source: Source): Promise<string[]> {
      const r = await sql<{ c: string }>`
        select distinct upper(trim(data->>'currency')) as c from deals
        where tenant_id = ${tenantId} and source = ${source} and deleted_at is null
          and coalesce(trim(data->>'currency'), '') <> ''`.execute(db);
      return r.rows.map((x) => x.c).sort();
    },
    /** Currency and rate dates of the given deals, keyed `source:externalId` (for pages that list deals). */
    async dealMoney(tenantId: string, keys: ReadonlyArray<{ source: string; externalId: string }>): Promise<Map<string, DealMoney>> {
      const out = new Map<string, DealMoney>();
      if (keys.length === 0) return out;
      const rows = await db
        .selectFrom('deals')
        .select([
          'source',
          'external_id',
          sql<string | null>`data->>'currency'`.as('currency'),
          sql<string | null>`data->>'expectedCloseDate'`.as('close'),
          sql<string | null>`data->>'closedAt'`.as('closed'),
        ])
        .where('tenant_id', '=', tenantId)
        .where((eb) => eb.or(keys.map((k) => eb.and([eb('source', '=', k.source), eb('external_id', '=', k.externalId)]))))
        .execute();
      for (const r of rows)
        out.set(`${r.source}:${r.external_id}`, { currency: r.currency, expectedCloseDate: date(r.close), closedAt: date(r.closed) });
      return out;
    },
  };
}
export type CurrencyRatesRepo = ReturnType<typeof currencyRatesRepo>;
