import { createHmac } from 'node:crypto';
import { consentPage, errorPage, html, redirect } from '../http/html.ts';
import { bearer, json, type SbRequest, type SbResponse } from '../http/types.ts';
import { randomToken, s256, TokenStore } from '../tokens.ts';
import { grants, identityScopeRefusal, KNOWN_SCOPES, needOf, restScopeRefusal, type SfScopeNeed, scopeList } from './scopes.ts';

export interface SfAuthConfig {
  clientId: string;
  clientSecret: string;
  /** When set, authorize and token requests must use one of these callbacks. */
  redirectUris: string[] | null;
  rotateRefreshTokens: boolean;
  /** Access-token life (the org's session timeout); Salesforce does not tell the client. */
  sessionTimeoutMs: number;
  orgId: string;
  userId: string;
  userName: string;
  userEmail: string;
  /** The External Client App's selected OAuth scopes (default: api, refresh_token, id). */
  appScopes?: readonly string[];
}

const DEFAULT_APP_SCOPES = ['api', 'refresh_token', 'id'];

export interface SfTokenResponse {
  access_token: string;
  refresh_token?: string;
  signature: string;
  scope: string;
  instance_url: string;
  id: string;
  token_type: 'Bearer';
  issued_at: string;
}

const oauthError = (error: string, description: string, status = 400) => json(status, { error, error_description: description });
const form = (req: SbRequest): Record<string, string> =>
  req.body && typeof req.body === 'object' ? (req.body as Record<string, string>) : Object.fromEntries(req.query);

/** Salesforce's OAuth 2.0 web-server flow (with PKCE), refresh (optionally rotating), revoke, introspect, userinfo. */
export class SfAuth {
  readonly tokens: TokenStore;
  /** Which scopes calls relied on (a REST call `api`, an identity read `id`, a refresh `refresh_token`). */
  readonly scopesUsed = new Set<SfScopeNeed>();

  constructor(
    readonly cfg: SfAuthConfig,
    now: () => number,
  ) {
    this.tokens = new TokenStore(now);
  }

  private tokenResponse(baseUrl: string, family: number, withRefresh: boolean): SfTokenResponse {
    const issuedAt = String(Date.now());
    const scope = this.tokens.families.get(family)?.scope ?? '';
    const id = `${baseUrl}/sf/id/${this.cfg.orgId}/${this.cfg.userId}`;
    // Salesforce session ids look like `<15-char org id>!<opaque>`.
    const access = this.tokens.issueAccess(
      family,
      this.cfg.sessionTimeoutMs,
      `${this.cfg.orgId.slice(0, 15)}!AQ${randomToken(72).replace(/[-_]/g, '.')}`,
    );
    const out: SfTokenResponse = {
      access_token: access,
      ...(withRefresh && grants(scope, 'refresh_token')
        ? { refresh_token: this.tokens.issueRefresh(family, `5Aep861${randomToken(60)}`) }
        : {}),
      signature: createHmac('sha256', this.cfg.clientSecret)
        .update(id + issuedAt)
        .digest('base64'),
      scope,
      instance_url: `${baseUrl}/sf`,
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
    };
    return out;
  }

  /** Issues tokens directly, as if an admin had approved the consent page (tests, the demo). */
  issue(baseUrl: string, scope = 'api refresh_token'): SfTokenResponse {
    return this.tokenResponse(baseUrl, this.tokens.newFamily(this.cfg.clientId, scope).id, true);
  }

  private redirectAllowed(uri: string): boolean {
    return !this.cfg.redirectUris || this.cfg.redirectUris.includes(uri);
  }

  /**
   * The scopes an approval grants: exactly the requested ones, or the app's selected scopes when
   * the request names none. A scope the app has not selected (or Salesforce does not know) is
   * refused outright: the docs do not say, so the sandbox is stricter than dropping it.
   */
  private grantedScope(requested: string | undefined): { scope: string } | { error: string } {
    const app = (this.cfg.appScopes ?? DEFAULT_APP_SCOPES).map(needOf);
    const names = scopeList(requested);
    if (!names.length) return { scope: [...new Set(this.cfg.appScopes ?? DEFAULT_APP_SCOPES)].join(' ') };
    const refused = names.filter((n) => !KNOWN_SCOPES.has(n) || !app.includes(needOf(n)));
    return refused.length ? { error: `the requested scope is not allowed: ${refused.join(' ')}` } : { scope: names.join(' ') };
  }

  authorizePage(req: SbRequest): SbResponse {
    const p = Object.fromEntries(req.query);
    if (p.client_id !== this.cfg.clientId)
      return html(400, errorPage('Remote Access Authorization', 'invalid_client_id', 'client identifier invalid'));
    if (!p.redirect_uri || !this.redirectAllowed(p.redirect_uri))
      return html(400, errorPage('Remote Access Authorization', 'redirect_uri_mismatch', 'redirect_uri must match configuration'));
    const back = (params: Record<string, string>) =>
      redirect(
        `${p.redirect_uri}${p.redirect_uri.includes('?') ? '&' : '?'}${new URLSearchParams({ ...params, ...(p.state ? { state: p.state } : {}) })}`,
      );
    if (p.response_type !== 'code') return back({ error: 'unsupported_response_type', error_description: 'response type not supported' });
    if (p.code_challenge && !/^[A-Za-z0-9_-]{43,128}$/.test(p.code_challenge))
      return back({ error: 'invalid_request', error_description: 'invalid code_challenge' });
    const granted = this.grantedScope(p.scope);
    if ('error' in granted) return back({ error: 'invalid_scope', error_description: granted.error });
    return html(
      200,
      consentPage({
        title: 'Allow Access?',
        app: 'dealrisk (sandbox Salesforce)',
        scopes: scopeList(granted.scope).map((s) => `scope: ${s}`),
        action: `${req.baseUrl}/sf/services/oauth2/authorize`,
        params: p,
      }),
    );
  }

  authorizeDecision(req: SbRequest): SbResponse {
    const p = form(req);
    if (p.client_id !== this.cfg.clientId || !p.redirect_uri || !this.redirectAllowed(p.redirect_uri)) {
      return html(400, errorPage('Remote Access Authorization', 'invalid_request', 'invalid authorization request'));
    }
    const granted = this.grantedScope(p.scope);
    const params: Record<string, string> =
      'error' in granted
        ? { error: 'invalid_scope', error_description: granted.error }
        : p.decision === 'allow'
          ? {
              code: this.tokens.issueCode({
                clientId: p.client_id,
                redirectUri: p.redirect_uri,
                scope: granted.scope,
                challenge: p.code_challenge ?? null,
                method: p.code_challenge_method ?? null,
              }),
            }
          : { error: 'access_denied', error_description: 'end-user denied authorization' };
    if (p.state) params.state = p.state;
    return redirect(`${p.redirect_uri}${p.redirect_uri.includes('?') ? '&' : '?'}${new URLSearchParams(params)}`);
  }

  token(req: SbRequest): SbResponse {
    const p = form(req);
    if (p.client_id !== this.cfg.clientId) return oauthError('invalid_client_id', 'client identifier invalid');
    if (p.client_secret !== undefined && p.client_secret !== this.cfg.clientSecret)
      return oauthError('invalid_client', 'invalid client credentials');
    if (p.grant_type === 'authorization_code') {
      const code = p.code ? this.tokens.codes.get(p.code) : undefined;
      if (!code || code.used || code.clientId !== p.client_id) return oauthError('invalid_grant', 'invalid authorization code');
      if (code.expiresAt < this.tokens.nowMs()) return oauthError('invalid_grant', 'expired authorization code');
      if (code.redirectUri !== p.redirect_uri) return oauthError('redirect_uri_mismatch', 'redirect_uri must match configuration');
      if (code.challenge) {
        if (!p.code_verifier) return oauthError('invalid_grant', 'invalid code verifier');
        const expected = code.method === 'plain' ? p.code_verifier : s256(p.code_verifier);
        if (expected !== code.challenge) return oauthError('invalid_grant', 'invalid code verifier');
      } else if (p.client_secret === undefined) {
        return oauthError('invalid_client', 'invalid client credentials');
      }
      code.used = true;
      return json(200, this.tokenResponse(req.baseUrl, this.tokens.newFamily(p.client_id!, code.scope).id, true));
    }
    if (p.grant_type === 'refresh_token') {
      const rt = p.refresh_token ? this.tokens.refresh.get(p.refresh_token) : undefined;
      if (!rt || rt.state === 'revoked' || this.tokens.families.get(rt.family)?.revoked)
        return oauthError('invalid_grant', 'expired access/refresh token');
      if (rt.state === 'rotated') {
        // Replaying a rotated refresh token revokes the whole token family.
        this.tokens.revokeFamily(rt.family);
        return oauthError('invalid_grant', 'expired access/refresh token');
      }
      this.scopesUsed.add('refresh_token');
      if (this.cfg.rotateRefreshTokens) rt.state = 'rotated';
      return json(200, this.tokenResponse(req.baseUrl, rt.family, this.cfg.rotateRefreshTokens));
    }
    return oauthError('unsupported_grant_type', 'grant type not supported');
  }

  revoke(req: SbRequest): SbResponse {
    const token = form(req).token;
    const family = token ? this.tokens.familyOf(token) : null;
    if (family === null) return oauthError('invalid_token', 'invalid token');
    this.tokens.revokeFamily(family);
    return { status: 200, text: '' };
  }

  introspect(req: SbRequest): SbResponse {
    const p = form(req);
    if (p.client_id !== this.cfg.clientId || p.client_secret !== this.cfg.clientSecret)
      return oauthError('invalid_client', 'invalid client credentials', 401);
    const token = p.token ?? '';
    const at = this.tokens.access.get(token);
    const rt = this.tokens.refresh.get(token);
    const family = this.tokens.families.get(at?.family ?? rt?.family ?? -1);
    const active = Boolean(family && !family.revoked && (at ? !('error' in this.tokens.check(token)) : rt?.state === 'active'));
    if (!active || !family) return json(200, { active: false });
    return json(200, {
      active: true,
      scope: family.scope,
      client_id: family.clientId,
      username: this.cfg.userEmail,
      sub: `${req.baseUrl}/sf/id/${this.cfg.orgId}/${this.cfg.userId}`,
      token_type: at ? 'access_token' : 'refresh_token',
      ...(at ? { exp: Math.floor(at.expiresAt / 1000), iat: Math.floor(at.issuedAt / 1000), nbf: Math.floor(at.issuedAt / 1000) } : {}),
    });
  }

  /**
   * The caller's token state: ok, or the 401 Salesforce sends. With `need`, a token whose grant
   * lacks that scope is refused the way Salesforce refuses it (sandbox/salesforce/scopes.ts).
   */
  authenticate(
    token: string | null,
    need?: 'api' | 'id',
  ): { ok: true; family: number } | { ok: false; response: SbResponse; scope?: true } {
    const r = this.tokens.check(token);
    if ('error' in r)
      return { ok: false, response: json(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]) };
    if (need) {
      if (!grants(r.family.scope, need))
        return { ok: false, scope: true, response: need === 'api' ? restScopeRefusal() : identityScopeRefusal() };
      this.scopesUsed.add(need);
    }
    return { ok: true, family: r.family.id };
  }

  userinfo(req: SbRequest, identityStyle: boolean): SbResponse {
    const token = bearer(req) ?? req.query.get('oauth_token');
    const a = this.authenticate(token, 'id');
    if (!a.ok) return a.scope || identityStyle ? a.response : { status: 403, text: 'Bad_OAuth_Token' };
    const base = `${req.baseUrl}/sf`;
    const c = this.cfg;
    const common = {
      organization_id: c.orgId,
      user_id: c.userId,
      email: c.userEmail,
      name: c.userName,
      preferred_username: c.userEmail,
      zoneinfo: 'America/Los_Angeles',
      locale: 'en_US',
      language: 'en_US',
    };
    if (!identityStyle)
      return json(200, {
        sub: `${base}/id/${c.orgId}/${c.userId}`,
        nickname: 'integration',
        email_verified: true,
        user_type: 'STANDARD',
        active: true,
        ...common,
        urls: this.urls(base),
      });
    return json(200, {
      id: `${base}/id/${c.orgId}/${c.userId}`,
      asserted_user: true,
      username: c.userEmail,
      nick_name: 'integration',
      display_name: c.userName,
      first_name: 'Integration',
      last_name: 'User',
      status: { created_date: null, body: null },
      active: true,
      user_type: 'STANDARD',
      is_app_installed: true,
      urls: this.urls(base),
      utcOffset: -28800000,
      last_modified_date: '2026-01-01T00:00:00Z',
      ...common,
    });
  }

  private urls(base: string): Record<string, string> {
    return {
      enterprise: `${base}/services/Soap/c/{version}/${this.cfg.orgId.slice(0, 15)}`,
      metadata: `${base}/services/Soap/m/{version}/${this.cfg.orgId.slice(0, 15)}`,
      partner: `${base}/services/Soap/u/{version}/${this.cfg.orgId.slice(0, 15)}`,
      rest: `${base}/services/data/v{version}/`,
      sobjects: `${base}/services/data/v{version}/sobjects/`,
      query: `${base}/services/data/v{version}/query/`,
      profile: `${base}/${this.cfg.userId}`,
    };
  }
}
