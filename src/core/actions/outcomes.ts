import type { RiskCategory } from '../scoring/categories.ts';
import {
  compareMeans,
  compareRates,
  type Estimate,
  type MeanEstimate,
  matched,
  type RateEstimate,
  rateWithInterval,
  type Stratum,
} from './intervals.ts';

const DAY_MS = 86_400_000;

/** What every figure of the report is: an association seen in this workspace's deals. */
export const OUTCOME_CAVEAT =
  'Observed association, not proof of cause: reps choose which tasks to do, and the deals they act on may differ in ways the risk band and segment do not capture.';

/** One recommended action that became a CRM task, as it stood when the task was created. */
export interface Recommendation {
  action: string;
  /** The playbook rule that recommended it (null when the score no longer says). */
  rule: string | null;
  /** The deal, unique per source: `${source}:${externalId}`. */
  dealKey: string;
  ownerId: string | null;
  ownerName: string | null;
  recommendedAt: Date;
  /** Risk band and score at the recommendation. */
  band: RiskCategory;
  score: number;
  /** The deal's segment at the recommendation (company size, else deal type); null when unknown. */
  segment: string | null;
  /** When the rep completed the task (null: not done, or not seen done yet). */
  completedAt: Date | null;
  /** The task was deleted in the CRM without being completed. */
  dismissed: boolean;
}

/** What happened to a deal: its risk scores (any order) and its outcome. */
export interface DealCourse {
  scores: ReadonlyArray<{ at: Date; score: number }>;
  status: 'open' | 'won' | 'lost';
  closedAt: Date | null;
}

export interface OutcomeOptions {
  asOf: Date;
  /** A task done within this many days of the recommendation counts as acted on (default 7). */
  actWithinDays?: number;
  /** The risk change is measured over this many days from the recommendation (default 14). */
  followDays?: number;
  /** A figure is shown only when each group has at least this many matched deals (default 30). */
  minDeals?: number;
  /** Group by the action recommended (default) or by the playbook rule that recommended it. */
  by?: 'action' | 'rule';
}

export const OUTCOME_DEFAULTS = { actWithinDays: 7, followDays: 14, minDeals: 30 } as const;

/** A comparison shown: both groups (the comparison reweighted to the acted group's mix) and the difference. */
export interface ShownFigure<E> {
  shown: true;
  acted: E;
  notActed: E;
  /** Acted minus not acted. */
  difference: Estimate;
  /** Matched deals in each group (a reweighted rate's `n` is an effective size, not a count). */
  deals: { acted: number; notActed: number };
  /** Risk band × segment strata holding both groups. */
  strata: number;
  /** Deals left out because no deal of the other group shared their band and segment. */
  unmatched: { acted: number; notActed: number };
}

/** A comparison withheld: too few matched deals in a group (counts say how many there are). */
export interface WithheldFigure {
  shown: false;
  reason: string;
  acted: number;
  notActed: number;
}

export interface ActionOutcome {
  /** The action id (or the rule id when grouped by rule). */
  key: string;
  action: string;
  rules: string[];
  /** Deals the action was recommended to (one task per deal and action). */
  recommended: number;
  completed: number;
  dismissed: number;
  /** How fast: done within the acting window, of the recommendations old enough to tell. */
  speed: {
    /** Recommendations whose acting window has ended on deals still open at its end. */
    eligible: number;
    doneWithin: RateEstimate;
    /** Median and 75th percentile of days from recommendation to completion, over every completed task. */
    medianDays: number | null;
    p75Days: number | null;
  };
  /** Left out of the comparison: the acting window still running, or the deal closed within it. */
  excluded: { windowOpen: number; closedInWindow: number };
  /** Risk score change (points) from the recommendation to `followDays` later. */
  riskChange: ShownFigure<MeanEstimate> | WithheldFigure;
  /** Share of the closed deals that were lost. */
  lossRate: (ShownFigure<RateEstimate> | WithheldFigure) & { stillOpen: { acted: number; notActed: number } };
}

interface Eligible {
  rec: Recommendation;
  course: DealCourse | undefined;
  acted: boolean;
  stratum: string;
}

const days = (ms: number): number => ms / DAY_MS;

/** The deal's latest score at or before `t`; the score at the recommendation when none is. */
function scoreAt(rec: Recommendation, course: DealCourse | undefined, t: number): number {
  let best: { at: number; score: number } = { at: rec.recommendedAt.getTime(), score: rec.score };
  for (const s of course?.scores ?? []) {
    const at = s.at.getTime();
    if (at <= t && at >= best.at) best = { at, score: s.score };
  }
  return best.score;
}

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * For each action (or rule): how many deals got it, how many had it done and how fast, and
 * what followed (the risk change over `followDays` and the eventual loss rate) for the deals
 * whose task was done within `actWithinDays` against those whose task was not, matched exactly
 * on risk band and segment at the recommendation. Deals that closed within the acting window are
 * left out of both groups: they had no time to act. Pure.
 */
export function actionOutcomes(
  recs: readonly Recommendation[],
  courses: ReadonlyMap<string, DealCourse>,
  opts: OutcomeOptions,
): ActionOutcome[] {
  const groups = new Map<string, Recommendation[]>();
  for (const r of recs) {
    const key = opts.by === 'rule' ? (r.rule ?? `(${r.action})`) : r.action;
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, list]) => outcomeOf(key, list, courses, opts));
}

function outcomeOf(key: string, recs: Recommendation[], courses: ReadonlyMap<string, DealCourse>, opts: OutcomeOptions): ActionOutcome {
  const W = (opts.actWithinDays ?? OUTCOME_DEFAULTS.actWithinDays) * DAY_MS;
  const F = (opts.followDays ?? OUTCOME_DEFAULTS.followDays) * DAY_MS;
  const minDeals = opts.minDeals ?? OUTCOME_DEFAULTS.minDeals;
  const asOf = opts.asOf.getTime();
  const excluded = { windowOpen: 0, closedInWindow: 0 };
  const eligible: Eligible[] = [];
  for (const rec of recs) {
    const end = rec.recommendedAt.getTime() + W;
    const course = courses.get(rec.dealKey);
    if (end > asOf) excluded.windowOpen++;
    else if (course && course.status !== 'open' && course.closedAt && course.closedAt.getTime() <= end) excluded.closedInWindow++;
    else {
      const acted = rec.completedAt !== null && rec.completedAt.getTime() <= end;
      eligible.push({ rec, course, acted, stratum: `${rec.band}|${rec.segment ?? ''}` });
    }
  }
  const delays = recs
    .filter((r) => r.completedAt)
    .map((r) => Math.max(0, days(r.completedAt!.getTime() - r.recommendedAt.getTime())))
    .sort((a, b) => a - b);

  const riskStrata = stratify(
    eligible.filter((e) => e.rec.recommendedAt.getTime() + F <= asOf),
    (e) => scoreAt(e.rec, e.course, e.rec.recommendedAt.getTime() + F) - e.rec.score,
  );
  const closed = eligible.filter((e) => e.course && e.course.status !== 'open');
  const lossStrata = stratify(closed, (e) => (e.course!.status === 'lost' ? 1 : 0));
  const open = eligible.filter((e) => !e.course || e.course.status === 'open');
  return {
    key,
    action: recs[0]!.action,
    rules: [...new Set(recs.map((r) => r.rule).filter((r): r is string => r !== null))].sort(),
    recommended: new Set(recs.map((r) => r.dealKey)).size,
    completed: recs.filter((r) => r.completedAt).length,
    dismissed: recs.filter((r) => r.dismissed && !r.completedAt).length,
    speed: {
      eligible: eligible.length,
      doneWithin: rateWithInterval(eligible.filter((e) => e.acted).length, eligible.length),
      medianDays: quantile(delays, 0.5),
      p75Days: quantile(delays, 0.75),
    },
    excluded,
    riskChange: figure(riskStrata, minDeals, compareMeans),
    lossRate: {
      ...figure(lossStrata, minDeals, compareRates),
      stillOpen: { acted: open.filter((e) => e.acted).length, notActed: open.filter((e) => !e.acted).length },
    },
  };
}

function stratify(items: readonly Eligible[], value: (e: Eligible) => number): Map<string, Stratum> {
  const out = new Map<string, Stratum>();
  for (const e of items) {
    let s = out.get(e.stratum);
    if (!s) {
      s = { acted: [], notActed: [] };
      out.set(e.stratum, s);
    }
    (e.acted ? s.acted : s.notActed).push(value(e));
  }
  return out;
}

function figure<E>(
  all: Map<string, Stratum>,
  minDeals: number,
  compare: (s: readonly Stratum[]) => { acted: E; notActed: E; difference: Estimate },
): ShownFigure<E> | WithheldFigure {
  const both = matched(all.values());
  const acted = both.reduce((n, s) => n + s.acted.length, 0);
  const notActed = both.reduce((n, s) => n + s.notActed.length, 0);
  if (acted < minDeals || notActed < minDeals) {
    let allActed = 0;
    let allNot = 0;
    for (const s of all.values()) {
      allActed += s.acted.length;
      allNot += s.notActed.length;
    }
    const unmatched = allActed !== acted || allNot !== notActed ? ` (of ${allActed} and ${allNot} before matching)` : '';
    return {
      shown: false,
      reason: `needs ${minDeals} matched deals in each group; has ${acted} acted on and ${notActed} not${unmatched}`,
      acted,
      notActed,
    };
  }
  let unmatchedActed = 0;
  let unmatchedNot = 0;
  for (const s of all.values()) {
    if (s.acted.length && s.notActed.length) continue;
    unmatchedActed += s.acted.length;
    unmatchedNot += s.notActed.length;
  }
  return {
    shown: true,
    ...compare(both),
    deals: { acted, notActed },
    strata: both.length,
    unmatched: { acted: unmatchedActed, notActed: unmatchedNot },
  };
}

/** One rep's follow-through on the tasks recommended to their deals. */
export interface RepCompletion {
  ownerId: string | null;
  ownerName: string | null;
  /** Tasks old enough to tell (acting window over, deal still open at its end). */
  eligible: number;
  doneWithin: RateEstimate;
  /** Every task of theirs completed so far, and the median days it took. */
  completed: number;
  medianDays: number | null;
  /** Tasks still open (not completed nor dismissed). */
  open: number;
}

/**
 * Per rep: of their recommendations whose acting window has ended (on deals still open then),
 * the share done within it, with the median days to completion. Most tasks first.
 */
export function repCompletion(
  recs: readonly Recommendation[],
  courses: ReadonlyMap<string, DealCourse>,
  opts: Pick<OutcomeOptions, 'asOf' | 'actWithinDays'>,
): RepCompletion[] {
  const W = (opts.actWithinDays ?? OUTCOME_DEFAULTS.actWithinDays) * DAY_MS;
  const asOf = opts.asOf.getTime();
  const reps = new Map<string, Recommendation[]>();
  for (const r of recs) {
    const k = r.ownerId ?? '';
    const list = reps.get(k);
    if (list) list.push(r);
    else reps.set(k, [r]);
  }
  const out: RepCompletion[] = [];
  for (const list of reps.values()) {
    let eligible = 0;
    let done = 0;
    for (const r of list) {
      const end = r.recommendedAt.getTime() + W;
      const c = courses.get(r.dealKey);
      if (end > asOf || (c && c.status !== 'open' && c.closedAt && c.closedAt.getTime() <= end)) continue;
      eligible++;
      if (r.completedAt && r.completedAt.getTime() <= end) done++;
    }
    const delays = list
      .filter((r) => r.completedAt)
      .map((r) => Math.max(0, days(r.completedAt!.getTime() - r.recommendedAt.getTime())))
      .sort((a, b) => a - b);
    out.push({
      ownerId: list[0]!.ownerId,
      ownerName: list.find((r) => r.ownerName)?.ownerName ?? null,
      eligible,
      doneWithin: rateWithInterval(done, eligible),
      completed: delays.length,
      medianDays: quantile(delays, 0.5),
      open: list.filter((r) => !r.completedAt && !r.dismissed).length,
    });
  }
  return out.sort((a, b) => b.eligible - a.eligible || (a.ownerName ?? '').localeCompare(b.ownerName ?? ''));
}
