import { type DriftReport, driftOf, notWorse, retrainDue } from '../retrain-policy.ts';
import type { RunState } from '../run-state.ts';

/**
 * (Re)train when due: no model, enough new closed deals, a day old, or drift. The candidate is
 * backtested by the scoring service and replaces the active model only if it is not worse; the
 * last versions are kept for rollback.
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
    run.model.drift = drift as unknown as Record<string, unknown>;
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

  const candidate = await run.scorer.train(tenantId, asOf);
  const gate = notWorse(candidate.figures, candidate.incumbent ?? incumbent, config.retrain.gate);
  const decision = {
    reason,
    accepted: gate.accept,
    why: gate.reason,
    closedDeals: candidate.closedDeals,
    candidate: candidate.figures,
    incumbent: candidate.incumbent ?? incumbent,
  };
  if (gate.accept) {
    const saved = await ctx.store.models.save(
      tenantId,
      {
        status: candidate.status,
        trainedAt: candidate.trainedAt,
        payload: candidate.payload,
        report: { ...candidate.report, closedDeals: candidate.closedDeals },
      },
      true,
    );
    await ctx.store.models.prune(tenantId, config.retrain.keepModels);
    Object.assign(decision, { modelId: saved.id, version: saved.version });
    run.model.retrained = true;
  }
  await ctx.store.tenantSync.recordTraining(tenantId, asOf, decision);
  run.model.reason = `${reason}: ${gate.reason}`;
  run.log.info('model training', { reason, accepted: gate.accept, why: gate.reason });
  await run.probe('trained');
}
