import { isAppError } from '../core/errors.ts';
import type { ConnectionStatus } from '../store/repos/connections.ts';
import type { RunError } from './run-state.ts';

export interface SyncErrorPolicy {
  /** How the run is recorded. */
  status: 'failed' | 'paused';
  /** What happens to the connection (nothing: the next slot retries). */
  connection: { status: ConnectionStatus; statusReason: string; pausedUntil: Date | null } | null;
  error: RunError;
}

const HOUR_MS = 3_600_000;

/** The next UTC midnight: HubSpot's DAILY limit resets daily; Salesforce's is a rolling 24 h. */
const nextUtcMidnight = (now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));

/**
 * One place decides what a failed run means for its connection. Pure.
 * - revoked token → needs re-authorization, no more runs until an admin reconnects;
 * - quota spent or rate-limited past what the connector waits out → paused until the next window;
 * - a broken mapping → the run fails (the admin fixes the mapping; nothing else stops);
 * - anything else → the run fails and the next slot tries again.
 */
export function handleSyncError(e: unknown, step: string, now: Date): SyncErrorPolicy {
  const message = e instanceof Error ? e.message : String(e);
  const code = isAppError(e) ? e.code : 'internal';
  const error: RunError = { step, code, message };
  if (!isAppError(e)) return { status: 'failed', connection: null, error };
  switch (e.code) {
    case 'crm_auth_revoked':
      return { status: 'failed', connection: { status: 'needs_reauth', statusReason: message, pausedUntil: null }, error };
    case 'crm_quota_exhausted':
    case 'crm_rate_limited': {
      const resumeAt = e.details.resumeAt instanceof Date ? e.details.resumeAt : null;
      const daily = e.code === 'crm_quota_exhausted' || e.details.policy === 'DAILY' || e.details.policyName === 'DAILY';
      const until =
        resumeAt ??
        (typeof e.details.retryAfterMs === 'number'
          ? new Date(now.getTime() + e.details.retryAfterMs)
          : daily
            ? nextUtcMidnight(now)
            : new Date(now.getTime() + HOUR_MS));
      return { status: 'paused', connection: { status: 'paused', statusReason: message, pausedUntil: until }, error };
    }
    default:
      return { status: 'failed', connection: null, error };
  }
}
