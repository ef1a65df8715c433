import type { DealScore } from '../../core/scoring/scorer.ts';
import type { DealToScore, PriorState, ScoredState } from '../../store/repos/sync-state.ts';
import type { SyncConfig } from '../config.ts';
import { riskPlanOf, writtenValuesHash } from '../risk-fields.ts';
import { ANALYZE_AFTER, checkAborted, type RunState } from '../run-state.ts';

/**
 * Scores every open deal whose score is missing or stale: new and changed deals (input hash),
 * all of them when the model changed, and any score older than a day (age moves without edits).
 * The selection reads the stored state, so an interrupted run's remainder is scored next time.
 */
export async function scoreDeals(run: RunState, opts: { onlyIds?: string[] } = {}): Promise<void> {
  const { ctx, tenantId, config, asOf } = run;
  const source = run.connector.source;
  // The active model's id decides what is stale; the model itself (which reads every won deal
  // for similar-deal references) is loaded only when something needs scoring.
  const activeId = (await ctx.store.models.active(tenantId))?.id ?? null;
  let model: Awaited<ReturnType<typeof run.scorer.load>> | null = null;
  run.model.id = activeId;
  const staleBefore = new Date(asOf.getTime() - config.scoring.rescoreAfterHours * 3_600_000);
  const alertsFromScratch = config.alerts.onFirstSync || run.connection.lastSyncAt !== null;
  let afterId: string | null = null;
  do {
    checkAborted(run);
    const page: Awaited<ReturnType<typeof ctx.store.syncState.dealsToScore>> = await ctx.store.syncState.dealsToScore(tenantId, source, {
      modelId: activeId,
      staleBefore,
      afterId,
      limit: config.scoring.chunk,
      ...(opts.onlyIds ? { onlyIds: opts.onlyIds } : {}),
    });
    afterId = page.next;
    if (page.deals.length === 0) continue;
    if (!model) {
      model = await run.scorer.load(tenantId, asOf);
      Object.assign(run.model, { id: model.id, version: model.version, status: model.status });
    }
    const batch = page.deals;
    const scores = model.scoreMany(batch.map((b) => b.deal), asOf);
    const prior = await ctx.store.syncState.prior(tenantId, source, batch.map((b) => b.deal.externalId));
    const items = scores.map((s, i) =>
      toState(s, batch[i]!, prior.get(s.externalId) ?? null, model!.id, config, alertsFromScratch, asOf, run.connector.recordUrl(s.externalId)),
    );
    await ctx.store.syncState.saveScores(tenantId, items);
    run.counts.scored += items.length;
  } while (afterId !== null);
  if (run.counts.scored >= ANALYZE_AFTER) await ctx.store.syncState.analyze();
  await run.probe('scored');
}

/**
 * A deal "enters" the alert threshold when its previous score was below it; a deal never scored
 * before enters only after the connection's first sync (the first sync is the baseline).
 */
export function entersAlert(prior: PriorState | null, score: number, cfg: SyncConfig['alerts'], fromScratch: boolean): boolean {
  if (!cfg.enabled || score < cfg.threshold) return false;
  return prior ? prior.score < cfg.threshold : fromScratch;
}

function toState(
  s: DealScore,
  item: DealToScore,
  prior: PriorState | null,
  modelId: number | null,
  config: SyncConfig,
  fromScratch: boolean,
  asOf: Date,
  url: string | null,
): ScoredState {
  const plan = riskPlanOf(s, item.deal, config.writeBack.tasks, url);
  return {
    source: s.source,
    externalId: s.externalId,
    inputHash: item.inputHash,
    scoredAt: s.scoredAt,
    modelId,
    score: s.riskScore,
    category: s.category,
    winProbability: s.winProbability,
    modelStatus: s.modelStatus,
    detail: {
      lossProbability: s.lossProbability,
      confidence: s.confidence,
      modelVersion: s.modelVersion,
      basis: s.basis,
      drivers: s.drivers,
      actions: s.actions,
      similarWon: s.similarWon,
      note: s.note,
    },
    risk: plan as unknown as Record<string, unknown>,
    valuesHash: writtenValuesHash(plan.fields),
    alertDueAt: entersAlert(prior, s.riskScore, config.alerts, fromScratch) ? asOf : null,
  };
}
