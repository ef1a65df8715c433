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

/** The next UTC midnight: a spent quota that says nothing of its window is tried again the next day. */
const nextUtcMidnight = (now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));

/**
 * One place decides what a failed run means for its connection. Pure.
 * - revoked token → needs re-authorization, no more runs until an admin reconnects;
 * - quota spent or rate-limited past what the connector waits out → paused until the error's
 *   `pausedUntil` (the connector knows its CRM's windows), else for the `retryAfterMs` it asked;
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
      const until =
        e.details.pausedUntil ??
        (typeof e.details.retryAfterMs === 'number'
          ? new Date(now.getTime() + e.details.retryAfterMs)
          : e.code === 'crm_quota_exhausted'
            ? nextUtcMidnight(now)
            : new Date(now.getTime() + HOUR_MS));
      return { status: 'paused', connection: { status: 'paused', statusReason: message, pausedUntil: until }, error };
    }
    default:
      return { status: 'failed', connection: null, error };
  }
}
