import type { Deal } from '../../../../src/core/deal.ts';
import { categoryOf } from '../../../../src/core/scoring/config.ts';
import type { DealScore } from '../../../../src/core/scoring/scorer.ts';
import type { Store } from '../../../../src/store/index.ts';
import type { BacktestFigures, SyncScorer, TrainCandidate } from '../../../../src/sync/scorer.ts';

const THRESHOLDS = { low: 25, medium: 50, high: 75 };

/**
 * A scorer whose risk score is the deal's `extras.risk` (default 30), so a test sets exactly
 * which deals are Critical. The sync engine is what is under test here; the real model has its
 * own tests (issue 3) and the end-to-end test uses it.
 */
export function fakeScorer(store: Store, opts: { candidates?: Array<Partial<BacktestFigures>> } = {}) {
  const trained: Date[] = [];
  const candidates = [...(opts.candidates ?? [])];
  const scorer: SyncScorer = {
    async load(tenantId) {
      const m = await store.models.active(tenantId);
      return {
        id: m?.id ?? null,
        version: m?.version ?? 0,
        status: m?.status ?? 'prior_only',
        trainedAt: m?.trainedAt ?? null,
        scoreMany: (deals, asOf) => deals.map((d) => scoreOf(d, asOf, m?.status ?? 'prior_only', m?.version ?? 0)),
      };
    },
    async train(tenantId, asOf): Promise<TrainCandidate> {
      trained.push(asOf);
      const f = { auc: 0.8, logLoss: 0.5, status: 'ok', nTest: 40, ...(candidates.shift() ?? {}) };
      const closed = await store.deals.countByStatus(tenantId);
      return {
        status: f.status,
        trainedAt: asOf,
        payload: { fake: true },
        report: { auc: f.auc, logLoss: f.logLoss, nTest: f.nTest },
        figures: f,
        closedDeals: closed.won + closed.lost,
      };
    },
    figuresOf: (report, status) => ({
      auc: (report.auc as number) ?? null,
      logLoss: (report.logLoss as number) ?? null,
      status,
      nTest: (report.nTest as number) ?? 0,
    }),
  };
  return { scorer, trained };
}

export function scoreOf(d: Deal, asOf: Date, status: string, version: number): DealScore {
  const risk = Math.max(0, Math.min(100, Number(d.extras.risk ?? 30)));
  const category = categoryOf(risk, THRESHOLDS);
  const high = risk > 50;
  return {
    externalId: d.externalId,
    source: d.source,
    winProbability: 1 - risk / 100,
    lossProbability: risk / 100,
    riskScore: risk,
    category,
    confidence: 'medium',
    modelVersion: version,
    modelStatus: status as DealScore['modelStatus'],
    basis: 'model',
    scoredAt: asOf,
    baselineLogit: 0,
    logit: 0,
    drivers: [
      {
        feature: 'risk',
        label: 'Risk',
        contribution: 1,
        direction: 'raises_risk',
        winRate: 0.3,
        overallWinRate: 0.5,
        sentence: `Risk input is ${risk}`,
      },
    ],
    actions: high
      ? [
          {
            action: 'exec-call',
            rule: 'critical',
            title: 'Executive sponsor call',
            priority: 'immediate',
            rationale: 'Critical deals need a sponsor.',
          },
          {
            action: 'milestones',
            rule: 'long-cycle',
            title: 'Agree dated milestones',
            priority: 'this_week',
            rationale: 'Dates keep it moving.',
          },
          { action: 'nurture', rule: 'ongoing', title: 'Keep in touch', priority: 'ongoing', rationale: 'Stay close.' },
        ]
      : [],
    similarWon: [],
    note: null,
  };
}
