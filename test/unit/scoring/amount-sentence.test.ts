import { describe, expect, it } from 'vitest';
import { amountInReporting } from '../../../src/core/currency/convert.ts';
import type { CurrencyRates } from '../../../src/core/currency/rates.ts';
import type { BaseFeature } from '../../../src/core/scoring/model.ts';
import { sentenceFor } from '../../../src/core/scoring/sentences.ts';
import { aDeal, day } from './builders.ts';

const amount = { id: 'amount', label: 'Amount', kind: 'number', cuts: [20_000, 60_000] } as unknown as BaseFeature;
const rates: CurrencyRates = { corporate: 'USD', kind: 'dated', rates: [{ code: 'EUR', toCorporate: 1.08, from: null, until: null }] };
const convert = amountInReporting({ salesforce: rates });
const asOf = day('2026-11-24');
const say = (currency: string) => {
  const deal = aDeal({ source: 'salesforce', amount: 50_000, currency, expectedCloseDate: day('2026-12-15') });
  return sentenceFor({
    feature: amount,
    code: 2,
    deal,
    asOf,
    winRate: 0.3,
    overallWinRate: 0.45,
    cycleDays: null,
    converted: convert(deal, asOf),
  });
};

describe('the amount sentence of a deal in another currency', () => {
  it("shows the deal's own amount and the converted one", () => {
    expect(say('EUR')).toMatch(/^Amount €50k \(≈ \$54k\): deals of/);
  });
  it('says when no rate converts it, rather than a figure', () => {
    expect(say('CHF')).toMatch(/^Amount CHF 50k \(no CHF rate for its close date\):/);
  });
  it('shows one figure for a deal in the corporate currency', () => {
    expect(say('USD')).toMatch(/^Amount \$50k: deals of/);
  });
});
