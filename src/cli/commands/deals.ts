import { AppError } from '../../core/errors.ts';
import { StageStatus } from '../../core/deal.ts';
import { report, type CliDeps } from '../deps.ts';
import { table } from '../table.ts';

export interface DealsListOptions {
  stage?: string;
  limit: number;
  tenant: string;
  json?: boolean;
}

/** `dealrisk deals list` (declared in ../program.ts). */
export async function runDealsList(deps: CliDeps, o: DealsListOptions): Promise<void> {
  const status = o.stage === undefined ? undefined : StageStatus.safeParse(o.stage);
  if (status && !status.success) throw new AppError('input_invalid', `--stage: expected open, won or lost, got "${o.stage}"`);
  const limit = o.limit;
  const ctx = await deps.context();
  const list = await ctx.store.deals.list(o.tenant, { ...(status ? { status: status.data } : {}), limit });
  const scores = new Map(
    (await ctx.store.scores.latest(o.tenant, { externalIds: list.map((d) => d.externalId) })).map((s) => [`${s.source}:${s.externalId}`, s]),
  );
  const counts = await ctx.store.deals.countByStatus(o.tenant);
  const rows = list.map((d) => {
    const s = scores.get(`${d.source}:${d.externalId}`);
    return {
      source: d.source,
      id: d.externalId,
      name: d.name,
      status: d.stage.status,
      stage: d.stage.label,
      amount: d.amount,
      owner: d.owner.name,
      createdAt: d.createdAt?.toISOString().slice(0, 10) ?? null,
      closeDate: (d.closedAt ?? d.expectedCloseDate)?.toISOString().slice(0, 10) ?? null,
      riskScore: s?.score ?? null,
      category: s?.category ?? null,
    };
  });
  report(deps, o.json, { tenant: o.tenant, counts, deals: rows }, () =>
    [
      table(rows, ['id', 'name', 'status', 'stage', 'amount', 'owner', 'createdAt', 'closeDate', 'riskScore', 'category']),
      `${rows.length} shown; tenant "${o.tenant}" has ${counts.open} open, ${counts.won} won, ${counts.lost} lost.`,
    ].join('\n'),
  );
}
