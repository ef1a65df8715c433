import { describe, expect, it } from 'vitest';
import { msUntilNextPortalDay, networkError, toAppError } from '../../../connectors/hubspot/to-app-error.ts';

const now = new Date('2026-11-24T15:30:00.000Z');

describe('toAppError (HubSpot)', () => {
  it('turns a TEN_SECONDLY_ROLLING 429 into crm_rate_limited waiting what Retry-After says', () => {
    const e = toAppError(
      429,
      {
        status: 'error',
        message: 'You have reached your ten secondly limit.',
        errorType: 'RATE_LIMIT',
        policyName: 'TEN_SECONDLY_ROLLING',
      },
      { 'Retry-After': '3' },
      { now },
    );
    expect(e.code).toBe('crm_rate_limited');
    expect(e.details).toMatchObject({ retryAfterMs: 3000, policyName: 'TEN_SECONDLY_ROLLING', retryable: true });
  });

  it('reads Retry-After given as an HTTP date against the response time', () => {
    const e = toAppError(429, { policyName: 'TEN_SECONDLY_ROLLING' }, { 'retry-after': 'Tue, 24 Nov 2026 15:30:05 GMT' }, { now });
    expect(e.details.retryAfterMs).toBe(5000);
  });

  it('waits the rate-limit interval when a TEN_SECONDLY 429 has no Retry-After', () => {
    const e = toAppError(
      429,
      { policyName: 'TEN_SECONDLY_ROLLING', message: 'limit' },
      { 'x-hubspot-ratelimit-interval-milliseconds': '10000' },
      { now },
    );
    expect(e.details.retryAfterMs).toBe(10_000);
  });

  it('waits one second on the search API secondly limit, which has no policy name or headers', () => {
    const e = toAppError(429, { status: 'error', message: 'You have reached your secondly limit.', category: 'RATE_LIMITS' }, {}, { now });
    expect(e.code).toBe('crm_rate_limited');
    expect(e.details.retryAfterMs).toBe(1000);
  });

  it("pauses the tenant until the portal's next midnight on a DAILY 429", () => {
    const e = toAppError(
      429,
      { status: 'error', message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', policyName: 'DAILY' },
      {},
      { now, utcOffsetMs: -5 * 3_600_000 },
    );
    expect(e.code).toBe('crm_quota_exhausted');
    expect(e.details.retryable).toBe(false);
    // 15:30 UTC is 10:30 in US/Eastern (-05:00): the portal's day ends at 05:00 UTC tomorrow.
    expect(e.details.pausedUntil).toEqual(new Date('2026-11-25T05:00:00.000Z'));
    expect(e.details.retryAfterMs).toBe(13.5 * 3_600_000);
  });

  it('computes the next portal day in UTC when the offset is unknown', () => {
    expect(msUntilNextPortalDay(now)).toBe(8.5 * 3_600_000);
  });

  it('reads a 401 as an expired or invalid token worth one refresh', () => {
    const e = toAppError(401, { status: 'error', message: 'Authentication credentials not found.', category: 'INVALID_AUTHENTICATION' });
    expect(e.code).toBe('crm_auth_expired');
    expect(e.details.retryable).toBe(true);
  });

  it('names the missing scopes on a 403 MISSING_SCOPES', () => {
    const e = toAppError(403, {
      status: 'error',
      message: "This app hasn't been granted all required scopes to make this call.",
      category: 'MISSING_SCOPES',
      errors: [
        { message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: ['crm.schemas.deals.write'] } },
      ],
    });
    expect(e.code).toBe('crm_permission_denied');
    expect(e.details.missingScopes).toEqual(['crm.schemas.deals.write']);
    expect(e.message).toContain('crm.schemas.deals.write');
  });

  it('treats a 400 VALIDATION_ERROR as a rejected record with its first error code', () => {
    const e = toAppError(400, {
      status: 'error',
      message: 'Property values were not valid',
      category: 'VALIDATION_ERROR',
      errors: [{ message: 'bad option', code: 'INVALID_OPTION' }],
    });
    expect(e.code).toBe('crm_record_rejected');
    expect(e.details.code).toBe('INVALID_OPTION');
  });

  it('treats 5xx and 477 as retryable unavailability', () => {
    expect(toAppError(502, '<html>Bad gateway</html>').code).toBe('crm_unavailable');
    expect(toAppError(503, {}).details.retryable).toBe(true);
    expect(toAppError(477, { message: 'Migration in progress' }, { 'retry-after': '60' }).details.retryAfterMs).toBe(60_000);
  });

  it('turns BAD_REFRESH_TOKEN into crm_auth_revoked', () => {
    const e = toAppError(400, {
      error: 'invalid_grant',
      error_description: 'refresh token is invalid, expired or revoked',
      status: 'BAD_REFRESH_TOKEN',
      message: 'missing or unknown refresh token',
    });
    expect(e.code).toBe('crm_auth_revoked');
    expect(e.details.retryable).toBe(false);
  });

  it('maps 404 and 409 so callers can tell missing from existing', () => {
    expect(toAppError(404, { category: 'OBJECT_NOT_FOUND', message: 'not found' }).code).toBe('crm_not_found');
    expect(toAppError(409, { category: 'CONFLICT', message: 'Property already exists' }).code).toBe('conflict');
  });

  it('turns a connection reset into retryable unavailability', () => {
    const e = networkError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'search deals');
    expect(e.code).toBe('crm_unavailable');
    expect(e.details.networkCode).toBe('ECONNRESET');
  });
});
