import { Connection, OAuth2 } from 'jsforce';
import { AppError } from '../../src/core/errors.ts';
import type { ConnectorLogger, CredentialStore, Credentials } from '../types.ts';
import { fromSdkError } from './from-sdk-error.ts';
import { instrument, type Meter } from './meter.ts';
import { resolveLoginUrl } from './oauth.ts';

export interface SessionOptions {
  tenantId: string;
  credentials: CredentialStore;
  clientId: string;
  clientSecret: string;
  /** Used when the stored credentials do not say which host issued them. */
  loginUrl?: string;
  apiVersion: string;
  logger: ConnectorLogger;
  meter: Meter;
}

export interface Session {
  conn: Connection;
  /** Set when a refresh failed; jsforce re-wraps that failure in a plain Error. */
  authError: AppError | null;
  instanceUrl(): string;
}

/** Refreshes in flight per tenant and org, so two connections in one process never refresh at once. */
const inflight = new Map<string, Promise<Credentials>>();

/**
 * Opens a jsforce connection on the stored credentials. The access token has no known expiry:
 * a 401 INVALID_SESSION_ID makes jsforce call our refresh function (its delegate already
 * de-duplicates refreshes within a connection), which persists the new access token,
 * instance_url and any rotated refresh token before jsforce retries the call.
 */
export async function openSession(o: SessionOptions): Promise<Session> {
  const stored = await o.credentials.load();
  if (!stored?.accessToken || !stored.instanceUrl) {
    throw new AppError('crm_auth_revoked', `tenant ${o.tenantId}: no Salesforce credentials stored; connect the org first`, {
      retryable: false,
    });
  }
  const log = o.logger;
  const loginUrl = resolveLoginUrl(stored.authBaseUrl ?? o.loginUrl);
  const session: Session = {
    conn: undefined as unknown as Connection,
    authError: null,
    instanceUrl: () => session.conn.instanceUrl,
  };

  const fail = async (err: AppError): Promise<never> => {
    session.authError = err;
    if (err.code === 'crm_auth_revoked') await o.credentials.markNeedsReauth(err.message);
    throw err;
  };

  const refresh = async (staleToken: string | undefined): Promise<Credentials> => {
    if (o.meter.refreshUnproven) {
      // A token Salesforce issued a moment ago was refused again: refreshing more would loop.
      return fail(
        new AppError(
          'crm_auth_expired',
          'Salesforce refused a freshly refreshed access token; check the integration user is active and API Enabled',
          { retryable: true },
        ),
      );
    }
    const current = await o.credentials.load();
    if (current.accessToken && current.accessToken !== staleToken) {
      log.info('salesforce token already refreshed elsewhere');
      return current; // another worker refreshed (and, with rotation, spent the old refresh token)
    }
    const refreshToken = current.refreshToken;
    if (!refreshToken)
      return fail(
        new AppError('crm_auth_revoked', 'Salesforce session expired and no refresh token is stored; an admin must connect the org again', {
          retryable: false,
        }),
      );
    const oauth2 = new OAuth2({
      loginUrl: resolveLoginUrl(current.authBaseUrl ?? loginUrl),
      clientId: o.clientId,
      clientSecret: o.clientSecret,
    });
    let res: Awaited<ReturnType<OAuth2['refreshToken']>>;
    try {
      res = await oauth2.refreshToken(refreshToken);
    } catch (e) {
      const err = fromSdkError(e);
      if (err.code === 'crm_auth_revoked') {
        // With rotation, a worker that refreshed at the same moment spent our refresh token:
        // its stored tokens are good, and the grant is not lost.
        const latest = await o.credentials.load();
        if (latest.refreshToken !== refreshToken && latest.accessToken && latest.accessToken !== staleToken) {
          log.info('salesforce refresh lost a race; using the tokens another worker stored');
          return latest;
        }
      }
      return fail(err);
    }
    // No expires_in in the answer; refresh_token only when the org rotates them.
    const next: Credentials = {
      ...current,
      accessToken: res.access_token,
      refreshToken: res.refresh_token ?? refreshToken,
      instanceUrl: res.instance_url ?? current.instanceUrl,
      expiresAt: null,
    };
    await saveTwice(o.credentials, next);
    log.info('salesforce token refreshed', {
      rotated: Boolean(res.refresh_token && res.refresh_token !== refreshToken),
      instanceChanged: next.instanceUrl !== current.instanceUrl,
    });
    return next;
  };

  const flightKey = `${o.tenantId}\u0000${stored.accountId ?? stored.instanceUrl}`;
  const refreshFn = (conn: Connection, cb: (err?: Error | null, accessToken?: string, res?: never) => void): void => {
    const stale = conn.accessToken ?? undefined;
    let p = inflight.get(flightKey);
    if (!p) {
      p = refresh(stale).finally(() => inflight.delete(flightKey));
      inflight.set(flightKey, p);
    }
    p.then(
      (creds) => {
        conn.refreshToken = creds.refreshToken ?? undefined;
        if (creds.instanceUrl) conn.instanceUrl = creds.instanceUrl;
        o.meter.refreshUnproven = true;
        cb(null, creds.accessToken, { access_token: creds.accessToken, instance_url: creds.instanceUrl } as never);
      },
      (err: unknown) => {
        if (err instanceof AppError) session.authError = err;
        cb(err instanceof Error ? err : new Error(String(err)));
      },
    );
  };

  session.conn = instrument(
    new Connection({
      version: o.apiVersion,
      instanceUrl: stored.instanceUrl,
      accessToken: stored.accessToken,
      refreshToken: stored.refreshToken ?? undefined,
      oauth2: { loginUrl, clientId: o.clientId, clientSecret: o.clientSecret },
      refreshFn,
    }),
    o.meter,
  );
  return session;
}

/** Losing a rotated refresh token loses the grant: try the store twice before giving up. */
async function saveTwice(store: CredentialStore, creds: Credentials): Promise<void> {
  try {
    await store.save(creds);
  } catch (first) {
    try {
      await store.save(creds);
    } catch (second) {
      throw new AppError('internal', 'could not persist the refreshed Salesforce token', {
        cause: second,
        firstError: first,
        retryable: true,
      });
    }
  }
}
