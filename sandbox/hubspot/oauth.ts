import { randomUUID } from 'node:crypto';
import { consentPage, errorPage, html, redirect } from '../http/html.ts';
import { json, type SbRequest, type SbResponse } from '../http/types.ts';
import { randomToken, s256, TokenStore } from '../tokens.ts';
import { KNOWN_SCOPES } from './scopes.ts';

export interface HsAuthConfig {
  clientId: string;
  clientSecret: string;
  appId: number;
  portalId: number;
  userId: number;
  userEmail: string;
  redirectUris: string[] | null;
  /** Access-token life: 30 minutes on HubSpot. */
  accessTokenTtlMs: number;
  /** A private-app / service-key token accepted as-is (never expires). */
  privateAppToken: string;
}

export interface HsTokenResponse {
  token_type: 'bearer';
  refresh_token: string;
  access_token: string;
  expires_in: number;
  hub_id: number;
  user_id: number;
  scopes: string[];
  token_use: 'access_token';
}

/** `scope` and `optional_scope` of an install request, space- (or `+`-) separated. */
const requested = (p: Record<string, string | undefined>): string[] => [
  ...new Set([...(p.scope ?? '').split(/[\s+]+/), ...(p.optional_scope ?? '').split(/[\s+]+/)].filter(Boolean)),
];

const form = (req: SbRequest): Record<string, string> =>
  req.body && typeof req.body === 'object' ? (req.body as Record<string, string>) : Object.fromEntries(req.query);

/** HubSpot's OAuth errors carry both the RFC 6749 fields and HubSpot's legacy status/message. */
function oauthError(status: string, message: string, error: string, description: string): SbResponse {
  return json(400, { status, message, correlationId: randomUUID(), error, error_description: description });
}

/** HubSpot OAuth: install page, token endpoints (v1 and date-based), introspection, revocation. */
export class HsAuth {
  readonly tokens: TokenStore;
  /** Families issued directly without scopes (tests, the demo): every call allowed, like a private-app token. */
  private readonly unrestricted = new Set<number>();

  constructor(
    readonly cfg: HsAuthConfig,
    now: () => number,
  ) {
    this.tokens = new TokenStore(now);
  }

  private respond(family: number, refreshToken: string): HsTokenResponse {
    const access = this.tokens.issueAccess(family, this.cfg.accessTokenTtlMs, `CO${randomToken(96)}`);
    return {
      token_type: 'bearer',
      refresh_token: refreshToken,
      access_token: access,
      expires_in: Math.round(this.cfg.accessTokenTtlMs / 1000),
      hub_id: this.cfg.portalId,
      user_id: this.cfg.userId,
      scopes: (this.tokens.families.get(family)?.scope ?? '').split(/\s+/).filter(Boolean),
      token_use: 'access_token',
    };
  }

  /**
   * Issues tokens directly, as if an admin had installed the app (tests, the demo). With scopes,
   * the token holds exactly those; without, it is unrestricted. Installs through the consent page
   * always hold exactly the scopes the install URL asked for.
   */
  issue(scopes: string[] = []): HsTokenResponse {
    const f = this.tokens.newFamily(this.cfg.clientId, scopes.join(' '));
    if (scopes.length === 0) this.unrestricted.add(f.id);
    return this.respond(f.id, this.tokens.issueRefresh(f.id, `na1-${randomUUID()}`));
  }

  /** HubSpot refuses an install that asks for a scope it does not offer; the sandbox knows the scopes of the APIs it serves. */
  private unknownScopes(p: Record<string, string | undefined>): string[] {
    return requested(p).filter((s) => !KNOWN_SCOPES.has(s));
  }

  private redirectAllowed(uri: string): boolean {
    return !this.cfg.redirectUris || this.cfg.redirectUris.includes(uri);
  }

  authorizePage(req: SbRequest): SbResponse {
    const p = Object.fromEntries(req.query);
    if (p.client_id !== this.cfg.clientId) return html(400, errorPage('Authorization failed', 'invalid_client', 'unknown client_id'));
    if (!p.redirect_uri || !this.redirectAllowed(p.redirect_uri))
      return html(400, errorPage('Authorization failed', 'redirect_uri_mismatch', 'redirect_uri does not match the app settings'));
    const unknown = this.unknownScopes(p);
    if (unknown.length)
      return html(
        400,
        errorPage('Authorization failed', 'invalid_scope', `this app asks for scopes HubSpot does not offer: ${unknown.join(', ')}`),
      );
    const scopes = requested(p);
    return html(
      200,
      consentPage({
        title: 'Connect app',
        app: 'dealrisk (sandbox HubSpot)',
        scopes,
        action: `${req.baseUrl}/hs/oauth/authorize`,
        params: p,
      }),
    );
  }

  authorizeDecision(req: SbRequest): SbResponse {
    const p = form(req);
    if (p.client_id !== this.cfg.clientId || !p.redirect_uri || !this.redirectAllowed(p.redirect_uri))
      return html(400, errorPage('Authorization failed', 'invalid_request', 'invalid install request'));
    if (this.unknownScopes(p).length) return html(400, errorPage('Authorization failed', 'invalid_scope', 'invalid install request'));
    // The install grants exactly what the install URL asked for.
    const scope = requested(p).join(' ');
    const params: Record<string, string> =
      p.decision === 'allow'
        ? {
            code: this.tokens.issueCode(
              {
                clientId: p.client_id,
                redirectUri: p.redirect_uri,
                scope,
                challenge: p.code_challenge ?? null,
                method: p.code_challenge_method ?? null,
              },
              5 * 60_000,
            ),
          }
        : { error: 'access_denied', error_description: 'the user denied the install' };
    if (p.state) params.state = p.state;
    return redirect(`${p.redirect_uri}${p.redirect_uri.includes('?') ? '&' : '?'}${new URLSearchParams(params)}`);
  }

  token(req: SbRequest): SbResponse {
    const p = form(req);
    if (p.client_id !== this.cfg.clientId)
      return oauthError('BAD_CLIENT_ID', 'missing or unknown client id', 'invalid_client', 'missing or unknown client id');
    if (p.client_secret !== this.cfg.clientSecret)
      return oauthError('BAD_CLIENT_SECRET', 'missing or invalid client secret', 'invalid_client', 'missing or invalid client secret');
    if (p.grant_type === 'authorization_code') {
      const code = p.code ? this.tokens.codes.get(p.code) : undefined;
      if (!code || code.used || code.expiresAt < this.tokens.nowMs())
        return oauthError(
          'BAD_AUTH_CODE',
          'missing or unknown auth code',
          'invalid_grant',
          'authorization code is invalid, expired or already used',
        );
      if (code.redirectUri !== p.redirect_uri)
        return oauthError(
          'BAD_REDIRECT_URI',
          'redirect_uri does not match initial redirect_uri',
          'invalid_grant',
          'redirect_uri does not match',
        );
      if (code.challenge && (!p.code_verifier || (code.method === 'plain' ? p.code_verifier : s256(p.code_verifier)) !== code.challenge)) {
        return oauthError('BAD_AUTH_CODE', 'code_verifier does not match the code_challenge', 'invalid_grant', 'invalid code verifier');
      }
      code.used = true;
      const f = this.tokens.newFamily(p.client_id, code.scope);
      return json(200, this.respond(f.id, this.tokens.issueRefresh(f.id, `na1-${randomUUID()}`)));
    }
    if (p.grant_type === 'refresh_token') {
      const rt = p.refresh_token ? this.tokens.refresh.get(p.refresh_token) : undefined;
      if (rt?.state !== 'active' || this.tokens.families.get(rt.family)?.revoked) {
        return oauthError(
          'BAD_REFRESH_TOKEN',
          'missing or unknown refresh token',
          'invalid_grant',
          'refresh token is invalid, expired or revoked',
        );
      }
      // HubSpot refresh tokens do not rotate: the same one comes back.
      return json(200, this.respond(rt.family, p.refresh_token!));
    }
    return oauthError(
      'BAD_GRANT_TYPE',
      'grant_type must be authorization_code or refresh_token',
      'unsupported_grant_type',
      'grant type not supported',
    );
  }

  /** GET /oauth/v1/access-tokens/{t} and /oauth/v1/refresh-tokens/{t}. */
  describeToken(kind: 'access' | 'refresh', token: string): SbResponse {
    const family = kind === 'access' ? this.tokens.access.get(token)?.family : this.tokens.refresh.get(token)?.family;
    const f = family === undefined ? undefined : this.tokens.families.get(family);
    const live = kind === 'access' ? !('error' in this.tokens.check(token)) : this.tokens.refresh.get(token)?.state === 'active';
    if (!f || f.revoked || !live)
      return json(404, { status: 'error', message: `${kind} token not found`, correlationId: randomUUID(), category: 'OBJECT_NOT_FOUND' });
    const scopes = f.scope.split(/\s+/).filter(Boolean);
    const common = {
      token,
      user: this.cfg.userEmail,
      hub_domain: `sandbox-${this.cfg.portalId}.example`,
      scopes,
      hub_id: this.cfg.portalId,
      user_id: this.cfg.userId,
      token_type: kind,
    };
    if (kind === 'refresh') return json(200, { ...common, client_id: this.cfg.clientId });
    const at = this.tokens.access.get(token)!;
    return json(200, {
      ...common,
      app_id: this.cfg.appId,
      expires_in: Math.max(0, Math.round((at.expiresAt - this.tokens.nowMs()) / 1000)),
      is_private_distribution: false,
    });
  }

  introspect(req: SbRequest): SbResponse {
    const p = form(req);
    if (p.client_id !== this.cfg.clientId || p.client_secret !== this.cfg.clientSecret)
      return oauthError('BAD_CLIENT_ID', 'missing or unknown client id', 'invalid_client', 'invalid client credentials');
    const token = p.token ?? '';
    const at = this.tokens.access.get(token);
    const active = at
      ? !('error' in this.tokens.check(token))
      : this.tokens.refresh.get(token)?.state === 'active' && !this.tokens.families.get(this.tokens.refresh.get(token)!.family)?.revoked;
    if (!active) return json(200, { active: false });
    const f = this.tokens.families.get(at?.family ?? this.tokens.refresh.get(token)!.family)!;
    return json(200, {
      active: true,
      client_id: f.clientId,
      hub_id: this.cfg.portalId,
      user_id: this.cfg.userId,
      app_id: this.cfg.appId,
      scope: f.scope,
      token_type: at ? 'access_token' : 'refresh_token',
      ...(at ? { exp: Math.floor(at.expiresAt / 1000), iat: Math.floor(at.issuedAt / 1000) } : {}),
    });
  }

  revoke(token: string | undefined): SbResponse {
    const family = token ? this.tokens.familyOf(token) : null;
    if (family === null)
      return json(404, { status: 'error', message: 'token not found', correlationId: randomUUID(), category: 'OBJECT_NOT_FOUND' });
    this.tokens.revokeFamily(family);
    return { status: 204 };
  }

  /** DELETE /appinstalls/2026-03/external-install: the app leaves the portal and its tokens die with it. */
  uninstall(token: string | null): SbResponse {
    const family = token ? this.tokens.familyOf(token) : null;
    if (family !== null) this.tokens.revokeFamily(family);
    return { status: 204 };
  }

  /** Checks a bearer token; private-app tokens never expire. `scopes: null` means unrestricted. */
  authenticate(token: string | null): { ok: true; scopes: string[] | null } | { ok: false; response: SbResponse } {
    if (token && token === this.cfg.privateAppToken) return { ok: true, scopes: null };
    const r = this.tokens.check(token);
    if (!('error' in r))
      return { ok: true, scopes: this.unrestricted.has(r.family.id) ? null : r.family.scope.split(/\s+/).filter(Boolean) };
    const body =
      r.error === 'expired'
        ? {
            status: 'error',
            message: `The OAuth token used to make this call expired ${Math.max(1, Math.round((r.expiredForMs ?? 0) / 60_000))} minute(s) ago.`,
            correlationId: randomUUID(),
            category: 'EXPIRED_AUTHENTICATION',
          }
        : {
            status: 'error',
            message:
              'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
            correlationId: randomUUID(),
            category: 'INVALID_AUTHENTICATION',
          };
    return { ok: false, response: json(401, body) };
  }
}
