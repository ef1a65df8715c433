import { AppError, isAppError } from '../../src/core/errors.ts';
import type { CredentialStore, Credentials } from '../types.ts';
import { refreshAccessToken } from './oauth.ts';

export interface TokenManagerOptions {
  store: CredentialStore;
  clientId?: string;
  clientSecret?: string;
  /** API host for the token endpoint when the credentials do not name one. */
  apiBase?: string;
  now: () => Date;
  /** Refresh this long before expiry (HubSpot access tokens live 30 minutes). */
  marginMs?: number;
  fetch?: typeof fetch;
}

/**
 * Refreshes in flight, per portal, across every connector instance in this process: two
 * syncs for one portal share one refresh. HubSpot refresh tokens do not rotate, so a second
 * process refreshing at the same moment is harmless (both tokens are valid).
 */
const inFlight = new Map<string, Promise<Credentials>>();

/** Hands out a usable access token: refreshed ahead of expiry, single-flight, persisted first. */
export class TokenManager {
  private creds: Credentials | null = null;
  private readonly marginMs: number;

  constructor(private readonly o: TokenManagerOptions) {
    this.marginMs = o.marginMs ?? 5 * 60_000;
  }

  async credentials(): Promise<Credentials> {
    if (!this.creds) this.creds = await this.o.store.load();
    return this.creds;
  }

  /** A private-app / service-key token has no refresh token and does not expire. */
  async isStatic(): Promise<boolean> {
    return !(await this.credentials()).refreshToken;
  }

  async accessToken(): Promise<string> {
    const c = await this.credentials();
    if (c.refreshToken && c.expiresAt && c.expiresAt.getTime() - this.marginMs <= this.o.now().getTime()) {
      return (await this.refresh(c)).accessToken;
    }
    return c.accessToken;
  }

  /**
   * After a 401 with `rejected`: refresh once unless another caller already did. A static
   * token that HubSpot rejects cannot be fixed here: the admin must replace it.
   */
  async afterRejection(rejected: string): Promise<string> {
    const c = await this.credentials();
    if (c.accessToken !== rejected) return c.accessToken;
    if (!c.refreshToken) {
      await this.o.store.markNeedsReauth('HubSpot rejected the private-app token');
      throw new AppError(
        'crm_auth_revoked',
        'HubSpot rejected the private-app token; replace HUBSPOT_PRIVATE_APP_TOKEN or reconnect via OAuth',
        {
          retryable: false,
        },
      );
    }
    return (await this.refresh(c)).accessToken;
  }

  private refresh(c: Credentials): Promise<Credentials> {
    const key = c.accountId ?? c.refreshToken ?? 'unknown';
    let p = inFlight.get(key);
    if (!p) {
      p = this.doRefresh(c).finally(() => inFlight.delete(key));
      inFlight.set(key, p);
    }
    return p.then((fresh) => (this.creds = fresh));
  }

  private async doRefresh(c: Credentials): Promise<Credentials> {
    if (!this.o.clientId || !this.o.clientSecret) {
      throw new AppError(
        'config_invalid',
        'HubSpot token expired and HUBSPOT_CLIENT_ID / HUBSPOT_CLIENT_SECRET are not set, so it cannot be refreshed',
      );
    }
    let fresh: Credentials;
    try {
      fresh = await refreshAccessToken({
        clientId: this.o.clientId,
        clientSecret: this.o.clientSecret,
        apiBase: c.authBaseUrl ?? this.o.apiBase,
        fetch: this.o.fetch,
        now: this.o.now,
        current: c,
      });
    } catch (e) {
      if (isAppError(e, 'crm_auth_revoked')) await this.o.store.markNeedsReauth(e.message);
      throw e;
    }
    // Persist before anyone uses it: a crash after the refresh must not lose the new token.
    await this.o.store.save(fresh);
    return fresh;
  }
}
