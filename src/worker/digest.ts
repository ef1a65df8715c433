import type { AppContext } from '../context.ts';
import type { SyncConfig } from '../sync/config.ts';
import { tenantSyncConfig } from '../sync/config.ts';
import { buildDigest } from '../sync/digest.ts';
import { nextLocalTime, reachedLocalTime } from '../sync/local-time.ts';

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
  // Next look: the next local digest time (a disabled digest waits for its settings to change).
  await ctx.store.tenantSync.setDue(
    tenantId,
    'digest',
    cfg.digest.enabled ? nextLocalTime(now, cfg.digest.localTime, cfg.digest.timezone) : null,
  );
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

/**
 * The digests of every tenant whose digest time has come (tenant_sync.digest_due_at): one query
 * at idle, whatever the number of tenants. A tenant whose settings cannot be read is looked at
 * again in an hour; the others go on.
 */
export async function queueDueDigests(ctx: AppContext, base: SyncConfig): Promise<number> {
  let queued = 0;
  for (const tenantId of await ctx.store.tenantSync.due('digest', ctx.now())) {
    try {
      queued += await queueDigests(ctx, base, tenantId);
    } catch (e) {
      ctx.logger.error('digest failed', { module: 'worker', tenantId, error: e instanceof Error ? e.message : String(e) });
      await ctx.store.tenantSync.setDue(tenantId, 'digest', new Date(ctx.now().getTime() + 3_600_000));
    }
  }
  return queued;
}
