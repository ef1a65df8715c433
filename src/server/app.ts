import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type Request, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { AppContext } from '../context.ts';
import { AppError } from '../core/errors.ts';
import { httpDuration } from '../metrics/metrics.ts';
import { actionRoutes } from './api/actions.ts';
import { dealRoutes } from './api/deals.ts';
import { forecastRoutes } from './api/forecast.ts';
import { metaRoutes } from './api/meta.ts';
import { opsRoutes } from './api/ops.ts';
import { mountRoutes, type RouteDef } from './api/registry.ts';
import { settingsRoutes } from './api/settings.ts';
import { AuditBuffer } from './audit-buffer.ts';
import { apiKeyMiddleware } from './auth/api-key.ts';
import { csrfProtection } from './auth/csrf.ts';
import { oauthRoutes } from './auth/oauth-routes.ts';
import type { Principal } from './auth/principal.ts';
import { sessionMiddleware } from './auth/session.ts';
import type { ServerContext, WebConfig } from './context.ts';
import type { WebDeps } from './deps.ts';
import { appHostRedirect } from './http/app-host.ts';
import { errorMiddleware, notFound } from './http/errors.ts';
import { idempotency } from './http/idempotency.ts';
import { inputGuard } from './http/input-guard.ts';
import { RateLimiter } from './http/rate-limit.ts';
import { rawRoute } from './http/raw.ts';
import { accessPages } from './pages/access.ts';
import { actionsPage } from './pages/actions.ts';
import { auditPage } from './pages/audit.ts';
import { dealsPages } from './pages/deals.ts';
import { diagnosticsPage } from './pages/diagnostics.ts';
import { forecastPage } from './pages/forecast.ts';
import { errorPage } from './pages/layout.ts';
import { modelPage } from './pages/model.ts';
import { overviewPage } from './pages/overview.ts';
import { settingsPage } from './pages/settings.ts';
import { syncPage } from './pages/sync.ts';

const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');
// The UMD build is not in chart.js's exports map: resolve the package, then its dist folder.
const CHART_JS = path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');

export type WebOptions = Partial<WebConfig> & Pick<WebConfig, 'sessionSecret'>;

export function webConfig(ctx: AppContext, o: WebOptions): WebConfig {
  const appUrl = o.appUrl ?? ctx.env.APP_URL ?? `http://${ctx.env.HOST}:${ctx.env.PORT}`;
  return {
    appUrl,
    sessionSecret: o.sessionSecret,
    secure: o.secure ?? (ctx.env.NODE_ENV === 'production' || appUrl.startsWith('https://')),
    sessionTtlMs: o.sessionTtlMs ?? 12 * 3_600_000,
    bodyLimit: o.bodyLimit ?? '256kb',
    keyRatePerMinute: o.keyRatePerMinute ?? 600,
    userRatePerMinute: o.userRatePerMinute ?? 1200,
    loginPerMinute: o.loginPerMinute ?? 30,
    keyFailuresPerMinute: o.keyFailuresPerMinute ?? 20,
    keyCacheMs: o.keyCacheMs ?? 5000,
    trustProxy: o.trustProxy ?? ctx.env.TRUST_PROXY,
    version: o.version ?? '0.1.0',
  };
}

/**
 * The web app: pages, the /v1 API and the OAuth flows, as an express app that does not listen.
 * `close()` flushes buffered audit entries.
 */
export function createApp(ctx: AppContext, deps: WebDeps, options: WebOptions): Express & { close(): Promise<void> } {
  const config = webConfig(ctx, options);
  const limiter = new RateLimiter(() => ctx.now().getTime());
  const audit = new AuditBuffer(ctx.store, ctx.logger);
  const keyAuth = apiKeyMiddleware(ctx.store, limiter, { failuresPerMinute: config.keyFailuresPerMinute, cacheMs: config.keyCacheMs });
  const s: ServerContext = {
    app: ctx,
    deps,
    config,
    limiter,
    audit,
    invalidateKeys: () => keyAuth.invalidate(),
    connections: connectionsCache(ctx),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use((req, res, next) => {
    res.locals.requestId = randomUUID();
    res.setHeader('X-Request-Id', res.locals.requestId as string);
    const t0 = performance.now();
    // The path only: query strings carry OAuth codes and states.
    res.on('finish', () => {
      const p = res.locals.principal as Principal | undefined;
      httpDuration.observe(
        { method: req.method, route: routeLabel(req), status: `${Math.floor(res.statusCode / 100)}xx` },
        (performance.now() - t0) / 1000,
      );
      ctx.logger.http('request', {
        requestId: res.locals.requestId,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Math.round(performance.now() - t0),
        ...(p ? { tenantId: p.tenantId, caller: p.kind } : {}),
      });
    });
    next();
  });
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'form-action': ["'self'"],
          'upgrade-insecure-requests': config.secure ? [] : null,
        },
      },
      strictTransportSecurity: config.secure ? { maxAge: 15_552_000, includeSubDomains: true } : false,
      referrerPolicy: { policy: 'same-origin' },
    }),
  );

  if (ctx.env.NODE_ENV === 'development') app.use(appHostRedirect(config.appUrl));

  app.get('/static/vendor/chart.umd.min.js', (_req, res) => res.sendFile(CHART_JS, { maxAge: '1d' }));
  app.use('/static', express.static(PUBLIC_DIR, { maxAge: '1h', index: false }));

  // HubSpot signs the exact bytes: these routes read the raw body and skip sessions and CSRF.
  if (deps.hubspot?.cardData) {
    app.all(
      '/integrations/hubspot/card',
      express.raw({ type: () => true, limit: config.bodyLimit }),
      rawRoute(deps.hubspot.cardData, config.appUrl),
    );
  }
  if (deps.hubspot?.webhook) {
    app.post(
      '/integrations/hubspot/webhook',
      express.raw({ type: () => true, limit: '1mb' }),
      rawRoute(deps.hubspot.webhook, config.appUrl),
    );
  }

  app.use(express.json({ limit: config.bodyLimit }));
  app.use(express.urlencoded({ extended: false, limit: config.bodyLimit, parameterLimit: 200 }));
  app.use(inputGuard);
  app.use(
    sessionMiddleware(
      ctx.store,
      { secret: config.sessionSecret, secure: config.secure, ttlMs: config.sessionTtlMs },
      ctx.now,
      config.userRatePerMinute,
    ),
  );
  app.use(keyAuth);
  app.use(perCallerLimits(s));
  app.use(csrfProtection);
  app.use('/v1', idempotency(ctx.store, ctx.now));

  const routes: RouteDef[] = [];
  routes.push(
    ...metaRoutes(s, () => routes),
    ...dealRoutes(s),
    ...opsRoutes(s),
    ...forecastRoutes(s),
    ...actionRoutes(s),
    ...settingsRoutes(s),
  );
  const api = express.Router();
  mountRoutes(api, routes);
  app.use(api);

  const pages = express.Router();
  accessPages(s, pages);
  oauthRoutes(s, pages);
  overviewPage(s, pages);
  dealsPages(s, pages);
  forecastPage(s, pages);
  actionsPage(s, pages);
  diagnosticsPage(s, pages);
  modelPage(s, pages);
  syncPage(s, pages);
  settingsPage(s, pages);
  auditPage(s, pages);
  app.use(pages);

  app.use(notFound);
  app.use(errorMiddleware(ctx.logger, errorPage));
  // Expired sessions, OAuth flows and day-old idempotency records are removed hourly.
  const sweep = setInterval(() => {
    const now = ctx.now();
    Promise.all([
      ctx.store.sessions.purgeExpired(now),
      ctx.store.oauthStates.purgeExpired(now),
      ctx.store.idempotency.purgeOlderThan(new Date(now.getTime() - 24 * 3_600_000)),
    ]).catch((e: unknown) => ctx.logger.warn('web housekeeping failed', { error: e }));
  }, 3_600_000);
  sweep.unref();
  return Object.assign(app, {
    routes,
    async close() {
      clearInterval(sweep);
      await audit.flush();
    },
  });
}

/**
 * The route template that answered (`/v1/deals/:id`), never the raw URL: metric labels stay a
 * bounded set. Requests answered before any route (404, static files, 401 and 429 from the auth
 * and rate-limit layers) share `(none)`.
 */
export function routeLabel(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  return route?.path === undefined ? '(none)' : `${req.baseUrl}${String(route.path)}`;
}

/**
 * Per-caller rate limits (429 with Retry-After) and the audit trail of API-key use. A key's own
 * limit applies to every request it makes; a signed-in person gets a generous shared one.
 */
function perCallerLimits(s: ServerContext): RequestHandler {
  return (req, res, next) => {
    const p = res.locals.principal as Principal | undefined;
    if (!p) return next();
    const r = s.limiter.take(`${p.kind}:${p.id}`, p.ratePerMinute);
    if (!r.ok)
      return next(
        new AppError('rate_limited', `rate limit of ${p.ratePerMinute} requests per minute reached`, { retryAfterMs: r.retryAfterMs }),
      );
    if (p.kind === 'api_key') {
      res.on('finish', () => {
        s.audit.add(
          p.tenantId,
          { actor: p.label, action: 'api.request', target: `${req.method} ${req.path}`, details: { status: res.statusCode } },
          s.app.now(),
        );
        touchKey(s, p);
      });
    }
    next();
  };
}

/** Connections change rarely (install, re-authorize, disconnect); links may lag them by 5 s. */
function connectionsCache(ctx: AppContext): ServerContext['connections'] {
  const cache = new Map<string, { until: number; value: ReturnType<ServerContext['connections']> }>();
  return (tenantId) => {
    const t = Date.now();
    const hit = cache.get(tenantId);
    if (hit && hit.until > t) return hit.value;
    if (cache.size > 10_000) cache.clear();
    const value = ctx.store.connections.list(tenantId);
    value.catch(() => cache.delete(tenantId));
    cache.set(tenantId, { until: t + 5000, value });
    return value;
  };
}

const lastTouched = new WeakMap<ServerContext, Map<string, number>>();
/** last_used_at at most once a minute per key: the page shows it, it need not be exact. */
function touchKey(s: ServerContext, p: Principal): void {
  const t = s.app.now().getTime();
  const seen = lastTouched.get(s) ?? lastTouched.set(s, new Map()).get(s)!;
  if ((seen.get(p.id) ?? 0) > t - 60_000) return;
  seen.set(p.id, t);
  s.app.store.apiKeys
    .touch(p.tenantId, p.id, new Date(t))
    .catch((e: unknown) => s.app.logger.warn('could not record API key use', { error: e }));
}
