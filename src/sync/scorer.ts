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
  /** The active model's figures on the candidate's own holdout, when the service can compute them. */
  incumbent?: BacktestFigures | null;
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
