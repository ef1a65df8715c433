import type { AppContext } from '../../context.ts';
import { currencyConverter } from '../../core/currency/convert.ts';
import { type Deal, Source, type StageStatus } from '../../core/deal.ts';
import { AppError } from '../../core/errors.ts';
import { DEFAULT_ORDER, type DealSort, type ListedDeal, listDeals, type SortOrder } from '../deal-listing.ts';
import { type CliDeps, report } from '../deps.ts';
import { effect, readScoreDetail, signedSentence } from '../score-detail.ts';
import { table } from '../table.ts';

export interface DealsListOptions {
  stage?: StageStatus;
  sort: DealSort;
  order?: SortOrder;
  limit: number;
  tenant: string;
  json?: boolean;
}

export interface DealsShowOptions {
  tenant: string;
  history: number;
  json?: boolean;
}

const day = (d: Date | null | undefined): string | null => d?.toISOString().slice(0, 10) ?? null;
const minute = (d: Date): string => d.toISOString().slice(0, 16).replace('T', ' ');
const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** One deal of the list, every field in full (the terminal table may cut the long ones). */
function listView(l: ListedDeal) {
  const d = l.deal;
  const s = l.risk ? readScoreDetail(l.risk.detail) : null;
  const driver = s?.drivers[0];
  const action = s?.actions[0];
  return {
    source: d.source,
    id: d.externalId,
    name: d.name,
    status: d.stage.status,
    stage: d.stage.label,
    amount: d.amount,
    currency: d.currency,
    owner: d.owner.name ?? d.owner.id,
    createdAt: day(d.createdAt),
    closeDate: day(d.closedAt ?? d.expectedCloseDate),
    riskScore: l.risk?.score ?? null,
    category: l.risk?.category ?? null,
    scoredAt: l.risk?.scoredAt.toISOString() ?? null,
    topDriver: driver
      ? { label: driver.label, direction: driver.direction, contribution: driver.contribution, sentence: driver.sentence }
      : null,
    firstAction: action ? { title: action.title, priority: action.priority, rationale: action.rationale } : null,
  };
}

/** `dealrisk deals list` (declared in ../program.ts). */
export async function runDealsList(deps: CliDeps, o: DealsListOptions): Promise<void> {
  const order = o.order ?? DEFAULT_ORDER[o.sort];
  const ctx = await deps.context();
  // Amounts sort in the corporate currency when the CRM gave exchange rates.
  const reporting = currencyConverter(await ctx.store.currencyRates.bySource(o.tenant), [], ctx.now()).reporting;
  const amountIn = reporting ? { currency: reporting, asOf: ctx.now() } : undefined;
  const [listed, counts, scores] = await Promise.all([
    listDeals(ctx.store.db, o.tenant, {
      ...(o.stage ? { status: o.stage } : {}),
      sort: o.sort,
      order,
      limit: o.limit,
      ...(amountIn ? { amountIn } : {}),
    }),
    ctx.store.deals.countByStatus(o.tenant),
    ctx.store.scores.count(o.tenant),
  ]);
  const rows = listed.map(listView);
  report(deps, o.json, { tenant: o.tenant, sort: o.sort, order, currency: reporting, counts, deals: rows }, () => {
    const cells = rows.map((r) => ({
      ...r,
      amount: r.amount === null ? '' : `${r.amount.toLocaleString('en-US')}${r.currency ? ` ${r.currency}` : ''}`,
      risk: r.riskScore === null ? '' : `${r.riskScore} ${r.category}`,
      topDriver: r.topDriver ? signedSentence(r.topDriver) : '',
      firstAction: r.firstAction?.title ?? '',
    }));
    return [
      table(cells, ['id', 'name', 'status', 'amount', 'owner', 'closeDate', 'risk', 'topDriver', 'firstAction'], {
        cutNote: '`dealrisk deals show <id>` or --json prints it in full',
      }),
      `${rows.length} shown by ${o.sort}${o.sort === 'amount' && reporting ? ` in ${reporting} (deals without a rate last)` : ''} (${order}); tenant "${o.tenant}" has ${counts.open} open, ${counts.won} won, ${counts.lost} lost.`,
      ...(rows.some((r) => r.topDriver)
        ? ['Top driver: + raises the risk, - lowers it. `dealrisk deals show <id>` explains a deal in full.']
        : []),
      ...(scores === 0 && counts.open > 0
        ? [`No scores yet: \`dealrisk train --tenant ${o.tenant}\`, then \`dealrisk score --tenant ${o.tenant}\`.`]
        : []),
    ].join('\n');
  });
}

/** A deal id as typed: `csv:T10`, or a bare `T10` looked up in every source. */
async function findDeal(ctx: AppContext, tenant: string, id: string): Promise<Deal> {
  const m = /^([a-z]+):(.+)$/.exec(id);
  if (m && Source.safeParse(m[1]).success) {
    const deal = await ctx.store.deals.get(tenant, m[1] as Source, m[2]!);
    if (deal) return deal;
  }
  const hits = (await Promise.all(Source.options.map((s) => ctx.store.deals.get(tenant, s, id)))).filter((d): d is Deal => d !== null);
  if (hits.length === 0)
    throw new AppError(
      'not_found',
      `no deal "${id}" in tenant "${tenant}" (\`dealrisk deals list --tenant ${tenant} --sort id\` lists them)`,
    );
  if (hits.length > 1)
    throw new AppError(
      'conflict',
      `deal "${id}" exists in ${hits.map((h) => h.source).join(' and ')}: ask for ${hits.map((h) => `${h.source}:${id}`).join(' or ')}`,
    );
  return hits[0]!;
}

/** `dealrisk deals show <id>` (declared in ../program.ts). */
export async function runDealsShow(deps: CliDeps, id: string, o: DealsShowOptions): Promise<void> {
  const ctx = await deps.context();
  const deal = await findDeal(ctx, o.tenant, id);
  const [current, history] = await Promise.all([
    ctx.store.dealRisk.get(o.tenant, deal.source, deal.externalId),
    ctx.store.scores.history(o.tenant, deal.source, deal.externalId, o.history),
  ]);
  const view = dealView(o.tenant, deal, current, history);
  report(deps, o.json, view, () => describeDeal(deal, view));
}

type CurrentScore = NonNullable<Awaited<ReturnType<AppContext['store']['dealRisk']['get']>>>;
type PastScore = Awaited<ReturnType<AppContext['store']['scores']['history']>>[number];

/** Everything known about one deal's risk, in full (what --json prints). */
function dealView(tenant: string, deal: Deal, current: CurrentScore | null, history: PastScore[]) {
  const detail = current ? readScoreDetail(current.detail) : null;
  return {
    tenant,
    source: deal.source,
    id: deal.externalId,
    name: deal.name,
    status: deal.stage.status,
    stage: deal.stage.label,
    amount: deal.amount,
    currency: deal.currency,
    owner: deal.owner,
    createdAt: deal.createdAt?.toISOString() ?? null,
    expectedCloseDate: deal.expectedCloseDate?.toISOString() ?? null,
    closedAt: deal.closedAt?.toISOString() ?? null,
    score:
      current && detail
        ? {
            riskScore: current.score,
            category: current.category,
            winProbability: current.winProbability,
            confidence: detail.confidence,
            modelStatus: current.modelStatus,
            modelVersion: detail.modelVersion,
            scoredAt: current.scoredAt.toISOString(),
            note: detail.note,
            drivers: detail.drivers,
            actions: detail.actions,
            similarWon: detail.similarWon,
          }
        : null,
    history: history.map((h) => ({
      scoredAt: h.scoredAt.toISOString(),
      riskScore: h.score,
      category: h.category,
      modelStatus: h.modelStatus,
    })),
  };
}

function describeDeal(deal: Deal, v: ReturnType<typeof dealView>): string {
  const money = (x: number | null) =>
    x === null ? 'no amount' : `${x.toLocaleString('en-US')}${deal.currency ? ` ${deal.currency}` : ''}`;
  const close = deal.closedAt
    ? `closed ${day(deal.closedAt)}`
    : deal.expectedCloseDate
      ? `expected to close ${day(deal.expectedCloseDate)}`
      : 'no close date';
  const lines = [
    `${deal.source}:${deal.externalId}  ${deal.name ?? '(no name)'}`,
    `${deal.stage.status}${deal.stage.label ? ` (${deal.stage.label})` : ''} · ${money(deal.amount)} · owner ${deal.owner.name ?? deal.owner.id ?? 'unknown'} · created ${day(deal.createdAt) ?? 'unknown'} · ${close}`,
    '',
  ];
  const s = v.score;
  if (!s) {
    lines.push(
      deal.stage.status === 'open'
        ? `Not scored yet: \`dealrisk score --tenant ${v.tenant}\` scores the open deals.`
        : 'Never scored while open.',
    );
    return lines.join('\n');
  }
  lines.push(
    `Risk ${s.riskScore}/100 (${s.category}) · ${pct(s.winProbability)} likely to win · confidence ${s.confidence ?? 'unknown'} · model ${s.modelVersion === null ? '' : `v${s.modelVersion} `}(${s.modelStatus}) · scored ${minute(new Date(s.scoredAt))}`,
    ...(s.note ? [s.note] : []),
    '',
    'Why (largest effect first):',
    ...(s.drivers.length
      ? s.drivers.map((d) => `  ${effect(d).padEnd(12)} ${d.sentence || d.label}`)
      : ['  no driver: the score is the base rate']),
    '',
    'What to do:',
    ...(s.actions.length
      ? s.actions.map((a, i) => `  ${i + 1}. [${a.priority.replace('_', ' ')}] ${a.title}${a.rationale ? `\n     ${a.rationale}` : ''}`)
      : ['  nothing recommended']),
    '',
    'Similar won deals:',
    ...(s.similarWon.length
      ? s.similarWon.map(
          (w) =>
            `  ${w.externalId}  ${w.name ?? ''}  ${money(w.amount)}${w.cycleDays === null ? '' : `  won in ${Math.round(w.cycleDays)} days`}`,
        )
      : ['  none in the same segment near this amount']),
    '',
    `Score history (newest first, ${v.history.length} shown):`,
    ...v.history.map(
      (h) => `  ${minute(new Date(h.scoredAt))}  ${String(h.riskScore).padStart(3)}  ${h.category.padEnd(8)}  ${h.modelStatus}`,
    ),
  );
  return lines.join('\n');
}
