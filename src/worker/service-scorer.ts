import type { AppContext } from '../context.ts';
import { createScoringService } from '../scoring/service.ts';
import type { SyncScorer } from '../sync/scorer.ts';

/** The scoring service (issue 3) as the sync engine's SyncScorer: train, load, figures. */
export function serviceScorer(ctx: AppContext): SyncScorer {
  return createScoringService({ store: ctx.store });
}
