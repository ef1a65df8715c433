import type { Deal } from '../../core/deal.ts';
import type { ScoringService } from '../../scoring/service.ts';
import type { modelHealth } from '../../sync/requests.ts';
import { unconvertedView } from '../api/money-schemas.ts';
import type { BaselineFiguresView, DealScoreView, DiagnosticsView, ModelPerformanceView, PipelineMetricsView } from '../api/schemas.ts';
import type { ScoringPort } from '../deps.ts';

/** NaN (a rate over no deals) and undefined become null in JSON views. */
const n = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const iso = (d: Date | string): string => (typeof d === 'string' ? d : d.toISOString());
type Obj = Record<string, unknown>;
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

const BASELINE_IDS = new Set<unknown>(['crm_probability', 'naive_bayes']);
const VERDICTS = new Set<unknown>(['model_better', 'baseline_better', 'no_difference']);

/** A stored backtest's baselines (none in a report written before they were measured). */
function baselinesOf(v: unknown): BaselineFiguresView[] {
  return arr(v)
    .filter((b) => BASELINE_IDS.has(b.id) && VERDICTS.has(b.verdict) && typeof b.sentence === 'string')
    .map((b) => {
      const d = (b.aucDifference ?? {}) as Obj;
      return {
        id: b.id as BaselineFiguresView['id'],
        label: String(b.label ?? b.id),
        covered: n(b.covered) ?? 0,
        auc: n(b.auc),
        aucLow: n(b.aucLow),
        aucHigh: n(b.aucHigh),
        logLoss: n(b.logLoss),
        brier: n(b.brier),
        aucDifference: { value: n(d.value), low: n(d.low), high: n(d.high) },
        verdict: b.verdict as BaselineFiguresView['verdict'],
        sentence: b.sentence as string,
      };
    });
}

/** `EdTech` filters on industry (the deals page's segment); `product=Widgets` names the field. */
function segmentFilter(s: string): Record<string, string> {
  const eq = s.indexOf('=');
  return eq > 0 ? { [s.slice(0, eq).trim()]: s.slice(eq + 1).trim() } : { 'account.industry': s };
}

/** The drift and last training decision a sync saved for the tenant (modelHealth in src/sync/requests.ts). */
export type ModelHealthReader = (tenantId: string) => ReturnType<typeof modelHealth>;

/**
 * The scoring service (src/scoring/service.ts) as the web app's views: the same figures,
 * reshaped into the REST API's documented JSON; `health` adds what the sync found since training.
 */
export function scoringPort(service: ScoringService, now: () => Date, health: ModelHealthReader): ScoringPort {
  return {
    async scoreDeal(tenantId: string, deal: Deal, asOf: Date): Promise<DealScoreView> {
      const s = await service.scoreDeal(tenantId, deal, asOf);
      return {
        riskScore: s.riskScore,
        category: s.category,
        winProbability: s.winProbability,
        lossProbability: s.lossProbability,
        confidence: s.confidence,
        modelVersion: s.modelVersion,
        modelStatus: s.modelStatus,
        scoredAt: iso(s.scoredAt),
        drivers: s.drivers.map((d) => ({
          feature: d.feature,
          label: d.label,
          contribution: d.contribution,
          direction: d.direction,
          sentence: d.sentence,
        })),
        actions: s.actions.map((a) => ({ action: a.action, title: a.title, priority: a.priority, rationale: a.rationale })),
        similarWon: s.similarWon.map((x) => ({ externalId: x.externalId, name: x.name, amount: x.amount })),
        note: s.note,
      };
    },

    async metrics(tenantId, filter, asOf): Promise<PipelineMetricsView> {
      const m = await service.metrics(
        tenantId,
        { ...(filter.owner ? { owner: filter.owner } : {}), ...(filter.segment ? { segment: segmentFilter(filter.segment) } : {}) },
        asOf,
      );
      return {
        asOf: iso(m.asOf),
        currency: m.currency,
        unconverted: unconvertedView(m.unconverted),
        openDeals: m.openDeals,
        rawPipeline: m.rawPipeline,
        rapv: m.rapv,
        optimismGap: n(m.optimismGap),
        expectedValue: n(m.expectedValue),
        rem: n(m.rem?.value),
        winRate: n(m.rem?.winRate ?? m.winRate.winRate),
        averageDealSize: n(m.rem?.avgDealSize),
        averageCycleDays: n(m.rem?.avgCycleDays),
        revenueAtRisk: m.revenueAtRisk,
        potentialRecovery: {
          amount: m.potentialRecovery.value,
          interventionSuccessRate: m.potentialRecovery.successRate,
          assumption: m.potentialRecovery.assumption,
        },
        segments: m.winRateBySegment.map((x) => ({
          segment: `${x.label}: ${x.value}`,
          won: x.won,
          lost: x.lost,
          winRate: n(x.winRate) ?? 0,
          interval: { low: x.low, high: x.high },
        })),
        riskDistribution: (['Low', 'Medium', 'High', 'Critical'] as const).map((category) => ({
          category,
          deals: m.riskDistribution[category].count,
          amount: m.riskDistribution[category].amount,
        })),
      };
    },

    async diagnostics(tenantId, asOf): Promise<DiagnosticsView> {
      const d = await service.diagnostics(tenantId, asOf);
      return {
        winRateByMonth: d.byMonth.map((p) => ({ period: p.period, won: p.won, lost: p.lost, winRate: n(p.winRate) })),
        changePoint: d.changePoint
          ? { period: d.changePoint.period, before: d.changePoint.before.winRate, after: d.changePoint.after.winRate }
          : null,
        stageFunnel: (d.stages ?? []).map((x) => ({
          stage: x.stage,
          reached: x.entered,
          conversion: n(x.conversion),
          medianDays: n(x.medianDays),
        })),
        cycle: {
          wonMedianDays: n(d.cycles.won.median),
          lostMedianDays: n(d.cycles.lost.median),
          won: d.cycles.won.n,
          lost: d.cycles.lost.n,
        },
        owners: d.owners.map((o) => ({
          ownerId: null,
          ownerName: o.owner,
          won: o.won,
          lost: o.lost,
          winRate: n(o.winRate),
          medianCycleDays: n(o.medianCycleDays),
          highRiskOpen: o.highRisk,
        })),
        insights: d.insights.map((i) => ({ text: i.text, impact: n(i.impact) })),
        currency: d.currency,
        unconverted: d.unconverted,
      };
    },

    async modelPerformance(tenantId): Promise<ModelPerformanceView> {
      const [perf, metrics, since] = await Promise.all([
        service.modelPerformance(tenantId),
        service.metrics(tenantId, {}, now()),
        health(tenantId),
      ]);
      const versionOf = (id: number | null) => perf.history.find((m) => m.id === id)?.version ?? null;
      const a = perf.active;
      const r = (a?.report ?? {}) as Obj;
      const hasBacktest = typeof r.auc === 'number';
      return {
        status: (a?.status as ModelPerformanceView['status']) ?? 'none',
        statusText: typeof r.statusReason === 'string' ? r.statusReason : typeof r.note === 'string' ? r.note : '',
        modelId: a?.id ?? null,
        version: a?.version ?? null,
        trainedAt: a ? iso(a.trainedAt) : null,
        backtest: hasBacktest
          ? {
              auc: n(r.auc),
              aucLow: n(r.aucLow),
              aucHigh: n(r.aucHigh),
              prAuc: n(r.prAuc),
              logLoss: n(r.logLoss),
              priorLogLoss: n(r.priorLogLoss),
              brier: n(r.brier),
              priorBrier: n(r.priorBrier),
              liftTop20: n(r.liftTop20),
              nTrain: n(r.nTrain),
              nTest: n(r.nTest),
              baselines: baselinesOf(r.baselines),
            }
          : null,
        calibration: arr(r.calibration).map((b) => ({ predicted: n(b.predicted) ?? 0, observed: n(b.observed) ?? 0, n: n(b.n) ?? 0 })),
        segments: metrics.winRateBySegment.map((x) => ({
          segment: `${x.label}: ${x.value}`,
          won: x.won,
          lost: x.lost,
          winRate: n(x.winRate) ?? 0,
          interval: { low: x.low, high: x.high },
        })),
        droppedFeatures: arr(r.droppedFeatures).map((f) => ({ feature: String(f.label ?? f.feature), auc: n(f.auc) ?? 0 })),
        history: perf.history.map((h) => ({
          id: h.id,
          version: h.version,
          status: h.status,
          active: h.active,
          trainedAt: iso(h.trainedAt),
          auc: n((h.report as Obj).auc),
        })),
        drift: since.drift
          ? {
              modelId: since.drift.modelId,
              version: versionOf(since.drift.modelId),
              checkedAt: since.drift.at,
              closedDeals: since.drift.n,
              predictedLossRate: n(since.drift.predictedLossRate),
              observedLossRate: n(since.drift.observedLossRate),
              calibrationGap: n(since.drift.calibrationGap),
              auc: n(since.drift.auc),
              baselineAuc: n(since.drift.baselineAuc),
              drifted: since.drift.drifted,
              reasons: since.drift.reasons,
            }
          : null,
        lastTraining:
          since.lastTrain && since.lastTrainAt
            ? {
                at: iso(since.lastTrainAt),
                reason: since.lastTrain.reason,
                accepted: since.lastTrain.accepted,
                forced: since.lastTrain.forced,
                why: since.lastTrain.why,
                compared: since.lastTrain.compared,
                candidateAuc: n(since.lastTrain.candidate?.auc),
                activeAuc: n(since.lastTrain.incumbent?.auc),
                version: since.lastTrain.accepted ? since.lastTrain.version : null,
              }
            : null,
      };
    },

    rollback: (tenantId, modelId, by) => service.rollback(tenantId, modelId, by),
    playbook: {
      get: (tenantId) => service.playbook.get(tenantId),
      save: (tenantId, doc, by) => service.playbook.save(tenantId, doc, by),
    },
  };
}
