import { createScoringService } from '../../scoring/service.ts';
import { type CliDeps, report } from '../deps.ts';
import { describeBacktest } from './evaluate.ts';

export interface TrainOptions {
  tenant: string;
  json?: boolean;
}

/** `dealrisk train` (declared in ../program.ts). */
export async function runTrain(deps: CliDeps, o: TrainOptions): Promise<void> {
  const ctx = await deps.context();
  const started = performance.now();
  const { stored, trained } = await createScoringService({ store: ctx.store }).trainAndActivate(o.tenant, ctx.now());
  const seconds = (performance.now() - started) / 1000;
  const m = trained.model;
  const result = {
    tenant: o.tenant,
    modelId: stored.id,
    version: stored.version,
    kind: m.kind,
    status: m.status,
    closedDeals: trained.closedDeals,
    trainingRows: m.training.rows,
    rowSource: m.training.rowSource,
    features: m.features.map((f) => f.id),
    droppedFeatures: m.dropped,
    notes: m.notes,
    backtest: trained.report,
    seconds,
  };
  report(deps, o.json, result, () =>
    [
      `Trained model v${stored.version} for tenant "${o.tenant}" in ${seconds.toFixed(1)} s: ${m.kind} on ${trained.closedDeals} closed deals (${m.prior.won} won, ${m.prior.lost} lost), status ${m.status}.`,
      `Features: ${m.features.map((f) => f.label).join(', ') || 'none'}.`,
      ...m.notes,
      trained.report ? describeBacktest(trained.report) : 'No backtest: too few closed deals of each outcome.',
    ].join('\n'),
  );
}
