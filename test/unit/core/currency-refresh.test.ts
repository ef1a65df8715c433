import { describe, expect, it } from 'vitest';
import { RATES_MAX_AGE_MS, type RatesState, ratesDue } from '../../../src/core/currency/refresh.ts';

const now = new Date('2026-11-24T09:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const rates = { corporate: 'USD', kind: 'single' as const, rates: [{ code: 'EUR', toCorporate: 1.1, from: null, until: null }] };
const state = (o: Partial<RatesState>): RatesState => ({ dealCurrencies: [], rates: null, fetchedAt: null, errorAt: null, now, ...o });

describe('when a run reads exchange rates', () => {
  it('never for a single-currency tenant', () => {
    expect(ratesDue(state({ dealCurrencies: [] }))).toBe(false);
    expect(ratesDue(state({ dealCurrencies: ['USD'] }))).toBe(false);
    expect(ratesDue(state({ dealCurrencies: ['USD'], rates, fetchedAt: ago(10 * RATES_MAX_AGE_MS) }))).toBe(false);
  });

  it('when deals carry two currencies and no rates are held, or they have aged', () => {
    expect(ratesDue(state({ dealCurrencies: ['USD', 'EUR'] }))).toBe(true);
    expect(ratesDue(state({ dealCurrencies: ['USD', 'EUR'], rates, fetchedAt: ago(60_000) }))).toBe(false);
    expect(ratesDue(state({ dealCurrencies: ['USD', 'EUR'], rates, fetchedAt: ago(RATES_MAX_AGE_MS) }))).toBe(true);
    // One currency that is not the corporate one still needs converting.
    expect(ratesDue(state({ dealCurrencies: ['EUR'], rates, fetchedAt: ago(RATES_MAX_AGE_MS) }))).toBe(true);
  });

  it('at once when a deal brings a currency the held rates lack', () => {
    expect(ratesDue(state({ dealCurrencies: ['USD', 'EUR', 'GBP'], rates, fetchedAt: ago(60_000) }))).toBe(true);
  });

  it('after a failed read, only once the wait is over', () => {
    expect(
      ratesDue(state({ dealCurrencies: ['USD', 'EUR', 'GBP'], rates, fetchedAt: ago(2 * RATES_MAX_AGE_MS), errorAt: ago(60_000) })),
    ).toBe(false);
    expect(ratesDue(state({ dealCurrencies: ['USD', 'EUR'], errorAt: ago(60_000) }))).toBe(false);
    expect(ratesDue(state({ dealCurrencies: ['USD', 'EUR'], errorAt: ago(RATES_MAX_AGE_MS) }))).toBe(true);
  });
});
