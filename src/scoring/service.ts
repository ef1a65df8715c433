import { compilePlaybook } from '../core/actions/evaluate.ts';
import type { Playbook } from '../core/actions/playbook.ts';
import { type BacktestPrediction, type BacktestReport, backtest, type HeadToHead, settleModel } from '../core/backtest/backtest.ts';
import { type StageProbability, stageProbabilityTable } from '../core/backtest/baselines.ts';
import type { Deal } from '../core/deal.ts';
import { dealInputHash } from '../core/deal-hash.ts';
import { AppError } from '../core/errors.ts';
import { type Diagnostics, diagnostics } from '../core/metrics/insights.ts';
import { type PipelineMetrics, pipelineMetrics } from '../core/metrics/pipeline.ts';
import type { MetricsFilter } from '../core/metrics/segments.ts';
import type { ScoringConfig } from '../core/scoring/config.ts';
import { deserializeModel, type RiskModel, serializeModel } from '../core/scoring/model.ts';
import type { DealSnapshot } from '../core/scoring/rows.ts';
import { compileScorer, type DealScore, type Scorer } from '../core/scoring/scorer.ts';
import { type SimilarIndex, similarIndexBuilder } from '../core/scoring/similar.ts';
import { trainModel } from '../core/scoring/train.ts';
import { trainingDealCompactor } from '../core/scoring/training-deal.ts';
import type { Store } from '../store/index.ts';
import type { StoredModel } from '../store/repos/models.ts';
import { loadSyncConfig, type SyncConfig, tenantSyncConfig } from '../sync/config.ts';
import { scoredState } from '../sync/risk-fields.ts';
import type { BacktestFigures, ModelHandle, SyncScorer, TrainCandidate } from '../sync/scorer.ts';
import { entersAlert } from '../sync/steps/score.ts';
import { loadPlaybook, loadScoringConfig, tenantPlaybook, tenantScoringConfig } from './config.ts';

export interface ScoringServiceOptions {
  store: Store;
  /** Shipped defaults; loaded from config/ when omitted. */
  config?: ScoringConfig;
  playbook?: Playbook;
  /** Alert threshold and task settings for stored scores; config/sync.yaml when omitted. */
  syncConfig?: SyncConfig;
}

/** A trained and backtested model, ready to store. */
export interface TrainedModel {
  model: RiskModel;
  report: BacktestReport | null;
  closedDeals: number;
  /** Each held-out deal's outcome and predicted loss probability (with the report). */
  predictions?: BacktestPrediction[];
  /** The candidate and the active model on the same held-out deals (when one was given). */
  headToHead?: HeadToHead | null;
}

/** A tenant's effective settings: config and playbook with its overrides applied. */
interface TenantSetup {
  config: ScoringConfig;
  playbook: Playbook;
  playbookOverridden: boolean;
}

/**
 * The app layer around the pure scoring core: reads a tenant's deals, snapshots, settings and
 * models from the store, trains, scores and persists. The sync engine uses it as its SyncScorer;
 * the CLI and the web app call the rest.
 */
export function createScoringService(opts: ScoringServiceOptions) {
  const { store } = opts;
  const baseConfig = opts.config ?? loadScoringConfig();
  const basePlaybook = opts.playbook ?? loadPlaybook();

  async function setup(tenantId: string): Promise<TenantSetup> {
    const t = await store.tenants.get(tenantId);
    if (!t) throw new AppError('not_found', `tenant "${tenantId}" does not exist`);
    const playbook = tenantPlaybook(basePlaybook, t.settings, tenantId);
    return { config: tenantScoringConfig(baseConfig, t.settings, tenantId), playbook, playbookOverridden: playbook !== basePlaybook };
  }

  /**
   * The closed deals a model learns from, compacted: all of them, or `maxTrainingDeals` of them,
   * the latest by close date (among deals closed at the cut-off instant, and when too few have a
   * close date, the first by id). `closed` counts them all.
   */
  async function trainingData(
    tenantId: string,
    config: ScoringConfig,
  ): Promise<{ deals: Deal[]; snapshots: DealSnapshot[]; closed: number }> {
    const counts = await store.deals.countByStatus(tenantId);
    const closed = counts.won + counts.lost;
    const max = config.maxTrainingDeals;
    const since = closed > max ? await store.deals.nthLatestClose(tenantId, max) : null;
    const compact = trainingDealCompactor();
    const deals: Deal[] = [];
    // Deals closed at the cut-off instant itself fill what the later ones leave of the budget.
    const atCutoff: Deal[] = [];
    for await (const page of store.deals.pages(tenantId, { status: ['won', 'lost'], ...(since ? { closedSince: since } : {}) })) {
      for (const d of page) {
        if (since && d.closedAt?.getTime() === since.getTime()) {
          if (atCutoff.length < max) atCutoff.push(compact(d));
        } else if (deals.length < max) deals.push(compact(d));
      }
      if (!since && deals.length >= max) break;
    }
    for (const d of atCutoff) if (deals.length < max) deals.push(d);
    const snapshots = (await store.snapshots.forClosedDeals(tenantId, { closedSince: since, perDeal: config.momentsPerDeal })).map((s) => ({
      ...s,
      deal: compact(s.deal),
    }));
    return { deals, snapshots, closed };
  }

  /** Each open stage's usual CRM probability, read from the tenant's open deals (the CRM-probability baseline). */
  async function stageProbabilities(tenantId: string): Promise<StageProbability[]> {
    const table = stageProbabilityTable();
    for await (const page of store.deals.pages(tenantId, { status: ['open'] })) for (const d of page) table.add(d);
    return table.entries();
  }

  /** Says so in the model's notes when it learnt from the latest deals only. */
  const windowNote = (model: RiskModel, used: number, closed: number): RiskModel =>
    used < closed
      ? {
          ...model,
          notes: [
            ...model.notes,
            `Trained on the latest ${used.toLocaleString('en-US')} of ${closed.toLocaleString('en-US')} closed deals (by close date; maxTrainingDeals).`,
          ],
        }
      : model;

  /**
   * Backtests on the latest 20% (or an explicit test set), then trains on every closed deal. With
   * the active model, it is scored on the same held-out deals as the candidate.
   */
  async function train(tenantId: string, asOf: Date, testDeals?: Deal[], incumbent?: RiskModel): Promise<TrainedModel> {
    const { config } = await setup(tenantId);
    const data = await trainingData(tenantId, config);
    const latest = (await store.models.list(tenantId, 1))[0];
    const base = { config, tenantId, trainedAt: asOf, version: (latest?.version ?? 0) + 1 };
    const model = windowNote(trainModel(data, base), data.deals.length, data.closed);
    const won = data.deals.filter((d) => d.stage.status === 'won').length;
    const lost = data.deals.length - won;
    const testable = testDeals
      ? testDeals.some((d) => d.stage.status === 'won') && testDeals.some((d) => d.stage.status === 'lost')
      : won >= 2 && lost >= 2 && data.deals.length >= 10;
    // closedDeals counts every closed deal, used or not: retraining waits for that many more.
    if (!testable) return { model, report: null, closedDeals: data.closed };
    const { report, predictions, headToHead } = backtest(data, {
      ...base,
      stageProbabilities: await stageProbabilities(tenantId),
      ...(testDeals ? { test: testDeals } : {}),
      ...(incumbent ? { incumbent } : {}),
    });
    return { model: settleModel(model, report), report, closedDeals: data.closed, predictions, headToHead };
  }

  /** The stored active model, or a no-history model when none is stored yet. */
  async function activeModel(tenantId: string, asOf: Date): Promise<{ stored: StoredModel | null; model: RiskModel }> {
    const stored = await store.models.active(tenantId);
    if (stored) return { stored, model: deserializeModel(stored.payload, `tenant ${tenantId} model v${stored.version}`) };
    const { config } = await setup(tenantId);
    return { stored: null, model: trainModel({ deals: [] }, { config, tenantId, trainedAt: asOf, version: 0 }) };
  }

  /** Won deals as references, read a page at a time: only a compact entry of each is kept. */
  async function similarIndex(tenantId: string, segmentBy: readonly string[]): Promise<SimilarIndex> {
    const builder = similarIndexBuilder(segmentBy);
    for await (const page of store.deals.pages(tenantId, { status: 'won' })) builder.add(page);
    return builder.build();
  }

  async function scorerFor(tenantId: string, asOf: Date, withSimilar = true): Promise<{ stored: StoredModel | null; scorer: Scorer }> {
    const { config, playbook } = await setup(tenantId);
    const { stored, model } = await activeModel(tenantId, asOf);
    const similar = withSimilar ? await similarIndex(tenantId, config.segmentBy) : undefined;
    const rates = await store.currencyRates.bySource(tenantId);
    return {
      stored,
      scorer: compileScorer(model, {
        config,
        actions: compilePlaybook(playbook, config.maxActions),
        ...(similar ? { similar } : {}),
        rates,
      }),
    };
  }

  // One-off scoring (POST /v1/deals/score) reuses a tenant's compiled scorer for a short while:
  // building one reads every won deal (similar deals) and the model, far too slow per request.
  // A retrain, rollback or settings change reaches these scores within SCORER_TTL_MS.
  const SCORER_TTL_MS = 30_000;
  const scorerCache = new Map<string, { until: number; value: ReturnType<typeof scorerFor> }>();
  function cachedScorerFor(tenantId: string, asOf: Date): ReturnType<typeof scorerFor> {
    const t = Date.now();
    const hit = scorerCache.get(tenantId);
    if (hit && hit.until > t) return hit.value;
    const value = scorerFor(tenantId, asOf);
    value.catch(() => scorerCache.delete(tenantId));
    scorerCache.set(tenantId, { until: t + SCORER_TTL_MS, value });
    return value;
  }

  const figuresOf = (report: Record<string, unknown>, status: string): BacktestFigures => ({
    auc: typeof report.auc === 'number' ? report.auc : null,
    logLoss: typeof report.logLoss === 'number' ? report.logLoss : null,
    status,
    nTest: typeof report.nTest === 'number' ? report.nTest : 0,
  });

  const reportJson = (t: TrainedModel): Record<string, unknown> =>
    JSON.parse(
      JSON.stringify({
        ...(t.report ?? { status: t.model.status, note: 'too few closed deals to backtest' }),
        modelKind: t.model.kind,
        notes: t.model.notes,
        closedDeals: t.closedDeals,
      }),
    ) as Record<string, unknown>;

  async function saveScores(tenantId: string, scores: DealScore[], deals: Deal[], modelId: number | null, asOf: Date): Promise<void> {
    const tenant = await store.tenants.get(tenantId);
    const sync = tenantSyncConfig(opts.syncConfig ?? loadSyncConfig(), { id: tenantId, settings: tenant?.settings ?? {} });
    const priors = new Map<string, Awaited<ReturnType<Store['syncState']['prior']>>>();
    for (const source of new Set(scores.map((s) => s.source)))
      priors.set(
        source,
        await store.syncState.prior(
          tenantId,
          source,
          scores.filter((s) => s.source === source).map((s) => s.externalId),
        ),
      );
    const states = scores.map((s, i) =>
      scoredState(s, deals[i]!, {
        inputHash: dealInputHash(deals[i]!),
        modelId,
        tasks: sync.writeBack.tasks,
        url: null,
        alertDueAt: entersAlert(priors.get(s.source)?.get(s.externalId) ?? null, s.riskScore, sync.alerts, false) ? asOf : null,
      }),
    );
    await store.syncState.saveScores(tenantId, states);
  }

  const syncScorer: SyncScorer = {
    async load(tenantId, asOf): Promise<ModelHandle> {
      const { stored, scorer } = await scorerFor(tenantId, asOf);
      return {
        id: stored?.id ?? null,
        version: stored?.version ?? 0,
        status: scorer.model.status,
        trainedAt: stored?.trainedAt ?? null,
        scoreMany: (d, at) => scorer.scoreMany(d, at),
      };
    },
    async train(tenantId, asOf): Promise<TrainCandidate> {
      const active = await store.models.active(tenantId);
      const incumbent = active ? deserializeModel(active.payload, `tenant ${tenantId} model v${active.version}`) : undefined;
      const t = await train(tenantId, asOf, undefined, incumbent);
      const h = t.headToHead;
      const on = (f: { auc: number; logLoss: number }, status: string, nTest: number): BacktestFigures => ({
        auc: Number.isFinite(f.auc) ? f.auc : null,
        logLoss: Number.isFinite(f.logLoss) ? f.logLoss : null,
        status,
        nTest,
      });
      return {
        status: t.model.status,
        trainedAt: asOf,
        payload: serializeModel(t.model),
        report: reportJson(t),
        figures: figuresOf(reportJson(t), t.model.status),
        closedDeals: t.closedDeals,
        backtest: t.report,
        headToHead:
          h && active
            ? {
                candidate: on(h.candidate, t.model.status, h.deals),
                incumbent: on(h.incumbent, active.status, h.deals),
                deals: h.deals,
                unseenOnly: h.unseenOnly,
              }
            : null,
      };
    },
    figuresOf,
  };

  return {
    ...syncScorer,
    /** Backtest only (nothing stored): the latest 20% by close date, or the given test deals. */
    async evaluate(tenantId: string, asOf: Date, testDeals?: Deal[]): Promise<TrainedModel> {
      return train(tenantId, asOf, testDeals);
    },
    /**
     * Scores every open deal with the active model; unless `persist` is false, stores each score
     * as the sync's score step does (scoredState, syncState.saveScores): its history, its current
     * state, what the next sync writes back, and an alert when it newly crossed the threshold.
     */
    async scoreOpenDeals(
      tenantId: string,
      asOf: Date,
      o: { persist?: boolean } = {},
    ): Promise<{ scores: DealScore[]; model: RiskModel; modelId: number | null }> {
      const { stored, scorer } = await scorerFor(tenantId, asOf);
      const open = await store.deals.list(tenantId, { status: 'open' });
      const scores = scorer.scoreMany(open, asOf);
      if (o.persist !== false) await saveScores(tenantId, scores, open, stored?.id ?? null, asOf);
      return { scores, model: scorer.model, modelId: stored?.id ?? null };
    },
    /** Scores one deal (e.g. from the REST API) without storing anything. */
    async scoreDeal(tenantId: string, deal: Deal, asOf: Date): Promise<DealScore> {
      return (await cachedScorerFor(tenantId, asOf)).scorer.score(deal, asOf);
    },
    async metrics(tenantId: string, filter: MetricsFilter, asOf: Date): Promise<PipelineMetrics> {
      const { config } = await setup(tenantId);
      const deals = await store.deals.list(tenantId);
      const latest = await store.scores.latest(tenantId);
      const scores = new Map(latest.map((s) => [s.externalId, { winProbability: s.winProbability, category: s.category as 'Low' }]));
      const rates = await store.currencyRates.bySource(tenantId);
      return pipelineMetrics({ deals, scores, asOf, config, filter, rates });
    },
    async diagnostics(tenantId: string, asOf: Date, filter?: MetricsFilter): Promise<Diagnostics> {
      const deals = await store.deals.list(tenantId);
      const categories = new Map((await store.scores.latest(tenantId)).map((s) => [s.externalId, s.category as 'Low']));
      const rates = await store.currencyRates.bySource(tenantId);
      return diagnostics({ deals, asOf, categories, rates, ...(filter ? { filter } : {}) });
    },
    /** The active model's backtest report, notes and history (newest first). */
    async modelPerformance(tenantId: string) {
      const history = await store.models.list(tenantId, 10);
      const active = history.find((m) => m.active) ?? (await store.models.active(tenantId));
      return {
        active: active
          ? { id: active.id, version: active.version, status: active.status, trainedAt: active.trainedAt, report: active.report }
          : null,
        history: history.map(({ payload: _p, ...m }) => m),
      };
    },
    async rollback(tenantId: string, modelId: number, by: string, at = new Date()): Promise<void> {
      const m = await store.models.get(tenantId, modelId);
      if (!m) throw new AppError('not_found', `model ${modelId} not found for tenant ${tenantId}`);
      await store.models.activate(tenantId, modelId);
      await store.audit.add(
        tenantId,
        { actor: by, action: 'model.rollback', target: String(modelId), details: { version: m.version } },
        at,
      );
    },
    playbook: {
      async get(tenantId: string): Promise<{ overridden: boolean; playbook: Playbook }> {
        const s = await setup(tenantId);
        return { overridden: s.playbookOverridden, playbook: s.playbook };
      },
      /** Validates (AppError naming the key path) and stores the tenant's playbook; null restores the default. */
      async save(tenantId: string, doc: unknown, _by: string): Promise<{ overridden: boolean; playbook: Playbook }> {
        const playbook = doc === null ? null : tenantPlaybook(basePlaybook, { playbook: doc }, tenantId);
        await store.tenants.updateSettings(tenantId, { playbook });
        return { overridden: playbook !== null, playbook: playbook ?? basePlaybook };
      },
    },
  };
}
export type ScoringService = ReturnType<typeof createScoringService>;
