import type { Request, Response, Router } from 'express';
import { createPkcePair, createState } from '../../../connectors/oauth-flow.ts';
import { AppError } from '../../core/errors.ts';
import type { ServerContext } from '../context.ts';
import type { Crm, OAuthGrant, OAuthProvider, OrgEnvironment } from '../deps.ts';
import { html } from '../http/html.ts';
import { safeNext } from '../pages/access.ts';
import { q1 } from '../pages/common.ts';
import { page } from '../pages/layout.ts';
import type { Principal } from './principal.ts';
import { endSession, startSession, userLabel } from './session.ts';
import { parseCookies, randomToken, sha256, signValue, unsignValue } from './tokens.ts';

const FLOW_TTL_MS = 10 * 60 * 1000;
const CRM_NAMES: Record<Crm, string> = { salesforce: 'Salesforce', hubspot: 'HubSpot' };

/** The workspace id of a CRM org or portal: stable, readable, never chosen by the user. */
export const tenantIdFor = (crm: Crm, accountId: string): string =>
  `${crm === 'salesforce' ? 'sf' : 'hs'}-${accountId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 60)}`;

/** The browser nonce cookie binds each OAuth state to the browser that started the flow. */
const nonceCookie = (s: ServerContext) => (s.config.secure ? '__Host-dr_oauth' : 'dr_oauth');

function browserNonce(s: ServerContext, req: Request, res: Response): string {
  const existing = parseCookies(req.headers.cookie)[nonceCookie(s)];
  const valid = existing ? unsignValue(s.config.sessionSecret, existing) : null;
  if (valid) return valid;
  const nonce = randomToken();
  res.cookie(nonceCookie(s), signValue(s.config.sessionSecret, nonce), {
    httpOnly: true,
    sameSite: 'lax',
    secure: s.config.secure,
    path: '/',
    maxAge: FLOW_TTL_MS,
  });
  return nonce;
}

const redirectUri = (s: ServerContext, crm: Crm): string => `${s.config.appUrl.replace(/\/$/, '')}/oauth/${crm}/callback`;

function refusal(s: ServerContext, res: Response, status: number, title: string, text: string, p?: Principal): void {
  res
    .status(status)
    .type('html')
    .send(
      page(
        { title, sandbox: s.deps.sandbox, principal: p?.kind === 'user' ? p : undefined },
        html`<p>${text}</p><p><a href="/signin">Sign in</a> · <a href="/install">Install</a></p>`,
      ),
    );
}

function limit(s: ServerContext, req: Request): void {
  const r = s.limiter.take(`login:${req.ip}`, s.config.loginPerMinute);
  if (!r.ok)
    throw new AppError('rate_limited', 'too many sign-in attempts from this address; wait a moment', { retryAfterMs: r.retryAfterMs });
}

function providerFor(s: ServerContext, crm: string): OAuthProvider {
  const p = crm === 'salesforce' || crm === 'hubspot' ? s.deps.oauth[crm] : undefined;
  if (!p) throw new AppError('not_found', `${crm} is not configured on this server`);
  return p;
}

/** Install, re-authorize and sign-in through the CRM's OAuth, with state and PKCE checked here. */
export function oauthRoutes(s: ServerContext, router: Router): void {
  const { store } = s.app;

  router.get('/oauth/:crm/start', async (req, res) => {
    limit(s, req);
    const provider = providerFor(s, String(req.params.crm));
    const purpose = q1(req.query.purpose) === 'signin' ? 'signin' : 'install';
    const environment: OrgEnvironment = provider.crm === 'salesforce' && q1(req.query.env) === 'sandbox' ? 'sandbox' : 'production';
    const p = res.locals.principal as Principal | undefined;
    let tenantId: string | null = null;
    let connectionId: string | null = null;
    const reauth = q1(req.query.connection);
    if (reauth) {
      // Re-authorizing is an admin action on one of the caller's own connections.
      const c = p?.kind === 'user' && p.role === 'admin' ? await store.connections.get(p.tenantId, reauth) : null;
      if (!c || c.crm !== provider.crm) throw new AppError('not_found', 'no such connection in this workspace');
      tenantId = c.tenantId;
      connectionId = c.id;
    }
    const next = purpose === 'signin' ? safeNext(req.query.next) : '/';
    const state = `${createState()}~${Buffer.from(next).toString('base64url')}`;
    const pkce = createPkcePair();
    const now = s.app.now();
    await store.oauthStates.create({
      stateHash: sha256(state),
      browserHash: sha256(browserNonce(s, req, res)),
      crm: provider.crm,
      purpose,
      environment,
      codeVerifier: pkce.codeVerifier,
      tenantId,
      connectionId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + FLOW_TTL_MS),
    });
    res.redirect(
      303,
      provider.authorizeUrl({ state, codeChallenge: pkce.codeChallenge, redirectUri: redirectUri(s, provider.crm), purpose, environment }),
    );
  });

  router.get('/oauth/:crm/callback', async (req, res) => {
    limit(s, req);
    const provider = providerFor(s, String(req.params.crm));
    const p = res.locals.principal as Principal | undefined;
    const denied = q1(req.query.error);
    if (denied) {
      return refusal(
        s,
        res,
        400,
        'Not connected',
        `${CRM_NAMES[provider.crm]} did not grant access (${denied}${q1(req.query.error_description) ? `: ${q1(req.query.error_description)}` : ''}).`,
        p,
      );
    }
    const state = q1(req.query.state);
    const code = q1(req.query.code);
    if (!state || !code) throw new AppError('input_invalid', 'the CRM sent us back without a code or state; start again');
    // The browser binding is checked before the state is used up: whoever sees a callback URL
    // (a shared screen, a proxy log) cannot spoil the sign-in of the browser that started it.
    const nonce = unsignValue(s.config.sessionSecret, parseCookies(req.headers.cookie)[nonceCookie(s)] ?? '');
    const flow = nonce ? await store.oauthStates.consume(sha256(state), sha256(nonce), provider.crm, s.app.now()) : null;
    if (!flow) {
      const waiting = await store.oauthStates.pending(sha256(state), s.app.now());
      if (waiting?.crm === provider.crm) {
        return refusal(
          s,
          res,
          400,
          'Wrong browser',
          'This sign-in was started in another browser (or its cookie was lost). Start again here.',
          p,
        );
      }
      return refusal(s, res, 400, 'Link expired', 'This sign-in link expired or was already used. Start again.', p);
    }
    const grant = await provider.exchange({
      code,
      codeVerifier: flow.codeVerifier,
      redirectUri: redirectUri(s, provider.crm),
      purpose: flow.purpose,
      environment: flow.environment,
    });
    const next = safeNext(Buffer.from(state.split('~')[1] ?? '', 'base64url').toString('utf8'));
    if (flow.purpose === 'signin') return signIn(s, req, res, provider, grant, next);
    return install(
      s,
      req,
      res,
      provider,
      grant,
      flow.environment,
      flow.connectionId ? { tenantId: flow.tenantId!, connectionId: flow.connectionId } : null,
    );
  });

  router.post('/signout', async (req, res) => {
    const p = res.locals.principal as Principal | undefined;
    if (p?.kind === 'user') await store.audit.add(p.tenantId, { actor: p.label, action: 'user.signed_out' }, s.app.now());
    await endSession(store, sessionConfig(s), req, res);
    res.redirect(303, '/signin');
  });
}

const sessionConfig = (s: ServerContext) => ({ secret: s.config.sessionSecret, secure: s.config.secure, ttlMs: s.config.sessionTtlMs });

async function signIn(
  s: ServerContext,
  req: Request,
  res: Response,
  provider: OAuthProvider,
  grant: OAuthGrant,
  next: string,
): Promise<void> {
  const { store } = s.app;
  const tenantId = await store.directory.tenantForAccount(provider.crm, grant.account.id);
  if (!tenantId) {
    return refusal(
      s,
      res,
      403,
      'Not installed yet',
      `Your ${CRM_NAMES[provider.crm]} ${provider.crm === 'hubspot' ? 'portal' : 'org'} (${grant.account.id}) is not connected to dealrisk yet. An admin can install it.`,
    );
  }
  const now = s.app.now();
  const user = await store.users.upsertOnLogin(
    tenantId,
    { crm: provider.crm, crmUserId: grant.user.id, email: grant.user.email ?? null, name: grant.user.name ?? null },
    'viewer',
    now,
  );
  await endSession(store, sessionConfig(s), req, res, false);
  await startSession(store, sessionConfig(s), res, user, now);
  await store.audit.add(
    tenantId,
    { actor: userLabel(user), action: 'user.signed_in', details: { crm: provider.crm, role: user.role } },
    now,
  );
  res.redirect(303, next);
}

/**
 * The fields or properties risk is written to are created at install, before the first sync
 * writes back. A failure does not undo the install: it is logged, audited and shown as the
 * connection's status reason, and the next re-authorization tries again.
 */
async function setUpRiskFields(s: ServerContext, tenantId: string, connectionId: string, actor: string): Promise<void> {
  if (!s.deps.sync.connectionInstalled) return;
  try {
    const r = await s.deps.sync.connectionInstalled(tenantId, connectionId);
    if (r)
      await s.app.store.audit.add(
        tenantId,
        {
          actor,
          action: 'connection.setup',
          target: connectionId,
          details: { created: r.created, existing: r.existing, warnings: r.warnings },
        },
        s.app.now(),
      );
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    s.app.logger.warn('risk field setup failed after install', { tenantId, connectionId, error: e });
    await s.app.store.connections.update(
      tenantId,
      connectionId,
      { statusReason: `Risk fields could not be set up: ${message.slice(0, 300)}` },
      s.app.now(),
    );
    await s.app.store.audit.add(
      tenantId,
      { actor, action: 'connection.setup_failed', target: connectionId, details: { message: message.slice(0, 300) } },
      s.app.now(),
    );
  }
}

async function install(
  s: ServerContext,
  req: Request,
  res: Response,
  provider: OAuthProvider,
  grant: OAuthGrant,
  environment: OrgEnvironment,
  reauth: { tenantId: string; connectionId: string } | null,
): Promise<void> {
  const { store } = s.app;
  const p = res.locals.principal as Principal | undefined;
  const now = s.app.now();
  const existingTenant = await store.directory.tenantForAccount(provider.crm, grant.account.id);
  if (reauth && existingTenant !== reauth.tenantId) {
    return refusal(
      s,
      res,
      409,
      'Different account',
      `You authorized ${CRM_NAMES[provider.crm]} account ${grant.account.id}, which is not the one this connection belongs to. Sign in to that account and try again.`,
      p,
    );
  }
  const tenantId = existingTenant ?? tenantIdFor(provider.crm, grant.account.id);
  if (existingTenant && !reauth) {
    // Someone in an installed org may not take it over: only its admins re-install, unless it has none.
    const isAdmin = p?.kind === 'user' && p.tenantId === existingTenant && p.role === 'admin';
    if (!isAdmin && (await store.users.countAdmins(existingTenant)) > 0) {
      return refusal(
        s,
        res,
        403,
        'Already installed',
        `This ${CRM_NAMES[provider.crm]} account is already connected to dealrisk. Sign in to use it; only its admins can re-authorize the connection.`,
        p,
      );
    }
  }
  await store.tenants.ensure(tenantId, grant.account.name ?? `${CRM_NAMES[provider.crm]} ${grant.account.id}`);
  const found = reauth
    ? await store.connections.get(tenantId, reauth.connectionId)
    : await store.connections.findByAccount(tenantId, provider.crm, grant.account.id);
  let connectionId: string;
  if (found) {
    connectionId = found.id;
    await store.connections.saveCredentials(tenantId, found.id, grant.credentials, now);
    await store.connections.update(
      tenantId,
      found.id,
      {
        status: 'active',
        statusReason: null,
        pausedUntil: null,
        accountId: grant.account.id,
        instanceUrl: grant.account.instanceUrl ?? found.instanceUrl,
        settings: { ...found.settings, environment },
      },
      now,
    );
  } else {
    const c = await store.connections.create(
      tenantId,
      {
        crm: provider.crm,
        accountId: grant.account.id,
        instanceUrl: grant.account.instanceUrl ?? null,
        credentials: grant.credentials,
        settings: { environment },
      },
      now,
    );
    connectionId = c.id;
  }
  const user = await store.users.upsertOnLogin(
    tenantId,
    { crm: provider.crm, crmUserId: grant.user.id, email: grant.user.email ?? null, name: grant.user.name ?? null },
    'admin',
    now,
    true,
  );
  await store.audit.add(
    tenantId,
    {
      actor: userLabel(user),
      action: found ? 'connection.reauthorized' : 'connection.installed',
      target: connectionId,
      details: { crm: provider.crm, account: grant.account.id, environment },
    },
    now,
  );
  await endSession(store, sessionConfig(s), req, res, false);
  await startSession(store, sessionConfig(s), res, user, now);
  await setUpRiskFields(s, tenantId, connectionId, userLabel(user));
  try {
    await s.deps.sync.requestSync(tenantId, userLabel(user), connectionId);
  } catch (e) {
    s.app.logger.warn('could not request the first sync after install', { tenantId, connectionId, error: e });
  }
  res.redirect(
    303,
    found ? '/sync?done=Re-authorized%3B%20syncing%20resumes.' : '/?done=Connected%3B%20the%20first%20sync%20has%20started.',
  );
}
