import type { AppError } from '../../src/core/errors.ts';

export interface RetryPolicy {
  /** Total attempts per call, the first included. */
  maxAttempts: number;
  /** A single wait longer than this is not worth holding a sync for (e.g. 477 with Retry-After: 1 day). */
  maxWaitMs: number;
  /** First backoff for 5xx and network errors; doubles per attempt. */
  baseBackoffMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, maxWaitMs: 60_000, baseBackoffMs: 500 };

export type RetryDecision = { retry: false; reason: string } | { retry: true; waitMs: number; refreshToken: boolean; reason: string };

/**
 * Pure: whether a failed HubSpot call is tried again, after how long, and whether the token
 * must be refreshed first. Our paced client is the only retry owner (the SDK's own retry
 * decorator is off), so this is the whole retry policy of the connector.
 */
export function decideRetry(a: { error: AppError; attempt: number; idempotent: boolean; policy?: RetryPolicy }): RetryDecision {
  const p = a.policy ?? DEFAULT_RETRY_POLICY;
  const { code, details } = a.error;
  if (a.attempt >= p.maxAttempts) return { retry: false, reason: `gave up after ${a.attempt} attempts` };
  switch (code) {
    case 'crm_rate_limited': {
      // A 429 means HubSpot did not process the request, so even a POST may be sent again.
      const wait = details.retryAfterMs ?? 10_000;
      if (wait > p.maxWaitMs) return { retry: false, reason: `rate limited for ${wait} ms, longer than ${p.maxWaitMs} ms` };
      return { retry: true, waitMs: wait, refreshToken: false, reason: `rate limited (${String(details.policyName ?? '429')})` };
    }
    case 'crm_unavailable': {
      // A reset or 5xx after a POST may have been applied: only idempotent calls go again.
      if (!a.idempotent) return { retry: false, reason: 'not idempotent' };
      const wait = details.retryAfterMs ?? Math.min(p.maxWaitMs, p.baseBackoffMs * 2 ** (a.attempt - 1));
      if (wait > p.maxWaitMs) return { retry: false, reason: `unavailable for ${wait} ms` };
      return { retry: true, waitMs: wait, refreshToken: false, reason: 'transient failure' };
    }
    case 'crm_auth_expired':
      // HubSpot: a 401 is not proof the token expired, so refresh once, and only once.
      return a.attempt === 1
        ? { retry: true, waitMs: 0, refreshToken: true, reason: 'token rejected, refreshing once' }
        : { retry: false, reason: 'token rejected again after a refresh' };
    default:
      return { retry: false, reason: `${code} is not retryable` };
  }
}
