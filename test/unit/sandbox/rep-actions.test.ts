import { describe, expect, it } from 'vitest';
import { DAY, generateWorld, winInstead } from '../../../sandbox/generate.ts';
import { RepActions } from '../../../sandbox/rep-actions.ts';

const START = Date.UTC(2026, 10, 24, 9);
const world = () => generateWorld({ seed: 9, deals: 4000, startMs: START, openStages: 6 });

describe("the sandbox reps' follow-through (opt-in)", () => {
  it('has each rep complete about their own share of tasks, the shares spread around the one asked for', () => {
    const reps = new RepActions(7, { completionShare: 0.5, repSpread: 0.3 });
    const shares = Array.from({ length: 40 }, (_, i) => reps.repShare(`005rep${i}`));
    expect(Math.min(...shares)).toBeGreaterThanOrEqual(0.2);
    expect(Math.max(...shares)).toBeLessThanOrEqual(0.8);
    expect(Math.max(...shares) - Math.min(...shares)).toBeGreaterThan(0.3);
    for (const rep of ['005repA', '005repB']) {
      let done = 0;
      for (let n = 0; n < 4000; n++) if (reps.doneAt(n, START, 3, rep) !== null) done++;
      expect(done / 4000).toBeCloseTo(reps.repShare(rep), 1);
    }
  });

  it('completes a task after the same exponential wait as without rep actions', () => {
    const reps = new RepActions(7, { completionShare: 0.98, repSpread: 0 });
    const waits: number[] = [];
    for (let n = 0; n < 4000; n++) {
      const at = reps.doneAt(n, START, 3, 'rep');
      if (at !== null) waits.push((at - START) / DAY);
    }
    expect(waits.reduce((a, b) => a + b, 0) / waits.length).toBeCloseTo(3, 0);
  });

  it('turns the known share of lost deals into wins when the matching task is done before the close, and no other', () => {
    const w = world();
    const reps = new RepActions(7, { effects: [{ subject: 'second contact', lossToWin: 0.4 }] });
    const lost = w.deals.filter((p) => !p.won);
    let flipped = 0;
    for (const p of lost) if (reps.apply(p, 'Add a second contact (economic buyer or champion)', p.closeAt - DAY)) flipped++;
    expect(flipped / lost.length).toBeCloseTo(0.4, 1);
    expect(lost.filter((p) => p.won)).toHaveLength(flipped);

    const still = w.deals.filter((p) => !p.won);
    expect(still.some((p) => reps.apply(p, 'Review the deal with your manager this week', p.closeAt - DAY))).toBe(false);
    expect(still.some((p) => reps.apply(p, 'Add a second contact', p.closeAt + 1))).toBe(false);
    expect(still.some((p) => reps.apply(p, 'Add a second contact', null))).toBe(false);
    expect(still.every((p) => !p.won)).toBe(true);
  });

  it('changes an outcome only before the close, and a won deal not at all', () => {
    const [p] = world().deals.filter((d) => !d.won);
    expect(winInstead(p!, p!.closeAt)).toBe(false);
    expect(winInstead(p!, p!.closeAt - 1)).toBe(true);
    expect(p!.won).toBe(true);
    expect(winInstead(p!, p!.closeAt - 1)).toBe(false);
  });
});
