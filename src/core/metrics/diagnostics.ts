import type { Deal } from '../deal.ts';
import type { RiskCategory } from '../scoring/config.ts';
import { median } from '../scoring/stats.ts';
import { ageDays, cycleDays, type RateWithInterval, rateOf } from './segments.ts';

/** "Why is win rate falling?": trends, a change point, stages, cycles and owners. */

export interface PeriodRate extends RateWithInterval {
  period: string;
}

/** Win rate of deals closed in each month (`2024-03`) or quarter (`2024-Q1`). */
export function winRateByPeriod(deals: readonly Deal[], unit: 'month' | 'quarter'): PeriodRate[] {
  const by = new Map<string, { won: number; lost: number }>();
  for (const d of deals) {
    if (d.stage.status === 'open' || !d.closedAt) continue;
    const y = d.closedAt.getUTCFullYear();
    const mo = d.closedAt.getUTCMonth();
    const k = unit === 'month' ? `${y}-${String(mo + 1).padStart(2, '0')}` : `${y}-Q${Math.floor(mo / 3) + 1}`;
    const s = by.get(k) ?? by.set(k, { won: 0, lost: 0 }).get(k)!;
    if (d.stage.status === 'won') s.won++;
    else s.lost++;
  }
  return [...by].sort(([a], [b]) => (a < b ? -1 : 1)).map(([period, s]) => ({ period, ...rateOf(s.won, s.lost) }));
}

/** Complementary error function (Numerical Recipes erfcc, relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export interface ChangePoint {
  /** First period of the new regime. */
  period: string;
  direction: 'decline' | 'rise';
  before: RateWithInterval;
  after: RateWithInterval;
  /** Likelihood-ratio p-value, Bonferroni-adjusted for the candidate periods tried. */
  pValue: number;
}

const ll = (k: number, n: number): number => {
  if (n === 0 || k === 0 || k === n) return 0;
  const p = k / n;
  return k * Math.log(p) + (n - k) * Math.log(1 - p);
};

/**
 * The single split of the period series that best separates two win rates (binomial likelihood
 * ratio). Reported only when significant after adjusting for every split tried, with at least
 * `minDeals` closed deals on each side; otherwise null: no change worth a headline.
 */
export function detectChangePoint(periods: readonly PeriodRate[], minDeals = 30, alpha = 0.05): ChangePoint | null {
  const W = periods.reduce((s, p) => s + p.won, 0);
  const N = periods.reduce((s, p) => s + p.n, 0);
  let best: { k: number; stat: number; wb: number; nb: number } | null = null;
  let tried = 0;
  let wb = 0;
  let nb = 0;
  for (let k = 1; k < periods.length; k++) {
    wb += periods[k - 1]!.won;
    nb += periods[k - 1]!.n;
    if (nb < minDeals || N - nb < minDeals) continue;
    tried++;
    const stat = 2 * (ll(wb, nb) + ll(W - wb, N - nb) - ll(W, N));
    if (!best || stat > best.stat) best = { k, stat, wb, nb };
  }
  if (!best || tried === 0) return null;
  const p = Math.min(1, erfc(Math.sqrt(best.stat / 2)) * tried);
  if (p >= alpha) return null;
  const before = rateOf(best.wb, best.nb - best.wb);
  const after = rateOf(W - best.wb, N - best.nb - (W - best.wb));
  return { period: periods[best.k]!.period, direction: after.winRate < before.winRate ? 'decline' : 'rise', before, after, pValue: p };
}

export interface StageStat {
  stage: string;
  entered: number;
  /** Share of deals entering this stage that reached a later stage or were won. */
  conversion: number;
  medianDays: number | null;
}

/** Stage conversion and median days per stage, from stage history (null without any). */
export function stageConversion(deals: readonly Deal[]): StageStat[] | null {
  const withHistory = deals.filter((d) => d.stageHistory.length > 0);
  if (withHistory.length === 0) return null;
  const stats = new Map<string, { order: number; entered: number; advanced: number; days: number[] }>();
  for (const d of withHistory) {
    const h = [...d.stageHistory].sort((a, b) => a.enteredAt.getTime() - b.enteredAt.getTime());
    h.forEach((e, i) => {
      if (e.status !== 'open') return;
      const s = stats.get(e.stage) ?? stats.set(e.stage, { order: e.order ?? i, entered: 0, advanced: 0, days: [] }).get(e.stage)!;
      s.entered++;
      const next = h[i + 1];
      const left = next?.enteredAt ?? d.closedAt;
      if (left) s.days.push((left.getTime() - e.enteredAt.getTime()) / 86_400_000);
      // Advancing = reaching a later open stage, or winning; a move to Closed Lost is not progress.
      const later = h.slice(i + 1);
      if (
        d.stage.status === 'won' ||
        later.some((n) => n.status === 'won' || (n.status === 'open' && (n.order ?? -1) > (e.order ?? Number.POSITIVE_INFINITY)))
      )
        s.advanced++;
    });
  }
  return [...stats]
    .sort((a, b) => a[1].order - b[1].order)
    .map(([stage, s]) => ({
      stage,
      entered: s.entered,
      conversion: s.advanced / s.entered,
      medianDays: s.days.length ? median(s.days) : null,
    }));
}

export interface CycleSummary {
  n: number;
  median: number | null;
  p25: number | null;
  p75: number | null;
  mean: number | null;
}

function summarize(xs: number[]): CycleSummary {
  if (xs.length === 0) return { n: 0, median: null, p25: null, p75: null, mean: null };
  const s = [...xs].sort((a, b) => a - b);
  const q = (f: number): number => s[Math.min(s.length - 1, Math.floor(f * s.length))]!;
  return { n: s.length, median: median(s), p25: q(0.25), p75: q(0.75), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

/** Days from creation to close for won and for lost deals. */
export function cycleWonVsLost(deals: readonly Deal[]): { won: CycleSummary; lost: CycleSummary } {
  const won: number[] = [];
  const lost: number[] = [];
  for (const d of deals) {
    const c = cycleDays(d);
    if (c === null || d.stage.status === 'open') continue;
    (d.stage.status === 'won' ? won : lost).push(c);
  }
  return { won: summarize(won), lost: summarize(lost) };
}

/** Sales velocity: open deals × win rate × average won deal size ÷ average days to win ($/day). */
export function velocity(deals: readonly Deal[]): number | null {
  const open = deals.filter((d) => d.stage.status === 'open').length;
  const closed = deals.filter((d) => d.stage.status !== 'open');
  const won = closed.filter((d) => d.stage.status === 'won');
  const cycles = won.map(cycleDays).filter((c): c is number => c !== null);
  if (!closed.length || !won.length || !cycles.length) return null;
  const avgCycle = cycles.reduce((a, b) => a + b, 0) / cycles.length;
  if (avgCycle <= 0) return null;
  const avgSize = won.reduce((a, d) => a + (d.amount ?? 0), 0) / won.length;
  return (open * (won.length / closed.length) * avgSize) / avgCycle;
}

export interface OwnerRow extends RateWithInterval {
  owner: string;
  medianCycleDays: number | null;
  openDeals: number;
  openAmount: number;
  /** Open deals scored High or Critical. */
  highRisk: number;
  medianOpenAgeDays: number | null;
}

export function perOwner(deals: readonly Deal[], categories: ReadonlyMap<string, RiskCategory>, asOf: Date): OwnerRow[] {
  const by = new Map<string, Deal[]>();
  for (const d of deals) {
    const o = d.owner.name ?? d.owner.id ?? '(no owner)';
    (by.get(o) ?? by.set(o, []).get(o)!).push(d);
  }
  return [...by]
    .map(([owner, ds]) => {
      const open = ds.filter((d) => d.stage.status === 'open');
      const won = ds.filter((d) => d.stage.status === 'won');
      const lost = ds.filter((d) => d.stage.status === 'lost');
      const cyc = won.map(cycleDays).filter((c): c is number => c !== null);
      const ages = open.map((d) => ageDays(d, asOf)).filter((a): a is number => a !== null);
      const high = open.filter((d) => {
        const c = categories.get(d.externalId);
        return c === 'High' || c === 'Critical';
      }).length;
      return {
        owner,
        ...rateOf(won.length, lost.length),
        medianCycleDays: cyc.length ? median(cyc) : null,
        openDeals: open.length,
        openAmount: open.reduce((a, d) => a + (d.amount ?? 0), 0),
        highRisk: high,
        medianOpenAgeDays: ages.length ? median(ages) : null,
      };
    })
    .sort((a, b) => b.openAmount - a.openAmount || b.n - a.n);
}
