import type { AppContext } from '../context.ts';
import type { SyncConfig } from '../sync/config.ts';
import { tenantSyncConfig } from '../sync/config.ts';
import { reachedLocalTime } from '../sync/local-time.ts';
import { planFromJson } from '../sync/risk-fields.ts';

export interface DigestDeal {
  source: string;
  externalId: string;
  name: string | null;
  ownerId: string | null;
  ownerName: string | null;
  amount: number | null;
  score: number;
  category: string;
  modelStatus: string;
  drivers: string[];
  firstAction: string | null;
  url: string | null;
}

/** The top High and Critical deals of a tenant (or of one owner), most at risk first. */
export interface Digest {
  tenantId: string;
  generatedAt: string;
  ownerId: string | null;
  minScore: number;
  deals: DigestDeal[];
}

/**
 * Digest content: the REST API (`GET /v1/digest`) shows the same thing the daily messages send.
 * Without `ownerId` it is the tenant summary for admins (owners named on each deal).
 */
export async function buildDigest(
  ctx: AppContext,
  tenantId: string,
  opts: { ownerId?: string | null; top?: number; minScore?: number; config?: SyncConfig } = {},
): Promise<Digest> {
  const cfg = opts.config?.digest;
  const top = opts.top ?? cfg?.top ?? 10;
  const minScore = opts.minScore ?? cfg?.minScore ?? 51;
  const rows = await ctx.store.atRisk.topRisks(tenantId, {
    minScore,
    limit: top,
    ...(opts.ownerId !== undefined ? { ownerId: opts.ownerId } : {}),
  });
  return {
    tenantId,
    generatedAt: ctx.now().toISOString(),
    ownerId: opts.ownerId ?? null,
    minScore,
    deals: rows.map((r) => {
      const s = planFromJson(r.risk).summary;
      return {
        source: r.source,
        externalId: r.externalId,
        name: r.deal.name,
        ownerId: r.deal.owner.id,
        ownerName: r.deal.owner.name,
        amount: r.deal.amount,
        score: r.score,
        category: r.category,
        modelStatus: r.modelStatus,
        drivers: s.drivers,
        firstAction: s.firstAction,
        url: s.url ?? null,
      };
    }),
  };
}

/**
 * Once per local day, at the configured time: one digest per owner with at-risk deals (email,
 * when the owner's address is known) and the tenant summary (Slack and admins' email). Queued
 * with day-stamped keys first, then the day is marked done, so a crash never loses or doubles it.
 */
export async function queueDigests(ctx: AppContext, base: SyncConfig, tenantId: string): Promise<number> {
  const tenant = await ctx.store.tenants.get(tenantId);
  if (!tenant) return 0;
  const cfg = tenantSyncConfig(base, tenant, { slackWebhookUrl: ctx.env.SLACK_WEBHOOK_URL });
  const now = ctx.now();
  const { reached, date } = reachedLocalTime(now, cfg.digest.localTime, cfg.digest.timezone);
  if (!cfg.digest.enabled || !reached) return 0;
  const state = await ctx.store.tenantSync.get(tenantId);
  if (state?.lastDigestOn && state.lastDigestOn >= date) return 0;
  let queued = 0;
  const enqueue = async (channel: 'slack' | 'email', key: string, payload: Record<string, unknown>) => {
    if (
      await ctx.store.deliveries.enqueue(tenantId, { kind: 'digest', channel, key: `digest:${date}:${key}`, payload, notBefore: now }, now)
    )
      queued++;
  };
  const summary = await buildDigest(ctx, tenantId, { config: cfg });
  if (summary.deals.length > 0) {
    const admin = { kind: 'admin', name: tenant.name };
    if (cfg.digest.channels.includes('slack') && cfg.digest.slackWebhookUrl)
      await enqueue('slack', 'admin:slack', { digest: summary, audience: admin });
    if (cfg.digest.channels.includes('email') && cfg.digest.adminEmails.length) {
      await enqueue('email', 'admin:email', { digest: summary, audience: admin, to: cfg.digest.adminEmails });
    }
  }
  if (cfg.digest.channels.includes('email')) {
    for (const owner of await ctx.store.atRisk.ownersAtRisk(tenantId, cfg.digest.minScore)) {
      const to = owner.ownerId ? cfg.digest.ownerEmails[owner.ownerId] : undefined;
      if (!to) continue;
      const digest = await buildDigest(ctx, tenantId, { ownerId: owner.ownerId, config: cfg });
      await enqueue('email', `owner:${owner.ownerId}:email`, { digest, audience: { kind: 'owner', name: owner.ownerName }, to: [to] });
    }
  }
  await ctx.store.tenantSync.markDigestSent(tenantId, date);
  return queued;
}
