import { sql } from 'kysely';
import type { Db } from '../db.ts';

export type DeliveryChannel = 'slack' | 'email';

export interface Delivery {
  id: number;
  tenantId: string;
  kind: string;
  channel: DeliveryChannel;
  key: string;
  payload: Record<string, unknown>;
  status: 'pending' | 'sent' | 'failed' | 'dead';
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date;
  sentAt: Date | null;
}

type Row = {
  id: number;
  tenant_id: string;
  kind: string;
  channel: string;
  key: string;
  payload: Record<string, unknown>;
  status: Delivery['status'];
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date;
  sent_at: Date | null;
};
const toDelivery = (r: Row): Delivery => ({
  id: r.id,
  tenantId: r.tenant_id,
  kind: r.kind,
  channel: r.channel as DeliveryChannel,
  key: r.key,
  payload: r.payload,
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
  nextAttemptAt: r.next_attempt_at,
  sentAt: r.sent_at,
});

/** Slack and email notifications: queued with a key (sent at most once), retried, recorded. */
export function deliveriesRepo(db: Db) {
  return {
    async enqueue(
      tenantId: string,
      d: { kind: string; channel: DeliveryChannel; key: string; payload: Record<string, unknown>; notBefore: Date },
      now: Date,
    ): Promise<boolean> {
      const r = await db
        .insertInto('deliveries')
        .values({
          tenant_id: tenantId,
          kind: d.kind,
          channel: d.channel,
          key: d.key,
          payload: JSON.stringify(d.payload),
          status: 'pending',
          attempts: 0,
          next_attempt_at: d.notBefore,
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    /**
     * Claims due deliveries for one sender: their next attempt moves `leaseMs` ahead, in one
     * statement that skips rows another worker is claiming, so two workers never send the
     * same message. A sender that dies leaves them to be retried once the lease passes.
     */
    async claimDue(now: Date, limit: number, leaseMs: number, tenantId?: string): Promise<Delivery[]> {
      const r = await sql<Row>`
        update deliveries set next_attempt_at = ${new Date(now.getTime() + leaseMs)}
        where id in (
          select id from deliveries
          where status in ('pending', 'failed') and next_attempt_at <= ${now}
            ${tenantId ? sql`and tenant_id = ${tenantId}` : sql``}
          order by id limit ${limit}
          for update skip locked)
        returning *`.execute(db);
      return r.rows.map(toDelivery).sort((a, b) => a.id - b.id);
    },
    /** Due deliveries across tenants, oldest first (read only). */
    async due(now: Date, limit: number, tenantId?: string): Promise<Delivery[]> {
      let q = db.selectFrom('deliveries').selectAll().where('status', 'in', ['pending', 'failed']).where('next_attempt_at', '<=', now);
      if (tenantId) q = q.where('tenant_id', '=', tenantId);
      return (await q.orderBy('id').limit(limit).execute()).map((r) => toDelivery(r as Row));
    },
    async markSent(tenantId: string, id: number, now: Date): Promise<void> {
      await db
        .updateTable('deliveries')
        .set((eb) => ({ status: 'sent', sent_at: now, attempts: eb('attempts', '+', 1), last_error: null }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
    },
    async markFailed(tenantId: string, id: number, error: string, retryAt: Date | null): Promise<void> {
      await db
        .updateTable('deliveries')
        .set((eb) => ({
          status: retryAt ? 'failed' : 'dead',
          attempts: eb('attempts', '+', 1),
          last_error: error.slice(0, 1000),
          ...(retryAt ? { next_attempt_at: retryAt } : {}),
        }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
    },
    async list(tenantId: string, q: { kind?: string; limit?: number } = {}): Promise<Delivery[]> {
      let query = db.selectFrom('deliveries').selectAll().where('tenant_id', '=', tenantId);
      if (q.kind) query = query.where('kind', '=', q.kind);
      return (
        await query
          .orderBy('id', 'desc')
          .limit(q.limit ?? 100)
          .execute()
      ).map((r) => toDelivery(r as Row));
    },
    async purgeBefore(tenantId: string, before: Date): Promise<number> {
      const r = await db
        .deleteFrom('deliveries')
        .where('tenant_id', '=', tenantId)
        .where('status', 'in', ['sent', 'dead'])
        .where('created_at', '<', before)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type DeliveriesRepo = ReturnType<typeof deliveriesRepo>;
