import type { TaskState, TaskStateQuery } from '../types.ts';
import type { HubSpotApi } from './api.ts';
import { chunk, info } from './batching.ts';

/**
 * Ids per search. HubSpot documents no limit on an IN filter's values; 100, what its batch
 * endpoints take, keeps each answer to one page (a search page holds 200) and the body small.
 */
export const TASK_IDS_PER_SEARCH = 100;

type Row = { id: string; properties: Record<string, string | null> };

/**
 * Which of our open tasks reps completed: one CRM search per 100 followed ids, filtered to
 * `hs_task_status = COMPLETED`, on the search budget (its own 5 a second), never the standard
 * one. Each answer holds only tasks done since we last asked (a completed task is not asked about
 * again), and the completion time is HubSpot's own `hs_task_completion_date`, so the search
 * index lagging a write only delays a task to the next run. A deleted (archived) task is not
 * searchable: it stays open here until the caller stops following it. `mark` is not needed.
 */
export async function readHubSpotTaskStates(api: HubSpotApi, q: TaskStateQuery): Promise<{ states: TaskState[]; mark: null }> {
  const states: TaskState[] = [];
  for (const ids of chunk([...new Set(q.taskIds)], TASK_IDS_PER_SEARCH)) {
    const body = {
      filterGroups: [
        {
          filters: [
            { propertyName: 'hs_object_id', operator: 'IN', values: ids },
            { propertyName: 'hs_task_status', operator: 'EQ', value: 'COMPLETED' },
          ],
        },
      ],
      properties: ['hs_task_status', 'hs_task_completion_date', 'hs_lastmodifieddate'],
      limit: TASK_IDS_PER_SEARCH,
    };
    const r = await api.call({ budget: 'search', op: 'search tasks', idempotent: true }, async (c) =>
      info(await c.crm.objects.tasks.searchApi.doSearchWithHttpInfo(body as never)),
    );
    for (const row of r.data.results as unknown as Row[]) {
      if (row.properties.hs_task_status !== 'COMPLETED') continue;
      states.push({
        taskId: row.id,
        status: 'completed',
        completedAt: dateOf(row.properties.hs_task_completion_date) ?? dateOf(row.properties.hs_lastmodifieddate),
      });
    }
  }
  return { states, mark: null };
}

/** HubSpot datetimes come back as ISO strings (or epoch milliseconds in older payloads). */
function dateOf(v: string | null | undefined): Date | null {
  if (!v) return null;
  const d = /^\d+$/.test(v) ? new Date(Number(v)) : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}
