import type { Store } from '../store/index.ts';
import type { StoredModel } from '../store/repos/models.ts';
import type { SyncConfig } from './config.ts';
import { notWorse, type RetrainReason } from './retrain-policy.ts';
import type { BacktestFigures, SyncScorer, TrainCandidate } from './scorer.ts';

/** Why a model was trained: one of the sync's retrain rules, or an admin's `dealrisk train`. */
export type TrainReason = RetrainReason | 'manual';

/** The last training decision, as `tenant_sync.last_train` keeps it and the model page shows it. */
export interface TrainDecision {
  reason: TrainReason;
  accepted: boolean;
  why: string;
  /** True when `dealrisk train --force` saved the candidate without the gate. */
  forced: boolean;
  closedDeals: number;
  /** The figures the gate compared, and on what. */
  candidate: BacktestFigures;
  incumbent: BacktestFigures | null;
  compared: string;
  modelId?: number;
  version?: number;
}

/**
 * The one way a model becomes active, for the sync's retrain step and `dealrisk train` alike:
 * the scoring service trains and backtests a candidate, the "not worse" gate compares it with the
 * active model on the same held-out deals, an accepted candidate is saved and activated (the last
 * `keepModels` versions kept for rollback), and the decision is recorded either way, so a rejected
 * candidate counts as the last training. `force` saves the candidate whatever the gate says.
 */
export async function trainAndGate(
  d: { store: Store; scorer: SyncScorer },
  tenantId: string,
  asOf: Date,
  o: { reason: TrainReason; retrain: SyncConfig['retrain']; force?: boolean },
): Promise<{ decision: TrainDecision; candidate: TrainCandidate; saved: StoredModel | null }> {
  const active = await d.store.models.active(tenantId);
  const candidate = await d.scorer.train(tenantId, asOf);
  const h = candidate.headToHead;
  const pair = h
    ? {
        candidate: h.candidate,
        incumbent: h.incumbent,
        compared: `the same ${h.deals} held-out deals${h.unseenOnly ? ', all closed after the active model was trained' : ''}`,
      }
    : {
        candidate: candidate.figures,
        incumbent: active ? d.scorer.figuresOf(active.report, active.status) : null,
        compared: active ? "each model's own backtest" : 'no active model',
      };
  const gate = notWorse(pair.candidate, pair.incumbent, o.retrain.gate);
  const accepted = gate.accept || o.force === true;
  const decision: TrainDecision = {
    reason: o.reason,
    accepted,
    why: !gate.accept && o.force ? `forced past the "not worse" gate, which said: ${gate.reason}` : gate.reason,
    forced: o.force === true,
    closedDeals: candidate.closedDeals,
    candidate: pair.candidate,
    incumbent: pair.incumbent,
    compared: pair.compared,
  };
  let saved: StoredModel | null = null;
  if (accepted) {
    saved = await d.store.models.save(
      tenantId,
      {
        status: candidate.status,
        trainedAt: candidate.trainedAt,
        payload: candidate.payload,
        report: { ...candidate.report, closedDeals: candidate.closedDeals },
      },
      true,
    );
    await d.store.models.prune(tenantId, o.retrain.keepModels);
    Object.assign(decision, { modelId: saved.id, version: saved.version });
  }
  await d.store.tenantSync.recordTraining(tenantId, asOf, decision);
  return { decision, candidate, saved };
}
