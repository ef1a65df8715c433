import { AppError, type AppErrorDetails } from '../../src/core/errors.ts';
import { type HeaderBag, header, retryAfterMs } from '../http-headers.ts';

export interface ErrorContext {
  /** When the response arrived; needed to tell a DAILY pause how long to last. */
  now?: Date;
  /** The portal's UTC offset (account-info `utcOffsetMilliseconds`): HubSpot's day ends at the portal's midnight. */
  utcOffsetMs?: number;
  /** What we were doing, for the message ("search deals", "refresh token"). */
  operation?: string;
}

interface HubSpotErrorBody {
  status?: string;
  message?: string;
  category?: string;
  subCategory?: string;
  policyName?: string;
  errorType?: string;
  correlationId?: string;
  error?: string;
  error_description?: string;
  context?: Record<string, unknown>;
  errors?: Array<{ message?: string; code?: string; context?: Record<string, unknown> }>;
}

function asBody(body: unknown): HubSpotErrorBody {
  if (body && typeof body === 'object') return body as HubSpotErrorBody;
  if (typeof body === 'string') {
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed && typeof parsed === 'object') return parsed as HubSpotErrorBody;
    } catch {
      // Not JSON (an HTML error page from a proxy): keep the start of it as the message.
      return { message: body.slice(0, 200) };
    }
  }
  return {};
}

const TEN_SECONDS = 10_000;

/** Milliseconds until the next midnight in the portal's time zone (HubSpot's daily limit resets then). */
export function msUntilNextPortalDay(now: Date, utcOffsetMs = 0): number {
  const local = now.getTime() + utcOffsetMs;
  const nextLocalMidnight = (Math.floor(local / 86_400_000) + 1) * 86_400_000;
  return nextLocalMidnight - local;
}

function missingScopes(b: HubSpotErrorBody): string[] {
  const out = new Set<string>();
  const collect = (ctx: Record<string, unknown> | undefined): void => {
    for (const key of ['requiredGranularScopes', 'requiredScopes', 'missingScopes']) {
      const v = ctx?.[key];
      if (Array.isArray(v)) for (const s of v) out.add(String(s));
    }
  };
  collect(b.context);
  for (const e of b.errors ?? []) collect(e.context);
  return [...out];
}

/**
 * The one place that decides what a HubSpot error response means (CRM-APIS B8, B12, B2).
 * Pure: the clock comes in through `ctx.now`. Every field of the body is treated as optional.
 */
export function toAppError(status: number, body: unknown, headers?: HeaderBag, ctx: ErrorContext = {}): AppError {
  const b = asBody(body);
  const what = ctx.operation ? `HubSpot ${ctx.operation}` : 'HubSpot';
  const category = b.category ?? b.errorType ?? b.status;
  const text = b.message ?? b.error_description ?? b.error ?? `HTTP ${status}`;
  const base: AppErrorDetails = { status, category, correlationId: b.correlationId };
  const say = (s: string): string => `${what} ${status}${category ? ` ${category}` : ''}: ${s}`;

  // OAuth refresh refused (RFC 6749 `invalid_grant`, HubSpot's legacy `status`): the install is gone.
  if (b.status === 'BAD_REFRESH_TOKEN' || (b.error === 'invalid_grant' && status >= 400 && status < 500)) {
    return new AppError('crm_auth_revoked', `${what}: the refresh token was refused (${text}); an admin must reconnect HubSpot`, {
      ...base,
      category: 'BAD_REFRESH_TOKEN',
      retryable: false,
    });
  }
  if (status === 429) {
    const policy = b.policyName;
    if (policy === 'DAILY') {
      const now = ctx.now ?? new Date();
      const wait = msUntilNextPortalDay(now, ctx.utcOffsetMs);
      return new AppError('crm_quota_exhausted', say(`${text} Syncs for this portal pause until its next day.`), {
        ...base,
        policyName: policy,
        retryable: false,
        retryAfterMs: wait,
        pausedUntil: new Date(now.getTime() + wait),
      });
    }
    // The search API's own 5/s limit says "secondly limit" and has no policy name or headers.
    const secondly = policy === 'SECONDLY' || (/secondly limit/i.test(text) && !/ten secondly/i.test(text));
    const interval = Number(header(headers, 'x-hubspot-ratelimit-interval-milliseconds'));
    const fallback = secondly ? 1000 : Number.isFinite(interval) && interval > 0 ? interval : TEN_SECONDS;
    return new AppError('crm_rate_limited', say(text), {
      ...base,
      policyName: policy ?? (secondly ? 'SECONDLY' : undefined),
      retryable: true,
      retryAfterMs: retryAfterMs(headers, ctx.now) ?? fallback,
    });
  }
  if (status === 401) {
    return new AppError('crm_auth_expired', say(text), { ...base, retryable: true });
  }
  if (status === 403) {
    const scopes = missingScopes(b);
    const msg = scopes.length ? `${text} (missing scopes: ${scopes.join(', ')}; reinstall the app to grant them)` : text;
    return new AppError('crm_permission_denied', say(msg), { ...base, missingScopes: scopes, retryable: false });
  }
  if (status === 404) return new AppError('crm_not_found', say(text), { ...base, retryable: false });
  if (status === 409) return new AppError('conflict', say(text), { ...base, retryable: false });
  if (status === 423) {
    // "Locked" during high-volume upserts: HubSpot asks for at least 2 s before the next try.
    return new AppError('crm_unavailable', say(text), { ...base, retryable: true, retryAfterMs: retryAfterMs(headers, ctx.now) ?? 2000 });
  }
  if (status === 477 || status >= 500) {
    const wait = retryAfterMs(headers, ctx.now);
    return new AppError('crm_unavailable', say(text), { ...base, retryable: true, ...(wait !== undefined ? { retryAfterMs: wait } : {}) });
  }
  if (status === 400 && category === 'VALIDATION_ERROR') {
    const firstCode = b.errors?.[0]?.code;
    return new AppError('crm_record_rejected', say(text), { ...base, subCategory: b.subCategory, code: firstCode, retryable: false });
  }
  return new AppError('crm_bad_request', say(text), { ...base, subCategory: b.subCategory, retryable: false });
}

/** A transport failure (reset, DNS, timeout) before any HTTP status. */
export function networkError(err: unknown, operation?: string): AppError {
  const e = err as { code?: string; message?: string };
  return new AppError(
    'crm_unavailable',
    `HubSpot${operation ? ` ${operation}` : ''}: network error ${e.code ?? ''} ${e.message ?? ''}`.trim(),
    {
      retryable: true,
      networkCode: e.code,
      cause: err,
    },
  );
}
