import { describe, expect, it } from 'vitest';
import type { DigestForecast } from '../../../src/sync/digest-forecast.ts';
import { digestAmount, forecastLines } from '../../../src/worker/forecast-lines.ts';

describe('the managers digest', () => {
  it("shows a deal's own amount with the converted one, or says no rate converts it", () => {
    expect(digestAmount({ amount: 50_000, currency: 'EUR', converted: 54_100 }, ' · ', 'USD')).toBe(' · €50,000 (≈ $54,100)');
    expect(digestAmount({ amount: 9_000, currency: 'CHF', converted: null }, '', 'USD')).toBe('CHF\u00a09,000 (no CHF rate)');
    expect(digestAmount({ amount: 7_000, currency: null, converted: 7_000 }, '', 'USD')).toBe('$7,000');
    expect(digestAmount({ amount: null, currency: 'EUR', converted: null }, ' · ', 'USD')).toBe('');
  });

  it("puts this quarter's Commit next to its risk-adjusted value, per rep, and names the Commit deals at risk", () => {
    const f: DigestForecast = {
      quarter: '2026-Q4',
      currency: 'USD',
      commit: { deals: 3, amount: 200_000, riskAdjusted: 90_000 },
      bestCase: { deals: 2, amount: 50_000, riskAdjusted: 20_000 },
      reps: [
        {
          ownerId: 'u1',
          ownerName: 'Ann',
          commitAmount: 200_000,
          commitRiskAdjusted: 90_000,
          commitAtRisk: 1,
          bestCaseAtRisk: 0,
          pipelineLow: 2,
        },
      ],
      commitAtRisk: [
        {
          externalId: 'd1',
          name: 'Globex',
          ownerName: 'Ann',
          amount: 100_000,
          currency: 'EUR',
          converted: 108_000,
          category: 'Critical',
          winProbability: 0.18,
        },
      ],
    };
    expect(forecastLines(f)).toEqual([
      'Forecast against the model, 2026-Q4: Commit $200,000 (3 deals), risk-adjusted $90,000 (45%); Best Case $50,000, risk-adjusted $20,000.',
      '  Ann: Commit $200,000, risk-adjusted $90,000; 1 Commit and 0 Best Case deals the model rates High or Critical; 2 Pipeline deals it rates Low.',
      'Commit deals the model rates High or Critical:',
      '  Globex (Ann): Critical, P(win) 18%, €100,000 (≈ $108,000)',
    ]);
  });
});
