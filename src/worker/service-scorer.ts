import type { AppContext } from '../app/context.ts';
import { AppError } from '../core/errors.ts';
import type { SyncScorer } from '../sync/scorer.ts';

// Loaded by name until src/services/scoring.ts (issue 3, in progress) lands.
const SERVICE_MODULE = '../services/scoring.ts';

/** The scoring service (issue 3) seen through the sync engine's SyncScorer interface. */
export function serviceScorer(ctx: AppContext): SyncScorer {
  let mod: Promise<{ syncScorer?: (ctx: AppContext) => SyncScorer }> | null = null;
  const inner = async (): Promise<SyncScorer> => {
    mod ??= import(SERVICE_MODULE) as Promise<{ syncScorer?: (ctx: AppContext) => SyncScorer }>;
    const m = await mod.catch((e: unknown) => {
      throw new AppError('model_unavailable', 'the scoring service (src/services/scoring.ts) is not available', { cause: e });
    });
    if (!m.syncScorer) throw new AppError('model_unavailable', 'src/services/scoring.ts does not export syncScorer');
    return m.syncScorer(ctx);
  };
  return {
    load: async (t, asOf) => (await inner()).load(t, asOf),
    train: async (t, asOf) => (await inner()).train(t, asOf),
    figuresOf: (report, status) => ({
      auc: typeof report.auc === 'number' ? report.auc : null,
      logLoss: typeof report.logLoss === 'number' ? report.logLoss : null,
      status,
      nTest: typeof report.nTest === 'number' ? report.nTest : 0,
    }),
  };
}
