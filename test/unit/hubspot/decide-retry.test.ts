import { describe, expect, it } from 'vitest';
import { decideRetry } from '../../../connectors/hubspot/decide-retry.ts';
import { toAppError } from '../../../connectors/hubspot/to-app-error.ts';

const limited = toAppError(429, { policyName: 'TEN_SECONDLY_ROLLING', message: 'limit' }, { 'retry-after': '2' });
const down = toAppError(503, { message: 'down' });

describe('decideRetry (HubSpot)', () => {
  it('retries a rate-limited call after the wait HubSpot asked for, even a POST', () => {
    expect(decideRetry({ error: limited, attempt: 1, idempotent: false })).toMatchObject({ retry: true, waitMs: 2000 });
  });
  it('retries 5xx only for idempotent calls, with doubling backoff', () => {
    expect(decideRetry({ error: down, attempt: 1, idempotent: false }).retry).toBe(false);
    expect(decideRetry({ error: down, attempt: 3, idempotent: true })).toMatchObject({ retry: true, waitMs: 2000 });
  });
  it('refreshes the token once after a 401, and not again', () => {
    const e = toAppError(401, { message: 'expired' });
    expect(decideRetry({ error: e, attempt: 1, idempotent: true })).toMatchObject({ retry: true, refreshToken: true });
    expect(decideRetry({ error: e, attempt: 2, idempotent: true }).retry).toBe(false);
  });
  it('never retries a DAILY limit or a rejected record', () => {
    expect(decideRetry({ error: toAppError(429, { policyName: 'DAILY' }), attempt: 1, idempotent: true }).retry).toBe(false);
    expect(decideRetry({ error: toAppError(400, { category: 'VALIDATION_ERROR' }), attempt: 1, idempotent: true }).retry).toBe(false);
  });
  it('gives up after the attempt budget and on waits longer than the cap', () => {
    expect(decideRetry({ error: limited, attempt: 5, idempotent: true }).retry).toBe(false);
    expect(decideRetry({ error: toAppError(477, {}, { 'retry-after': '86400' }), attempt: 1, idempotent: true }).retry).toBe(false);
  });
});
