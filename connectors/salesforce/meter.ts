import type { Connection } from 'jsforce';
import { AppError } from '../../src/core/errors.ts';
import { header } from '../http-headers.ts';
import type { ErrorResponse } from './from-sdk-error.ts';
import { type ApiUsageInfo, decideBudget, parseLimitInfo } from './limits.ts';
import type { HeaderBag } from './to-app-error.ts';

export interface BudgetOptions {
  budgetShare: number;
  orgReserve: number;
  windowCalls: number;
}

interface TransportResponse {
  statusCode: number;
  headers: HeaderBag;
  body?: string;
}

interface StreamPromiseLike<T> extends Promise<T> {
  stream(): NodeJS.EventEmitter;
}

interface TransportLike {
  httpRequest(req: { method: string; url: string }, options?: unknown): StreamPromiseLike<TransportResponse>;
}

/**
 * Counts every HTTP request a connection sends (REST, SOAP Metadata and Bulk 2.0 alike, and
 * jsforce's own transport retries), reads Sforce-Limit-Info from every response, and refuses
 * a request that would break the API budget. OAuth token calls use jsforce's separate OAuth
 * transport and are not API calls, so they are neither counted nor refused.
 */
export class Meter {
  calls = 0;
  usage: ApiUsageInfo | null = null;
  /** The latest error response (status and body that jsforce errors do not carry). */
  lastError: ErrorResponse | null = null;
  /** Headers of the latest response, for values jsforce drops (Bulk 2.0 Sforce-Locator). */
  lastHeaders: HeaderBag = {};
  lastUrl = '';
  /** Set after a token refresh until a request succeeds with the new token (loop guard). */
  refreshUnproven = false;

  constructor(private readonly budget: BudgetOptions) {}

  beforeRequest(): void {
    const d = decideBudget({ calls: this.calls, usage: this.usage, ...this.budget });
    if (!d.ok) {
      throw new AppError('crm_quota_exhausted', `Salesforce API budget reached: ${d.reason}; resuming in the next window`, {
        retryable: true,
        paused: true,
        // The allocation is a rolling 24 h: calls age out hour by hour, so look again in an hour.
        retryAfterMs: 3_600_000,
        used: this.usage?.used,
        limit: this.usage?.limit,
        calls: this.calls,
      });
    }
    this.calls++;
  }

  onResponse(url: string, res: TransportResponse): void {
    this.lastUrl = url;
    this.lastHeaders = res.headers ?? {};
    const info = parseLimitInfo(header(res.headers, 'sforce-limit-info'));
    if (info) this.usage = info;
    if (res.statusCode >= 400) this.lastError = { status: res.statusCode, body: String(res.body ?? ''), headers: res.headers };
    if (res.statusCode !== 401) this.refreshUnproven = false;
  }

  /** jsforce retried a read inside its transport (5xx/429/network): that is one more call. */
  onTransportRetry(): void {
    this.calls++;
  }
}

/** Hooks the meter into a connection's transport; returns the connection for chaining. */
export function instrument(conn: Connection, meter: Meter): Connection {
  const transport = (conn as unknown as { _transport: TransportLike })._transport;
  const send = transport.httpRequest.bind(transport);
  transport.httpRequest = (req, options) => {
    meter.beforeRequest();
    const p = send(req, options);
    // jsforce emits 'retry' on the request stream for each transport-level retry.
    p.stream().on('retry', () => meter.onTransportRetry());
    p.then(
      (res) => meter.onResponse(req.url, res),
      () => undefined, // the caller sees the rejection; counting needs no answer
    );
    return p;
  };
  return conn;
}
