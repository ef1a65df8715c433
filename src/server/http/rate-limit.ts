/**
 * A token bucket per key: `capacity` requests at once, refilled at `perMinute`. Pure apart from
 * the clock it is given, so tests step time instead of sleeping. Buckets live in the process;
 * several web processes each enforce the limit on their share of traffic.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; rate: number; capacity: number }>();
  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 50_000,
  ) {}

  /** Takes one token; when none is left, says how long until one is. */
  take(key: string, perMinute: number, capacity = perMinute): { ok: true } | { ok: false; retryAfterMs: number } {
    const t = this.now();
    const rate = perMinute / 60_000;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.evict(t);
      b = { tokens: capacity, at: t, rate, capacity };
      this.buckets.set(key, b);
    } else {
      Object.assign(b, { rate, capacity, tokens: Math.min(capacity, b.tokens + (t - b.at) * rate), at: t });
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil((1 - b.tokens) / rate) };
  }

  /** Forgets full buckets (they behave exactly like new ones), keeping memory bounded. */
  private evict(t: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + (t - b.at) * b.rate >= b.capacity) this.buckets.delete(k);
    if (this.buckets.size >= this.maxKeys) this.buckets.clear();
  }
}
