import { currencyConverter } from '../../core/currency/convert.ts';
import type { ServerContext } from '../context.ts';
import { type RouteDef, route } from './registry.ts';
import {
  DigestQuery,
  DigestResponse,
  MetricsQuery,
  ModelPerformance,
  PipelineMetrics,
  SyncAccepted,
  SyncRequest,
  SyncRunsQuery,
  SyncRunsResponse,
} from './schemas.ts';

export function opsRoutes(s: ServerContext): RouteDef[] {
  const { store } = s.app;
  return [
    route({
      method: 'get',
      path: '/v1/pipeline/metrics',
      tag: 'Pipeline',
      summary: 'Raw pipeline, RAPV, optimism gap, expected value, REM, revenue at risk',
      description: 'Potential recovery is an estimate: it assumes the intervention success rate it reports.',
      access: 'read',
      query: MetricsQuery,
      response: PipelineMetrics,
      async handler({ principal, query }) {
        const [m, riskDistribution] = await Promise.all([
          s.deps.scoring.metrics(
            principal.tenantId,
            { ...(query.segment ? { segment: query.segment } : {}), ...(query.owner ? { owner: query.owner } : {}) },
            s.app.now(),
          ),
          store.currencyRates
            .bySource(principal.tenantId)
            .then((rates) => currencyConverter(rates, [], s.app.now()).reporting)
            .then((reporting) =>
              store.dealRisk.distribution(principal.tenantId, reporting ? { currency: reporting, asOf: s.app.now() } : undefined),
            ),
        ]);
        // The scoring service's distribution has its amounts in the reporting currency.
        return { ...m, riskDistribution: m.riskDistribution ?? riskDistribution };
      },
    }),
    route({
      method: 'get',
      path: '/v1/models/performance',
      tag: 'Model',
      summary: 'Model status, backtest next to the prior, calibration, segment win rates, history',
      access: 'read',
      response: ModelPerformance,
      async handler({ principal }) {
        return s.deps.scoring.modelPerformance(principal.tenantId);
      },
    }),
    route({
      method: 'post',
      path: '/v1/sync',
      tag: 'Sync',
      summary: 'Sync now',
      description: "Asks the worker to run this tenant's sync at once instead of waiting for the hourly schedule.",
      access: 'admin',
      idempotent: true,
      body: SyncRequest,
      response: SyncAccepted,
      status: 202,
      async handler({ principal, body }) {
        const r = await s.deps.sync.requestSync(principal.tenantId, principal.label, body?.connectionId);
        await store.audit.add(
          principal.tenantId,
          { actor: principal.label, action: 'sync.requested', target: body?.connectionId ?? null },
          s.app.now(),
        );
        return { requested: r.requested, requestedAt: r.requestedAt.toISOString(), message: r.message };
      },
    }),
    route({
      method: 'get',
      path: '/v1/sync/runs',
      tag: 'Sync',
      summary: 'Recent sync runs with counts, API calls, errors and rejected records',
      access: 'read',
      query: SyncRunsQuery,
      response: SyncRunsResponse,
      async handler({ principal, query }) {
        return { runs: await s.deps.sync.runs(principal.tenantId, query.limit) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/digest',
      tag: 'Sync',
      summary: 'The daily digest: top High and Critical deals per owner',
      access: 'read',
      query: DigestQuery,
      response: DigestResponse,
      async handler({ principal, query }) {
        return s.deps.sync.digest(principal.tenantId, s.app.now(), { ...(query.owner ? { owner: query.owner } : {}) });
      },
    }),
  ];
}
