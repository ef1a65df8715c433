import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/server/http/rate-limit.ts';

describe('RateLimiter (token bucket per key)', () => {
  it("lets a minute's worth through, then says how long until the next token", () => {
    let t = 0;
    const l = new RateLimiter(() => t);
    for (let i = 0; i < 60; i++) expect(l.take('k', 60).ok).toBe(true);
    expect(l.take('k', 60)).toEqual({ ok: false, retryAfterMs: 1000 });
    t += 500;
    expect(l.take('k', 60)).toEqual({ ok: false, retryAfterMs: 500 });
    t += 500;
    expect(l.take('k', 60).ok).toBe(true);
  });

  it('keeps keys apart', () => {
    const l = new RateLimiter(() => 0);
    expect(l.take('a', 1).ok).toBe(true);
    expect(l.take('a', 1).ok).toBe(false);
    expect(l.take('b', 1).ok).toBe(true);
  });

  it('forgets full buckets when it holds too many keys, never one that is limiting', () => {
    let t = 0;
    const l = new RateLimiter(() => t, 3);
    expect(l.take('busy', 1).ok).toBe(true);
    l.take('x', 6000);
    l.take('y', 6000);
    t += 100;
    // A fourth key evicts x and y (refilled at 100/s), not busy (empty for another minute).
    expect(l.take('z', 1).ok).toBe(true);
    expect(l.take('busy', 1)).toEqual({ ok: false, retryAfterMs: 59_900 });
  });
});
