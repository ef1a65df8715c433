import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explainRiskChange, roundToTotal, type ScoreTrace } from '../../../src/core/scoring/risk-change.ts';
import { sigmoid } from '../../../src/core/scoring/stats.ts';

const DAY = 86_400_000;
const FEATURES = ['stage', 'amount', 'days_to_close', 'days_since_activity', 'age_ratio', 'leadSource', 'extras.tier'];

/** A scoring as the scorer stores it: the score shown is round(100·σ(b + Σ c)). */
function scored(t: ScoreTrace, at: Date) {
  let z = t.b;
  for (const k in t.c) z += t.c[k]!;
  return { score: Math.round(100 * sigmoid(z)), scoredAt: at, trace: t };
}

const trace = fc.record({
  v: fc.integer({ min: 1, max: 3 }),
  b: fc.double({ min: -4, max: 4, noNaN: true }),
  c: fc.dictionary(fc.constantFrom(...FEATURES), fc.double({ min: -3, max: 3, noNaN: true })),
  x: fc.dictionary(fc.constantFrom(...FEATURES), fc.oneof(fc.constant(null), fc.integer({ min: -60, max: 60 }), fc.constantFrom('A', 'B'))),
});

describe('explainRiskChange', () => {
  it('the rounded parts add up exactly to the change shown, on random deals (many seeds)', () => {
    fc.assert(
      fc.property(trace, trace, fc.boolean(), fc.integer({ min: 0, max: 60 }), (a, b, sameModel, days) => {
        const from = scored(a, new Date(Date.UTC(2026, 10, 1)));
        const to = scored(sameModel ? { ...b, v: a.v, b: a.b } : b, new Date(from.scoredAt.getTime() + days * DAY));
        const r = explainRiskChange(from, to);
        expect(r.explained).toBe(true);
        expect(r.change).toBe(to.score - from.score);
        expect(r.parts.reduce((s, p) => s + p.points, 0)).toBe(r.change);
        // Before rounding, the parts are the exact change of 100·σ(log-odds).
        const exact = r.parts.reduce((s, p) => s + p.exact, 0);
        const cont = 100 * (sigmoid(logOdds(to.trace)) - sigmoid(logOdds(from.trace)));
        if (!r.parts.some((p) => p.feature === 'other')) expect(exact).toBeCloseTo(cont, 9);
        // Each rounded part is within one point of its exact share.
        for (const p of r.parts) expect(Math.abs(p.points - p.exact)).toBeLessThan(1 + 1e-9);
        // Under one model version, nothing is the model's.
        if (sameModel) expect(r.parts.some((p) => p.kind === 'model')).toBe(false);
      }),
      { numRuns: 1000, seed: 15 },
    );
  });

  it('holds for several seeds', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      fc.assert(
        fc.property(trace, trace, (a, b) => {
          const from = scored(a, new Date(Date.UTC(2026, 10, 26)));
          const to = scored(b, new Date(Date.UTC(2026, 11, 3)));
          const r = explainRiskChange(from, to);
          return r.parts.reduce((s, p) => s + p.points, 0) === to.score - from.score;
        }),
        { numRuns: 300, seed },
      );
    }
  });

  it('splits a change into the deal’s features and the model, in a sentence', () => {
    const from = {
      score: 0,
      scoredAt: new Date(Date.UTC(2026, 10, 26)),
      trace: {
        v: 3,
        b: -0.5,
        c: { days_to_close: 0, days_since_activity: -0.2, leadSource: 0.1 },
        x: { days_to_close: 30, days_since_activity: 2, leadSource: 'Web' },
      },
    };
    // Seven days later: close date pushed 21 days (30 − 7 + 21 = 44 to go), no activity since (9 days), model retrained.
    const to = {
      score: 0,
      scoredAt: new Date(Date.UTC(2026, 11, 3)),
      trace: {
        v: 4,
        b: -0.45,
        c: { days_to_close: 0.6, days_since_activity: 0.3, leadSource: 0.15 },
        x: { days_to_close: 44, days_since_activity: 9, leadSource: 'Web' },
      },
    };
    from.score = scored(from.trace, from.scoredAt).score;
    to.score = scored(to.trace, to.scoredAt).score;
    const r = explainRiskChange(from, to);
    expect(from.score).toBe(35);
    // 100·σ: 35.4 → 37.8 with the new model on unchanged inputs → 64.6 (shown 65).
    expect(to.score).toBe(65);
    expect(r.parts.map((p) => [p.feature, p.points])).toEqual([
      ['days_to_close', 15],
      ['days_since_activity', 12],
      ['model', 3],
    ]);
    expect(r.sentence).toBe(
      'Risk 35 → 65 since 26 Nov: close date pushed 21 days (+15), no activity for 9 days (+12), model retrained (+3)',
    );
  });

  it('counts a changed input as the deal’s even when the model changed too', () => {
    const at = new Date(Date.UTC(2026, 11, 1));
    const r = explainRiskChange(
      { score: 50, scoredAt: at, trace: { v: 1, b: 0, c: { stage: 0 }, x: { stage: 'Discovery' } } },
      { score: 62, scoredAt: at, trace: { v: 2, b: 0, c: { stage: 0.5 }, x: { stage: 'Proposal' } } },
    );
    expect(r.parts.map((p) => [p.text, p.points])).toEqual([
      ['stage moved Discovery → Proposal', 12],
      ['model retrained', 0],
    ]);
  });

  it('does not split a change when a scoring kept no trace', () => {
    const r = explainRiskChange(
      { score: 40, scoredAt: new Date(Date.UTC(2026, 10, 26)), trace: null },
      { score: 45, scoredAt: new Date(Date.UTC(2026, 11, 3)), trace: { v: 1, b: 0, c: {}, x: {} } },
    );
    expect(r).toMatchObject({ explained: false, change: 5, parts: [] });
    expect(r.sentence).toBe('Risk 40 → 45 since 26 Nov (not explained: scored before changes were kept)');
  });
});

describe('roundToTotal', () => {
  it('rounds by largest remainder to the given total', () => {
    expect(roundToTotal([14.6, 8.7, 3.7], 27)).toEqual([14, 9, 4]);
    expect(roundToTotal([-2.5, -2.5], -5)).toEqual([-2, -3]);
    // Plain rounding would give 0 + 0 ≠ 1.
    expect(roundToTotal([0.4, 0.4, 0.2], 1)).toEqual([1, 0, 0]);
    expect(roundToTotal([0.2, 0.2], 2)).toEqual([1, 1]);
    expect(roundToTotal([], 0)).toEqual([]);
  });
});

function logOdds(t: ScoreTrace): number {
  let z = t.b;
  for (const k in t.c) z += t.c[k]!;
  return z;
}
