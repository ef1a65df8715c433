import { z } from 'zod';
import { AppError } from '../../src/core/errors.ts';
import type { Credentials } from '../types.ts';
import { networkError, toAppError } from './to-app-error.ts';

export const HUBSPOT_API_BASE = 'https://api.hubapi.com';
export const HUBSPOT_APP_BASE = 'https://app.hubspot.com';
/** `/oauth/v1/token` sunsets 2027-02-16 and is all the SDK knows, so we call the dated endpoint. */
export const TOKEN_PATH = '/oauth/2026-03/token';
export const REVOKE_PATH = '/oauth/2026-03/token/revoke';

/**
 * Scopes the app declares as required: exactly those its calls need, per the `security` sections
 * of HubSpot's specs (docs/hubspot.md lists every call and its scope; a sandbox test checks each
 * one is needed). Tasks go through the tasks API, whose spec lists the contacts scopes; `oauth`
 * allows the uninstall. Every scope sent here must also be declared in
 * connectors/hubspot/app/src/app/app-hsmeta.json.
 */
export const HUBSPOT_SCOPES = [
  'oauth',
  'crm.objects.deals.read',
  'crm.objects.deals.write',
  'crm.schemas.deals.read',
  'crm.schemas.deals.write',
  'crm.objects.owners.read',
  'crm.objects.companies.read',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
] as const;

/**
 * Scopes asked for as optional: an install goes through without them and the feature that needs
 * them says so. `settings.currencies.read` reads a multi-currency portal's company currency and
 * exchange rates (settings/v3/currencies; one of the alternatives its spec lists).
 */
export const HUBSPOT_OPTIONAL_SCOPES = ['settings.currencies.read'] as const;

export { createPkcePair, type PkcePair, pkceChallenge } from '../oauth-flow.ts';

export interface InstallUrlOptions {
  clientId: string;
  redirectUri: string;
  /** Bound to the admin's browser session by the caller (web app); checked on the callback. */
  state: string;
  codeChallenge: string;
  scopes?: readonly string[];
  optionalScopes?: readonly string[];
  /** Send the admin straight to one portal's consent screen. */
  portalId?: string;
  appBase?: string;
}

/** The URL the "Connect HubSpot" button sends an admin to. Pure. */
export function buildInstallUrl(o: InstallUrlOptions): string {
  if (!o.state) throw new AppError('input_invalid', 'HubSpot install URL needs a state bound to the browser session');
  const base = o.appBase ?? HUBSPOT_APP_BASE;
  const url = new URL(`${base}/oauth${o.portalId ? `/${encodeURIComponent(o.portalId)}` : ''}/authorize`);
  url.searchParams.set('client_id', o.clientId);
  url.searchParams.set('redirect_uri', o.redirectUri);
  url.searchParams.set('scope', (o.scopes ?? HUBSPOT_SCOPES).join(' '));
  const optional = o.optionalScopes ?? HUBSPOT_OPTIONAL_SCOPES;
  if (optional.length) url.searchParams.set('optional_scope', optional.join(' '));
  url.searchParams.set('state', o.state);
  url.searchParams.set('code_challenge', o.codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

const TokenResponse = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.coerce.number().positive(),
  token_type: z.string().optional(),
  hub_id: z.coerce.number().optional(),
  user_id: z.coerce.number().optional(),
  scopes: z.array(z.string()).optional(),
  scope: z.string().optional(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

export interface TokenEndpointOptions {
  clientId: string;
  clientSecret: string;
  /** API host that serves /oauth (the sandbox in tests and the embedded default). */
  apiBase?: string;
  fetch?: typeof fetch;
  now?: () => Date;
}

async function postForm(path: string, form: Record<string, string>, o: TokenEndpointOptions, operation: string): Promise<unknown> {
  const doFetch = o.fetch ?? fetch;
  let res: Response;
  try {
    // All parameters in the form body: the dated endpoints refuse secrets in the query string.
    res = await doFetch(`${o.apiBase ?? HUBSPOT_API_BASE}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
    });
  } catch (e) {
    throw networkError(e, operation);
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    // keep the raw text; toAppError copes with it
  }
  if (!res.ok) throw toAppError(res.status, body, res.headers, { operation, now: o.now?.() });
  return body;
}

function toCredentials(raw: unknown, o: TokenEndpointOptions, previous?: Credentials): Credentials {
  const r = TokenResponse.safeParse(raw);
  if (!r.success) {
    throw new AppError(
      'crm_bad_request',
      `HubSpot token response is not what the OAuth API documents: ${r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  }
  const t = r.data;
  const now = (o.now ?? (() => new Date()))();
  return {
    accessToken: t.access_token,
    // HubSpot refresh tokens do not rotate, but keep whichever the response carries.
    refreshToken: t.refresh_token ?? previous?.refreshToken ?? null,
    expiresAt: new Date(now.getTime() + t.expires_in * 1000),
    accountId: t.hub_id !== undefined ? String(t.hub_id) : (previous?.accountId ?? null),
    instanceUrl: previous?.instanceUrl ?? (o.apiBase && o.apiBase !== HUBSPOT_API_BASE ? o.apiBase : null),
    authBaseUrl: o.apiBase ?? previous?.authBaseUrl ?? null,
    scopes: t.scopes ?? (t.scope ? t.scope.split(' ') : (previous?.scopes ?? [])),
  };
}

/** The OAuth callback: trades the code (and the PKCE verifier) for tokens; captures hub_id. */
export async function exchangeCode(
  o: TokenEndpointOptions & { code: string; redirectUri: string; codeVerifier: string },
): Promise<Credentials> {
  const raw = await postForm(
    TOKEN_PATH,
    {
      grant_type: 'authorization_code',
      client_id: o.clientId,
      client_secret: o.clientSecret,
      redirect_uri: o.redirectUri,
      code: o.code,
      code_verifier: o.codeVerifier,
    },
    o,
    'code exchange',
  );
  return toCredentials(raw, o);
}

/** One refresh; `BAD_REFRESH_TOKEN` surfaces as AppError('crm_auth_revoked'). */
export async function refreshAccessToken(o: TokenEndpointOptions & { current: Credentials }): Promise<Credentials> {
  if (!o.current.refreshToken) throw new AppError('crm_auth_revoked', 'HubSpot connection has no refresh token; an admin must reconnect');
  const raw = await postForm(
    TOKEN_PATH,
    { grant_type: 'refresh_token', client_id: o.clientId, client_secret: o.clientSecret, refresh_token: o.current.refreshToken },
    o,
    'token refresh',
  );
  return toCredentials(raw, o, o.current);
}

/** Disconnect: revokes the refresh token (the install's access for us ends with it). */
export async function revokeToken(o: TokenEndpointOptions & { token: string; hint?: 'refresh_token' | 'access_token' }): Promise<void> {
  await postForm(
    REVOKE_PATH,
    { client_id: o.clientId, client_secret: o.clientSecret, token: o.token, token_type_hint: o.hint ?? 'refresh_token' },
    o,
    'token revoke',
  );
}

/**
 * Admin "disconnect and uninstall": removes the app from the portal (HubSpot emails its Super
 * Admins). Needs a live access token with the `oauth` scope; call before revoking the tokens.
 */
export async function uninstallApp(o: { accessToken: string; apiBase?: string; fetch?: typeof fetch }): Promise<void> {
  const doFetch = o.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(`${o.apiBase ?? HUBSPOT_API_BASE}/appinstalls/2026-03/external-install`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${o.accessToken}` },
    });
  } catch (e) {
    throw networkError(e, 'uninstall');
  }
  if (!res.ok) {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // plain text error
    }
    throw toAppError(res.status, body, res.headers, { operation: 'uninstall' });
  }
}
