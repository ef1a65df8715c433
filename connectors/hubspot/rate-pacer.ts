/** Time as the pacer sees it: injected so tests never sleep for real. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** One call's place in a window: held from when it is sent until its answer arrives. */
export interface PacerSlot {
  /** How long the caller waited for it. */
  waitedMs: number;
  /** The answer arrived (or the call failed): the call now counts from this moment. */
  release(): void;
}

/**
 * A sliding-window limiter: at most `limit` calls in any `intervalMs`. Acquisitions are
 * serialized, so concurrent callers queue instead of racing past the limit. HubSpot counts a
 * call when it arrives, somewhere between our send and its answer; a call therefore counts from
 * its answer once released, so a slow answer never lets the next window's calls crowd into
 * HubSpot's view of this one.
 */
export class SlidingWindowPacer {
  private stamps: number[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private blockedUntil = 0;
  /** Total milliseconds callers spent waiting here. */
  waitedMs = 0;

  constructor(
    private limit: number,
    readonly intervalMs: number,
    private readonly clock: Clock,
  ) {
    if (limit < 1) throw new Error(`pacer limit must be at least 1, got ${limit}`);
  }

  get currentLimit(): number {
    return this.limit;
  }

  /** Resolves when one more call fits in the window; release the slot when the answer arrives. */
  acquire(): Promise<PacerSlot> {
    const next = this.queue.then(() => this.take());
    this.queue = next.catch(() => undefined);
    return next.then(({ waited, stamp }) => ({ waitedMs: waited, release: () => this.settle(stamp) }));
  }

  /** Moves a call's stamp from its send time to now. */
  private settle(stamp: number): void {
    const i = this.stamps.indexOf(stamp);
    if (i < 0) return; // already out of the window
    this.stamps[i] = Math.max(stamp, this.clock.now());
    this.stamps.sort((a, b) => a - b);
  }

  private async take(): Promise<{ waited: number; stamp: number }> {
    let waited = 0;
    for (;;) {
      const now = this.clock.now();
      if (now < this.blockedUntil) {
        const w = this.blockedUntil - now;
        waited += w;
        await this.clock.sleep(w);
        continue;
      }
      this.stamps = this.stamps.filter((t) => t > now - this.intervalMs);
      if (this.stamps.length < this.limit) {
        this.stamps.push(now);
        this.waitedMs += waited;
        return { waited, stamp: now };
      }
      const w = this.stamps[this.stamps.length - this.limit]! + this.intervalMs - now;
      waited += w;
      await this.clock.sleep(w);
    }
  }

  /** No call leaves before `until` (a 429 told us to wait). */
  blockUntil(until: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, until);
  }

  /**
   * HubSpot's own view of the window (X-HubSpot-RateLimit-*): other workers of this app spend
   * the same portal budget, so when HubSpot says more is used than we counted, count it too.
   */
  observe(h: { max?: number; remaining?: number; intervalMs?: number }, safety: number, configuredLimit: number): void {
    if (h.max !== undefined && h.max > 0) this.limit = Math.max(1, Math.min(configuredLimit, Math.floor(h.max * safety)));
    if (h.max === undefined || h.remaining === undefined) return;
    const now = this.clock.now();
    this.stamps = this.stamps.filter((t) => t > now - this.intervalMs);
    const usedByHubSpot = h.max - h.remaining;
    for (let i = this.stamps.length; i < usedByHubSpot; i++) this.stamps.push(now);
    this.stamps.sort((a, b) => a - b);
  }
}

/** A portal's two HubSpot budgets: general calls, and CRM search with its own per-second limit. */
export interface RateBudget {
  /** Calls per interval HubSpot grants this app on one portal (110 per 10 s for OAuth apps). */
  perInterval: number;
  intervalMs: number;
  /** Share of the budget we allow ourselves, leaving room for clock skew and other apps. */
  safety: number;
  /** CRM search requests per second (HubSpot: 5 per account, no rate headers). */
  searchPerSecond: number;
}

export const DEFAULT_BUDGET: RateBudget = { perInterval: 110, intervalMs: 10_000, safety: 0.9, searchPerSecond: 4 };

export class PortalPacer {
  readonly standard: SlidingWindowPacer;
  readonly search: SlidingWindowPacer;

  constructor(
    readonly budget: RateBudget,
    clock: Clock,
  ) {
    this.standard = new SlidingWindowPacer(Math.max(1, Math.floor(budget.perInterval * budget.safety)), budget.intervalMs, clock);
    this.search = new SlidingWindowPacer(Math.max(1, budget.searchPerSecond), 1000, clock);
  }

  /** Reads X-HubSpot-RateLimit-Max / -Remaining / -Interval-Milliseconds when present. */
  observeHeaders(get: (name: string) => string | undefined): void {
    const num = (n: string): number | undefined => {
      const v = get(n);
      const x = v === undefined ? NaN : Number(v);
      return Number.isFinite(x) ? x : undefined;
    };
    const max = num('x-hubspot-ratelimit-max');
    const remaining = num('x-hubspot-ratelimit-remaining');
    if (max === undefined && remaining === undefined) return;
    this.standard.observe(
      { max, remaining, intervalMs: num('x-hubspot-ratelimit-interval-milliseconds') },
      this.budget.safety,
      Math.floor(this.budget.perInterval * this.budget.safety),
    );
  }
}
