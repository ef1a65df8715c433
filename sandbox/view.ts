import { DAY, type DealPlan, eventOffsets, type World } from './generate.ts';

/** Number of entries of data[from, to) (sorted) that are <= t. */
export function countUpTo(data: ArrayLike<number>, from: number, to: number, t: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (data[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - from;
}

/** What a CRM shows of a planned deal at one instant. */
export interface DealView {
  exists: boolean;
  deleted: boolean;
  deletedAt: number | null;
  stage: number;
  stageEnteredAt: number;
  /** How many stage events are visible (1 = still in the first stage). */
  stageEvents: number;
  isClosed: boolean;
  isWon: boolean;
  closedAt: number | null;
  amount: number;
  amountChanges: number;
  /** Expected close date (UTC midnight ms); the actual close day once closed. */
  closeDate: number;
  pushes: number;
  lastActivity: number | null;
  activityCount: number;
  /** The open follow-up task's due date (a week after the last touch), null once closed. */
  followUpDue: number | null;
  /** Index of the current next-step text, -1 when none was entered yet. */
  nextStep: number;
  contacts: number;
  /** Last change by a person (stage, amount, close date, next step, close). */
  lastModified: number;
  /** Last change of any kind, system-computed fields included (activity roll-ups, deletion). */
  systemModstamp: number;
  /** Like systemModstamp, plus contact-association changes (HubSpot recalculates counts). */
  hsModified: number;
}

export function viewAt(world: World, plan: DealPlan, now: number): DealView {
  const d = world.pool.data;
  const o = eventOffsets(plan);
  const open = world.openStages;
  const deleted = plan.deletedAt !== null && plan.deletedAt <= now;
  const t = deleted ? plan.deletedAt! : now;
  const sCount = Math.max(1, countUpTo(d, o.stageAt, o.amountAt, t));
  const stage = sCount < plan.nStage ? sCount - 1 : plan.won ? open : open + 1;
  const isClosed = stage >= open;
  const aCount = Math.max(1, countUpTo(d, o.amountAt, o.amounts, t));
  const cCount = Math.max(1, countUpTo(d, o.closeDateAt, o.closeDates, t));
  const actCount = countUpTo(d, o.activities, o.touches, t);
  const touchCount = countUpTo(d, o.touches, o.contactAt, t);
  const contactCount = Math.max(1, countUpTo(d, o.contactAt, o.end, t));
  const lastActivity = actCount > 0 ? d[o.activities + actCount - 1]! : null;
  const lastModified = Math.max(
    plan.createdAt,
    d[o.stageAt + sCount - 1]!,
    d[o.amountAt + aCount - 1]!,
    d[o.closeDateAt + cCount - 1]!,
    touchCount > 0 ? d[o.touches + touchCount - 1]! : -Infinity,
  );
  const systemModstamp = Math.max(lastModified, lastActivity ?? -Infinity, deleted ? plan.deletedAt! : -Infinity);
  return {
    exists: plan.createdAt <= now,
    deleted,
    deletedAt: deleted ? plan.deletedAt : null,
    stage,
    stageEnteredAt: d[o.stageAt + sCount - 1]!,
    stageEvents: sCount,
    isClosed,
    isWon: stage === open,
    closedAt: isClosed ? plan.closeAt : null,
    amount: d[o.amounts + aCount - 1]!,
    amountChanges: aCount - 1,
    closeDate: isClosed ? Math.floor(plan.closeAt / DAY) * DAY : d[o.closeDates + cCount - 1]!,
    pushes: cCount - 1,
    lastActivity,
    activityCount: actCount,
    followUpDue: isClosed || deleted ? null : Math.floor(((lastActivity ?? plan.createdAt) + 7 * DAY) / DAY) * DAY,
    nextStep: touchCount - 1,
    contacts: contactCount,
    lastModified,
    systemModstamp,
    hsModified: Math.max(systemModstamp, d[o.contactAt + contactCount - 1]!),
  };
}
