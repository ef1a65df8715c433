import type { AppContext } from '../context.ts';
import type { SyncConfig } from '../sync/config.ts';
import { tenantSyncConfig } from '../sync/config.ts';

const DAY_MS = 86_400_000;

export interface PurgeReport {
  snapshots: number;
  scores: number;
  runs: number;
  /** Hourly tallies of the real-time change poll's API calls, kept as long as run records. */
  changePolls: number;
  writebacks: number;
  deliveries: number;
  alerts: number;
  /** Playbook tasks followed for the action outcomes, kept as long as score history. */
  actionTasks: number;
}

/**
 * Retention: snapshots of deals closed longer ago than `closedDealDays` (2 years), score history
 * (with the alerts and playbook tasks it raised) older than `scoreHistoryDays` (1 year), run records (with the change poll's call tallies), sent write-backs and deliveries.
 * The current state of each deal (deals, deal_sync_state) is never purged.
 */
export async function purgeTenant(ctx: AppContext, base: SyncConfig, tenantId: string): Promise<PurgeReport> {
  const tenant = await ctx.store.tenants.get(tenantId);
  if (!tenant) return { snapshots: 0, scores: 0, runs: 0, changePolls: 0, writebacks: 0, deliveries: 0, alerts: 0, actionTasks: 0 };
  const r = tenantSyncConfig(base, tenant).retention;
  const now = ctx.now().getTime();
  const ago = (days: number) => new Date(now - days * DAY_MS);
  const report: PurgeReport = {
    snapshots: await ctx.store.snapshots.purgeClosedBefore(tenantId, ago(r.closedDealDays)),
    scores: await ctx.store.scores.purgeOlderThan(tenantId, ago(r.scoreHistoryDays)),
    runs: await ctx.store.syncRuns.purgeOlderThan(tenantId, ago(r.runRecordDays)),
    changePolls: await ctx.store.changePollCalls.purgeOlderThan(tenantId, ago(r.runRecordDays)),
    writebacks: await ctx.store.outbox.purgeSentBefore(tenantId, ago(r.outboxDays)),
    deliveries: await ctx.store.deliveries.purgeBefore(tenantId, ago(r.outboxDays)),
    alerts: await ctx.store.alerts.purgeBefore(tenantId, ago(r.scoreHistoryDays)),
    actionTasks: await ctx.store.actionTasks.purgeBefore(tenantId, ago(r.scoreHistoryDays)),
  };
  await ctx.store.tenantSync.markPurged(tenantId, ctx.now());
  return report;
}

/**
 * Purges each tenant at most once a day, and the memory of CRM webhook events once it has
 * expired. That memory is kept on the wall clock (HubSpot retries on real time, whatever clock a
 * demo's sandbox runs), hence its own clock.
 */
export async function purgeDue(ctx: AppContext, base: SyncConfig, wallClock: () => Date = () => new Date()): Promise<number> {
  await ctx.store.webhookEvents.purgeExpired(wallClock());
  let n = 0;
  // Only the tenants not purged for a day: one query at idle, whatever the number of tenants.
  for (const tenantId of await ctx.store.tenantSync.purgeDue(new Date(ctx.now().getTime() - DAY_MS))) {
    await purgeTenant(ctx, base, tenantId);
    n++;
  }
  return n;
}
