import type { TaskState, TaskStateQuery } from '../types.ts';
import type { SalesforceApi } from './api.ts';
import { modstampOf, type SfRow } from './records.ts';
import { keyedTasksChangedQuery } from './soql.ts';

/**
 * SystemModstamp is stamped when a transaction starts, so a task saved in a transaction that
 * commits after our query can carry a stamp before the newest one we saw: the next read starts
 * this far back (the same overlap the opportunity cursor keeps).
 */
const OVERLAP_MS = 5 * 60_000;

interface TaskRow extends SfRow {
  Id: string;
  IsClosed: boolean;
  IsDeleted: boolean;
  CompletedDateTime: string | null;
}

/**
 * One query (plus queryMore per 2,000 rows): our keyed tasks changed since the mark, through
 * queryAll so deleted ones show. A closed task is done (any closed status: the rep closed it),
 * when CompletedDateTime says, else at its last change. Only the followed ids are reported.
 */
export async function readSalesforceTaskStates(
  api: SalesforceApi,
  keyField: string,
  q: TaskStateQuery,
): Promise<{ states: TaskState[]; mark: string | null }> {
  const from = markDate(q.mark) ?? q.since;
  const rows = await api.queryRows<TaskRow>(keyedTasksChangedQuery(keyField, from), { all: true });
  const followed = new Set(q.taskIds);
  const states: TaskState[] = [];
  let newest = from.getTime() + OVERLAP_MS;
  for (const r of rows) {
    const stamp = modstampOf(r);
    if (stamp) newest = Math.max(newest, stamp.getTime());
    if (!followed.has(r.Id)) continue;
    const deleted = r.IsDeleted === true;
    const closed = r.IsClosed === true;
    if (!deleted && !closed) continue;
    states.push({
      taskId: r.Id,
      status: closed ? 'completed' : 'deleted',
      completedAt: closed ? (modstampOf({ SystemModstamp: r.CompletedDateTime }) ?? stamp) : null,
    });
  }
  return { states, mark: new Date(newest - OVERLAP_MS).toISOString() };
}

function markDate(mark: string | null): Date | null {
  if (!mark) return null;
  const d = new Date(mark);
  return Number.isNaN(d.getTime()) ? null : d;
}
