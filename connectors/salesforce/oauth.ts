import { OAuth2 } from 'jsforce';
import { AppError } from '../../src/core/errors.ts';
import type { Credentials } from '../types.ts';
import { fromSdkError } from './from-sdk-error.ts';

/**
 * What an install asks for: `api` for REST, Bulk 2.0 and Metadata (every call the connector
 * makes, the integration user included: setup reads it from the token response's identity URL,
 * never from userinfo); `refresh_token` for offline access. docs/salesforce.md lists each call.
 */
export const SALESFORCE_SCOPES = ['api', 'refresh_token'] as const;

/**
 * What a sign-in asks for: only `id` (the identity URL: name and e-mail). Reps need neither API
 * access nor the API Enabled permission to sign in, and the grant is revoked straight after.
 */
export const SALESFORCE_SIGNIN_SCOPES = ['id'] as const;

export const PRODUCTION_LOGIN_URL = 'https://login.salesforce.com';
export const SANDBOX_LOGIN_URL = 'https://test.salesforce.com';

/**
 * The login host for an org: `production`, `sandbox`, or an https My Domain URL
 * (`https://acme.my.salesforce.com`, `https://acme--uat.sandbox.my.salesforce.com`).
 * Lightning URLs are refused: they are not OAuth or API hosts.
 */
export function resolveLoginUrl(host: string | undefined | null): string {
  if (!host || host === 'production') return PRODUCTION_LOGIN_URL;
  if (host === 'sandbox') return SANDBOX_LOGIN_URL;
  let url: URL;
  try {
    url = new URL(host);
  } catch (e) {
    throw new AppError('input_invalid', `Salesforce login host must be "production", "sandbox" or an https URL, got "${host}"`, {
      path: 'loginUrl',
      cause: e,
    });
  }
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
  if (url.protocol !== 'https:' && !(local && url.protocol === 'http:')) {
    throw new AppError('input_invalid', `Salesforce login URL must use https: ${host}`, { path: 'loginUrl' });
  }
  if (/\.lightning\.force\.com$/.test(url.hostname)) {
    throw new AppError('input_invalid', `${host} is a Lightning URL; use the My Domain URL (https://<domain>.my.salesforce.com)`, {
      path: 'loginUrl',
    });
  }
  // A path is kept for hosts that serve Salesforce under a prefix (the local sandbox CRM).
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export { createPkcePair, createState, type PkcePair, pkceChallenge } from '../oauth-flow.ts';

export interface AuthorizeUrlOptions {
  clientId: string;
  redirectUri: string;
  /** Bound to the admin's browser session by the caller. */
  state: string;
  codeChallenge: string;
  /** production | sandbox | My Domain URL (see resolveLoginUrl). */
  loginUrl?: string;
  /** `consent` forces the approval screen (reinstall after a revoke). */
  prompt?: 'login' | 'consent' | 'login consent';
  loginHint?: string;
  /** Default SALESFORCE_SCOPES (install); SALESFORCE_SIGNIN_SCOPES for a sign-in. */
  scopes?: readonly string[];
}

/** Where to send the admin's browser to approve the External Client App. */
export function buildAuthorizeUrl(o: AuthorizeUrlOptions): string {
  const oauth2 = new OAuth2({ loginUrl: resolveLoginUrl(o.loginUrl), clientId: o.clientId, redirectUri: o.redirectUri });
  const params: Record<string, string> = {
    scope: (o.scopes ?? SALESFORCE_SCOPES).join(' '),
    state: o.state,
    code_challenge: o.codeChallenge,
    code_challenge_method: 'S256',
  };
  if (o.prompt) params.prompt = o.prompt;
  if (o.loginHint) params.login_hint = o.loginHint;
  return oauth2.getAuthorizationUrl(params);
}

export interface ExchangeOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  code: string;
  codeVerifier: string;
  loginUrl?: string;
  /** The scopes the authorize URL asked for (recorded when the token response omits `scope`). */
  scopes?: readonly string[];
}

/** What an approved install yields: credentials to store and who/where they belong to. */
export interface SalesforceInstall {
  credentials: Credentials;
  orgId: string;
  /** The integration user who approved (the permission set is assigned to them). */
  userId: string;
  identityUrl: string;
  issuedAt: Date | null;
}

/** `https://login.salesforce.com/id/<orgId>/<userId>` → ids. */
export function parseIdentityUrl(id: string): { orgId: string; userId: string } {
  const m = /\/id\/([A-Za-z0-9]{15,18})\/([A-Za-z0-9]{15,18})\/?$/.exec(id ?? '');
  if (!m) throw new AppError('crm_bad_request', `Salesforce token response has no identity URL (id): "${id}"`);
  return { orgId: m[1]!, userId: m[2]! };
}

/**
 * Exchanges the authorization code (confidential client: code_verifier and client_secret).
 * The token response has no expires_in: credentials carry no expiry and are refreshed on 401.
 */
export async function exchangeCode(o: ExchangeOptions): Promise<SalesforceInstall> {
  const loginUrl = resolveLoginUrl(o.loginUrl);
  const oauth2 = new OAuth2({ loginUrl, clientId: o.clientId, clientSecret: o.clientSecret, redirectUri: o.redirectUri });
  let res: Awaited<ReturnType<OAuth2['requestToken']>>;
  try {
    res = await oauth2.requestToken(o.code, { code_verifier: o.codeVerifier });
  } catch (e) {
    throw fromSdkError(e);
  }
  if (!res?.access_token || !res.instance_url) {
    throw new AppError('crm_bad_request', 'Salesforce token response lacks access_token or instance_url');
  }
  const { orgId, userId } = parseIdentityUrl(res.id);
  const issued = Number((res as { issued_at?: string }).issued_at);
  return {
    credentials: {
      accessToken: res.access_token,
      refreshToken: res.refresh_token ?? null,
      instanceUrl: res.instance_url,
      expiresAt: null,
      accountId: orgId,
      authBaseUrl: loginUrl,
      scopes: res.scope ? res.scope.split(/\s+/).filter(Boolean) : [...(o.scopes ?? SALESFORCE_SCOPES)],
      userId,
    },
    orgId,
    userId,
    identityUrl: res.id,
    issuedAt: Number.isFinite(issued) ? new Date(issued) : null,
  };
}

/**
 * Revokes the grant on uninstall. Revoking the refresh token ends every access token issued
 * from it. An already-invalid token counts as revoked, so uninstall can be retried safely.
 */
export async function revokeToken(o: { token: string; loginUrl?: string }): Promise<void> {
  const oauth2 = new OAuth2({ loginUrl: resolveLoginUrl(o.loginUrl) });
  try {
    await oauth2.revokeToken(o.token);
  } catch (e) {
    // jsforce parses the revoke error body as a form; a JSON body leaves only ERROR_HTTP_400.
    const name = String((e as Error).name);
    if (name === 'invalid_token' || name === 'ERROR_HTTP_400' || /invalid_token/.test(String((e as Error).message))) return;
    throw fromSdkError(e);
  }
}
