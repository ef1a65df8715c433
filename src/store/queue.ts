import { type Selectable, sql } from 'kysely';
import type { Db } from './db.ts';
import type { Database } from './schema.ts';

/**
 * The one lifecycle of the app's two queues, the CRM write-back outbox (`writebacks`) and the
 * Slack and email notifications (`deliveries`): a row is pending until sent; a failed attempt
 * makes it failed, due again after a backoff; the last allowed attempt, or a failure that no
 * retry can cure, makes it dead (kept with its error, never tried again).
 */
export type QueueName = 'writebacks' | 'deliveries';
export type QueueStatus = 'pending' | 'sent' | 'failed' | 'dead';

export interface RetryPolicy {
  /** Attempts in all, the first included: the failure of attempt `maxAttempts` makes the row dead. */
  maxAttempts: number;
  /** The wait after the first failure; it doubles with each further one. */
  baseMs: number;
}

/** The wait stops doubling after this many doublings: 1,024 × base (17 h at the default 60 s). */
export const MAX_DOUBLINGS = 10;

/**
 * The wait after the `attempt`-th failed attempt: base × 2^(attempt − 1), at most base × 2^10.
 * No jitter: each queue has one sender at a time (the tenant's sync run for the outbox, the
 * claiming worker for a delivery), so no herd of senders retries in step, and a retry time
 * that is a plain function of the attempt can be checked.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  return policy.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), MAX_DOUBLINGS);
}

export type FailedOutcome = { status: 'failed'; nextAttemptAt: Date } | { status: 'dead'; nextAttemptAt: null };

/** What the `attempt`-th failure makes of a row: failed until its next attempt is due, or dead. */
export function afterFailure(policy: RetryPolicy, attempt: number, retryable: boolean, now: Date): FailedOutcome {
  if (!retryable || attempt >= policy.maxAttempts) return { status: 'dead', nextAttemptAt: null };
  return { status: 'failed', nextAttemptAt: new Date(now.getTime() + retryDelayMs(policy, attempt)) };
}

/** Rows to send at `now`: pending ones (unless held back to a later time) and failed ones whose wait is over. */
export const dueAt = (now: Date) =>
  sql<boolean>`status in ('pending', 'failed') and (next_attempt_at <= ${now} or next_attempt_at is null)`;

/** Columns only the outbox has: when a row last changed, and the CRM's answer. */
const OUTBOX_ONLY: Record<QueueName, boolean> = { writebacks: true, deliveries: false };

/** The first characters of an error kept on the row (a CRM or SMTP answer can be long). */
export const MAX_ERROR_LENGTH = 1000;

/**
 * Claims up to `limit` due rows for one sender: their next attempt moves `leaseMs` ahead, in one
 * statement that skips rows another sender is claiming, so two workers never take the same row.
 * A sender that dies leaves its rows to be claimed again once the lease has passed. Oldest first.
 */
export async function claimDue<Q extends QueueName>(
  db: Db,
  queue: Q,
  o: { now: Date; limit: number; leaseMs: number; tenantId?: string },
): Promise<Array<Selectable<Database[Q]>>> {
  const t = sql.table(queue);
  const r = await sql<Selectable<Database[Q]> & { id: number }>`
    update ${t} set next_attempt_at = ${new Date(o.now.getTime() + o.leaseMs)}
    where id in (
      select id from ${t}
      where ${dueAt(o.now)} ${o.tenantId ? sql`and tenant_id = ${o.tenantId}` : sql``}
      order by id limit ${o.limit}
      for update skip locked)
    returning *`.execute(db);
  return r.rows.sort((a, b) => a.id - b.id);
}

/** Records rows the other side accepted: sent, never picked up again (`result`: the outbox's CRM answer). */
export async function markSent(
  db: Db,
  queue: QueueName,
  tenantId: string,
  sent: ReadonlyArray<{ id: number; result?: Record<string, unknown> | null }>,
  now: Date,
): Promise<void> {
  if (sent.length === 0) return;
  const rows = sent.map((s) => ({ id: s.id, result: s.result ?? null }));
  await sql`
    update ${sql.table(queue)} q
    set status = 'sent', sent_at = ${now}, attempts = q.attempts + 1, last_error = null
      ${OUTBOX_ONLY[queue] ? sql`, updated_at = ${now}, result = x.result` : sql``}
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id bigint, result jsonb)
    where q.tenant_id = ${tenantId} and q.id = x.id`.execute(db);
}

export interface QueueFailure {
  id: number;
  error: string;
  /** False when no later attempt can succeed (a refused record): the row is dead at once. */
  retryable: boolean;
  result?: Record<string, unknown> | null;
}

/**
 * Records failed attempts: each row counts one more attempt and becomes failed, due again after
 * the backoff, or dead (see `afterFailure`). A dead row keeps its last `next_attempt_at`; it is
 * never due again whatever that says.
 */
export async function markFailed(
  db: Db,
  queue: QueueName,
  tenantId: string,
  failures: readonly QueueFailure[],
  now: Date,
  policy: RetryPolicy,
): Promise<Array<{ id: number; attempts: number } & FailedOutcome>> {
  if (failures.length === 0) return [];
  const t = sql.table(queue);
  const apply = async (tx: Db) => {
    const tried = await sql<{ id: number; attempts: number }>`
      select id, attempts from ${t} where tenant_id = ${tenantId} and id in (${sql.join(failures.map((f) => f.id))})
      for update`.execute(tx);
    const attempts = new Map(tried.rows.map((r) => [Number(r.id), r.attempts]));
    const outcomes = failures
      .filter((f) => attempts.has(f.id))
      .map((f) => {
        const attempt = attempts.get(f.id)! + 1;
        return { id: f.id, attempts: attempt, ...afterFailure(policy, attempt, f.retryable, now) };
      });
    const rows = failures
      .filter((f) => attempts.has(f.id))
      .map((f, k) => ({
        id: f.id,
        status: outcomes[k]!.status,
        next: outcomes[k]!.nextAttemptAt?.toISOString() ?? null,
        error: f.error.slice(0, MAX_ERROR_LENGTH),
        result: f.result ?? null,
      }));
    await sql`
      update ${t} q
      set status = x.status, attempts = q.attempts + 1, last_error = x.error, next_attempt_at = coalesce(x.next, q.next_attempt_at)
        ${OUTBOX_ONLY[queue] ? sql`, updated_at = ${now}, result = x.result` : sql``}
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id bigint, status text, next timestamptz, error text, result jsonb)
      where q.tenant_id = ${tenantId} and q.id = x.id`.execute(tx);
    return outcomes;
  };
  return db.isTransaction ? apply(db) : db.transaction().execute(apply);
}
