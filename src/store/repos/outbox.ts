import { type Selectable, sql } from 'kysely';
import type { DealUpdate, TaskRequest } from '../../../connectors/types.ts';
import type { Db } from '../db.ts';
import { dueAt, markFailed, markSent, type QueueStatus, type RetryPolicy } from '../queue.ts';
import type { WritebacksTable } from '../schema.ts';
import { parseStored } from '../stored-json.ts';
import { StoredDealUpdate, StoredTaskRequest } from '../write-back-json.ts';

/** One risk-field write or one task, waiting for (or done with) the CRM. */
export interface OutboxItem {
  id: number;
  kind: 'fields' | 'task';
  source: string;
  externalId: string;
  key: string;
  /** The stored JSON, unparsed: `fieldsPayload` and `taskPayload` read it. */
  payload: Record<string, unknown>;
  status: QueueStatus;
  attempts: number;
  lastError: string | null;
}

export interface QueuedWrite {
  source: string;
  externalId: string;
  /** The state's values_hash this write carries: queued = written_hash catches up. */
  valuesHash: string;
  /** The deal's risk fields, or null when only tasks are queued. */
  fields: DealUpdate | null;
  tasks: Array<{ key: string; payload: TaskRequest }>;
}

export interface OutboxResult {
  id: number;
  ok: boolean;
  /** Retryable failures wait their backoff; others (or the last allowed attempt) become dead. */
  retryable?: boolean;
  error?: string;
  result?: Record<string, unknown>;
}

const COLUMNS = ['id', 'kind', 'source', 'external_id', 'key', 'payload', 'status', 'attempts', 'last_error'] as const;
type Row = Pick<Selectable<WritebacksTable>, (typeof COLUMNS)[number]>;
const toItem = (r: Row): OutboxItem => ({
  id: r.id,
  kind: r.kind,
  source: r.source,
  externalId: r.external_id,
  key: r.key,
  payload: r.payload,
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
});

/**
 * The deal update a `fields` row carries, parsed (dates revived). A row that is not one fails
 * naming `writebacks`, its id and the field; the caller fails that row alone.
 */
export const fieldsPayload = (item: Pick<OutboxItem, 'id' | 'payload'>): DealUpdate =>
  parseStored(StoredDealUpdate, item.payload, { table: 'writebacks', row: String(item.id), column: 'payload' });

/** The task request a `task` row carries, parsed as `fieldsPayload` parses a `fields` row. */
export const taskPayload = (item: Pick<OutboxItem, 'id' | 'payload'>): TaskRequest =>
  parseStored(StoredTaskRequest, item.payload, { table: 'writebacks', row: String(item.id), column: 'payload' });

/** The write-back key of a deal's risk fields: one open write per deal. */
export const fieldsKey = (source: string, externalId: string): string => `${source}:${externalId}`;

/**
 * The write-back outbox (`writebacks`). A write is queued in the same transaction that records
 * it as written in the deal's sync state, so a crash either queues it or leaves it to be diffed
 * again; it is marked sent only after the CRM said so, so a pending write survives any crash.
 */
export function outboxRepo(db: Db) {
  return {
    async queue(
      tenantId: string,
      connectionId: string | null,
      writes: QueuedWrite[],
      now: Date,
    ): Promise<{ fields: number; tasks: number }> {
      const out = { fields: 0, tasks: 0 };
      if (writes.length === 0) return out;
      await db.transaction().execute(async (tx) => {
        const fieldRows = writes
          .filter((w) => w.fields)
          .map((w) => ({
            tenant_id: tenantId,
            connection_id: connectionId,
            source: w.source,
            external_id: w.externalId,
            kind: 'fields' as const,
            key: fieldsKey(w.source, w.externalId),
            payload: w.fields,
            status: 'pending' as const,
            attempts: 0,
            updated_at: now,
          }));
        if (fieldRows.length) {
          // A newer value replaces a write still waiting: the CRM only ever needs the latest.
          await sql`
            insert into writebacks (tenant_id, connection_id, source, external_id, kind, key, payload, status, attempts, updated_at)
            select * from jsonb_to_recordset(${JSON.stringify(fieldRows)}::jsonb) as x(
              tenant_id text, connection_id text, source text, external_id text, kind text, key text, payload jsonb, status text, attempts int, updated_at timestamptz)
            on conflict (tenant_id, key) where kind = 'fields' and status in ('pending', 'failed')
            do update set payload = excluded.payload, status = 'pending', attempts = 0, next_attempt_at = null, last_error = null, updated_at = excluded.updated_at`.execute(
            tx,
          );
          out.fields = fieldRows.length;
        }
        const taskRows = writes.flatMap((w) =>
          w.tasks.map((t) => ({
            tenant_id: tenantId,
            connection_id: connectionId,
            source: w.source,
            external_id: w.externalId,
            kind: 'task' as const,
            key: t.key,
            payload: JSON.stringify(t.payload),
            status: 'pending' as const,
            attempts: 0,
            updated_at: now,
          })),
        );
        for (let i = 0; i < taskRows.length; i += 500) {
          // A task key is queued once, ever: the CRM side dedupes too, but we never ask twice.
          const r = await tx
            .insertInto('writebacks')
            .values(taskRows.slice(i, i + 500))
            .onConflict((oc) => oc.columns(['tenant_id', 'key']).where('kind', '=', 'task').doNothing())
            .executeTakeFirst();
          out.tasks += Number(r.numInsertedOrUpdatedRows ?? 0);
        }
        const byHash = writes.map((w) => ({ source: w.source, external_id: w.externalId, values_hash: w.valuesHash }));
        await sql`
          update deal_sync_state s set written_hash = x.values_hash, written_at = ${now}
          from jsonb_to_recordset(${JSON.stringify(byHash)}::jsonb) as x(source text, external_id text, values_hash text)
          where s.tenant_id = ${tenantId} and s.source = x.source and s.external_id = x.external_id`.execute(tx);
      });
      return out;
    },

    /** Writes to send now: pending ones and failed ones whose wait is over, oldest first. */
    async due(
      tenantId: string,
      q: { source: string; kind: 'fields' | 'task'; now: Date; afterId: number; limit: number },
    ): Promise<OutboxItem[]> {
      const rows = await db
        .selectFrom('writebacks')
        .select(COLUMNS)
        .where('tenant_id', '=', tenantId)
        .where('source', '=', q.source)
        .where('kind', '=', q.kind)
        .where('id', '>', q.afterId)
        .where(dueAt(q.now))
        .orderBy('id')
        .limit(q.limit)
        .execute();
      return rows.map(toItem);
    },

    /**
     * Records each CRM answer (src/store/queue.ts owns the lifecycle): a sent row is never picked
     * up again; a failed one waits its backoff, or is dead when not retryable or out of attempts.
     */
    async record(tenantId: string, results: OutboxResult[], now: Date, policy: RetryPolicy): Promise<void> {
      if (results.length === 0) return;
      await db.transaction().execute(async (tx) => {
        const sent = results.filter((r) => r.ok).map((r) => ({ id: r.id, result: r.result ?? null }));
        await markSent(tx, 'writebacks', tenantId, sent, now);
        const failed = results
          .filter((r) => !r.ok)
          .map((r) => ({ id: r.id, error: r.error ?? 'unknown error', retryable: r.retryable === true, result: r.result ?? null }));
        await markFailed(tx, 'writebacks', tenantId, failed, now, policy);
      });
    },

    async list(
      tenantId: string,
      q: { kind?: 'fields' | 'task'; status?: OutboxItem['status']; externalId?: string } = {},
    ): Promise<OutboxItem[]> {
      let query = db.selectFrom('writebacks').select(COLUMNS).where('tenant_id', '=', tenantId);
      if (q.kind) query = query.where('kind', '=', q.kind);
      if (q.status) query = query.where('status', '=', q.status);
      if (q.externalId) query = query.where('external_id', '=', q.externalId);
      return (await query.orderBy('id').execute()).map(toItem);
    },

    async countByStatus(tenantId: string): Promise<Record<string, number>> {
      const rows = await db
        .selectFrom('writebacks')
        .select(['kind', 'status', sql<number>`count(*)::int`.as('n')])
        .where('tenant_id', '=', tenantId)
        .groupBy(['kind', 'status'])
        .execute();
      return Object.fromEntries(rows.map((r) => [`${r.kind}.${r.status}`, r.n]));
    },

    /** Sent field writes are history once superseded; task rows stay (their keys dedupe). */
    async purgeSentBefore(tenantId: string, before: Date): Promise<number> {
      const r = await db
        .deleteFrom('writebacks')
        .where('tenant_id', '=', tenantId)
        .where('kind', '=', 'fields')
        .where('status', 'in', ['sent', 'dead'])
        .where('updated_at', '<', before)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type OutboxRepo = ReturnType<typeof outboxRepo>;
