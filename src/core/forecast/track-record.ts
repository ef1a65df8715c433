import type { RiskCategory } from '../scoring/config.ts';
import type { OpenCall } from './calls.ts';
import type { Quarter } from './quarters.ts';

/** How a deal called for a quarter ended: won or lost before the quarter ended, or not closed in it. */
export type QuarterOutcome = 'won' | 'lost' | 'slipped';

/** One deal as it stood when last seen open before its quarter ended, and what became of it. */
export interface CalledDeal {
  externalId: string;
  ownerId: string | null;
  ownerName: string | null;
  /** The rep's call on the deal's last open state. */
  call: OpenCall;
  /** The model's category at that time (its last score before the deal closed or the quarter ended). */
  category: RiskCategory | null;
  /** Amount in the reporting currency; null when it has none or it could not be converted. */
  amount: number | null;
  outcome: QuarterOutcome;
}

/** Counts of outcomes (and the amounts behind them, in the reporting currency). */
export interface Outcomes {
  deals: number;
  won: number;
  lost: number;
  slipped: number;
  amount: number;
  wonAmount: number;
}

/** The model's call, in three bands: High and Critical together. */
export type ModelBand = 'high' | 'medium' | 'low' | 'unscored';

export interface RepTrackRecord {
  ownerId: string | null;
  ownerName: string | null;
  /** What became of the deals the rep called Commit, Best Case, Pipeline, Omitted. */
  rep: Record<OpenCall, Outcomes>;
  /** What became of the deals the model rated High or Critical, Medium, Low (or had not scored). */
  model: Record<ModelBand, Outcomes>;
  /** Where the two disagreed: who was right. */
  disagreements: { commitRatedHigh: Outcomes; bestCaseRatedHigh: Outcomes; pipelineRatedLow: Outcomes };
}

/** A closed quarter's record: written once, when the quarter has closed, and kept. */
export interface QuarterTrackRecord {
  quarter: string;
  start: string;
  end: string;
  recordedAt: string;
  currency: string | null;
  deals: number;
  /** Called deals whose amount could not be converted: counted, their amounts left out. */
  unconverted?: number;
  total: RepTrackRecord;
  reps: RepTrackRecord[];
}

const none = (): Outcomes => ({ deals: 0, won: 0, lost: 0, slipped: 0, amount: 0, wonAmount: 0 });
const emptyRep = (ownerId: string | null, ownerName: string | null): RepTrackRecord => ({
  ownerId,
  ownerName,
  rep: { commit: none(), best_case: none(), pipeline: none(), omitted: none() },
  model: { high: none(), medium: none(), low: none(), unscored: none() },
  disagreements: { commitRatedHigh: none(), bestCaseRatedHigh: none(), pipelineRatedLow: none() },
});

export const bandOf = (c: RiskCategory | null): ModelBand =>
  c === null ? 'unscored' : c === 'High' || c === 'Critical' ? 'high' : c === 'Medium' ? 'medium' : 'low';

function count(o: Outcomes, d: CalledDeal): void {
  o.deals++;
  o[d.outcome]++;
  o.amount += d.amount ?? 0;
  if (d.outcome === 'won') o.wonAmount += d.amount ?? 0;
}

/**
 * The record of a closed quarter: per rep (and for everyone), what became of the deals they
 * called, of the deals the model rated, and of the deals where rep and model disagreed.
 */
export function trackRecord(q: Quarter, deals: readonly CalledDeal[], currency: string | null, recordedAt: Date): QuarterTrackRecord {
  const total = emptyRep(null, null);
  const reps = new Map<string, RepTrackRecord>();
  for (const d of deals) {
    const key = d.ownerId ?? d.ownerName ?? '';
    const rep = reps.get(key) ?? reps.set(key, emptyRep(d.ownerId, d.ownerName)).get(key)!;
    for (const r of [rep, total]) {
      count(r.rep[d.call], d);
      const band = bandOf(d.category);
      count(r.model[band], d);
      if (d.call === 'commit' && band === 'high') count(r.disagreements.commitRatedHigh, d);
      if (d.call === 'best_case' && band === 'high') count(r.disagreements.bestCaseRatedHigh, d);
      if (d.call === 'pipeline' && band === 'low') count(r.disagreements.pipelineRatedLow, d);
    }
  }
  return {
    quarter: q.key,
    start: q.start.toISOString(),
    end: q.end.toISOString(),
    recordedAt: recordedAt.toISOString(),
    currency,
    deals: deals.length,
    total,
    reps: [...reps.values()].sort(
      (a, b) => b.rep.commit.deals - a.rep.commit.deals || (a.ownerName ?? a.ownerId ?? '').localeCompare(b.ownerName ?? b.ownerId ?? ''),
    ),
  };
}

/**
 * What became of a deal called for quarter `q`, from its current state: won or lost when it
 * closed before the quarter ended, slipped otherwise (still open, or closed after).
 */
export function outcomeIn(q: Quarter, status: 'open' | 'won' | 'lost', closedAt: Date | null): QuarterOutcome {
  if (status === 'open' || closedAt === null || closedAt >= q.end) return 'slipped';
  return status;
}
