import { cardDataHandler, type DealRiskView, type SeenEventStore, webhookHandler } from '../../../connectors/hubspot/http-handlers.ts';
import type { AppContext } from '../../context.ts';
import type { ScoringService } from '../../scoring/service.ts';
import { modelHealth, requestRescore } from '../../sync/requests.ts';
import { readDetail } from '../api/detail.ts';
import type { OAuthProvider, SandboxInfo, WebDeps } from '../deps.ts';
import { oauthProvidersFromEnv } from './oauth.ts';
import { scoringPort } from './scoring.ts';
import { syncPort } from './sync.ts';

export { hubspotProvider, oauthProvidersFromEnv, type SandboxOAuthInfo, salesforceProvider, sandboxOAuthProviders } from './oauth.ts';
export { scoringPort } from './scoring.ts';
export { syncPort } from './sync.ts';

export interface WebDepsOptions {
  scoring: ScoringService;
  /** OAuth providers; default: those the environment configures (client id + secret). */
  oauth?: Partial<Record<'salesforce' | 'hubspot', OAuthProvider>>;
  /** Set when running against the sandbox CRM (the pages say so). */
  sandbox?: SandboxInfo | null;
  /** HubSpot app client secret for signed card and webhook requests (default HUBSPOT_CLIENT_SECRET). */
  hubspotClientSecret?: string;
  /**
   * The real time, which HubSpot stamps its signed requests with (default: the system clock).
   * Never the app's clock: in the demo that is the sandbox's, hours away from HubSpot's.
   */
  wallClock?: () => Date;
}

/** HubSpot retries a delivery for up to 24 hours; an event is remembered a little longer. */
export const WEBHOOK_EVENT_TTL_MS = 25 * 3_600_000;

/**
 * Webhook events already handled, in the database: every web process sees the same set, a
 * restart forgets nothing, and the worker's retention purge drops them once expired. Kept on the
 * wall clock, like HubSpot's retries.
 */
function seenHubSpotEvents(ctx: AppContext, wallClock: () => Date): SeenEventStore {
  return {
    claim(keys) {
      const now = wallClock();
      return ctx.store.webhookEvents.claim('hubspot', keys, now, new Date(now.getTime() + WEBHOOK_EVENT_TTL_MS));
    },
    release: (keys) => ctx.store.webhookEvents.release('hubspot', keys),
  };
}

/** The web app's dependencies wired to the real services: what main.ts passes to startWeb. */
export function createWebDeps(ctx: AppContext, o: WebDepsOptions): WebDeps {
  const secret = o.hubspotClientSecret ?? ctx.env.HUBSPOT_CLIENT_SECRET;
  const tenantOf = (portalId: string) => ctx.store.directory.tenantForAccount('hubspot', portalId);
  const wallClock = o.wallClock ?? (() => new Date());
  return {
    scoring: scoringPort(o.scoring, ctx.now, (tenantId) => modelHealth(ctx, tenantId)),
    sync: syncPort(ctx),
    oauth: o.oauth ?? oauthProvidersFromEnv(ctx.env, ctx.logger),
    sandbox: o.sandbox ?? null,
    ...(secret
      ? {
          hubspot: {
            cardData: cardDataHandler({
              clientSecret: secret,
              now: wallClock,
              async lookupDealRisk(portalId, dealId): Promise<DealRiskView | null> {
                const tenantId = await tenantOf(portalId);
                const r = tenantId ? await ctx.store.dealRisk.get(tenantId, 'hubspot', dealId) : null;
                if (!r) return null;
                const d = readDetail(r.detail);
                return {
                  score: r.score,
                  category: r.category as DealRiskView['category'],
                  winProbability: r.winProbability,
                  drivers: d.drivers.map((x) => x.sentence || x.label),
                  actions: d.actions.map((a) => ({ horizon: a.priority, text: a.title })),
                  modelStatus: r.modelStatus,
                  scoredAt: r.scoredAt.toISOString(),
                };
              },
            }),
            webhook: webhookHandler({
              clientSecret: secret,
              now: wallClock,
              seenEventIds: seenHubSpotEvents(ctx, wallClock),
              async enqueueRescore(portalId, dealIds, reason) {
                const tenantId = await tenantOf(portalId);
                if (!tenantId) return;
                if (reason === 'deleted') await ctx.store.deals.markDeleted(tenantId, 'hubspot', dealIds, ctx.now());
                await requestRescore(ctx, tenantId, 'hubspot', dealIds);
              },
            }),
          },
        }
      : {}),
  };
}
