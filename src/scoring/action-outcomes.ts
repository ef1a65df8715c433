import {
  type ActionOutcome,
  actionOutcomes,
  OUTCOME_CAVEAT,
  OUTCOME_DEFAULTS,
  type RepCompletion,
  repCompletion,
} from '../core/actions/outcomes.ts';
import type { Store } from '../store/index.ts';

const DAY_MS = 86_400_000;

export interface OutcomeQuery {
  by?: 'action' | 'rule';
  actWithinDays?: number;
  followDays?: number;
  minDeals?: number;
  /** Only recommendations made in the last this many days (default: all). */
  sinceDays?: number;
}

/** What the Actions page and `GET /v1/actions/outcomes` show. */
export interface ActionOutcomesReport {
  asOf: Date;
  by: 'action' | 'rule';
  actWithinDays: number;
  followDays: number;
  minDeals: number;
  since: Date | null;
  caveat: string;
  /** The playbook tasks followed, whatever their action. */
  tasks: { followed: number; completed: number; dismissed: number; open: number };
  outcomes: ActionOutcome[];
}

/** Every playbook action's record in the tenant's deals: pure computation (src/core) over what the sync stored. */
export async function actionOutcomesReport(
  store: Store,
  tenantId: string,
  asOf: Date,
  q: OutcomeQuery = {},
): Promise<ActionOutcomesReport> {
  const actWithinDays = q.actWithinDays ?? OUTCOME_DEFAULTS.actWithinDays;
  const followDays = q.followDays ?? OUTCOME_DEFAULTS.followDays;
  const minDeals = q.minDeals ?? OUTCOME_DEFAULTS.minDeals;
  const since = q.sinceDays ? new Date(asOf.getTime() - q.sinceDays * DAY_MS) : null;
  const range = since ? { since } : {};
  const [recs, courses] = await Promise.all([
    store.actionTasks.recommendations(tenantId, range),
    store.actionTasks.courses(tenantId, { followDays, ...range }),
  ]);
  const by = q.by ?? 'action';
  return {
    asOf,
    by,
    actWithinDays,
    followDays,
    minDeals,
    since,
    caveat: OUTCOME_CAVEAT,
    tasks: {
      followed: recs.length,
      completed: recs.filter((r) => r.completedAt).length,
      dismissed: recs.filter((r) => r.dismissed && !r.completedAt).length,
      open: recs.filter((r) => !r.completedAt && !r.dismissed).length,
    },
    outcomes: actionOutcomes(recs, courses, { asOf, actWithinDays, followDays, minDeals, by }),
  };
}

/** Each rep's follow-through on the tasks recommended in the last `sinceDays` (the managers' digest). */
export async function repCompletionReport(
  store: Store,
  tenantId: string,
  asOf: Date,
  o: { sinceDays?: number; actWithinDays?: number } = {},
): Promise<{ since: Date; actWithinDays: number; reps: RepCompletion[] }> {
  const since = new Date(asOf.getTime() - (o.sinceDays ?? 30) * DAY_MS);
  const actWithinDays = o.actWithinDays ?? OUTCOME_DEFAULTS.actWithinDays;
  const [recs, courses] = await Promise.all([
    store.actionTasks.recommendations(tenantId, { since }),
    store.actionTasks.courses(tenantId, { followDays: actWithinDays, since }),
  ]);
  return { since, actWithinDays, reps: repCompletion(recs, courses, { asOf, actWithinDays }) };
}
