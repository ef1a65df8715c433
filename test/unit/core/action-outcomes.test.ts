import { describe, expect, it } from 'vitest';
import { compareMeans, compareRates } from '../../../src/core/actions/intervals.ts';
import { actionOutcomes, type DealCourse, type Recommendation, repCompletion } from '../../../src/core/actions/outcomes.ts';
import { actionOfTaskKey, ruleOf, segmentOf } from '../../../src/core/actions/recommendation.ts';
import { rng } from '../../../src/core/scoring/stats.ts';
import { addDays, day } from '../scoring/builders.ts';

const T0 = day('2026-01-01');
const ASOF = day('2026-12-31');
const ones = (n: number, of: number): number[] => Array.from({ length: of }, (_, i) => (i < n ? 1 : 0));

describe('interval arithmetic', () => {
  it("gives Newcombe's hybrid score interval for a difference of two rates (his 1998 example 56/70 vs 48/80)", () => {
    const r = compareRates([{ acted: ones(56, 70), notActed: ones(48, 80) }]);
    expect(r.difference.estimate).toBeCloseTo(0.2, 10);
    expect(r.difference.low).toBeCloseTo(0.0524, 4);
    expect(r.difference.high).toBeCloseTo(0.3339, 4);
    expect(r.acted.low).toBeCloseTo(0.6918, 4);
    expect(r.acted.high).toBeCloseTo(0.877, 3);
    expect(r.notActed.n).toBe(80);
  });

  it('reweights the comparison group to the acted mix of strata', () => {
    // Stratum A loses 20%, B 80%, in both groups; the acted deals are half A, the comparison mostly B.
    const mixed = compareRates([
      { acted: ones(5, 25), notActed: ones(4, 20) },
      { acted: ones(20, 25), notActed: ones(80, 100) },
    ]);
    // Standardised to the acted 50/50 mix: 0.5 × 0.2 + 0.5 × 0.8, not the pooled 84/120.
    expect(mixed.notActed.estimate).toBeCloseTo(0.5, 10);
    expect(mixed.difference.estimate).toBeCloseTo(0, 10);
    // Kish effective size: 1 / (0.25/20 + 0.25/100).
    expect(mixed.notActed.n).toBeCloseTo(1 / (0.25 / 20 + 0.25 / 100), 8);
  });

  it('gives normal intervals for means, from the standard errors of each group', () => {
    const m = compareMeans([{ acted: [1, 2, 3, 4, 5], notActed: [2, 4, 6, 8, 10] }]);
    expect(m.acted.estimate).toBe(3);
    expect(m.acted.se).toBeCloseTo(Math.sqrt(2.5 / 5), 10);
    expect(m.notActed.estimate).toBe(6);
    expect(m.difference.estimate).toBe(-3);
    const se = Math.sqrt(2.5 / 5 + 10 / 5);
    expect(m.difference.low).toBeCloseTo(-3 - 1.959963984540054 * se, 10);
    expect(m.difference.high).toBeCloseTo(-3 + 1.959963984540054 * se, 10);
  });
});

let seq = 0;
function aRec(o: Partial<Recommendation> & { at?: Date; doneAfterDays?: number | null } = {}): Recommendation {
  seq++;
  const at = o.at ?? T0;
  return {
    action: 'multithread',
    rule: 'single_threaded',
    dealKey: `salesforce:D${seq}`,
    ownerId: 'U1',
    ownerName: 'Ann',
    recommendedAt: at,
    band: 'High',
    score: 60,
    segment: 'Company size: SMB',
    completedAt: o.doneAfterDays === undefined || o.doneAfterDays === null ? null : addDays(at, o.doneAfterDays),
    dismissed: false,
    ...o,
  };
}

/**
 * A world with a known truth: `n` deals per action, each rep acting at random (coin), deals lost
 * with probability `base` plus `effect` when acted on, risk scores drifting by `drift` points over
 * the follow-up (plus `riskEffect` when acted on).
 */
function world(o: { n: number; base: number; effect: number; riskEffect: number; seed: number; action: string }) {
  const r = rng(o.seed);
  const recs: Recommendation[] = [];
  const courses = new Map<string, DealCourse>();
  for (let i = 0; i < o.n; i++) {
    const acted = r() < 0.5;
    const band = r() < 0.5 ? 'High' : 'Critical';
    const at = addDays(T0, Math.floor(r() * 200));
    const rec = aRec({ action: o.action, rule: o.action, at, band, doneAfterDays: acted ? Math.floor(r() * 6) : r() < 0.3 ? 20 : null });
    recs.push(rec);
    const lost = r() < o.base + (acted ? o.effect : 0);
    const drift = (r() - 0.5) * 20 + (acted ? o.riskEffect : 0);
    courses.set(rec.dealKey, {
      scores: [
        { at: addDays(at, 3), score: rec.score + drift / 2 },
        { at: addDays(at, 14), score: rec.score + drift },
        { at: addDays(at, 30), score: rec.score + 3 * drift },
      ],
      status: lost ? 'lost' : 'won',
      closedAt: addDays(at, 40),
    });
  }
  return { recs, courses };
}

describe('action outcomes', () => {
  it('finds an effect that is there, with the right sign, and none where there is none', () => {
    const a = world({ n: 600, base: 0.6, effect: -0.2, riskEffect: -8, seed: 3, action: 'multithread' });
    const b = world({ n: 600, base: 0.6, effect: 0, riskEffect: 0, seed: 4, action: 'deal_review' });
    const out = actionOutcomes([...a.recs, ...b.recs], new Map([...a.courses, ...b.courses]), { asOf: ASOF });
    const mt = out.find((x) => x.key === 'multithread')!;
    const dr = out.find((x) => x.key === 'deal_review')!;
    if (!mt.lossRate.shown || !dr.lossRate.shown || !mt.riskChange.shown || !dr.riskChange.shown) throw new Error('a figure was withheld');
    expect(mt.lossRate.difference.high).toBeLessThan(0);
    expect(mt.lossRate.difference.low).toBeLessThan(-0.2);
    expect(mt.lossRate.difference.high).toBeGreaterThan(-0.2);
    expect(mt.riskChange.difference.high).toBeLessThan(0);
    expect(mt.riskChange.difference.low).toBeLessThan(-8);
    expect(dr.lossRate.difference.low).toBeLessThan(0);
    expect(dr.lossRate.difference.high).toBeGreaterThan(0);
    expect(dr.riskChange.difference.low).toBeLessThan(0);
    expect(dr.riskChange.difference.high).toBeGreaterThan(0);
  });

  it('measures the risk change at the end of the follow-up, from the score at the recommendation', () => {
    const recs: Recommendation[] = [];
    const courses = new Map<string, DealCourse>();
    for (let i = 0; i < 4; i++) {
      const r = aRec({ doneAfterDays: i < 2 ? 1 : null });
      recs.push(r);
      courses.set(r.dealKey, {
        // The score 14 days on is the latest at or before day 14: day 10's, not day 20's.
        scores: [
          { at: addDays(T0, 10), score: i < 2 ? 50 : 70 },
          { at: addDays(T0, 20), score: 0 },
        ],
        status: 'open',
        closedAt: null,
      });
    }
    const [o] = actionOutcomes(recs, courses, { asOf: ASOF, minDeals: 2 });
    if (!o!.riskChange.shown) throw new Error('withheld');
    expect(o!.riskChange.acted.estimate).toBe(-10);
    expect(o!.riskChange.notActed.estimate).toBe(10);
    expect(o!.lossRate.shown).toBe(false);
    expect(o!.lossRate.stillOpen).toEqual({ acted: 2, notActed: 2 });
  });

  it('withholds a figure until both groups have the minimum of matched deals, and says how many there are', () => {
    const recs = [...Array.from({ length: 5 }, () => aRec({ doneAfterDays: 2 })), ...Array.from({ length: 40 }, () => aRec())];
    const [o] = actionOutcomes(recs, new Map(), { asOf: ASOF });
    expect(o!.riskChange).toEqual({
      shown: false,
      reason: 'needs 30 matched deals in each group; has 5 acted on and 40 not',
      acted: 5,
      notActed: 40,
    });
  });

  it('matches on risk band and segment: a stratum only one group has is left out and counted', () => {
    const recs = [
      ...Array.from({ length: 3 }, () => aRec({ doneAfterDays: 1 })),
      ...Array.from({ length: 3 }, () => aRec()),
      ...Array.from({ length: 4 }, () => aRec({ band: 'Critical', doneAfterDays: 1 })),
    ];
    const [o] = actionOutcomes(recs, new Map(), { asOf: ASOF, minDeals: 3 });
    if (!o!.riskChange.shown) throw new Error('withheld');
    expect(o!.riskChange.strata).toBe(1);
    expect(o!.riskChange.acted.n).toBe(3);
    expect(o!.riskChange.unmatched).toEqual({ acted: 4, notActed: 0 });
  });

  it('leaves out deals whose acting window is still running or that closed within it, from both groups', () => {
    const recent = aRec({ at: addDays(ASOF, -3), doneAfterDays: 1 });
    const quick = aRec({ doneAfterDays: 1 });
    const late = aRec({ doneAfterDays: 9 });
    const courses = new Map<string, DealCourse>([[quick.dealKey, { scores: [], status: 'won', closedAt: addDays(T0, 5) }]]);
    const [o] = actionOutcomes([recent, quick, late], courses, { asOf: ASOF, minDeals: 1 });
    expect(o!.excluded).toEqual({ windowOpen: 1, closedInWindow: 1 });
    expect(o!.speed.eligible).toBe(1);
    // Done on day 9: after the 7-day window, so not acted on; how fast counts every completion.
    expect(o!.speed.doneWithin.count).toBe(0);
    expect(o!.speed.medianDays).toBe(1);
    expect(o!.completed).toBe(3);
  });

  it('groups by rule for the playbook editor', () => {
    const recs = [aRec({ rule: 'a' }), aRec({ rule: 'b' }), aRec({ rule: 'b' })];
    const out = actionOutcomes(recs, new Map(), { asOf: ASOF, by: 'rule' });
    expect(out.map((o) => [o.key, o.recommended])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });
});

describe('per-rep completion', () => {
  it("counts each rep's tasks done within the window, over those old enough to tell", () => {
    const recs = [
      aRec({ ownerId: 'U1', ownerName: 'Ann', doneAfterDays: 2 }),
      aRec({ ownerId: 'U1', ownerName: 'Ann', doneAfterDays: 10 }),
      aRec({ ownerId: 'U1', ownerName: 'Ann', at: addDays(ASOF, -1) }),
      aRec({ ownerId: 'U2', ownerName: 'Bo', dismissed: true }),
    ];
    const out = repCompletion(recs, new Map(), { asOf: ASOF });
    expect(out.map((r) => [r.ownerName, r.eligible, r.doneWithin.count, r.completed, r.medianDays, r.open])).toEqual([
      ['Ann', 2, 1, 2, 6, 1],
      ['Bo', 1, 0, 0, null, 0],
    ]);
  });
});

describe('recommendations read from tasks', () => {
  it('reads the action from a playbook task key and none from an alert task', () => {
    expect(actionOfTaskKey('006A:multithread', '006A')).toBe('multithread');
    expect(actionOfTaskKey('006A:critical-alert:2026-01-01', '006A')).toBeNull();
    expect(actionOfTaskKey('006B:multithread', '006A')).toBeNull();
  });

  it('takes the company size as the segment, else the deal type', () => {
    expect(segmentOf({ account: { size: 'SMB' } as never, dealType: 'new' })).toBe('Company size: SMB');
    expect(segmentOf({ account: { size: null } as never, dealType: 'renewal' })).toBe('Deal type: renewal');
    expect(segmentOf({ account: { size: null } as never, dealType: null })).toBeNull();
  });

  it("finds the rule behind an action in a score's stored actions", () => {
    expect(ruleOf([{ action: 'multithread', rule: 'single_threaded' }], 'multithread')).toBe('single_threaded');
    expect(ruleOf([{ action: 'x', rule: 'y' }], 'multithread')).toBeNull();
    expect(ruleOf(null, 'multithread')).toBeNull();
  });
});
