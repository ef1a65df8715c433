import { pct } from '../../core/scoring/sentences.ts';
import { createScoringService } from '../../scoring/service.ts';
import { type CliDeps, report } from '../deps.ts';
import { table } from '../table.ts';

export interface InsightsOptions {
  tenant: string;
  json?: boolean;
}

/** `dealrisk insights` (declared in ../program.ts). */
export async function runInsights(deps: CliDeps, o: InsightsOptions): Promise<void> {
  const ctx = await deps.context();
  const d = await createScoringService({ store: ctx.store }).diagnostics(o.tenant, ctx.now());
  report(deps, o.json, d, () => {
    const lines = ['Insights (statistically meaningful only, ranked by revenue impact):'];
    if (d.insights.length === 0) lines.push('  none: no segment or trend differs from the rest beyond chance.');
    for (const [k, i] of d.insights.slice(0, 15).entries()) lines.push(`  ${k + 1}. ${i.text}`);
    lines.push(
      '',
      d.changePoint
        ? `Change point: ${d.changePoint.direction} from ${d.changePoint.period}.`
        : 'No significant change in monthly win rate.',
    );
    if (d.byQuarter.length)
      lines.push(
        table(
          d.byQuarter.map((q) => ({ quarter: q.period, closed: q.n, winRate: pct(q.winRate), ci95: `${pct(q.low)}-${pct(q.high)}` })),
          ['quarter', 'closed', 'winRate', 'ci95'],
        ),
      );
    const c = d.cycles;
    if (c.won.n || c.lost.n)
      lines.push(
        '',
        `Cycle (median days): won ${c.won.median?.toFixed(0) ?? 'n/a'} (n=${c.won.n}), lost ${c.lost.median?.toFixed(0) ?? 'n/a'} (n=${c.lost.n}).`,
      );
    if (d.velocity !== null) lines.push(`Velocity: ${d.velocity.toFixed(0)}${d.currency ? ` ${d.currency}` : ''} per day.`);
    if (d.currency) lines.push(`Amounts in ${d.currency}, each deal at the rate for its close date.`);
    if (d.unconverted > 0)
      lines.push(
        `${d.unconverted} deals have no exchange rate for their close date: their amounts are left out (dealrisk metrics lists them).`,
      );
    lines.push(
      d.stages
        ? table(
            d.stages.map((s) => ({
              stage: s.stage,
              entered: s.entered,
              conversion: pct(s.conversion),
              medianDays: s.medianDays?.toFixed(0) ?? '',
            })),
            ['stage', 'entered', 'conversion', 'medianDays'],
          )
        : 'Stage conversion: needs stage history in the mapping.',
    );
    lines.push(
      '',
      table(
        d.owners.slice(0, 20).map((r) => ({
          owner: r.owner,
          closed: r.n,
          winRate: pct(r.winRate),
          medianCycle: r.medianCycleDays?.toFixed(0) ?? '',
          open: r.openDeals,
          highRisk: r.highRisk,
        })),
        ['owner', 'closed', 'winRate', 'medianCycle', 'open', 'highRisk'],
      ),
    );
    return lines.join('\n');
  });
}
