import { Client } from '@hubspot/api-client';
import { type AppError, isAppError } from '../../src/core/errors.ts';
import { type HeaderBag, header } from '../http-headers.ts';
import { silentLogger } from '../silent-logger.ts';
import type { ConnectorLogger } from '../types.ts';
import { DEFAULT_RETRY_POLICY, decideRetry, type RetryPolicy } from './decide-retry.ts';
import { HUBSPOT_API_BASE } from './oauth.ts';
import type { Clock, PortalPacer } from './rate-pacer.ts';
import { networkError, toAppError } from './to-app-error.ts';
import type { TokenManager } from './token-manager.ts';

export interface CallSpec {
  /** Which budget the call spends: CRM search has its own 5/s limit. */
  budget: 'standard' | 'search';
  /** Short name for logs and usage counts ("search deals", "batch update deals"). */
  op: string;
  /** Reads and set-to-value writes; a create is not (a retried POST could duplicate). */
  idempotent: boolean;
}

/** What `*WithHttpInfo` SDK methods and our raw requests both return. */
export interface Reply<T> {
  status: number;
  headers: HeaderBag;
  data: T;
}

/** What HubSpot's daily allowance (X-HubSpot-RateLimit-Daily) is counted over, as the dashboard names it. */
export const USAGE_WINDOW = 'daily (portal)';

export interface HubSpotUsage {
  calls: number;
  byOperation: Record<string, number>;
  retries: number;
  rateLimited: number;
  waitedMs: number;
  /** Last X-HubSpot-RateLimit-* seen (search responses carry none). */
  rateLimit?: { max?: number; remaining?: number; intervalMs?: number };
  /** Private apps only: HubSpot reports the shared daily allowance. */
  daily?: { limit?: number; remaining?: number };
}

export interface HubSpotApiOptions {
  tokens: TokenManager;
  pacer: PortalPacer;
  /** Pacing time: what the pacer counts in and what retries sleep on. */
  clock: Clock;
  /** Business time (may be a sandbox clock): when a DAILY pause ends is computed from it. */
  now?: () => Date;
  basePath?: string;
  retry?: RetryPolicy;
  logger?: ConnectorLogger;
  /** The portal's UTC offset, when known, so a DAILY pause ends at its midnight. */
  utcOffsetMs?: number;
}

/**
 * The connector's one HTTP owner: every HubSpot call goes through `call`, which takes a fresh
 * token, waits for the portal's budget, runs the real SDK, maps failures with toAppError and
 * decides retries. The SDK's own retry decorator stays off (numberOfApiCallRetries unset), so
 * no call is retried twice over.
 */
export class HubSpotApi {
  private client: Client | null = null;
  private clientKey = '';
  private readonly usageState: HubSpotUsage = { calls: 0, byOperation: {}, retries: 0, rateLimited: 0, waitedMs: 0 };
  private readonly log: ConnectorLogger;

  constructor(private readonly o: HubSpotApiOptions) {
    this.log = o.logger ?? silentLogger;
  }

  private async sdk(token: string): Promise<Client> {
    // Base path: pinned by the caller, else the stored connection's (the sandbox), else HubSpot.
    const basePath = this.o.basePath ?? (await this.o.tokens.credentials()).instanceUrl ?? HUBSPOT_API_BASE;
    const key = `${basePath} ${token}`;
    if (!this.client || this.clientKey !== key) {
      // The SDK keeps its decorators in a process-wide singleton that every `new Client()`
      // resets and each API object captures when first built: build ours eagerly, right here,
      // so another Client created elsewhere cannot lend us its retry or limiter settings.
      const c = new Client({ accessToken: token, basePath });
      void [c.crm.deals, c.crm.companies, c.crm.pipelines, c.crm.properties, c.crm.objects.tasks, c.crm.associations.v4, c.crm.owners];
      this.client = c;
      this.clientKey = key;
    }
    return this.client;
  }

  async call<T>(spec: CallSpec, fn: (client: Client) => Promise<Reply<T>>): Promise<Reply<T>> {
    const policy = this.o.retry ?? DEFAULT_RETRY_POLICY;
    let token = await this.o.tokens.accessToken();
    for (let attempt = 1; ; attempt++) {
      const pacer = spec.budget === 'search' ? this.o.pacer.search : this.o.pacer.standard;
      const slot = await pacer.acquire();
      this.usageState.waitedMs += slot.waitedMs;
      this.count(spec.op);
      let failure: AppError;
      try {
        const reply = await fn(await this.sdk(token));
        slot.release();
        this.observe(reply.headers);
        if (reply.status >= 400) throw this.map(reply.status, reply.data, reply.headers, spec.op);
        return reply;
      } catch (e) {
        slot.release();
        failure = this.toFailure(e, spec.op);
      }
      if (failure.code === 'crm_rate_limited') {
        this.usageState.rateLimited++;
        pacer.blockUntil(this.o.clock.now() + (failure.details.retryAfterMs ?? 0));
      }
      const d = decideRetry({ error: failure, attempt, idempotent: spec.idempotent, policy });
      if (!d.retry) throw failure;
      this.usageState.retries++;
      this.log.warn('hubspot call retried', { op: spec.op, attempt, reason: d.reason, waitMs: d.waitMs });
      if (d.refreshToken) token = await this.o.tokens.afterRejection(token);
      else token = await this.o.tokens.accessToken();
      if (d.waitMs > 0 && failure.code !== 'crm_rate_limited') {
        this.usageState.waitedMs += d.waitMs;
        await this.o.clock.sleep(d.waitMs);
      }
    }
  }

  /** A raw request through the SDK's own HTTP client (auth, base path), for bodies its models drop. */
  async raw<T = unknown>(
    spec: CallSpec,
    req: { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; body?: unknown },
  ): Promise<Reply<T>> {
    return this.call<T>(spec, async (client) => {
      const res = await client.apiRequest({ method: req.method, path: req.path, body: req.body as object });
      const text = await res.text();
      let data: unknown = text;
      try {
        data = text ? JSON.parse(text) : {};
      } catch {
        // non-JSON bodies stay text; toAppError reads them
      }
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => {
        headers[k] = v;
      });
      return { status: res.status, headers, data: data as T };
    });
  }

  usage(): HubSpotUsage {
    return structuredClone(this.usageState);
  }

  private count(op: string): void {
    this.usageState.calls++;
    this.usageState.byOperation[op] = (this.usageState.byOperation[op] ?? 0) + 1;
  }

  private observe(headers: HeaderBag): void {
    const get = (n: string): string | undefined => header(headers, n);
    this.o.pacer.observeHeaders(get);
    const num = (n: string): number | undefined => {
      const v = get(n);
      return v === undefined || !Number.isFinite(Number(v)) ? undefined : Number(v);
    };
    const max = num('x-hubspot-ratelimit-max');
    if (max !== undefined) {
      this.usageState.rateLimit = {
        max,
        remaining: num('x-hubspot-ratelimit-remaining'),
        intervalMs: num('x-hubspot-ratelimit-interval-milliseconds'),
      };
    }
    const daily = num('x-hubspot-ratelimit-daily');
    if (daily !== undefined) this.usageState.daily = { limit: daily, remaining: num('x-hubspot-ratelimit-daily-remaining') };
  }

  private map(status: number, body: unknown, headers: HeaderBag, op: string): AppError {
    return toAppError(status, body, headers, {
      now: this.o.now?.() ?? new Date(this.o.clock.now()),
      utcOffsetMs: this.o.utcOffsetMs,
      operation: op,
    });
  }

  private toFailure(e: unknown, op: string): AppError {
    if (isAppError(e)) return e;
    const sdkError = e as { code?: unknown; body?: unknown; headers?: HeaderBag };
    // The SDK's ApiException: numeric HTTP status in `code`, parsed body, response headers.
    if (typeof sdkError?.code === 'number') {
      this.observe(sdkError.headers);
      return this.map(sdkError.code, sdkError.body, sdkError.headers, op);
    }
    return networkError(e, op);
  }
}
