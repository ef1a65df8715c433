import type { TaskRequest } from '../../../connectors/types.ts';
import type { Db } from '../db.ts';
import { parseStored, StoredObject } from '../stored-json.ts';
import { fieldsKey } from './outbox.ts';

export interface Alert {
  id: number;
  source: string;
  externalId: string;
  kind: string;
  raisedAt: Date;
  score: number;
  payload: Record<string, unknown>;
}

export interface AlertDecision {
  source: string;
  externalId: string;
  /** Null: suppressed (within 24 h of the last alert, quiet channel, no_signal): just cleared. */
  raise: null | {
    score: number;
    payload: Record<string, unknown>;
    task: { key: string; payload: TaskRequest } | null;
    deliveries: Array<{ channel: 'slack' | 'email'; key: string; payload: Record<string, unknown>; notBefore: Date }>;
  };
}

/**
 * Alerts raised on deals entering the alert threshold. Raising one records it, queues its CRM
 * task in the outbox and its Slack/email deliveries, and clears the deal's due flag, in one
 * transaction: a crash either raises it completely or leaves it due.
 */
export function alertsRepo(db: Db) {
  return {
    async resolve(tenantId: string, connectionId: string | null, decisions: AlertDecision[], now: Date): Promise<number> {
      let raised = 0;
      for (const d of decisions) {
        await db.transaction().execute(async (tx) => {
          const state = tx
            .updateTable('deal_sync_state')
            .where('tenant_id', '=', tenantId)
            .where('source', '=', d.source)
            .where('external_id', '=', d.externalId);
          if (!d.raise) {
            await state.set({ alert_due_at: null }).execute();
            return;
          }
          await state.set({ alert_due_at: null, last_alert_at: now }).execute();
          await tx
            .insertInto('alerts')
            .values({
              tenant_id: tenantId,
              source: d.source,
              external_id: d.externalId,
              kind: 'critical',
              raised_at: now,
              score: d.raise.score,
              payload: JSON.stringify(d.raise.payload),
            })
            .execute();
          if (d.raise.task) {
            await tx
              .insertInto('writebacks')
              .values({
                tenant_id: tenantId,
                connection_id: connectionId,
                source: d.source,
                external_id: d.externalId,
                kind: 'task',
                key: d.raise.task.key,
                payload: JSON.stringify(d.raise.task.payload),
                status: 'pending',
                attempts: 0,
                updated_at: now,
              })
              .onConflict((oc) => oc.columns(['tenant_id', 'key']).where('kind', '=', 'task').doNothing())
              .execute();
          }
          for (const del of d.raise.deliveries) {
            await tx
              .insertInto('deliveries')
              .values({
                tenant_id: tenantId,
                kind: 'alert',
                channel: del.channel,
                key: del.key,
                payload: JSON.stringify(del.payload),
                status: 'pending',
                attempts: 0,
                next_attempt_at: del.notBefore,
                created_at: now,
              })
              .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
              .execute();
          }
          raised++;
        });
      }
      return raised;
    },
    async list(tenantId: string, q: { externalId?: string; since?: Date; limit?: number } = {}): Promise<Alert[]> {
      let query = db.selectFrom('alerts').selectAll().where('tenant_id', '=', tenantId);
      if (q.externalId) query = query.where('external_id', '=', q.externalId);
      if (q.since) query = query.where('raised_at', '>=', q.since);
      const rows = await query
        .orderBy('raised_at', 'desc')
        .orderBy('id', 'desc')
        .limit(q.limit ?? 100)
        .execute();
      return rows.map((r) => ({
        id: r.id,
        source: r.source,
        externalId: r.external_id,
        kind: r.kind,
        raisedAt: r.raised_at,
        score: r.score,
        payload: parseStored(StoredObject, r.payload, { table: 'alerts', row: String(r.id), column: 'payload' }),
      }));
    },
    async purgeBefore(tenantId: string, before: Date): Promise<number> {
      const r = await db.deleteFrom('alerts').where('tenant_id', '=', tenantId).where('raised_at', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type AlertsRepo = ReturnType<typeof alertsRepo>;
export { fieldsKey };
