/** Every failure the product distinguishes. One place (the edges) decides what each means. */
export type ErrorCode =
  | 'crm_auth_revoked'
  | 'crm_auth_expired'
  | 'crm_rate_limited'
  | 'crm_quota_exhausted'
  | 'crm_unavailable'
  | 'crm_record_rejected'
  | 'crm_bad_request'
  | 'crm_permission_denied'
  | 'crm_not_found'
  | 'mapping_invalid'
  | 'record_invalid'
  | 'config_invalid'
  | 'input_invalid'
  | 'not_found'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'rate_limited'
  | 'payload_too_large'
  | 'model_unavailable'
  | 'internal';

export interface AppErrorDetails {
  retryAfterMs?: number;
  recordId?: string;
  /** File, field path or key the error is about. */
  path?: string;
  /** Whether the same call may succeed if tried again later. */
  retryable?: boolean;
  /**
   * When a spent quota or a long rate limit lifts, as the connector knows its CRM's windows
   * (HubSpot: the portal's next midnight). The sync pauses the connection until then.
   */
  pausedUntil?: Date;
  cause?: unknown;
  [key: string]: unknown;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: AppErrorDetails = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'AppError';
  }
}

export const isAppError = (e: unknown, code?: ErrorCode): e is AppError => e instanceof AppError && (code === undefined || e.code === code);

/** Formats zod-style issues as `a.b.c: message; ...` naming each key path. */
export function formatIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  return issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}
