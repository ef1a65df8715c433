import { unconvertedByCurrency } from '../../core/currency/convert.ts';
import { money, pct } from '../../core/scoring/sentences.ts';
import { createScoringService } from '../../scoring/service.ts';
import { type CliDeps, report } from '../deps.ts';
import { table } from '../table.ts';

export interface MetricsOptions {
  tenant: string;
  owner?: string;
  segment: string[];
  json?: boolean;
}

/** `dealrisk metrics` (declared in ../program.ts). */
export async function runMetrics(deps: CliDeps, o: MetricsOptions): Promise<void> {
  const segment = Object.fromEntries(o.segment.map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]));
  const ctx = await deps.context();
  const m = await createScoringService({ store: ctx.store }).metrics(
    o.tenant,
    { ...(o.owner ? { owner: o.owner } : {}), ...(o.segment.length ? { segment } : {}) },
    ctx.now(),
  );
  // Every amount in the CRM's corporate currency; deals no rate converts are named, not added.
  const c = (x: number) => money(x, m.currency);
  const left = unconvertedByCurrency(m.unconverted)
    .map((u) => `${money(u.amount, u.currency)} in ${u.deals} deal${u.deals === 1 ? '' : 's'}`)
    .join(', ');
  report(deps, o.json, m, () =>
    [
      ...(m.currency ? [`Amounts in ${m.currency}, each deal at the rate in force on its close date.`] : []),
      ...(left ? [`Not converted (no rate for their close date), left out of every amount: ${left}.`] : []),
      `Open deals: ${m.openDeals}; raw pipeline ${c(m.rawPipeline)}; RAPV ${c(m.rapv)}; optimism gap ${m.optimismGap === null ? 'n/a' : pct(m.optimismGap)}.`,
      `Expected value (model): ${m.expectedValue === null ? 'no scores yet (run dealrisk score)' : c(m.expectedValue)} over ${m.scoredDeals} scored deals.`,
      `REM: ${m.rem ? `${c(m.rem.value)}/day (win rate ${pct(m.rem.winRate)} × avg won deal ${c(m.rem.avgDealSize)} ÷ ${m.rem.avgCycleDays.toFixed(0)} days)` : 'n/a (needs won deals with dates)'}.`,
      `Win rate: ${pct(m.winRate.winRate)} [${pct(m.winRate.low)}, ${pct(m.winRate.high)}] over ${m.winRate.n} closed deals.`,
      `Revenue at risk (High + Critical): ${c(m.revenueAtRisk)}; potential recovery ${c(m.potentialRecovery.value)}. ${m.potentialRecovery.assumption}`,
      '',
      table(
        m.winRateBySegment.map((s) => ({
          segment: `${s.label}: ${s.value}`,
          n: s.n,
          won: s.won,
          winRate: pct(s.winRate),
          ci95: `${pct(s.low)}-${pct(s.high)}`,
        })),
        ['segment', 'n', 'won', 'winRate', 'ci95'],
      ),
    ].join('\n'),
  );
}
