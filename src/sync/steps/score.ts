import { scoringChangedAt } from '../../core/scoring/config.ts';
import type { DealScore } from '../../core/scoring/scorer.ts';
import { describeStoreError, writeIsolating } from '../../store/isolate-records.ts';
import type { DealToScore, PriorState, ScoredState } from '../../store/repos/sync-state.ts';
import type { SyncConfig } from '../config.ts';
import { scoredState } from '../risk-fields.ts';
import { ANALYZE_AFTER, checkAborted, type RunState, rejectRecord } from '../run-state.ts';
import type { ModelHandle } from '../scorer.ts';

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
  // Scores age out after rescoreAfterHours, and all at once when the tenant changed its thresholds.
  const changedAt = scoringChangedAt((await ctx.store.tenants.get(tenantId))?.settings);
  const staleBefore = new Date(Math.max(asOf.getTime() - config.scoring.rescoreAfterHours * 3_600_000, changedAt?.getTime() ?? 0));
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
    const batch = scoreIsolated(run, model, page.deals);
    const prior = await ctx.store.syncState.prior(
      tenantId,
      source,
      batch.map((b) => b.item.deal.externalId),
    );
    const items: ScoredState[] = [];
    for (const { item, score } of batch) {
      try {
        items.push(
          toState(
            score,
            item,
            prior.get(score.externalId) ?? null,
            model.id,
            config,
            alertsFromScratch,
            asOf,
            run.connector.recordUrl(score.externalId),
          ),
        );
      } catch (e) {
        rejectRecord(run, {
          step: 'score',
          recordId: item.deal.externalId,
          field: null,
          reason: `its risk fields could not be built: ${messageOf(e)}`,
        });
      }
    }
    run.counts.scored += await saveIsolated(run, items);
  } while (afterId !== null);
  if (run.counts.scored >= ANALYZE_AFTER) await ctx.store.syncState.analyze();
  await run.probe('scored');
}

type Scored = { item: DealToScore; score: DealScore };

/**
 * Scores a page in one call; when that throws, deal by deal, so a deal whose features cannot be
 * computed is rejected alone and the others are scored. When every deal of the page fails, the
 * fault is the model's, not the deals': the error stops the run.
 */
function scoreIsolated(run: RunState, model: ModelHandle, batch: DealToScore[]): Scored[] {
  try {
    const scores = model.scoreMany(
      batch.map((b) => b.deal),
      run.asOf,
    );
    return batch.map((item, i) => ({ item, score: scores[i]! }));
  } catch (first) {
    const out: Scored[] = [];
    const failed: Array<{ item: DealToScore; error: unknown }> = [];
    for (const item of batch) {
      try {
        out.push({ item, score: model.scoreMany([item.deal], run.asOf)[0]! });
      } catch (error) {
        failed.push({ item, error });
      }
    }
    if (batch.length > 1 && out.length === 0) throw first;
    for (const f of failed)
      rejectRecord(run, {
        step: 'score',
        recordId: f.item.deal.externalId,
        field: null,
        reason: `could not be scored: ${messageOf(f.error)}`,
      });
    return out;
  }
}

/**
 * saveScores commits up to this many scores per transaction: a call of this size is
 * all-or-nothing, so a score the database refuses can be isolated without saving others twice.
 */
const SAVE_CHUNK = 500;

/** Saves the scores; one the database refuses is rejected alone. Returns how many were saved. */
async function saveIsolated(run: RunState, items: ScoredState[]): Promise<number> {
  let saved = 0;
  for (let i = 0; i < items.length; i += SAVE_CHUNK) {
    const chunk = items.slice(i, i + SAVE_CHUNK);
    const failed = await writeIsolating(chunk, (b) => run.ctx.store.syncState.saveScores(run.tenantId, b));
    for (const f of failed) rejectRecord(run, { step: 'score', recordId: f.item.externalId, ...describeStoreError(f.error) });
    saved += chunk.length - failed.length;
  }
  return saved;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

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
  return scoredState(s, item.deal, {
    inputHash: item.inputHash,
    modelId,
    tasks: config.writeBack.tasks,
    url,
    alertDueAt: entersAlert(prior, s.riskScore, config.alerts, fromScratch) ? asOf : null,
  });
}
