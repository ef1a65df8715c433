import { type DriftReport, driftOf, retrainDue } from '../retrain-policy.ts';
import type { RunState } from '../run-state.ts';
import { trainAndGate } from '../train-and-gate.ts';

/**
 * (Re)train when due: no model, enough new closed deals, a day old, or drift. Training, the
 * "not worse" gate and saving are trainAndGate's, the path `dealrisk train` takes too.
 */
export async function retrainWhenDue(run: RunState): Promise<void> {
  const { ctx, tenantId, config, asOf } = run;
  const active = await ctx.store.models.active(tenantId);
  const sync = await ctx.store.tenantSync.get(tenantId);
  const incumbent = active ? run.scorer.figuresOf(active.report, active.status) : null;
  let drift: DriftReport | null = null;
  if (active) {
    drift = driftOf(
      await ctx.store.syncState.outcomesSince(tenantId, active.trainedAt, active.id),
      incumbent?.auc ?? null,
      config.retrain.drift,
    );
    await ctx.store.tenantSync.saveDrift(tenantId, { ...drift, modelId: active.id, at: asOf.toISOString() });
    run.model.drift = drift;
  }
  // New closed deals = closed now − closed when last trained (a deal closed with a back-dated
  // close date still counts: what matters is that the model has not learnt from it).
  const trainedOn = Math.max(Number(active?.report.closedDeals ?? 0), Number(sync?.lastTrain?.closedDeals ?? 0));
  const closedNow = await ctx.store.syncState.closedSince(tenantId, null);
  const reason: ReturnType<typeof retrainDue> = retrainDue(
    {
      active: active ? { trainedAt: active.trainedAt, closedDeals: Number(active.report.closedDeals ?? 0) } : null,
      lastAttemptAt: sync?.lastTrainAt ?? null,
      newClosed: Math.max(0, closedNow - trainedOn),
      drift,
      now: asOf,
    },
    config.retrain,
  );
  if (!reason) {
    await run.probe('trained');
    return;
  }

  const { decision } = await trainAndGate({ store: ctx.store, scorer: run.scorer }, tenantId, asOf, { reason, retrain: config.retrain });
  run.model.retrained = decision.accepted;
  run.model.reason = `${reason}: ${decision.why}`;
  run.log.info('model training', { reason, accepted: decision.accepted, why: decision.why });
  await run.probe('trained');
}
