import type { TaskResult, WriteResult } from '../../../connectors/types.ts';
import { isAppError } from '../../core/errors.ts';
import type { RetryPolicy } from '../../store/queue.ts';
import { fieldsPayload, type OutboxItem, type OutboxResult, taskPayload } from '../../store/repos/outbox.ts';
import { checkAborted, type RecordRejection, type RunState, rejectRecord } from '../run-state.ts';

/** Errors that stop the whole connection's run (the policy in handle-sync-error decides). */
const STOPS_RUN = new Set(['crm_auth_revoked', 'crm_auth_expired', 'crm_rate_limited', 'crm_quota_exhausted']);

/** The outbox's retries (the backoff itself is src/store/queue.ts's). */
const retryPolicy = (run: RunState): RetryPolicy => ({
  maxAttempts: run.config.writeBack.maxAttempts,
  baseMs: run.config.writeBack.retryBaseSeconds * 1000,
});

/**
 * write back: pending risk-field writes from the outbox, in batches. Each row is marked sent
 * only after the CRM accepted it, so a crash leaves it pending for the next run; a row that
 * was sent is never picked up again. A rejected record is retried when retryable, else dead.
 */
export async function sendFieldWrites(run: RunState): Promise<void> {
  await drain(
    run,
    'fields',
    run.config.writeBack.chunk,
    fieldsPayload,
    async (items) => {
      const results = await run.connector.writeBack(items.map((i) => i.value));
      await run.probe('fields-called');
      return items.map((item, k) => {
        const r: WriteResult | undefined = results[k];
        if (r?.ok) {
          run.counts.written++;
          return { id: item.id, ok: true };
        }
        run.counts.writeFailed++;
        const error = r?.error ? `${r.error.code}: ${r.error.message}` : 'no result for this record';
        rejectRecord(run, refusal('fields', item, error));
        return {
          id: item.id,
          ok: false,
          retryable: r?.error?.retryable ?? true,
          error,
          ...(r?.error ? { result: { code: r.error.code } } : {}),
        };
      });
    },
    'fields-recorded',
  );
}

/** tasks: idempotent by key (the connector reports a task that exists as open or completed). */
export async function sendTasks(run: RunState): Promise<void> {
  await drain(
    run,
    'task',
    run.config.writeBack.taskChunk,
    taskPayload,
    async (items) => {
      const results = await run.connector.upsertTasks(items.map((i) => i.value));
      await run.probe('tasks-called');
      return items.map((item, k) => {
        const r: TaskResult | undefined = results[k];
        if (r?.ok) {
          if (r.status === 'created') run.counts.tasks++;
          return { id: item.id, ok: true, result: { status: r.status, ...(r.taskId ? { taskId: r.taskId } : {}) } };
        }
        run.counts.taskFailed++;
        const error = r?.error ? `${r.error.code}: ${r.error.message}` : 'no result for this task';
        rejectRecord(run, refusal('task', item, error));
        return { id: item.id, ok: false, retryable: r?.error?.retryable ?? true, error };
      });
    },
    'tasks-recorded',
  );
}

/** An outbox row with its payload read: the update or task request to send. */
type Ready<P> = OutboxItem & { value: P };

async function drain<P>(
  run: RunState,
  kind: 'fields' | 'task',
  chunk: number,
  parse: (item: OutboxItem) => P,
  send: Send<Ready<P>>,
  after: 'fields-recorded' | 'tasks-recorded',
): Promise<void> {
  const { ctx, tenantId } = run;
  if (run.degraded) return;
  const only = run.only ? new Set(run.only) : null;
  let afterId = 0;
  for (;;) {
    checkAborted(run);
    const due = await ctx.store.outbox.due(tenantId, { source: run.connector.source, kind, now: ctx.now(), afterId, limit: chunk });
    if (due.length === 0) return;
    afterId = due[due.length - 1]!.id;
    // Real time sends the named deals' writes alone; the others wait for the regular run.
    const items = only ? due.filter((i) => only.has(i.externalId)) : due;
    const ready: Array<Ready<P>> = [];
    for (const item of items) {
      try {
        ready.push({ ...item, value: parse(item) });
      } catch (e) {
        // A row the store cannot read (its error names the row and field) fails alone, for good.
        await failAlone(run, kind, item, e);
      }
    }
    if (ready.length && (await sendBatch(run, kind, ready, send, after)) === 'stopped') return;
  }
}

type Send<I extends OutboxItem> = (items: I[]) => Promise<OutboxResult[]>;
type Failure = { item: OutboxItem; error: unknown };

/**
 * Sends one batch and records its results. A failure confined to some records (our code failing
 * on one record's values, or the CRM refusing a record by throwing) is narrowed down: the record
 * the error names is set aside, or else the batch is halved, so only the records at fault fail
 * and the others are sent. When every record of the batch fails that way, the fault is not in
 * the records: they are kept for a retry and the run stops writing, as when the CRM is down.
 * 'stopped': the run writes nothing more.
 */
async function sendBatch<I extends OutboxItem>(
  run: RunState,
  kind: 'fields' | 'task',
  items: I[],
  send: Send<I>,
  after: 'fields-recorded' | 'tasks-recorded',
): Promise<'sent' | 'stopped'> {
  const failures: Failure[] = [];
  // Failures collected before a stop stay pending: the next run tries them again.
  if ((await sendNarrowing(run, kind, items, send, after, failures)) === 'stopped') return 'stopped';
  if (failures.length > 1 && failures.length === items.length) {
    await stopWriting(run, kind, items, failures[0]!.error);
    return 'stopped';
  }
  for (const f of failures) await failAlone(run, kind, f.item, f.error);
  return 'sent';
}

async function sendNarrowing<I extends OutboxItem>(
  run: RunState,
  kind: 'fields' | 'task',
  items: I[],
  send: Send<I>,
  after: 'fields-recorded' | 'tasks-recorded',
  failures: Failure[],
): Promise<'sent' | 'stopped'> {
  const { ctx, tenantId } = run;
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
    if (!confinedToRecords(e)) {
      await stopWriting(run, kind, items, e);
      return 'stopped';
    }
    const named = namedItem(e, items) ?? (items.length === 1 ? items[0] : undefined);
    if (named) {
      failures.push({ item: named, error: e });
      const rest = items.filter((i) => i !== named);
      return rest.length ? sendNarrowing(run, kind, rest, send, after, failures) : 'sent';
    }
    const mid = Math.ceil(items.length / 2);
    if ((await sendNarrowing(run, kind, items.slice(0, mid), send, after, failures)) === 'stopped') return 'stopped';
    return sendNarrowing(run, kind, items.slice(mid), send, after, failures);
  }
  await ctx.store.outbox.record(tenantId, results, ctx.now(), retryPolicy(run));
  await run.probe(after);
  return 'sent';
}

/**
 * The CRM is down or answered nonsense: these rows wait for the retry, the run goes on without
 * further writes, and says so.
 */
async function stopWriting(run: RunState, kind: 'fields' | 'task', items: OutboxItem[], e: unknown): Promise<void> {
  const message = messageOf(e);
  run.errors.push({ step: kind === 'fields' ? 'write-back' : 'tasks', code: isAppError(e) ? e.code : 'crm_unavailable', message });
  run.degraded = true;
  await run.ctx.store.outbox.record(
    run.tenantId,
    items.map((i) => ({ id: i.id, ok: false, retryable: true, error: message })),
    run.ctx.now(),
    retryPolicy(run),
  );
}

/**
 * Errors one record can cause: our own code throwing on a record's values (not an AppError, and
 * not a network failure the connector left unwrapped), or the CRM refusing a record by throwing
 * rather than answering per record. Anything else (CRM unavailable, a bad request, missing
 * permission) is about the whole connection.
 */
function confinedToRecords(e: unknown): boolean {
  if (isAppError(e)) return e.code === 'crm_record_rejected' || e.code === 'record_invalid';
  return !looksLikeNetwork(e);
}

/** Node's and undici's network failures: ECONNRESET, ENOTFOUND, UND_ERR_SOCKET, an abort or timeout. */
function looksLikeNetwork(e: unknown): boolean {
  const err = e as { name?: unknown; code?: unknown; cause?: { code?: unknown } } | null;
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError') return true;
  return [err?.code, err?.cause?.code].some((c) => typeof c === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(c));
}

/** The item an error names (details.recordId: a deal id or a task key), if it is in the batch. */
function namedItem<I extends OutboxItem>(e: unknown, items: I[]): I | undefined {
  const id = isAppError(e) ? e.details.recordId : undefined;
  if (typeof id !== 'string') return undefined;
  return items.find((i) => i.externalId === id || i.key === id);
}

/** Records one item as failed with the error's reason (retried only when the error says so), and keeps it on the run. */
async function failAlone(run: RunState, kind: 'fields' | 'task', item: OutboxItem, e: unknown): Promise<void> {
  const code = isAppError(e) ? e.code : 'internal';
  const retryable = isAppError(e) && e.details.retryable === true;
  const error = `${code}: ${messageOf(e)}`;
  if (kind === 'fields') run.counts.writeFailed++;
  else run.counts.taskFailed++;
  rejectRecord(run, refusal(kind, item, error));
  await run.ctx.store.outbox.record(
    run.tenantId,
    [{ id: item.id, ok: false, retryable, error, result: { code } }],
    run.ctx.now(),
    retryPolicy(run),
  );
}

/** A refused write or task as the run shows it: the deal's CRM id, the task when it is one, why. */
const refusal = (kind: 'fields' | 'task', item: OutboxItem, reason: string): RecordRejection => ({
  step: kind === 'fields' ? 'write-back' : 'tasks',
  recordId: item.externalId,
  field: kind === 'task' ? `task ${item.key}` : null,
  reason,
});

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
