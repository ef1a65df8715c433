import { describe, expect, it } from 'vitest';
import { fromSdkError } from '../../../connectors/salesforce/from-sdk-error.ts';
import { isRetryableRecordError, toAppError } from '../../../connectors/salesforce/to-app-error.ts';

const sf = (errorCode: string, message = 'm') => [{ message, errorCode }];

describe('Salesforce toAppError', () => {
  it('401 INVALID_SESSION_ID that reached us (refresh impossible) is crm_auth_expired', () => {
    const e = toAppError(401, sf('INVALID_SESSION_ID', 'Session expired or invalid'));
    expect(e.code).toBe('crm_auth_expired');
    expect(e.details).toMatchObject({ status: 401, sfCode: 'INVALID_SESSION_ID', retryable: false });
  });

  it('invalid_grant from the token endpoint is crm_auth_revoked', () => {
    const e = toAppError(400, { error: 'invalid_grant', error_description: 'expired access/refresh token' });
    expect(e.code).toBe('crm_auth_revoked');
    expect(e.message).toMatch(/invalid_grant: expired access\/refresh token.*connect the org again/);
    expect(e.details.retryable).toBe(false);
  });

  it('inactive_user on refresh is crm_auth_revoked too', () => {
    expect(toAppError(400, { error: 'inactive_user', error_description: 'user is inactive' }).code).toBe('crm_auth_revoked');
  });

  it('invalid_client is our configuration, named by its env vars', () => {
    const e = toAppError(400, { error: 'invalid_client', error_description: 'invalid client credentials' });
    expect(e.code).toBe('config_invalid');
    expect(e.message).toMatch(/SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET/);
  });

  it('a 5xx from the login service is crm_unavailable and retryable', () => {
    expect(toAppError(503, { error: 'temporarily_unavailable' }).details.retryable).toBe(true);
  });

  it('403 REQUEST_LIMIT_EXCEEDED (daily total) is crm_quota_exhausted: retryable, paused, an hour out', () => {
    const e = toAppError(403, sf('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'));
    expect(e.code).toBe('crm_quota_exhausted');
    expect(e.details).toMatchObject({ retryable: true, paused: true, retryAfterMs: 3_600_000 });
  });

  it('403 REQUEST_LIMIT_EXCEEDED for concurrent long requests is a short rate limit', () => {
    const e = toAppError(403, sf('REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded.'));
    expect(e.code).toBe('crm_rate_limited');
    expect(e.details).toMatchObject({ retryable: true, retryAfterMs: 60_000 });
  });

  it('403 API_DISABLED_FOR_ORG says the edition or user lacks API access', () => {
    const e = toAppError(403, sf('API_DISABLED_FOR_ORG', 'API is not enabled for this Organization or Partner'));
    expect(e.code).toBe('crm_permission_denied');
    expect(e.message).toMatch(/API Enabled/);
  });

  it('TXN_SECURITY_METERING_ERROR points at the transaction security exemption', () => {
    expect(toAppError(403, sf('TXN_SECURITY_METERING_ERROR')).message).toMatch(/Exempt from Transaction Security/);
  });

  it('400 MALFORMED_QUERY is crm_bad_request, not retryable', () => {
    const e = toAppError(400, sf('MALFORMED_QUERY', "unexpected token: 'FROMM'"));
    expect(e.code).toBe('crm_bad_request');
    expect(e.details).toMatchObject({ sfCode: 'MALFORMED_QUERY', retryable: false });
    expect(e.message).toContain("unexpected token: 'FROMM'");
  });

  it('400 INVALID_FIELD keeps the message that names the column', () => {
    const e = toAppError(400, sf('INVALID_FIELD', "No such column 'CurrencyIsoCode' on entity 'Opportunity'"));
    expect(e.details.sfCode).toBe('INVALID_FIELD');
    expect(e.message).toContain("'CurrencyIsoCode'");
  });

  it('400 QUERY_TIMEOUT is crm_unavailable and retryable', () => {
    expect(toAppError(400, sf('QUERY_TIMEOUT', 'Your query request was running for too long.')).details.retryable).toBe(true);
  });

  it('404 NOT_FOUND is crm_not_found', () => {
    expect(toAppError(404, sf('NOT_FOUND', 'The requested resource does not exist')).code).toBe('crm_not_found');
  });

  it('5xx (JSON or HTML body) is crm_unavailable and retryable', () => {
    expect(toAppError(500, sf('UNKNOWN_EXCEPTION', 'An unexpected error occurred')).details).toMatchObject({
      retryable: true,
      sfCode: 'UNKNOWN_EXCEPTION',
    });
    const html = toAppError(502, '<html><body>Bad Gateway</body></html>');
    expect(html.code).toBe('crm_unavailable');
    expect(html.details.sfCode).toBeUndefined();
  });

  it('429 honours Retry-After', () => {
    const e = toAppError(429, '', { 'retry-after': '30' });
    expect(e.code).toBe('crm_rate_limited');
    expect(e.details.retryAfterMs).toBe(30_000);
  });

  it('no response at all is crm_unavailable and retryable', () => {
    expect(toAppError(undefined, 'socket hang up').details).toMatchObject({ retryable: true });
  });
});

describe('Salesforce per-record errors', () => {
  it('marks lock contention and platform hiccups retryable, validation failures not', () => {
    expect(['UNABLE_TO_LOCK_ROW', 'SERVER_UNAVAILABLE', 'ERROR_HTTP_503'].every(isRetryableRecordError)).toBe(true);
    expect(
      ['FIELD_CUSTOM_VALIDATION_EXCEPTION', 'INVALID_CROSS_REFERENCE_KEY', 'ENTITY_IS_DELETED', 'STRING_TOO_LONG'].some(
        isRetryableRecordError,
      ),
    ).toBe(false);
  });
});

describe('fromSdkError (what jsforce throws)', () => {
  const httpApiError = (errorCode: string, message: string, data?: unknown) =>
    Object.assign(new Error(message), { name: errorCode, errorCode, data });

  it('recovers the status from the recorded response when jsforce dropped it', () => {
    const e = fromSdkError(httpApiError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'), {
      status: 403,
      body: JSON.stringify(sf('REQUEST_LIMIT_EXCEEDED')),
      headers: {},
    });
    expect(e.code).toBe('crm_quota_exhausted');
    expect(e.details.status).toBe(403);
  });

  it('reads the status of a non-JSON failure from ERROR_HTTP_<status>', () => {
    expect(fromSdkError(httpApiError('ERROR_HTTP_503', 'Service Unavailable')).details).toMatchObject({ status: 503, retryable: true });
  });

  it('maps a jsforce OAuth error (name = error code) like a token endpoint body', () => {
    expect(fromSdkError(Object.assign(new Error('expired access/refresh token'), { name: 'invalid_grant' })).code).toBe('crm_auth_revoked');
  });

  it('strips the SOAP fault prefix of Metadata API errors', () => {
    const e = fromSdkError(httpApiError('sf:INSUFFICIENT_ACCESS', 'insufficient access rights'));
    expect(e.code).toBe('crm_permission_denied');
    expect(e.details.sfCode).toBe('INSUFFICIENT_ACCESS');
  });

  it('treats a network failure after jsforce retries as crm_unavailable', () => {
    const e = fromSdkError(Object.assign(new Error('request failed, reason: socket hang up'), { name: 'FetchError', code: 'ECONNRESET' }));
    expect(e.code).toBe('crm_unavailable');
    expect(e.details).toMatchObject({ retryable: true, networkCode: 'ECONNRESET' });
  });
});
