import type { AppContext } from '../context.ts';
import type { Source } from '../core/deal.ts';
import { AppError } from '../core/errors.ts';

/**
 * "Sync now" (admin action, `POST /v1/sync`): any running worker picks it up within its poll
 * interval. Returns when the request was recorded, not when the run ends; the run shows up in
 * `listSyncRuns`.
 */
export async function requestSync(ctx: AppContext, tenantId: string, by: string | null = null): Promise<{ requestedAt: Date }> {
  if (!(await ctx.store.tenants.get(tenantId))) throw new AppError('not_found', `tenant ${tenantId} does not exist`);
  const requestedAt = ctx.now();
  await ctx.store.tenantSync.request(tenantId, by, requestedAt);
  return { requestedAt };
}

/**
 * Deals a CRM webhook reported changed or deleted: the worker runs the tenant's incremental
 * sync within its poll interval (well under a minute) instead of waiting for the next hour.
 */
export async function requestRescore(ctx: AppContext, tenantId: string, source: Source, externalIds: string[]): Promise<void> {
  await ctx.store.rescoreQueue.add(tenantId, source, externalIds, ctx.now());
}

/** The latest runs of a tenant, newest first (admin view, `GET /v1/sync/runs`). */
export async function listSyncRuns(ctx: AppContext, tenantId: string, opts: { limit?: number; connectionId?: string } = {}) {
  return ctx.store.syncRuns.list(tenantId, opts);
}

/**
 * What the model page shows about retraining: the drift of deals closed since the active model
 * was trained (predicted vs observed loss rate, AUC), and the last training decision (why it
 * ran, whether the candidate passed the "not worse" gate and the figures compared).
 */
export async function modelHealth(
  ctx: AppContext,
  tenantId: string,
): Promise<{ drift: Record<string, unknown> | null; lastTrain: Record<string, unknown> | null; lastTrainAt: Date | null }> {
  const s = await ctx.store.tenantSync.get(tenantId);
  return { drift: s?.drift ?? null, lastTrain: s?.lastTrain ?? null, lastTrainAt: s?.lastTrainAt ?? null };
}
