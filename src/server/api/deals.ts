import type { z } from 'zod';
import { currencyConverter, type MoneyDeal } from '../../core/currency/convert.ts';
import { normalizeCurrency } from '../../core/currency/rates.ts';
import { Deal, type Source } from '../../core/deal.ts';
import { AppError } from '../../core/errors.ts';
import { explainRiskChange } from '../../core/scoring/risk-change.ts';
import { loadScoringConfig, tenantScoringConfig } from '../../scoring/config.ts';
import type { DealMoney } from '../../store/repos/currency-rates.ts';
import type { RiskQuery, RiskRow } from '../../store/repos/deal-risk.ts';
import type { StoredScore } from '../../store/repos/scores.ts';
import type { ServerContext } from '../context.ts';
import { ageDays } from '../http/format.ts';
import { readDetail, recordLinker } from './detail.ts';
import { type RouteDef, route } from './registry.ts';
import { DealDetail, DealIdParams, HighRiskQuery, HighRiskResponse, ScoreRequest, ScoreResponse } from './schemas.ts';

/** A deal id in a URL: `<source>:<externalId>`, or a bare CRM id looked up in every source. */
export async function resolveDealId(s: ServerContext, tenantId: string, id: string): Promise<{ source: Source; externalId: string }> {
  const m = /^(salesforce|hubspot|csv):(.+)$/.exec(id);
  if (m) return { source: m[1] as Source, externalId: m[2]! };
  const hits = await s.app.store.db
    .selectFrom('deals')
    .select('source')
    .where('tenant_id', '=', tenantId)
    .where('external_id', '=', id)
    .where('deleted_at', 'is', null)
    .execute();
  if (hits.length === 0) throw new AppError('not_found', `no deal ${id} in this workspace`);
  if (hits.length > 1) {
    throw new AppError('conflict', `deal id ${id} exists in ${hits.map((h) => h.source).join(' and ')}; ask for <source>:${id}`);
  }
  return { source: hits[0]!.source as Source, externalId: id };
}

/** A listed deal's amount with what converting it needs, read from the deal by `dealMoney`. */
export function listedMoney(r: { source: string; externalId: string; amount: number | null }, facts: Map<string, DealMoney>): MoneyDeal {
  const f = facts.get(`${r.source}:${r.externalId}`);
  return {
    source: r.source as Source,
    externalId: r.externalId,
    amount: r.amount,
    currency: f?.currency ?? null,
    expectedCloseDate: f?.expectedCloseDate ?? null,
    closedAt: f?.closedAt ?? null,
  };
}

/**
 * The high-risk query the API and the deals page share. With a `reporting` currency (a tenant
 * whose CRMs gave exchange rates), amounts sort and filter converted into it.
 */
export function riskQueryFrom(q: z.output<typeof HighRiskQuery>, now: Date, reporting: string | null = null): RiskQuery {
  const day = 86_400_000;
  return {
    ...(reporting ? { amountIn: { currency: reporting, asOf: now } } : {}),
    categories: q.risk_category ?? ['High', 'Critical'],
    ...(q.owner ? { owner: q.owner } : {}),
    ...(q.segment ? { segment: q.segment } : {}),
    ...(q.min_amount !== undefined ? { minAmount: q.min_amount } : {}),
    ...(q.max_amount !== undefined ? { maxAmount: q.max_amount } : {}),
    ...(q.min_age_days !== undefined ? { createdBefore: new Date(now.getTime() - q.min_age_days * day) } : {}),
    ...(q.max_age_days !== undefined ? { createdAfter: new Date(now.getTime() - q.max_age_days * day) } : {}),
    sortBy: q.sort_by,
    order: q.order,
    limit: q.limit,
    offset: q.offset,
  };
}

export function riskDealView(r: RiskRow, now: Date, link: (source: string, id: string) => string | null) {
  const d = readDetail(r.detail);
  return {
    id: `${r.source}:${r.externalId}`,
    source: r.source,
    externalId: r.externalId,
    name: r.name,
    amount: r.amount,
    owner: { id: r.ownerId, name: r.ownerName },
    segment: r.segment,
    stage: r.stage,
    ageDays: ageDays(r.createdAt, now),
    riskScore: r.score,
    category: r.category,
    winProbability: r.winProbability,
    modelStatus: r.modelStatus,
    scoredAt: r.scoredAt.toISOString(),
    drivers: d.drivers.slice(0, 3),
    firstAction: d.actions[0] ?? null,
    crmUrl: link(r.source, r.externalId),
  };
}

/**
 * Why a deal's risk changed (the risk change ledger): its latest scoring against the one at or
 * before `days` earlier, split exactly into the deal's changes and the model's. Null without an
 * earlier scoring in the kept history.
 */
export async function dealRiskChange(
  s: ServerContext,
  tenantId: string,
  latest: StoredScore | undefined,
  o: { labels: Record<string, string>; currency: string | null },
) {
  if (!latest) return null;
  const days = await changeSinceDays(s, tenantId);
  const before = await s.app.store.scores.atOrBefore(
    tenantId,
    latest.source,
    latest.externalId,
    new Date(latest.scoredAt.getTime() - days * 86_400_000),
  );
  if (!before) return null;
  const r = explainRiskChange(
    { score: before.score, scoredAt: before.scoredAt, trace: before.trace ?? null },
    { score: latest.score, scoredAt: latest.scoredAt, trace: latest.trace ?? null },
    { labels: o.labels, currency: o.currency },
  );
  return {
    from: { riskScore: r.from.score, scoredAt: r.from.scoredAt.toISOString() },
    to: { riskScore: r.to.score, scoredAt: r.to.scoredAt.toISOString() },
    change: r.change,
    explained: r.explained,
    parts: r.parts.map(({ feature, kind, points, exact, text }) => ({ feature, kind, points, exact, text })),
    sentence: r.sentence,
  };
}

let shippedScoring: ReturnType<typeof loadScoringConfig> | undefined;

/** Days a deal's risk change looks back: the tenant's `scoring.changeSinceDays` over the shipped default. */
async function changeSinceDays(s: ServerContext, tenantId: string): Promise<number> {
  shippedScoring ??= loadScoringConfig();
  const tenant = await s.app.store.tenants.get(tenantId);
  return tenantScoringConfig(shippedScoring, tenant?.settings, tenantId).changeSinceDays;
}

export function dealRoutes(s: ServerContext): RouteDef[] {
  const { store } = s.app;
  return [
    route({
      method: 'post',
      path: '/v1/deals/score',
      tag: 'Deals',
      summary: 'Score a deal given in the body',
      description:
        "Scores the deal with the tenant's active model: risk score, category, the deal's own top drivers and recommended actions. Nothing is stored.",
      access: 'read',
      idempotent: true,
      body: ScoreRequest,
      response: ScoreResponse,
      errors: [409, 413],
      async handler({ principal, body }) {
        const parsed = Deal.safeParse({ ...body.deal, tenantId: principal.tenantId });
        if (!parsed.success)
          throw new AppError(
            'input_invalid',
            `invalid deal: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          );
        return { score: await s.deps.scoring.scoreDeal(principal.tenantId, parsed.data, s.app.now()) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/deals/high-risk',
      tag: 'Deals',
      summary: 'Open deals most likely to be lost',
      description:
        'Open deals by current risk, High and Critical unless risk_category says otherwise; each with its top drivers, first action and a link to the CRM record.',
      access: 'read',
      query: HighRiskQuery,
      response: HighRiskResponse,
      async handler({ principal, query }) {
        const now = s.app.now();
        const fx = currencyConverter(await store.currencyRates.bySource(principal.tenantId), [], now);
        const [list, connections] = await Promise.all([
          store.dealRisk.list(principal.tenantId, riskQueryFrom(query, now, fx.reporting)),
          s.connections(principal.tenantId),
        ]);
        const link = recordLinker(s.deps, connections);
        const facts = await store.currencyRates.dealMoney(principal.tenantId, list.rows);
        return {
          total: list.total,
          totalExact: list.totalExact,
          limit: query.limit,
          offset: query.offset,
          currency: fx.reporting,
          deals: list.rows.map((r) => {
            const money = listedMoney(r, facts);
            const c = fx.convert(money);
            return {
              ...riskDealView(r, now, link),
              currency: normalizeCurrency(money.currency) ?? null,
              converted: c?.ok ? c.value : null,
              ...(c && !c.ok ? { notConverted: c.reason } : {}),
            };
          }),
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/deals/:id',
      tag: 'Deals',
      summary: 'One deal: score, drivers, actions and score history',
      access: 'read',
      params: DealIdParams,
      response: DealDetail,
      errors: [404, 409],
      async handler({ principal, params }) {
        const { source, externalId } = await resolveDealId(s, principal.tenantId, params.id);
        const deal = await store.deals.get(principal.tenantId, source, externalId);
        if (!deal) throw new AppError('not_found', `no deal ${params.id} in this workspace`);
        const [current, history, connections] = await Promise.all([
          store.dealRisk.get(principal.tenantId, source, externalId),
          store.scores.history(principal.tenantId, source, externalId, 50),
          store.connections.list(principal.tenantId),
        ]);
        const d = current ? readDetail(current.detail) : null;
        const labels = Object.fromEntries((d?.drivers ?? []).map((x) => [x.feature, x.label]));
        const changes = await dealRiskChange(s, principal.tenantId, history[0], {
          labels,
          currency: deal.currency,
        });
        return {
          id: `${source}:${externalId}`,
          source,
          externalId,
          name: deal.name,
          amount: deal.amount,
          currency: deal.currency,
          status: deal.stage.status,
          stage: deal.stage.label,
          owner: deal.owner,
          createdAt: deal.createdAt?.toISOString() ?? null,
          expectedCloseDate: deal.expectedCloseDate?.toISOString() ?? null,
          crmUrl: recordLinker(s.deps, connections)(source, externalId),
          score:
            current && d
              ? {
                  riskScore: current.score,
                  category: current.category,
                  winProbability: current.winProbability,
                  modelStatus: current.modelStatus,
                  modelId: current.modelId,
                  scoredAt: current.scoredAt.toISOString(),
                  confidence: d.confidence,
                  drivers: d.drivers,
                  actions: d.actions,
                }
              : null,
          history: history.map((h) => ({
            scoredAt: h.scoredAt.toISOString(),
            riskScore: h.score,
            category: h.category,
            modelStatus: h.modelStatus,
          })),
          changes,
        };
      },
    }),
  ];
}
