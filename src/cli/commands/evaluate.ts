import { readCsvDeals } from '../../../connectors/csv/index.ts';
import type { BacktestReport } from '../../core/backtest/backtest.ts';
import { AppError } from '../../core/errors.ts';
import { loadMappingFile } from '../../mapping/load.ts';
import { createScoringService } from '../../scoring/service.ts';
import { writeCsv } from '../csv.ts';
import { type CliDeps, report } from '../deps.ts';

/** What `--predictions` writes per test deal: its outcome and the loss probability the backtest gave it. */
const PREDICTION_COLUMNS = ['id', 'actual', 'lossProbability', 'riskScore'] as const;

const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

/** A backtest in words an admin can read. */
export function describeBacktest(r: BacktestReport): string {
  const split =
    r.split === 'explicit'
      ? 'the test file'
      : r.split === 'time'
        ? 'the latest 20% of closed deals by close date'
        : 'a fixed 20% sample (no close dates)';
  return [
    `Backtest on ${split}: ${r.nTest} test deals, ${r.nTrain} training deals.`,
    `ROC-AUC ${f3(r.auc)} [${f3(r.aucLow)}, ${f3(r.aucHigh)}]; PR-AUC (loss) ${f3(r.prAuc)}; log-loss ${r.logLoss.toFixed(4)} vs ${r.priorLogLoss.toFixed(4)} for the base rate; Brier ${r.brier.toFixed(4)} vs ${r.priorBrier.toFixed(4)}; lift in the riskiest 20%: ${r.liftTop20.toFixed(2)}×.`,
    `Status: ${r.status} (${r.statusReason}).`,
    ...r.baselines.map(
      (b) =>
        `Baseline, ${b.label}: ROC-AUC ${f3(b.auc)} [${f3(b.aucLow)}, ${f3(b.aucHigh)}]; log-loss ${b.logLoss.toFixed(4)}; Brier ${b.brier.toFixed(4)}. ${b.sentence}`,
    ),
    ...(r.droppedFeatures.length
      ? [`Dropped as leakage: ${r.droppedFeatures.map((d) => `${d.label} (AUC ${d.auc.toFixed(3)})`).join(', ')}.`]
      : []),
    'Calibration (predicted vs observed loss rate by decile): ' +
      r.calibration.map((b) => `${Math.round(b.predicted * 100)}/${Math.round(b.observed * 100)}`).join(' '),
  ].join('\n');
}

export interface EvaluateOptions {
  tenant: string;
  testFile?: string;
  mapping?: string;
  predictions?: string;
  json?: boolean;
}

/** `dealrisk evaluate` (declared in ../program.ts). */
export async function runEvaluate(deps: CliDeps, o: EvaluateOptions): Promise<void> {
  if (o.testFile && !o.mapping) throw new AppError('input_invalid', '--test-file needs --mapping <file>');
  const test = o.testFile
    ? (await readCsvDeals({ file: o.testFile, mapping: loadMappingFile(o.mapping!), tenantId: o.tenant })).deals
    : undefined;
  const ctx = await deps.context();
  const t = await createScoringService({ store: ctx.store }).evaluate(o.tenant, ctx.now(), test);
  if (!t.report)
    throw new AppError(
      'model_unavailable',
      `tenant "${o.tenant}": too few closed deals of each outcome to backtest (${t.model.prior.won} won, ${t.model.prior.lost} lost)`,
    );
  const r = t.report;
  const predictions = t.predictions ?? [];
  if (o.predictions) {
    writeCsv(
      o.predictions,
      PREDICTION_COLUMNS,
      predictions.map((p) => ({ id: p.externalId, actual: p.actual, lossProbability: p.lossProbability, riskScore: p.riskScore })),
    );
  }
  const json = { ...r, modelStatus: t.model.status, modelKind: t.model.kind, notes: t.model.notes, predictionsFile: o.predictions ?? null };
  report(deps, o.json, json, () =>
    [
      describeBacktest(r),
      ...(o.predictions ? [`Wrote ${predictions.length} test deals to ${o.predictions} (${PREDICTION_COLUMNS.join(', ')}).`] : []),
    ].join('\n'),
  );
}
