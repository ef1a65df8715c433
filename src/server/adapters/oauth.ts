import type { Env } from '../../../config/env.ts';
import * as hs from '../../../connectors/hubspot/oauth.ts';
import { hubspotRecordUrl } from '../../../connectors/hubspot/record-url.ts';
import { personFromIdentityUrl, personFromUserRecord, type SalesforcePerson } from '../../../connectors/salesforce/identity.ts';
import * as sf from '../../../connectors/salesforce/oauth.ts';
import { salesforceRecordUrl } from '../../../connectors/salesforce/record-url.ts';
import type { Credentials } from '../../../connectors/types.ts';
import type { Logger } from '../../log.ts';
import type { OAuthProvider } from '../deps.ts';

export interface SalesforceOAuthConfig {
  clientId: string;
  clientSecret: string;
  /** Login host for production orgs (default login.salesforce.com, or a My Domain). */
  loginUrl?: string;
  /** Login host for sandbox orgs (default test.salesforce.com). */
  sandboxLoginUrl?: string;
  label?: string;
  /** REST API version for the installer's User record (SALESFORCE_API_VERSION, default 66.0). */
  apiVersion?: string;
}

export interface HubSpotOAuthConfig {
  clientId: string;
  clientSecret: string;
  /** Where the install (consent) page is: app.hubspot.com, or the sandbox CRM. */
  appBase?: string;
  /** Where the token endpoint is: api.hubapi.com, or the sandbox CRM. */
  apiBase?: string;
  label?: string;
}

/**
 * Salesforce OAuth for the web app, over the connector's helpers (connectors/salesforce/oauth.ts).
 * An install asks for `api refresh_token` and names the admin from their User record (REST); a
 * sign-in asks for `id` only and names the person from the identity URL. Neither grant carries
 * the other's scope, so neither calls userinfo.
 */
export function salesforceProvider(c: SalesforceOAuthConfig, logger: Logger, fetchImpl: typeof fetch = fetch): OAuthProvider {
  const loginFor = (env: 'production' | 'sandbox') =>
    env === 'sandbox' ? (c.sandboxLoginUrl ?? sf.SANDBOX_LOGIN_URL) : (c.loginUrl ?? sf.PRODUCTION_LOGIN_URL);
  const revoke = async (cr: Credentials) => {
    const token = cr.refreshToken ?? cr.accessToken;
    await sf.revokeToken({ token, ...(cr.authBaseUrl ? { loginUrl: cr.authBaseUrl } : {}) });
  };
  return {
    crm: 'salesforce',
    label: c.label ?? 'Salesforce',
    authorizeUrl: (p) =>
      sf.buildAuthorizeUrl({
        clientId: c.clientId,
        redirectUri: p.redirectUri,
        state: p.state,
        codeChallenge: p.codeChallenge,
        loginUrl: loginFor(p.environment),
        scopes: scopesFor(p.purpose),
      }),
    async exchange(p) {
      const r = await sf.exchangeCode({
        clientId: c.clientId,
        clientSecret: c.clientSecret,
        redirectUri: p.redirectUri,
        code: p.code,
        codeVerifier: p.codeVerifier,
        loginUrl: loginFor(p.environment),
        scopes: scopesFor(p.purpose),
      });
      const who = await person(
        p.purpose === 'signin'
          ? () => personFromIdentityUrl(r, fetchImpl)
          : () => personFromUserRecord(r, c.apiVersion ?? '66.0', fetchImpl),
        logger,
      );
      if (p.purpose === 'signin') {
        // A sign-in needs the identity only. Salesforce keeps at most five approvals per user and
        // app and drops the oldest beyond that, which could be the install's: give this one back.
        revoke(r.credentials).catch((e: unknown) => logger.warn('could not revoke the sign-in grant', { error: e }));
      }
      return {
        credentials: r.credentials,
        account: { id: r.orgId, name: `Salesforce org ${r.orgId}`, instanceUrl: r.credentials.instanceUrl ?? null },
        user: { id: r.userId, name: who.name, email: who.email },
      };
    },
    revoke,
    recordUrl: (conn, id) => salesforceRecordUrl(conn.instanceUrl, id),
  };
}

const scopesFor = (purpose: 'install' | 'signin'): readonly string[] =>
  purpose === 'signin' ? sf.SALESFORCE_SIGNIN_SCOPES : sf.SALESFORCE_SCOPES;

/** A name is a courtesy: without it the person is still signed in (or the org installed). */
async function person(read: () => Promise<SalesforcePerson>, logger: Logger): Promise<SalesforcePerson> {
  try {
    return await read();
  } catch (e) {
    logger.warn('Salesforce did not tell who approved; going on without a name', { error: e });
    return { name: null, email: null };
  }
}

/**
 * HubSpot OAuth over the connector's helpers (connectors/hubspot/oauth.ts). The token response
 * carries the portal (hub_id) and the installing user (user_id); the helper returns the former,
 * so the user id is read from the same response on its way through.
 */
export function hubspotProvider(c: HubSpotOAuthConfig, fetchImpl: typeof fetch = fetch): OAuthProvider {
  const apiBase = c.apiBase ?? hs.HUBSPOT_API_BASE;
  return {
    crm: 'hubspot',
    label: c.label ?? 'HubSpot',
    authorizeUrl: (p) =>
      hs.buildInstallUrl({
        clientId: c.clientId,
        redirectUri: p.redirectUri,
        state: p.state,
        codeChallenge: p.codeChallenge,
        ...(c.appBase ? { appBase: c.appBase } : {}),
      }),
    async exchange(p) {
      let userId: string | null = null;
      const tee: typeof fetch = async (input, init) => {
        const res = await fetchImpl(input, init);
        try {
          const j = (await res.clone().json()) as { user_id?: number | string };
          if (j.user_id !== undefined) userId = String(j.user_id);
        } catch {
          // not JSON: the helper reports the error
        }
        return res;
      };
      const credentials = await hs.exchangeCode({
        clientId: c.clientId,
        clientSecret: c.clientSecret,
        apiBase,
        fetch: tee,
        code: p.code,
        redirectUri: p.redirectUri,
        codeVerifier: p.codeVerifier,
      });
      const portal = credentials.accountId;
      if (!portal) throw new Error('HubSpot token response has no hub_id');
      return {
        credentials,
        account: { id: portal, name: `HubSpot portal ${portal}`, instanceUrl: credentials.instanceUrl ?? null },
        user: { id: userId ?? `portal-${portal}`, name: null, email: null },
      };
    },
    /**
     * Disconnect uninstalls the app from the portal, as docs/hubspot.md promises: HubSpot then
     * ends every token of the install. Uninstalling needs a live access token, and a stored one
     * is usually past its 30 minutes, so one is refreshed first. When the uninstall is refused
     * (an install made before the `oauth` scope was asked for), the refresh token is revoked instead.
     */
    async revoke(cr) {
      const token = { clientId: c.clientId, clientSecret: c.clientSecret, apiBase: cr.authBaseUrl ?? apiBase, fetch: fetchImpl };
      const live = cr.refreshToken ? await hs.refreshAccessToken({ ...token, current: cr }) : cr;
      try {
        await hs.uninstallApp({ accessToken: live.accessToken, apiBase: cr.instanceUrl ?? apiBase, fetch: fetchImpl });
      } catch (e) {
        if (!cr.refreshToken) throw e;
        await hs.revokeToken({ ...token, token: cr.refreshToken });
      }
    },
    recordUrl: (conn, id) => hubspotRecordUrl(conn.accountId, id, c.appBase),
  };
}

/** The providers the environment configures (a CRM without a client id and secret has none). */
export function oauthProvidersFromEnv(env: Env, logger: Logger): { salesforce?: OAuthProvider; hubspot?: OAuthProvider } {
  return {
    ...(env.SALESFORCE_CLIENT_ID && env.SALESFORCE_CLIENT_SECRET
      ? {
          salesforce: salesforceProvider(
            {
              clientId: env.SALESFORCE_CLIENT_ID,
              clientSecret: env.SALESFORCE_CLIENT_SECRET,
              apiVersion: env.SALESFORCE_API_VERSION,
              ...(env.SALESFORCE_LOGIN_URL ? { loginUrl: env.SALESFORCE_LOGIN_URL } : {}),
            },
            logger,
          ),
        }
      : {}),
    ...(env.HUBSPOT_CLIENT_ID && env.HUBSPOT_CLIENT_SECRET
      ? { hubspot: hubspotProvider({ clientId: env.HUBSPOT_CLIENT_ID, clientSecret: env.HUBSPOT_CLIENT_SECRET }) }
      : {}),
  };
}

/** What the sandbox CRM (sandbox/, startSandbox) tells about its OAuth apps. */
export interface SandboxOAuthInfo {
  url: string;
  salesforce: { loginUrl: string; clientId: string; clientSecret: string };
  hubspot: { apiBase: string; clientId: string; clientSecret: string };
}

/**
 * Both CRMs' OAuth pointed at the sandbox CRM: the same connector helpers and flows a real
 * install uses, with the sandbox's consent pages (Salesforce under /sf, HubSpot under /hs).
 */
export function sandboxOAuthProviders(sb: SandboxOAuthInfo, logger: Logger): { salesforce: OAuthProvider; hubspot: OAuthProvider } {
  return {
    salesforce: salesforceProvider(
      {
        clientId: sb.salesforce.clientId,
        clientSecret: sb.salesforce.clientSecret,
        loginUrl: sb.salesforce.loginUrl,
        sandboxLoginUrl: sb.salesforce.loginUrl,
        label: 'Salesforce (sandbox CRM)',
      },
      logger,
    ),
    hubspot: hubspotProvider({
      clientId: sb.hubspot.clientId,
      clientSecret: sb.hubspot.clientSecret,
      appBase: `${sb.url.replace(/\/$/, '')}/hs`,
      apiBase: sb.hubspot.apiBase,
      label: 'HubSpot (sandbox CRM)',
    }),
  };
}
