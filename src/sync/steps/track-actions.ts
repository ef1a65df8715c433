import { actionOfTaskKey, ruleOf, segmentOf } from '../../core/actions/recommendation.ts';
import { isAppError } from '../../core/errors.ts';
import type { RiskCategory } from '../../core/scoring/categories.ts';
import type { ActionTask, SentTask } from '../../store/repos/action-tasks.ts';
import type { RunState } from '../run-state.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/**
 * Open tasks are asked about for this long after they were created. The report counts a task
 * done within a week as acted on, and how fast from the CRM's own completion stamp, so a task
 * still open after a month matters only as "not done"; asking longer would only spend calls.
 */
export const FOLLOW_TASK_DAYS = 30;
/**
 * The CRM is asked about open tasks at most this often (and first this long after it had any to
 * answer for): a completion is dated by the CRM's own stamp, so asking every hour would make the
 * report no more exact, only an hourly sync with nothing new cost a call more.
 */
export const READ_TASKS_EVERY_HOURS = 6;
/** Sent tasks are taken in from a little before the last one seen (a concurrent run may send late). */
const IMPORT_OVERLAP_MS = HOUR_MS;
const PAGE = 1000;
/** Failures that end the run anyway: the next step would meet them too. */
const FATAL = new Set(['crm_auth_revoked', 'crm_quota_exhausted']);
const CATEGORIES = new Set<string>(['Low', 'Medium', 'High', 'Critical']);

/**
 * follow up the playbook's tasks: take in the tasks sent (with the deal's risk band, score and
 * segment at the time), then ask the CRM which of the open ones were done or deleted. No open
 * task in the last FOLLOW_TASK_DAYS: no call; otherwise at most one read every
 * READ_TASKS_EVERY_HOURS. A real-time run leaves this to the regular sync.
 */
export async function trackActionTasks(run: RunState): Promise<void> {
  if (run.only !== null || run.connector.source === 'csv') return;
  await takeInSentTasks(run);
  await readTaskStates(run);
}

async function takeInSentTasks(run: RunState): Promise<void> {
  const { ctx, tenantId } = run;
  const source = run.connector.source;
  const marks = await ctx.store.actionTasks.marks(tenantId, source);
  const since = marks.importedUntil ? new Date(marks.importedUntil.getTime() - IMPORT_OVERLAP_MS) : null;
  let after: { at: Date; id: number } | null = null;
  let latest = marks.importedUntil;
  let taken = 0;
  for (;;) {
    const page = await ctx.store.actionTasks.sentSince(tenantId, source, { since, after, limit: PAGE });
    if (page.length === 0) break;
    const last = page[page.length - 1]!;
    after = { at: last.sentAt, id: last.id };
    if (!latest || last.sentAt > latest) latest = last.sentAt;
    taken += await ctx.store.actionTasks.insert(
      tenantId,
      page.flatMap((s) => actionTaskOf(s, source) ?? []),
    );
    if (page.length < PAGE) break;
  }
  if (latest && latest !== marks.importedUntil) await ctx.store.actionTasks.saveMarks(tenantId, source, { importedUntil: latest });
  run.counts.actionTasks = taken;
}

/**
 * A sent task as a recommendation to follow, or null when it is not a playbook action (an
 * alert's task) or its deal was never scored. Pure.
 */
export function actionTaskOf(s: SentTask, source: string): ActionTask | null {
  const action = s.requestKey ? actionOfTaskKey(s.requestKey, s.externalId) : null;
  if (!action || s.score === null || !s.category || !CATEGORIES.has(s.category)) return null;
  return {
    taskKey: s.taskKey,
    source,
    externalId: s.externalId,
    action,
    rule: ruleOf(s.actions, action),
    taskId: s.taskId,
    ownerId: s.ownerId,
    ownerName: s.ownerName,
    recommendedAt: s.sentAt,
    score: s.score,
    category: s.category as RiskCategory,
    segment: segmentOf({ account: { size: s.size } as never, dealType: (s.dealType as never) ?? null }),
  };
}

async function readTaskStates(run: RunState): Promise<void> {
  const { ctx, tenantId, connector } = run;
  if (!connector.readTaskStates) return;
  const source = connector.source;
  const open = await ctx.store.actionTasks.openTracked(tenantId, source, new Date(run.asOf.getTime() - FOLLOW_TASK_DAYS * DAY_MS));
  if (open.length === 0) return;
  const marks = await ctx.store.actionTasks.marks(tenantId, source);
  const now = ctx.now();
  if (!marks.readAt) {
    // Tasks just created have nothing to report yet: the first read comes one interval later.
    await ctx.store.actionTasks.saveMarks(tenantId, source, { readAt: now });
    return;
  }
  if (now.getTime() - marks.readAt.getTime() < READ_TASKS_EVERY_HOURS * HOUR_MS) return;
  try {
    const r = await connector.readTaskStates({
      taskIds: open.map((o) => o.taskId),
      mark: marks.readMark,
      since: new Date(open[0]!.recommendedAt.getTime() - HOUR_MS),
    });
    const changed = await ctx.store.actionTasks.applyStatuses(tenantId, source, r.states, now);
    await ctx.store.actionTasks.saveMarks(tenantId, source, { readMark: r.mark, readAt: now });
    run.counts.actionTasksDone = changed;
    if (changed) run.log.info('task states read', { open: open.length, changed });
  } catch (e) {
    if (!isAppError(e) || FATAL.has(e.code)) throw e;
    // The tasks stay open here and are asked about again next run; nothing else depends on them.
    const message = `task states not read: ${e.message}`;
    run.errors.push({ step: 'task-status', code: e.code, message });
    run.log.warn('task states not read', { code: e.code, message: e.message });
  }
}
