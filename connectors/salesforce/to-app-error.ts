import { AppError, type ErrorCode } from '../../src/core/errors.ts';
import { retryAfterMs } from '../http-headers.ts';

/** Response headers as jsforce and node-fetch hand them over (lower-case keys). */
export type HeaderBag = Record<string, string | string[] | undefined>;

/** One Salesforce REST error entry: bodies are a JSON array of these. */
interface SfErrorEntry {
  errorCode?: string;
  message?: string;
  fields?: string[];
}

/** The OAuth token/revoke endpoints answer `{error, error_description}` instead. */
interface OAuthErrorBody {
  error: string;
  error_description?: string;
}

const HOUR_MS = 3_600_000;

const BAD_REQUEST_CODES = new Set([
  'MALFORMED_QUERY',
  'INVALID_FIELD',
  'INVALID_TYPE',
  'INVALID_QUERY_FILTER_OPERATOR',
  'INVALID_QUERY_LOCATOR',
  'JSON_PARSER_ERROR',
  'INVALID_FIELD_FOR_INSERT_UPDATE',
  'MALFORMED_ID',
  'INVALID_ID_FIELD',
]);

const PERMISSION_CODES = new Set([
  'API_DISABLED_FOR_ORG',
  'API_CURRENTLY_DISABLED',
  'INSUFFICIENT_ACCESS',
  'INSUFFICIENT_ACCESS_OR_READONLY',
  'FUNCTIONALITY_NOT_ENABLED',
  'TXN_SECURITY_METERING_ERROR',
]);

/** OAuth errors that mean the grant itself is gone: the admin must connect the org again. */
const REVOKED_OAUTH_ERRORS = new Set(['invalid_grant', 'inactive_user', 'inactive_org', 'invalid_token']);

/** OAuth errors that mean our app is misconfigured (client id/secret, callback URL). */
const CONFIG_OAUTH_ERRORS = new Set([
  'invalid_client',
  'invalid_client_id',
  'invalid_client_credentials',
  'redirect_uri_mismatch',
  'unsupported_grant_type',
  'invalid_app_access',
]);

function isOAuthError(body: unknown): body is OAuthErrorBody {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && typeof (body as OAuthErrorBody).error === 'string';
}

function firstEntry(body: unknown): SfErrorEntry | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined; // HTML or plain-text bodies (load balancers) carry no Salesforce code.
    }
  }
  const entry = Array.isArray(parsed) ? parsed[0] : parsed;
  return entry && typeof entry === 'object' ? (entry as SfErrorEntry) : undefined;
}

function make(code: ErrorCode, message: string, details: Record<string, unknown>): AppError {
  return new AppError(code, message, details);
}

/**
 * One place that decides what a Salesforce failure means. `status` is undefined when the
 * request never got an answer (network failure after jsforce's own retries). `body` is the
 * REST error array, an OAuth `{error}` object, or raw text.
 */
export function toAppError(status: number | undefined, body: unknown, headers: HeaderBag = {}): AppError {
  if (isOAuthError(body)) {
    const desc = body.error_description ?? body.error;
    const base = { status, sfCode: body.error };
    if (REVOKED_OAUTH_ERRORS.has(body.error)) {
      return make('crm_auth_revoked', `Salesforce refused the stored grant (${body.error}: ${desc}); an admin must connect the org again`, {
        ...base,
        retryable: false,
      });
    }
    if (CONFIG_OAUTH_ERRORS.has(body.error)) {
      return make(
        'config_invalid',
        `Salesforce rejected our app credentials (${body.error}: ${desc}); check SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET and the callback URL`,
        {
          ...base,
          retryable: false,
        },
      );
    }
    if (status !== undefined && status >= 500) {
      return make('crm_unavailable', `Salesforce login service failed (${status} ${body.error})`, { ...base, retryable: true });
    }
    return make('crm_bad_request', `Salesforce OAuth error ${body.error}: ${desc}`, { ...base, retryable: false });
  }

  const entry = firstEntry(body);
  const sfCode = entry?.errorCode;
  const sfMessage = entry?.message?.trim() || (typeof body === 'string' ? body.slice(0, 200) : '');
  const details = { status, sfCode, fields: entry?.fields, retryAfterMs: retryAfterMs(headers) };
  const what = `Salesforce ${status ?? 'request'}${sfCode ? ` ${sfCode}` : ''}${sfMessage ? `: ${sfMessage}` : ''}`;

  if (status === undefined) return make('crm_unavailable', `${what} (no response)`, { ...details, retryable: true });
  if (status === 401) return make('crm_auth_expired', what, { ...details, retryable: false });
  if (sfCode === 'REQUEST_LIMIT_EXCEEDED') {
    // The same code covers the daily allocation and the concurrent long-request cap.
    if (/concurrent/i.test(sfMessage)) {
      return make('crm_rate_limited', what, { ...details, retryable: true, retryAfterMs: details.retryAfterMs ?? 60_000 });
    }
    return make('crm_quota_exhausted', `${what}; pausing this org until its rolling 24 h API allocation frees up`, {
      ...details,
      retryable: true,
      paused: true,
      retryAfterMs: details.retryAfterMs ?? HOUR_MS,
    });
  }
  if (sfCode && PERMISSION_CODES.has(sfCode)) {
    const hint =
      sfCode === 'TXN_SECURITY_METERING_ERROR'
        ? '; grant the integration user "Exempt from Transaction Security"'
        : sfCode.startsWith('API_')
          ? '; the org edition or the integration user lacks API access ("API Enabled")'
          : '';
    return make('crm_permission_denied', `${what}${hint}`, { ...details, retryable: false });
  }
  if (sfCode === 'QUERY_TIMEOUT') return make('crm_unavailable', what, { ...details, retryable: true });
  if (status === 403) return make('crm_permission_denied', what, { ...details, retryable: false });
  if (status === 404) return make('crm_not_found', what, { ...details, retryable: false });
  if (status === 406 || status === 420 || status === 429) return make('crm_rate_limited', what, { ...details, retryable: true });
  if (status >= 500) return make('crm_unavailable', what, { ...details, retryable: true });
  if (sfCode && BAD_REQUEST_CODES.has(sfCode)) return make('crm_bad_request', what, { ...details, retryable: false });
  return make('crm_bad_request', what, { ...details, retryable: false });
}

/** Per-record save errors worth sending again on a later run (lock contention, platform hiccups). */
const RETRYABLE_RECORD_CODES = new Set([
  'UNABLE_TO_LOCK_ROW',
  'SERVER_UNAVAILABLE',
  'UNKNOWN_EXCEPTION',
  'REQUEST_RUNNING_TOO_LONG',
  'REQUEST_LIMIT_EXCEEDED',
  'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  'QUERY_TIMEOUT',
]);

/** Whether a per-record statusCode (sObject Collections result) may succeed on a later run. */
export function isRetryableRecordError(statusCode: string): boolean {
  return RETRYABLE_RECORD_CODES.has(statusCode) || /^ERROR_HTTP_5\d\d$/.test(statusCode);
}
