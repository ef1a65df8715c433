import { AppError } from '../../core/errors.ts';
import { deserializeModel } from '../../core/scoring/model.ts';
import { createScoringService } from '../../scoring/service.ts';
import { loadSyncConfig, tenantSyncConfig } from '../../sync/config.ts';
import { trainAndGate } from '../../sync/train-and-gate.ts';
import { type CliDeps, report } from '../deps.ts';
import { describeBacktest } from './evaluate.ts';

export interface TrainOptions {
  tenant: string;
  /** Save the candidate even when the "not worse" gate would keep the active model. */
  force?: boolean;
  json?: boolean;
}

/**
 * `dealrisk train` (declared in ../program.ts): the sync's own training path (trainAndGate), so
 * a candidate worse than the active model on the same held-out deals is not activated unless
 * `--force` says so.
 */
export async function runTrain(deps: CliDeps, o: TrainOptions): Promise<void> {
  const ctx = await deps.context();
  const tenant = await ctx.store.tenants.get(o.tenant);
  if (!tenant) throw new AppError('not_found', `tenant "${o.tenant}" does not exist`);
  const config = tenantSyncConfig(loadSyncConfig(), tenant);
  const started = performance.now();
  const { decision, candidate, saved } = await trainAndGate(
    { store: ctx.store, scorer: createScoringService({ store: ctx.store }) },
    o.tenant,
    ctx.now(),
    { reason: 'manual', retrain: config.retrain, ...(o.force ? { force: true } : {}) },
  );
  const seconds = (performance.now() - started) / 1000;
  const m = deserializeModel(candidate.payload, `tenant ${o.tenant} candidate model`);
  const backtest = candidate.backtest ?? null;
  const result = {
    tenant: o.tenant,
    accepted: decision.accepted,
    forced: decision.forced,
    gate: { why: decision.why, compared: decision.compared, candidate: decision.candidate, incumbent: decision.incumbent },
    modelId: saved?.id ?? null,
    version: saved?.version ?? null,
    kind: m.kind,
    status: m.status,
    closedDeals: candidate.closedDeals,
    trainingRows: m.training.rows,
    rowSource: m.training.rowSource,
    features: m.features.map((f) => f.id),
    droppedFeatures: m.dropped,
    notes: m.notes,
    backtest,
    seconds,
  };
  const what = `${m.kind} on ${candidate.closedDeals} closed deals (${m.prior.won} won, ${m.prior.lost} lost), status ${m.status}`;
  report(deps, o.json, result, () =>
    [
      saved
        ? `Trained model v${saved.version} for tenant "${o.tenant}" in ${seconds.toFixed(1)} s: ${what}.`
        : `Trained a candidate for tenant "${o.tenant}" in ${seconds.toFixed(1)} s: ${what}. Not activated: the active model stays.`,
      decision.forced
        ? `--force: saved without the "not worse" gate (${decision.why}).`
        : `"Not worse" gate, on ${decision.compared}: ${decision.why}.${saved ? '' : ' `dealrisk train --force` activates the candidate anyway.'}`,
      `Features: ${m.features.map((f) => f.label).join(', ') || 'none'}.`,
      ...m.notes,
      backtest ? describeBacktest(backtest) : 'No backtest: too few closed deals of each outcome.',
    ].join('\n'),
  );
}
