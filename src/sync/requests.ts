import { z } from 'zod';
import type { AppContext } from '../context.ts';
import type { Source } from '../core/deal.ts';
import { AppError } from '../core/errors.ts';
import type { RescoreOrigin } from '../store/repos/rescore-queue.ts';

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
 * Deals a CRM reported changed or deleted (a HubSpot webhook, the Salesforce change poll): the
 * worker fetches, scores and writes back those deals alone within its poll interval (well under a
 * minute) instead of waiting for the next hour (src/sync/realtime.ts). `origin` says which of the
 * two named them; the run that serves them records it as its trigger.
 */
export async function requestRescore(
  ctx: AppContext,
  tenantId: string,
  source: Source,
  externalIds: string[],
  origin: RescoreOrigin = 'webhook',
): Promise<void> {
  await ctx.store.rescoreQueue.add(tenantId, source, externalIds, ctx.now(), origin);
}

/** The latest runs of a tenant, newest first (admin view, `GET /v1/sync/runs`). */
export async function listSyncRuns(ctx: AppContext, tenantId: string, opts: { limit?: number; connectionId?: string } = {}) {
  return ctx.store.syncRuns.list(tenantId, opts);
}

const figure = z.number().nullable().catch(null);

/** The drift a sync run saved (DriftReport with the model it checked and when), read back. */
export const StoredDrift = z
  .object({
    n: z.number().int(),
    auc: figure,
    baselineAuc: figure,
    predictedLossRate: figure,
    observedLossRate: figure,
    calibrationGap: figure,
    drifted: z.boolean(),
    reasons: z.array(z.string()),
    modelId: z.number().int().nullable().catch(null),
    at: z.iso.datetime({ offset: true }).nullable().catch(null),
  })
  .loose();
export type StoredDrift = z.infer<typeof StoredDrift>;

const StoredFigures = z.object({ auc: figure, logLoss: figure }).loose().nullable().catch(null);

/** The last training decision (TrainDecision), read back; decisions stored before `compared` existed lack it. */
export const StoredTraining = z
  .object({
    reason: z.string(),
    accepted: z.boolean(),
    why: z.string(),
    forced: z.boolean().catch(false),
    compared: z.string().nullable().catch(null),
    candidate: StoredFigures,
    incumbent: StoredFigures,
    version: z.number().int().nullable().catch(null),
  })
  .loose();
export type StoredTraining = z.infer<typeof StoredTraining>;

/**
 * What the model page shows about retraining: the drift of deals closed since the active model
 * was trained (predicted vs observed loss rate, AUC), and the last training decision (why it
 * ran, whether the candidate passed the "not worse" gate and the figures compared). Stored JSON
 * that does not parse (written by an older version) shows as nothing rather than as garbage.
 */
export async function modelHealth(
  ctx: Pick<AppContext, 'store'>,
  tenantId: string,
): Promise<{ drift: StoredDrift | null; lastTrain: StoredTraining | null; lastTrainAt: Date | null }> {
  const s = await ctx.store.tenantSync.get(tenantId);
  const drift = StoredDrift.safeParse(s?.drift);
  const lastTrain = StoredTraining.safeParse(s?.lastTrain);
  return {
    drift: drift.success ? drift.data : null,
    lastTrain: lastTrain.success ? lastTrain.data : null,
    lastTrainAt: s?.lastTrainAt ?? null,
  };
}
