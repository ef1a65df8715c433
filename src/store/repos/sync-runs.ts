import type { Selectable } from 'kysely';
import { z } from 'zod';
import { storableJson } from '../../core/storable-text.ts';
import type { Db } from '../db.ts';
import type { SyncRunsTable } from '../schema.ts';
import { parseStored, StoredObject } from '../stored-json.ts';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'partial' | 'paused';

/** What one sync run did: the admin view and `GET /v1/sync/runs` show these. */
export interface SyncRun {
  id: number;
  tenantId: string;
  connectionId: string | null;
  trigger: string;
  status: RunStatus;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  counts: Record<string, number>;
  apiCalls: number;
  errors: Array<Record<string, unknown>>;
  rejected: Array<Record<string, unknown>>;
  details: Record<string, unknown>;
  holder: string | null;
}

export interface RunFinish {
  status: Exclude<RunStatus, 'running'>;
  finishedAt: Date;
  durationMs: number;
  counts: Record<string, number>;
  apiCalls: number;
  /** The run's errors and rejected records (RunError, RecordRejection), stored as JSON. */
  errors: readonly object[];
  rejected: readonly object[];
  details: Record<string, unknown>;
}

const StoredCounts = z.record(z.string(), z.number());
const StoredList = z.array(StoredObject);

const toRun = (r: Selectable<SyncRunsTable>): SyncRun => {
  const at = (column: string) => ({ table: 'sync_runs', row: String(r.id), column });
  return {
    id: r.id,
    tenantId: r.tenant_id,
    connectionId: r.connection_id,
    trigger: r.trigger,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
    counts: parseStored(StoredCounts, r.counts, at('counts')),
    apiCalls: r.api_calls,
    errors: parseStored(StoredList, r.errors, at('errors')),
    rejected: parseStored(StoredList, r.rejected, at('rejected')),
    details: parseStored(StoredObject, r.details, at('details')),
    holder: r.holder,
  };
};

export function syncRunsRepo(db: Db) {
  return {
    async start(tenantId: string, r: { connectionId: string | null; trigger: string; holder: string | null }, at: Date): Promise<number> {
      const row = await db
        .insertInto('sync_runs')
        .values({
          tenant_id: tenantId,
          connection_id: r.connectionId,
          trigger: r.trigger,
          status: 'running',
          started_at: at,
          counts: JSON.stringify({}),
          errors: JSON.stringify([]),
          api_calls: 0,
          holder: r.holder,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },
    async finish(tenantId: string, id: number, f: RunFinish): Promise<void> {
      await db
        .updateTable('sync_runs')
        .set({
          status: f.status,
          finished_at: f.finishedAt,
          duration_ms: Math.round(f.durationMs),
          counts: JSON.stringify(f.counts),
          api_calls: f.apiCalls,
          // Errors and rejections quote what the CRM sent: kept storable like the deals.
          errors: storableJson(f.errors),
          rejected: storableJson(f.rejected),
          details: storableJson(f.details),
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
    },
    /**
     * Runs still marked running when their tenant's lease is claimed anew belong to a worker that
     * died: they are closed as failed so the admin view does not show them running forever.
     */
    async failAbandoned(tenantId: string, at: Date): Promise<number> {
      const r = await db
        .updateTable('sync_runs')
        .set({
          status: 'failed',
          finished_at: at,
          errors: JSON.stringify([
            { code: 'worker_lost', message: 'the worker stopped before this run finished; the next run resumed its work' },
          ]),
        })
        .where('tenant_id', '=', tenantId)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
    async list(tenantId: string, opts: { limit?: number; connectionId?: string } = {}): Promise<SyncRun[]> {
      let q = db.selectFrom('sync_runs').selectAll().where('tenant_id', '=', tenantId);
      if (opts.connectionId) q = q.where('connection_id', '=', opts.connectionId);
      const rows = await q
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(opts.limit ?? 20)
        .execute();
      return rows.map(toRun);
    },
    async get(tenantId: string, id: number): Promise<SyncRun | null> {
      const r = await db.selectFrom('sync_runs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return r ? toRun(r) : null;
    },
    /** API calls a connection's runs used since `since` (Salesforce counts a rolling 24 h). */
    async callsSince(tenantId: string, connectionId: string, since: Date): Promise<number> {
      const r = await db
        .selectFrom('sync_runs')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('api_calls'), eb.lit(0)).as('n'))
        .where('tenant_id', '=', tenantId)
        .where('connection_id', '=', connectionId)
        .where('started_at', '>=', since)
        .executeTakeFirst();
      return Number(r?.n ?? 0);
    },
    async purgeOlderThan(tenantId: string, before: Date): Promise<number> {
      const r = await db
        .deleteFrom('sync_runs')
        .where('tenant_id', '=', tenantId)
        .where('started_at', '<', before)
        .where('status', '!=', 'running')
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type SyncRunsRepo = ReturnType<typeof syncRunsRepo>;
