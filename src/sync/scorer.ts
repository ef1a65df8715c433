import type { BacktestReport } from '../core/backtest/backtest.ts';
import type { Deal } from '../core/deal.ts';
import type { DealScore } from '../core/scoring/scorer.ts';

/** The model a run scores with. `id` null: nothing stored yet (priors / CRM probability). */
export interface ModelHandle {
  id: number | null;
  version: number;
  status: string;
  trainedAt: Date | null;
  scoreMany(deals: readonly Deal[], asOf: Date): DealScore[];
}

/** The figures the "not worse" gate compares (from the backtest of each model). */
export interface BacktestFigures {
  auc: number | null;
  logLoss: number | null;
  status: string;
  nTest: number;
}

/** A freshly trained model, backtested but not stored yet. */
export interface TrainCandidate {
  status: string;
  trainedAt: Date;
  payload: Record<string, unknown>;
  report: Record<string, unknown>;
  figures: BacktestFigures;
  /** Closed deals it learnt from (the "enough new closed deals" rule compares with this). */
  closedDeals: number;
  /** Its backtest as the scoring service produced it (null: too few closed deals), for `dealrisk train` to describe. */
  backtest?: BacktestReport | null;
  /**
   * The candidate and the active model scored on the same held-out deals (the candidate's), when
   * there is an active model and the candidate has a backtest: what the "not worse" gate compares.
   */
  headToHead?: HeadToHeadFigures | null;
}

/** Both models' figures on one set of held-out deals. */
export interface HeadToHeadFigures {
  candidate: BacktestFigures;
  incumbent: BacktestFigures;
  /** How many held-out deals, and whether only those the active model never learnt from. */
  deals: number;
  unseenOnly: boolean;
}

/**
 * What the sync engine needs from the scoring service (issue 3): load the tenant's active model,
 * train a candidate. Storing, the "not worse" gate and keeping the last versions are the
 * engine's job (src/sync/steps/retrain.ts).
 */
export interface SyncScorer {
  load(tenantId: string, asOf: Date): Promise<ModelHandle>;
  train(tenantId: string, asOf: Date): Promise<TrainCandidate>;
  /** The figures the gate reads from a stored model's report. */
  figuresOf(report: Record<string, unknown>, status: string): BacktestFigures;
}
