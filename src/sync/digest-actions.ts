import { repCompletionReport } from '../scoring/action-outcomes.ts';
import type { Store } from '../store/index.ts';

/** Reps' follow-through on the playbook's tasks, as the managers' digest tells it (issue 16). */
export interface DigestActions {
  sinceDays: number;
  actWithinDays: number;
  /** Tasks of the period old enough to tell (acting window over, deal still open then), and how many were done in time. */
  eligible: number;
  doneWithin: number;
  reps: Array<{
    ownerId: string | null;
    ownerName: string | null;
    eligible: number;
    doneWithin: number;
    completed: number;
    medianDays: number | null;
    open: number;
  }>;
}

const SINCE_DAYS = 30;
/** Reps named in the digest, most tasks first; the Actions page has them all. */
const MAX_REPS = 15;

/** The last 30 days' tasks per rep; null when none was recommended (the digest says nothing). */
export async function digestActions(store: Store, tenantId: string, asOf: Date): Promise<DigestActions | null> {
  const r = await repCompletionReport(store, tenantId, asOf, { sinceDays: SINCE_DAYS });
  if (r.reps.length === 0) return null;
  return {
    sinceDays: SINCE_DAYS,
    actWithinDays: r.actWithinDays,
    eligible: r.reps.reduce((n, x) => n + x.eligible, 0),
    doneWithin: r.reps.reduce((n, x) => n + x.doneWithin.count, 0),
    reps: r.reps.slice(0, MAX_REPS).map((x) => ({
      ownerId: x.ownerId,
      ownerName: x.ownerName,
      eligible: x.eligible,
      doneWithin: x.doneWithin.count,
      completed: x.completed,
      medianDays: x.medianDays,
      open: x.open,
    })),
  };
}
