import type { AppContext } from '../../app/context.ts';
import { cardDataHandler, memorySeenEventStore, webhookHandler, type DealRiskView } from '../../../connectors/hubspot/http-handlers.ts';
import { requestRescore } from '../../sync/requests.ts';
import type { ScoringService } from '../../services/scoring.ts';
import { readDetail } from '../api/detail.ts';
import type { OAuthProvider, SandboxInfo, WebDeps } from '../deps.ts';
import { oauthProvidersFromEnv } from './oauth.ts';
import { scoringPort } from './scoring.ts';
import { syncPort } from './sync.ts';

export { hubspotProvider, salesforceProvider, oauthProvidersFromEnv, sandboxOAuthProviders, type SandboxOAuthInfo } from './oauth.ts';
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

/** The web app's dependencies wired to the real services: what main.ts passes to startWeb. */
export function createWebDeps(ctx: AppContext, o: WebDepsOptions): WebDeps {
  const secret = o.hubspotClientSecret ?? ctx.env.HUBSPOT_CLIENT_SECRET;
  const tenantOf = (portalId: string) => ctx.store.directory.tenantForAccount('hubspot', portalId);
  const wallClock = o.wallClock ?? (() => new Date());
  return {
    scoring: scoringPort(o.scoring, ctx.now),
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
              seenEventIds: memorySeenEventStore(),
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
