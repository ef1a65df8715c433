import { describe, expect, it } from 'vitest';
import { type Clock, PortalPacer, SlidingWindowPacer } from '../../../connectors/hubspot/rate-pacer.ts';

function fakeClock(): Clock & { t: number } {
  const c = {
    t: 0,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += ms;
    },
  };
  return c;
}

describe('HubSpot rate pacing', () => {
  it('never lets more than the budget through in any 10-second window', async () => {
    const clock = fakeClock();
    const pacer = new PortalPacer({ perInterval: 110, intervalMs: 10_000, safety: 0.9, searchPerSecond: 4 }, clock);
    const stamps: number[] = [];
    for (let i = 0; i < 300; i++) {
      await pacer.standard.acquire();
      stamps.push(clock.t);
    }
    for (let i = 0; i < stamps.length; i++) {
      const inWindow = stamps.filter((t) => t > stamps[i]! - 10_000 && t <= stamps[i]!).length;
      expect(inWindow).toBeLessThanOrEqual(99);
    }
    // 300 calls at 99 per 10 s: three full windows of waiting, no more.
    expect(clock.t).toBe(30_000);
  });

  it('keeps search at its own per-second budget', async () => {
    const clock = fakeClock();
    const pacer = new PortalPacer({ perInterval: 110, intervalMs: 10_000, safety: 0.9, searchPerSecond: 4 }, clock);
    for (let i = 0; i < 12; i++) await pacer.search.acquire();
    expect(clock.t).toBe(2000);
    expect(pacer.standard.waitedMs).toBe(0);
  });

  it('counts calls other workers made when HubSpot says fewer remain than we counted', async () => {
    const clock = fakeClock();
    const p = new SlidingWindowPacer(99, 10_000, clock);
    p.observe({ max: 110, remaining: 5 }, 0.9, 99);
    // 105 used in the window already, more than 99: the next call waits for the window to roll.
    await p.acquire();
    expect(clock.t).toBe(10_000);
  });

  it('counts a call from its answer, so slow answers cannot crowd two windows into one', async () => {
    const clock = fakeClock();
    const p = new SlidingWindowPacer(2, 1000, clock);
    const a = await p.acquire();
    const b = await p.acquire();
    // Both answers take 300 ms: HubSpot may have counted them as late as then.
    clock.t = 300;
    a.release();
    b.release();
    expect((await p.acquire()).waitedMs).toBe(1000);
    expect(clock.t).toBe(1300);
  });

  it('holds every call until a 429 wait is over', async () => {
    const clock = fakeClock();
    const p = new SlidingWindowPacer(10, 1000, clock);
    p.blockUntil(2500);
    expect((await p.acquire()).waitedMs).toBe(2500);
  });
});
