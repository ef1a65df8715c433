import { randomUUID } from 'node:crypto';
import { json, type SbResponse } from '../http/types.ts';

export interface HsLimitConfig {
  /** Requests per rolling window for the portal (OAuth apps: 110 per 10 s). Search is not counted. */
  burstLimit: number;
  burstWindowMs: number;
  /** CRM search requests per second per portal. */
  searchPerSecond: number;
  /** Requests per day, or null for none (OAuth apps get no daily header). */
  dailyLimit: number | null;
}

const messages: Record<string, string> = {
  TEN_SECONDLY_ROLLING: 'You have reached your ten_secondly_rolling limit.',
  SECONDLY: 'You have reached your secondly limit.',
  DAILY: 'You have reached your daily limit.',
};

/** HubSpot's 429 body: no category, an errorType and the policy that was hit. */
export function rateLimitBody(policy: string): Record<string, unknown> {
  return {
    status: 'error',
    message: messages[policy] ?? 'You have reached your rate limit.',
    errorType: 'RATE_LIMIT',
    correlationId: randomUUID(),
    policyName: policy,
    requestId: randomUUID().replace(/-/g, ''),
  };
}

/** Rolling-window limits per portal, on the wall clock (the budget is about real request rates). */
export class HsLimiter {
  private burst: number[] = [];
  private search: number[] = [];
  private day = -1;
  dailyCount = 0;

  constructor(
    readonly cfg: HsLimitConfig,
    private readonly sandboxDay: () => number,
  ) {}

  private prune(list: number[], windowMs: number, now: number): number[] {
    let i = 0;
    while (i < list.length && list[i]! <= now - windowMs) i++;
    return i ? list.slice(i) : list;
  }

  headers(now = Date.now()): Record<string, string> {
    this.burst = this.prune(this.burst, this.cfg.burstWindowMs, now);
    return {
      'X-HubSpot-RateLimit-Max': String(this.cfg.burstLimit),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, this.cfg.burstLimit - this.burst.length)),
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(this.cfg.burstWindowMs),
    };
  }

  /**
   * Whole seconds until the oldest request leaves the window: the `Retry-After` HubSpot sends on a
   * rate-limit 429 (in seconds; integrators report it and HubSpot's usage guidelines say to honour
   * it, PostHog PR #64726; not always present, CRM-APIS B8). At least 1.
   */
  private retryAfter(list: number[], windowMs: number, now: number): string {
    return String(Math.max(1, Math.ceil(((list[0] ?? now) + windowMs - now) / 1000)));
  }

  /** Admits one request or answers the 429 HubSpot sends (search 429s carry no X-HubSpot-RateLimit headers). */
  admit(kind: 'api' | 'search'): SbResponse | null {
    const now = Date.now();
    const d = this.sandboxDay();
    if (d !== this.day) {
      this.day = d;
      this.dailyCount = 0;
    }
    if (this.cfg.dailyLimit !== null && this.dailyCount >= this.cfg.dailyLimit)
      return json(429, rateLimitBody('DAILY'), kind === 'api' ? this.headers(now) : undefined);
    if (kind === 'search') {
      this.search = this.prune(this.search, 1000, now);
      if (this.search.length >= this.cfg.searchPerSecond)
        return json(429, rateLimitBody('SECONDLY'), { 'Retry-After': this.retryAfter(this.search, 1000, now) });
      this.search.push(now);
    } else {
      this.burst = this.prune(this.burst, this.cfg.burstWindowMs, now);
      if (this.burst.length >= this.cfg.burstLimit) {
        return json(429, rateLimitBody('TEN_SECONDLY_ROLLING'), {
          ...this.headers(now),
          'Retry-After': this.retryAfter(this.burst, this.cfg.burstWindowMs, now),
        });
      }
      this.burst.push(now);
    }
    this.dailyCount++;
    return null;
  }
}
