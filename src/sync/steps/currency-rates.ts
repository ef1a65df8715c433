import { RATES_MAX_AGE_MS, ratesDue } from '../../core/currency/refresh.ts';
import { isAppError } from '../../core/errors.ts';
import type { RunState } from '../run-state.ts';

/** Failures that end the run anyway: the next step would meet them too. */
const FATAL = new Set(['crm_auth_revoked', 'crm_quota_exhausted']);

/**
 * read the CRM's exchange rates when the deals need them (see ratesDue): once a run at most,
 * never for single-currency tenants. A failed read is noted on the run and on the stored rates
 * (pages say why amounts are missing) and the run goes on with the last good rates.
 */
export async function refreshCurrencyRates(run: RunState): Promise<void> {
  const { ctx, connector, tenantId } = run;
  if (!connector.readCurrencyRates || connector.source === 'csv') return;
  const source = connector.source;
  const stored = await ctx.store.currencyRates.get(tenantId, source);
  // Which currencies the deals carry changes only when deals do: a run that stored none looks
  // again only when the rates it holds have aged (single-currency tenants hold none: no scan).
  const aged = stored?.rates && stored.fetchedAt && run.asOf.getTime() - stored.fetchedAt.getTime() >= RATES_MAX_AGE_MS;
  if (run.counts.stored === 0 && !aged) return;
  const dealCurrencies = await ctx.store.currencyRates.dealCurrencies(tenantId, source);
  const state = { dealCurrencies, rates: stored?.rates ?? null, fetchedAt: stored?.fetchedAt ?? null, errorAt: stored?.errorAt ?? null };
  if (!ratesDue({ ...state, now: run.asOf })) return;
  try {
    const rates = await connector.readCurrencyRates();
    await ctx.store.currencyRates.save(tenantId, source, rates, ctx.now());
    run.counts.ratesRead = 1;
    run.log.info('exchange rates read', { corporate: rates.corporate, kind: rates.kind, rates: rates.rates.length });
  } catch (e) {
    if (!isAppError(e) || FATAL.has(e.code)) throw e;
    const message = `exchange rates not read: ${e.message}`;
    await ctx.store.currencyRates.saveError(tenantId, source, message, ctx.now());
    run.errors.push({ step: 'rates', code: e.code, message });
    run.log.warn('exchange rates not read', { code: e.code, message: e.message });
  }
}
