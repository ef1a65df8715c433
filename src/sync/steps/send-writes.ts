import type { DealUpdate, TaskRequest, TaskResult, WriteResult } from '../../../connectors/types.ts';
import { isAppError } from '../../core/errors.ts';
import type { OutboxItem, OutboxResult } from '../../store/repos/outbox.ts';
import { checkAborted, type RunState } from '../run-state.ts';

/** Errors that stop the whole connection's run (the policy in handle-sync-error decides). */
const STOPS_RUN = new Set(['crm_auth_revoked', 'crm_auth_expired', 'crm_rate_limited', 'crm_quota_exhausted']);

const retryPolicy = (run: RunState) => ({
  maxAttempts: run.config.writeBack.maxAttempts,
  retryInMs: (attempt: number) => run.config.writeBack.retryBaseSeconds * 1000 * 2 ** Math.min(attempt - 1, 10),
});

/**
 * write back: pending risk-field writes from the outbox, in batches. Each row is marked sent
 * only after the CRM accepted it, so a crash leaves it pending for the next run; a row that
 * was sent is never picked up again. A rejected record is retried when retryable, else dead.
 */
export async function sendFieldWrites(run: RunState): Promise<void> {
  await drain(run, 'fields', run.config.writeBack.chunk, async (items) => {
    const updates = items.map((i) => reviveUpdate(i.payload));
    const results = await run.connector.writeBack(updates);
    await run.probe('fields-called');
    return items.map((item, k) => {
      const r: WriteResult | undefined = results[k];
      if (r?.ok) run.counts.written++;
      else run.counts.writeFailed++;
      return r?.ok
        ? { id: item.id, ok: true }
        : {
            id: item.id,
            ok: false,
            retryable: r?.error?.retryable ?? true,
            error: r?.error ? `${r.error.code}: ${r.error.message}` : 'no result for this record',
            ...(r?.error ? { result: { code: r.error.code } } : {}),
          };
    });
  }, 'fields-recorded');
}

/** tasks: idempotent by key (the connector reports a task that exists as open or completed). */
export async function sendTasks(run: RunState): Promise<void> {
  await drain(run, 'task', run.config.writeBack.taskChunk, async (items) => {
    const results = await run.connector.upsertTasks(items.map((i) => reviveTask(i.payload)));
    await run.probe('tasks-called');
    return items.map((item, k) => {
      const r: TaskResult | undefined = results[k];
      if (r?.ok) {
        if (r.status === 'created') run.counts.tasks++;
        return { id: item.id, ok: true, result: { status: r.status, ...(r.taskId ? { taskId: r.taskId } : {}) } };
      }
      run.counts.taskFailed++;
      return {
        id: item.id,
        ok: false,
        retryable: r?.error?.retryable ?? true,
        error: r?.error ? `${r.error.code}: ${r.error.message}` : 'no result for this task',
      };
    });
  }, 'tasks-recorded');
}

async function drain(
  run: RunState,
  kind: 'fields' | 'task',
  chunk: number,
  send: (items: OutboxItem[]) => Promise<OutboxResult[]>,
  after: 'fields-recorded' | 'tasks-recorded',
): Promise<void> {
  const { ctx, tenantId } = run;
  if (run.degraded) return;
  let afterId = 0;
  for (;;) {
    checkAborted(run);
    const items = await ctx.store.outbox.due(tenantId, { source: run.connector.source, kind, now: ctx.now(), afterId, limit: chunk });
    if (items.length === 0) return;
    afterId = items[items.length - 1]!.id;
    let results: OutboxResult[];
    try {
      results = await send(items);
    } catch (e) {
      if (isAppError(e) && STOPS_RUN.has(e.code)) {
        // A limit hit mid-batch: the records the CRM did accept are recorded as sent (never
        // sent again); the rest stay pending for the next window.
        const partial = e.details.results;
        if (Array.isArray(partial)) {
          const done = items.flatMap((item, k) => ((partial[k] as { ok?: boolean } | undefined)?.ok ? [{ id: item.id, ok: true }] : []));
          await ctx.store.outbox.record(tenantId, done, ctx.now(), retryPolicy(run));
          if (kind === 'fields') run.counts.written += done.length;
        }
        throw e;
      }
      // The CRM is down or answered nonsense: these rows wait for the retry, the run goes on
      // without further writes, and says so.
      const message = e instanceof Error ? e.message : String(e);
      run.errors.push({ step: kind === 'fields' ? 'write-back' : 'tasks', code: isAppError(e) ? e.code : 'crm_unavailable', message });
      run.degraded = true;
      await ctx.store.outbox.record(tenantId, items.map((i) => ({ id: i.id, ok: false, retryable: true, error: message })), ctx.now(), retryPolicy(run));
      return;
    }
    await ctx.store.outbox.record(tenantId, results, ctx.now(), retryPolicy(run));
    await run.probe(after);
  }
}

function reviveUpdate(payload: Record<string, unknown>): DealUpdate {
  const u = payload as unknown as DealUpdate & { fields: { scoredAt: string } };
  return { externalId: u.externalId, fields: { ...u.fields, scoredAt: new Date(u.fields.scoredAt) } };
}

function reviveTask(payload: Record<string, unknown>): TaskRequest {
  const t = payload as unknown as TaskRequest & { dueDate: string };
  return { ...t, dueDate: new Date(t.dueDate) };
}
