import { describe, expect, it } from 'vitest';
import { extendWorld, generateWorld, planEvents } from '../../../sandbox/generate.ts';
import { COEF, contributions, type DealDrivers, rocAuc, winLogit } from '../../../sandbox/model.ts';
import { ceilingAuc, truthRows } from '../../../sandbox/truth.ts';
import { viewAt } from '../../../sandbox/view.ts';

const START = Date.UTC(2026, 10, 24, 9);
const world = (seed: number, deals = 3000) => generateWorld({ seed, deals, startMs: START, openStages: 6 });

const aDriver = (over: Partial<DealDrivers> = {}): DealDrivers => ({
  industry: 'Technology',
  region: 'NA',
  size: 'Mid-Market',
  source: 'web',
  type: 'new',
  amount: 45_000,
  amountNorm: 45_000,
  gapDays: 3,
  pushes: 0,
  cycleDays: 60,
  cycleNorm: 60,
  contacts: 2,
  activityRate: 3,
  ...over,
});

describe('the generating model', () => {
  it('scores a stalled, pushed, overdue deal riskier than its active twin', () => {
    const active = winLogit(aDriver());
    expect(winLogit(aDriver({ gapDays: 45 }))).toBeLessThan(active);
    expect(winLogit(aDriver({ pushes: 3 }))).toBeLessThan(active);
    expect(winLogit(aDriver({ cycleDays: 180 }))).toBeLessThan(active);
    expect(winLogit(aDriver({ source: 'referral' }))).toBeGreaterThan(active);
    expect(contributions(aDriver({ pushes: 2 })).pushes).toBeCloseTo(2 * COEF.push);
  });

  it('computes ROC-AUC by ranks, ties counting half', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBeCloseTo(0.75);
    expect(rocAuc([1, 1], [true, false])).toBe(0.5);
    expect(rocAuc([1, 2], [true, true])).toBeNull();
  });
});

describe('the deal generator', () => {
  it('makes the same organisation from the same seed and a different one from another', () => {
    const a = world(5, 500);
    const b = world(5, 500);
    expect(a.deals.map((d) => [d.createdAt, d.won, d.logit])).toEqual(b.deals.map((d) => [d.createdAt, d.won, d.logit]));
    expect(Array.from(planEvents(a, a.deals[10]!).activities)).toEqual(Array.from(planEvents(b, b.deals[10]!).activities));
    expect(world(6, 500).deals.map((d) => d.won)).not.toEqual(a.deals.map((d) => d.won));
  });

  it('creates the same later deals whatever steps the clock takes', () => {
    const a = world(9, 300);
    const b = world(9, 300);
    extendWorld(a, START + 90 * 86_400_000);
    for (let d = 1; d <= 90; d += 7) extendWorld(b, START + d * 86_400_000);
    extendWorld(b, START + 90 * 86_400_000);
    expect(a.deals.length).toBeGreaterThan(300);
    expect(b.deals.map((d) => d.createdAt)).toEqual(a.deals.map((d) => d.createdAt));
  });

  it('lets outcomes follow the drivers: long silences before the close lose far more often', () => {
    const w = world(11, 6000);
    const closed = truthRows(w, START).filter((t) => t.closed && !t.deleted);
    const winRate = (rows: typeof closed) => rows.filter((t) => t.won).length / rows.length;
    const quiet = closed.filter((t) => t.drivers.gapDays > 30);
    const busy = closed.filter((t) => t.drivers.gapDays < 7);
    expect(quiet.length).toBeGreaterThan(100);
    expect(winRate(busy) - winRate(quiet)).toBeGreaterThan(0.2);
  });

  it('keeps a mix of open and closed deals whose ceiling AUC shows real but imperfect signal', () => {
    const w = world(13, 6000);
    const rows = truthRows(w, START);
    const open = rows.filter((t) => !t.closed && !t.deleted).length;
    expect(open / rows.length).toBeGreaterThan(0.1);
    expect(open / rows.length).toBeLessThan(0.4);
    const c = ceilingAuc(w, START);
    expect(c.auc).toBeGreaterThan(0.7);
    expect(c.auc).toBeLessThan(0.9);
  });

  it('hides what has not happened yet: a deal is open until its close and its stage never goes back', () => {
    const w = world(17, 400);
    const d = w.deals.find((x) => x.closeAt > START + 86_400_000 && x.createdAt < START)!;
    const now = viewAt(w, d, START);
    expect(now.isClosed).toBe(false);
    const later = viewAt(w, d, d.closeAt);
    expect(later.isClosed).toBe(true);
    expect(later.isWon).toBe(d.won);
    let prev = -1;
    for (let t = d.createdAt; t <= d.closeAt; t += 86_400_000) {
      const s = viewAt(w, d, t).stage;
      expect(s).toBeGreaterThanOrEqual(prev);
      prev = s;
    }
  });
});
